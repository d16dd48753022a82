/**
 * The console knows the service's objects: a storage account added through the UI wizard is completed by Tab in
 * `account show`, and the completed command runs; a backup taken in the console is completed the same way.
 */
import type { Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { ensureService, expect, openPage, screenshot, test } from './fixtures';

const screen = (page: Page) => page.locator('.xterm-rows');
const lastLine = async (page: Page) => {
  const rows = (await page.locator('.xterm-rows > div').allInnerTexts()).map((r) => r.replace(/\s+$/, ''));
  while (rows.length && !rows.at(-1)) rows.pop();
  return rows.at(-1) ?? '';
};

let scratch = '';
test.afterAll(() => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

test('an account added in the wizard is completed by Tab in the console, and the command runs', async ({
  app: page,
  lifeboat,
}) => {
  scratch = fs.mkdtempSync(path.join(path.dirname(lifeboat.home), 'lifeboat-e2e-console-'));
  const folder = path.join(scratch, 'lake-repo');
  await ensureService(page);

  // Add the account the way a user does: the wizard, keyboard only.
  await openPage(page, 'Storage accounts');
  await page.getByRole('button', { name: 'Add storage account' }).click();
  const wizard = page.getByTestId('add-account-wizard');
  await page.keyboard.press('Enter');
  await expect(wizard).toHaveAttribute('data-step', 'credentials');
  await page.keyboard.type(folder);
  await page.keyboard.press('Enter');
  await expect(wizard).toHaveAttribute('data-step', 'container');
  await page.keyboard.type('lakeside');
  await page.keyboard.press('Enter');
  await expect(wizard).toHaveAttribute('data-step', 'probe');
  await page.keyboard.press('Enter');
  await expect(wizard).toHaveAttribute('data-step', 'done');
  await wizard.getByRole('button', { name: 'Finish' }).click();
  await expect(page.locator('tr[data-account="lakeside"]')).toBeVisible();

  await openPage(page, 'Console');
  await expect(screen(page)).toContainText('lifeboat>');
  await page.locator('.xterm').click();
  await page.keyboard.type('account show l');
  await page.keyboard.press('Tab');
  await expect.poll(() => lastLine(page)).toBe('lifeboat> account show lakeside');
  await page.keyboard.press('Enter');
  await expect(screen(page)).toContainText(folder);
  await screenshot(page, 'console-account-completed');

  // A backup made here is completed by its id.
  const source = path.join(scratch, 'docs');
  fs.mkdirSync(source);
  fs.writeFileSync(path.join(source, 'a.txt'), 'hello\n');
  await page.keyboard.type(`backup create --account lakeside --source ${source} --label console`);
  await page.keyboard.press('Enter');
  await expect(screen(page)).toContainText(/succeeded/i, { timeout: 30_000 });
  await expect.poll(() => lastLine(page)).toBe('lifeboat>');
  await page.keyboard.type('backup show ');
  await page.keyboard.press('Tab');
  await expect.poll(() => lastLine(page)).toMatch(/^lifeboat> backup show \S+$/);
  await page.keyboard.press('Enter');
  await expect(screen(page)).toContainText('label: console');
});
