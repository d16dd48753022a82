/** The welcome wizard, join path: a malformed key gets the engine's clear error; a real key joins the service. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, repoRoot, screenshot, test } from './fixtures';

/** A real SDEK, from a service created by the CLI in another data directory. */
function sdekOfAnotherService(): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-e2e-other-'));
  try {
    const out = execFileSync(
      process.execPath,
      [
        path.join(repoRoot, 'bin', 'lifeboat.cjs'),
        'service',
        'init',
        '--name',
        'Primary site',
        '--home',
        home,
        '--json',
      ],
      { encoding: 'utf8' },
    );
    return (JSON.parse(out) as { sdek: string }).sdek;
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

test('joining with a malformed key shows why, then a valid key joins', async ({ app: page }) => {
  await expect(page.getByRole('heading', { name: 'Welcome to Lifeboat' })).toBeVisible();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('radio', { name: /Join an existing service/ })).toBeChecked();
  await page.keyboard.press('Enter');

  await expect(page.getByRole('heading', { name: 'Join an existing service' })).toBeVisible();
  const key = page.getByLabel('Service data encryption key');
  await expect(key).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByText('Paste the service data encryption key.')).toBeVisible();

  await key.fill('ABCDE-12345');
  await page.keyboard.press('Enter');
  await expect(
    page.getByText('The service data encryption key must have 55 characters (without hyphens); this one has 10.'),
  ).toBeVisible();
  await expect(page.getByText(/11 groups of 5 letters and digits/).last()).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Join an existing service' })).toBeVisible();
  await screenshot(page, 'welcome-join-bad-key');

  // One character changed: the checksum catches the typo.
  const sdek = sdekOfAnotherService();
  const typo = sdek.slice(0, -1) + (sdek.endsWith('0') ? '1' : '0');
  await key.fill(typo);
  await page.keyboard.press('Enter');
  await expect(
    page.getByText('The service data encryption key has a typo: its checksum does not match.'),
  ).toBeVisible();

  await key.fill(sdek.toLowerCase());
  await page.getByLabel('Service name (optional)').fill('Recovered primary');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'The service is ready' })).toBeVisible();
  await expect(page.getByText(/This installation joined "Recovered primary"/)).toBeVisible();
  await page.getByRole('button', { name: 'Open the dashboard' }).click();
  await expect(page.getByTestId('service-name')).toHaveText('Recovered primary');
  await expect(page.getByText('Joined with an existing key')).toBeVisible();
});
