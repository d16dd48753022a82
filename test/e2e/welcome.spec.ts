/** The welcome wizard, create path: name → SDEK shown once (copy, save) → a wrong confirmation is refused → the app. */
import fs from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, screenshot, test } from './fixtures';

test('creating a service shows the key once and insists on its last 4 characters', async ({
  app: page,
  context,
  lifeboat,
}) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: lifeboat.origin });
  await expect(page.getByRole('heading', { name: 'Welcome to Lifeboat' })).toBeVisible();
  await screenshot(page, 'welcome-1-choose');
  // Keyboard only: the first option is focused and Enter is Next.
  await expect(page.getByRole('radio', { name: /Create a new service/ })).toBeFocused();
  await page.keyboard.press('Enter');

  await expect(page.getByRole('heading', { name: 'Name the service' })).toBeVisible();
  const name = page.getByLabel('Service name');
  await expect(name).toBeFocused();
  await page.keyboard.type('-bad');
  await page.keyboard.press('Enter');
  await expect(page.getByText('A service name starts with a letter or a digit.')).toBeVisible();
  await name.fill('Contoso DR');
  await page.keyboard.press('Enter');

  await expect(page.getByRole('heading', { name: 'Save the service data encryption key' })).toBeVisible();
  await expect(page.getByText('This is the only time Lifeboat shows this key.')).toBeVisible();
  const sdek = (await page.getByTestId('sdek').textContent())!.trim();
  expect(sdek).toMatch(/^([0-9A-Z]{5}-){10}[0-9A-Z]{5}$/);
  await screenshot(page, 'welcome-2-key');
  // The key wraps between its groups, never inside one, at 1024 px and on a narrow window alike.
  for (const width of [1024, 420]) {
    await page.setViewportSize({ width, height: 700 });
    const lines = await keyLines(page);
    expect(lines.flat().length).toBe(55);
    expect(new Set(lines.flat()).size, `the key takes more than one line at ${width} px`).toBeGreaterThan(1);
    for (const [i, group] of lines.entries())
      expect(new Set(group).size, `group ${i + 1} of the key is on one line at ${width} px`).toBe(1);
  }
  await page.setViewportSize({ width: 1440, height: 900 });

  await page.getByRole('button', { name: 'Copy' }).click();
  await expect(page.getByRole('button', { name: 'Copied' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(sdek);

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Save to file' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('lifeboat-sdek-Contoso-DR.txt');
  expect(fs.readFileSync((await download.path())!, 'utf8')).toContain(sdek);

  // Next is refused until the user says the key is kept.
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByText('Confirm that you saved the key before going on.')).toBeVisible();
  await page.getByRole('checkbox', { name: /I saved the service data encryption key/ }).check();
  await page.getByRole('button', { name: 'Next' }).click();

  await expect(page.getByRole('heading', { name: 'Confirm you kept the key' })).toBeVisible();
  const last4 = sdek.replace(/-/g, '').slice(-4);
  const wrong = last4 === 'AAAA' ? 'BBBB' : 'AAAA';
  await page.getByLabel('Last 4 characters of the key').fill(wrong);
  await page.keyboard.press('Enter');
  await expect(page.getByText('Those are not the last 4 characters of the service data encryption key.')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Confirm you kept the key' })).toBeVisible();
  await screenshot(page, 'welcome-3-wrong-confirmation');

  // A reload before confirming goes straight back to the confirmation, explaining where the key was shown.
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Confirm you kept the key' })).toBeVisible();
  await expect(page.getByText(/was shown once, when the service was created/)).toBeVisible();
  await expect(page.getByTestId('sdek')).toHaveCount(0);

  await page.getByLabel('Last 4 characters of the key').fill(last4.toLowerCase());
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'The service is ready' })).toBeVisible();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('navigation', { name: 'Main navigation' })).toBeVisible();
  await expect(page.getByTestId('service-name')).toHaveText('Contoso DR');
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await screenshot(page, 'welcome-4-dashboard');
});

test('after the key is confirmed, the app opens on the shell directly', async ({ app: page }) => {
  await expect(page.getByRole('navigation', { name: 'Main navigation' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Welcome to Lifeboat' })).toHaveCount(0);
});

/** The line (top of its box, in px) each letter or digit of the shown key is drawn on, by group of 5. */
function keyLines(page: Page): Promise<number[][]> {
  return page.getByTestId('sdek').evaluate((box) => {
    const groups: number[][] = [[]];
    const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent ?? '';
      for (let i = 0; i < text.length; i++) {
        if (text[i] === '-') groups.push([]);
        if (!/[0-9A-Z]/.test(text[i])) continue;
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        groups[groups.length - 1].push(Math.round(range.getBoundingClientRect().top));
      }
    }
    return groups;
  });
}
