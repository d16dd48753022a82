/** The Console page: the Lifeboat command language in xterm.js, driven through the keyboard like a user. */
import type { Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ensureService, expect, openPage, repoRoot, screenshot, test } from './fixtures';

const screen = (page: Page) => page.locator('.xterm-rows');
/** The terminal's rows as text, without trailing blank rows. */
const lastLine = async (page: Page) => {
  const rows = (await page.locator('.xterm-rows > div').allInnerTexts()).map((r) => r.replace(/\s+$/, ''));
  while (rows.length && !rows.at(-1)) rows.pop();
  return rows.at(-1) ?? '';
};

/** Types a command at the prompt and presses Enter. */
async function enter(page: Page, line: string): Promise<void> {
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}

async function openConsole(page: Page): Promise<void> {
  await ensureService(page);
  await openPage(page, 'Console');
  await expect(screen(page)).toContainText('lifeboat>');
  await page.locator('.xterm').click();
}

test('commands run in the console and print their output', async ({ app: page, lifeboat }) => {
  await openConsole(page);
  await enter(page, 'help');
  await expect(screen(page)).toContainText('Every command takes --json');
  await page.keyboard.press('Control+L');
  await expect(screen(page)).not.toContainText('Every command takes --json');
  await enter(page, 'status');
  await expect(screen(page)).toContainText(lifeboat.home);
  await enter(page, 'jobs shwo x');
  await expect(screen(page)).toContainText('error (invalid_input)');
  await screenshot(page, 'console-commands');
});

test('Tab completes command words, and history survives a reload', async ({ app: page, lifeboat }) => {
  await openConsole(page);
  await page.keyboard.type('jobs l');
  await page.keyboard.press('Tab');
  await expect(screen(page)).toContainText('lifeboat> jobs list');
  await page.keyboard.press('Enter');
  await expect(screen(page)).toContainText('(none)');
  // Several matches are listed.
  await page.keyboard.type('jobs ');
  await page.keyboard.press('Tab');
  await expect(screen(page)).toContainText('cancel');
  await expect(screen(page)).toContainText('resume');
  await page.keyboard.press('Control+C');

  await page.reload();
  await openPage(page, 'Console');
  await page.locator('.xterm').click();
  await page.keyboard.press('ArrowUp');
  await expect.poll(() => lastLine(page)).toBe('lifeboat> jobs list');
  // The engine keeps the history (so it also survives a restart): the CLI sees it through the running app.
  const history = spawnSync(
    process.execPath,
    [path.join(repoRoot, 'bin/lifeboat.cjs'), '--home', lifeboat.home, 'history', '--json'],
    { encoding: 'utf8' },
  );
  expect(JSON.parse(history.stdout)).toContain('jobs list');
});

test('a job command shows live progress, Ctrl+C asks before cancelling, and output survives page switches', async ({
  app: page,
}) => {
  await openConsole(page);
  await enter(page, 'selftest --size-mib 64 --seconds 30');
  await expect(screen(page)).toContainText(/\[#*-+\]\s+\d+%/);
  await page.keyboard.press('Control+C');
  await expect(screen(page)).toContainText('[y/N]');
  await enter(page, 'y');
  await expect.poll(() => lastLine(page)).toBe('lifeboat>');
  await screenshot(page, 'console-cancelled-job');

  await openPage(page, 'Jobs');
  await expect(page.locator('tr[data-status="cancelled"]').first()).toBeVisible();
  await openPage(page, 'Console');
  await expect(screen(page)).toContainText('[y/N]');
  // Shift+Tab leaves the terminal for the page's other controls.
  await page.locator('.xterm').click();
  await page.keyboard.press('Shift+Tab');
  expect(await page.evaluate(() => !!document.activeElement?.closest('.xterm'))).toBe(false);
});

test('Ctrl+R finds an earlier command, and each tab keeps its own output', async ({ app: page }) => {
  await openConsole(page);
  await enter(page, 'status');
  await expect.poll(() => lastLine(page)).toBe('lifeboat>');
  await enter(page, 'help');
  // Ctrl+R searches at the prompt: under load, a key pressed while help still prints would not reach it.
  await expect.poll(() => lastLine(page)).toBe('lifeboat>');
  await page.keyboard.press('Control+R');
  await page.keyboard.type('stat');
  await expect.poll(() => lastLine(page)).toBe("(reverse-i-search)'stat': status");
  await page.keyboard.press('Escape');
  await expect.poll(() => lastLine(page)).toBe('lifeboat> status');
  await page.keyboard.press('Control+U');
  await expect.poll(() => lastLine(page)).toBe('lifeboat>');

  // A second tab starts empty; the first still has its output when we come back.
  await page.getByRole('button', { name: 'New console tab' }).click();
  const tabs = page.getByRole('tablist', { name: 'Console tabs' }).getByRole('tab');
  await expect(tabs).toHaveCount(2);
  await expect(screen(page)).not.toContainText('Every command takes --json');
  await page.locator('.xterm').click();
  await enter(page, 'alerts list');
  await expect(screen(page)).toContainText('(none)');
  await tabs.first().click();
  await expect(screen(page)).toContainText('Every command takes --json');
  await tabs.nth(1).click();
  await page.getByRole('button', { name: 'Close this console tab' }).click();
  await expect(tabs).toHaveCount(1);
  await expect(screen(page)).toContainText('Every command takes --json');
});

test('pasted lines run one after another, like typed commands', async ({ app: page, context, lifeboat }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: lifeboat.origin });
  await openConsole(page);
  await page.keyboard.press('Control+L');
  await page.evaluate(() => navigator.clipboard.writeText('alerts list\nsettings show\nstat'));
  await page.keyboard.press('Control+V');
  await expect(screen(page)).toContainText('lifeboat> alerts list');
  await expect(screen(page)).toContainText('logLevel: info');
  // The last pasted line has no line break: it waits at the prompt to be finished.
  await expect.poll(() => lastLine(page)).toBe('lifeboat> stat');
  await page.keyboard.type('us');
  await page.keyboard.press('Enter');
  await expect(screen(page)).toContainText(lifeboat.home);
});
