import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/faults/**/*.test.ts'],
    pool: 'forks',
    // Two files at once on the 2-core CI machine (vitest's default there is one): most of a file's time is spent
    // waiting for the CLI and engine processes it spawns. Four of the slowest files, run one after the other and then
    // two at a time on the loaded machine (load 20-25): 594 s and 557 s. Files share nothing but the build (see globalSetup).
    maxWorkers: 2,
    // A stray .only would run one test and pass CI with every other test unrun (vitest allows it outside CI=true).
    allowOnly: false,
    setupFiles: ['test/helpers/cleanup.ts'],
    // dist/main is built once for the run (when stale), before any file starts: files' buildMain() then return at once.
    globalSetup: ['test/helpers/global-setup.ts'],
    // Deadlines, not measurements: a 2-core CI machine running two test files at once can take minutes where an idle
    // one takes seconds, and a deadline only decides how long a broken test hangs before it fails.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
