/**
 * E2E fixtures: each test file gets its own Lifeboat (`npm start` in web mode on a fresh temp home), and each test a
 * signed-in page whose browser console errors and warnings fail the test.
 */
import { test as base, expect, type BrowserContext, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');
/** Screenshots the tests save, for people to look at: under test-results/ (never the repository's tree), like every other output of a run. */
export const screenshots = path.join(repoRoot, 'test-results', 'screenshots');
/** The same folder, by its earlier name. */
export const artifacts = screenshots;

export interface Lifeboat {
  url: string;
  origin: string;
  home: string;
  child: ChildProcess;
  output: () => string;
  /** The session cookie of the first sign-in, so later pages need not exchange the token again. */
  cookies: Awaited<ReturnType<BrowserContext['cookies']>> | null;
  stop(): Promise<void>;
}

async function startLifeboat(): Promise<Lifeboat> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-e2e-'));
  // --web: web mode even where Electron's binary is installed. detached: its own process group, killed as a whole.
  const child = spawn('npm', ['start', '--', '--web', '--no-open', '--home', home, '--port', '0'], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BROWSER: 'none' },
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Lifeboat did not print its address within 60 s:\n${output}`)),
      60_000,
    );
    const check = () => {
      const m = /Lifeboat is running at (\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Lifeboat exited (${code}) before it was ready:\n${output}`));
    });
  });

  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  return {
    url,
    origin: new URL(url).origin,
    home,
    child,
    output: () => output,
    cookies: null,
    async stop() {
      killGroup('SIGTERM');
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000));
      if ((await Promise.race([exited, timeout])) === 'timeout') {
        killGroup('SIGKILL');
        await exited;
      }
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

export const test = base.extend<
  { lifeboat: Lifeboat; browserErrors: string[]; app: Page },
  { lifeboats: Map<string, Promise<Lifeboat>> }
>({
  lifeboats: [
    async ({}, use) => {
      const running = new Map<string, Promise<Lifeboat>>();
      await use(running);
      for (const l of running.values()) await (await l.catch(() => null))?.stop();
    },
    { scope: 'worker' },
  ],

  // One Lifeboat per test file: a file's tests share its state (e.g. the service made by the first test).
  lifeboat: async ({ lifeboats }, use, testInfo) => {
    for (const [file, l] of lifeboats) {
      if (file === testInfo.file) continue;
      lifeboats.delete(file);
      await (await l.catch(() => null))?.stop();
    }
    if (!lifeboats.has(testInfo.file)) lifeboats.set(testInfo.file, startLifeboat());
    await use(await lifeboats.get(testInfo.file)!);
  },

  browserErrors: async ({}, use) => {
    await use([]);
  },

  app: async ({ page, context, lifeboat, browserErrors }, use) => {
    if (lifeboat.cookies) {
      await context.addCookies(lifeboat.cookies);
    } else {
      // The token exchange page; a clean launch logs no console error there either (layout-a11y.spec.ts checks it).
      await page.goto(lifeboat.url);
      // The page trades the token for the cookie, then reloads into the app.
      await page.locator('main').first().waitFor();
      lifeboat.cookies = await context.cookies();
    }
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning')
        browserErrors.push(`console.${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => browserErrors.push(`pageerror: ${err.message}`));
    await page.goto(`${lifeboat.origin}/`);
    await page.locator('main').first().waitFor();
    await use(page);
    expect(browserErrors, 'browser console errors and warnings').toEqual([]);
  },
});

export { expect };

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: false });
}

/** Creates the service through the welcome wizard, as a user would; returns the SDEK that was shown. */
export async function createServiceInWizard(page: Page, name: string): Promise<string> {
  await expect(page.getByRole('heading', { name: 'Welcome to Lifeboat' })).toBeVisible();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Service name').fill(name);
  await page.keyboard.press('Enter');
  const sdek = (await page.getByTestId('sdek').textContent())!.trim();
  await page.getByRole('checkbox', { name: /I saved the service data encryption key/ }).check();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Last 4 characters of the key').fill(sdek.replace(/-/g, '').slice(-4));
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Open the dashboard' }).click();
  await expect(page.getByRole('navigation', { name: 'Main navigation' })).toBeVisible();
  return sdek;
}

/** Opens the app; on its first visit to this Lifeboat, creates the service. */
export async function ensureService(page: Page, name = 'E2E service'): Promise<void> {
  const welcome = page.getByRole('heading', { name: 'Welcome to Lifeboat' });
  const nav = page.getByRole('navigation', { name: 'Main navigation' });
  await expect(welcome.or(nav)).toBeVisible();
  if (await welcome.isVisible()) await createServiceInWizard(page, name);
}

export async function openPage(page: Page, label: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main navigation' })
    .getByRole('tab', { name: label, exact: true })
    .click();
  await expect(page.getByRole('heading', { level: 1, name: label, exact: true })).toBeVisible();
}
