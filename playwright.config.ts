// End-to-end tests in Debian's chromium (never a downloaded browser) against `npm start` in web mode.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'test/e2e',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  // A stray test.only would run one test and pass CI with every other test unrun.
  forbidOnly: true,
  retries: 0,
  // One worker: each test drives chromium and its own Lifeboat, both CPU-bound. Measured on the shared 2-core machine
  // (load 16-25) with two workers, tests that take 3-7 s alone took 46-66 s and 2 of the first 6 hit the 60 s timeout.
  workers: 1,
  fullyParallel: false,
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
  outputDir: 'test-results/e2e',
  use: {
    headless: true,
    viewport: { width: 1400, height: 900 },
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
