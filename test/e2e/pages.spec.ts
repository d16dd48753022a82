/** Every page of the navigation loads without a browser error, by mouse and by keyboard. */
import { ensureService, expect, openPage, screenshot, test } from './fixtures';

const PAGES = [
  'Dashboard',
  'Devices',
  'Storage accounts',
  'Backups',
  'Protected items',
  'Recovery plans',
  'Jobs',
  'Alerts',
  'Console',
  'Settings',
];

test('the navigation has exactly the pages of the product, in order', async ({ app: page }) => {
  await ensureService(page);
  const tabs = page.getByRole('navigation', { name: 'Main navigation' }).getByRole('tab');
  await expect(tabs).toHaveText(PAGES, { useInnerText: true });
});

test('every page loads, with no console error, and is saved as a screenshot', async ({ app: page, browserErrors }) => {
  await ensureService(page);
  for (const label of PAGES) {
    await openPage(page, label);
    await expect(page).toHaveURL(new RegExp(`#/${label.toLowerCase().replace(/ /g, '-')}$`));
    if (label === 'Settings') {
      await expect(page.getByTestId('data-dir')).toBeVisible();
      // The event loop's longest block is shown against its 50 ms goal, and says whether it is within it.
      await expect(page.getByTestId('loop-max')).toContainText(/ms of 50 ms (Within|Over) the goal/);
    }
    if (label === 'Console') await expect(page.locator('.xterm-rows')).toContainText('lifeboat>');
    await screenshot(page, `page-${label.toLowerCase().replace(/ /g, '-')}`);
    expect(browserErrors, `errors on ${label}`).toEqual([]);
  }
});

test('empty pages explain themselves and their action starts the work', async ({ app: page }) => {
  await ensureService(page);
  // Recovery plans is a real page now: its empty state's Create a recovery plan opens the plan editor.
  await openPage(page, 'Recovery plans');
  await expect(page.getByRole('heading', { name: 'No recovery plans yet' })).toBeVisible();
  await page.getByRole('button', { name: 'Create a recovery plan' }).click();
  await expect(page.getByTestId('plan-editor')).toBeVisible();
  await page.getByTestId('plan-editor').getByRole('button', { name: 'Cancel' }).click();
  // Protected items is a real page now: its empty state's Enable protection starts the wizard.
  await openPage(page, 'Protected items');
  await expect(page.getByRole('heading', { name: 'No protected items yet' })).toBeVisible();
  await page
    .getByRole('main')
    .getByRole('region', { name: 'No protected items yet' })
    .getByRole('button', { name: 'Enable protection' })
    .click();
  await expect(page.getByTestId('enable-protection-wizard')).toHaveAttribute('data-step', 'source');
  await page.getByRole('button', { name: 'Cancel' }).click();
});

test('the navigation works with the keyboard alone', async ({ app: page }) => {
  await ensureService(page);
  await openPage(page, 'Dashboard');
  const nav = page.getByRole('navigation', { name: 'Main navigation' });
  await nav.getByRole('tab', { name: 'Dashboard' }).focus();
  for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowDown');
  await expect(nav.getByRole('tab', { name: 'Jobs' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Jobs' })).toBeVisible();
  await expect(page).toHaveURL(/#\/jobs$/);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Space');
  await expect(page.getByRole('heading', { level: 1, name: 'Alerts' })).toBeVisible();
  // Tab leaves the navigation for the page's own controls.
  await page.keyboard.press('Tab');
  const focusedInMain = await page.evaluate(() => !!document.activeElement?.closest('main'));
  expect(focusedInMain).toBe(true);
});

test('the skip link jumps over the navigation', async ({ app: page }) => {
  await ensureService(page);
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('main#main-content')).toBeFocused();
});

test('the theme follows the operating system, live, terminal included', async ({ app: page }) => {
  await ensureService(page);
  await openPage(page, 'Console');
  const background = () =>
    page.locator('#root > .fui-FluentProvider').evaluate((el) => getComputedStyle(el).backgroundColor);
  const terminalBackground = () =>
    page.locator('.xterm-scrollable-element').evaluate((el) => getComputedStyle(el).backgroundColor);
  await page.emulateMedia({ colorScheme: 'light' });
  await expect.poll(background).toBe('rgb(255, 255, 255)');
  const lightTerminal = await terminalBackground();
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect.poll(background).not.toBe('rgb(255, 255, 255)');
  await expect.poll(terminalBackground).not.toBe(lightTerminal);
  await screenshot(page, 'dark-console');
  await openPage(page, 'Dashboard');
  await screenshot(page, 'dark-dashboard');
  await page.emulateMedia({ colorScheme: 'light' });
  await expect.poll(background).toBe('rgb(255, 255, 255)');
});
