/**
 * A folder on a read-only filesystem, typed into the first step that asks for it: the Configure device wizard's data
 * root and the Add storage account wizard's local folder. Each step names the read-only cause (not "does not exist")
 * and stays where the folder can be fixed, instead of failing at the last step. Needs a read-only mount (root,
 * `mount -t tmpfs -o ro`); where mounting is impossible the tests are reported skipped, with the reason.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expectStep, wizard } from './devices-helpers';
import { ensureService, expect, openPage, test } from './fixtures';

let mountPoint = '';
let mounted = false;
let why = '';

test.beforeAll(() => {
  mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-e2e-rofs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mountPoint], { stdio: 'pipe' });
    mounted = true;
  } catch (err) {
    why = `a read-only filesystem cannot be mounted here (${(err as Error).message.split('\n')[0]})`;
  }
});

test.afterAll(() => {
  if (mounted) execFileSync('umount', [mountPoint]);
  mounted = false;
  if (mountPoint) fs.rmSync(mountPoint, { recursive: true, force: true });
});

test('the device wizard names a read-only data root on its first step', async ({ app: page }) => {
  test.skip(!mounted, why);
  await ensureService(page);
  await openPage(page, 'Devices');
  await page.getByRole('button', { name: 'Configure device' }).first().click();
  const w = wizard(page, 'configure-device');
  await expectStep(w, 'root', 'Data root');
  for (const root of [mountPoint, path.join(mountPoint, 'fs1')]) {
    await w.getByLabel('Data root folder').fill(root);
    await page.keyboard.press('Enter');
    await expect(w.getByRole('alert').filter({ hasText: `${root} is on a read-only filesystem.` })).toBeVisible({
      timeout: 30_000,
    });
    await expect(w.getByRole('alert').filter({ hasText: /read-write/ })).toBeVisible();
    await expect(w.getByRole('alert').filter({ hasText: /does not exist|ENOENT/ })).toHaveCount(0);
    await expect(w.getByLabel('Data root folder')).toHaveAttribute('aria-invalid', 'true');
    await expectStep(w, 'root', 'Data root');
  }
  expect(fs.existsSync(path.join(mountPoint, 'fs1'))).toBe(false);
});

test('the storage account wizard names a read-only local folder on its folder step', async ({ app: page }) => {
  test.skip(!mounted, why);
  await ensureService(page);
  await openPage(page, 'Storage accounts');
  await page.getByRole('button', { name: 'Add storage account' }).first().click();
  const w = wizard(page, 'add-account');
  await expectStep(w, 'kind', 'Where should backups be kept?');
  await w.getByRole('radio', { name: /Local folder/ }).check();
  await w.getByRole('button', { name: 'Next' }).click();
  await expectStep(w, 'credentials', 'Credentials');
  for (const folder of [mountPoint, path.join(mountPoint, 'acct')]) {
    await w.getByLabel('Folder').fill(folder);
    await page.keyboard.press('Enter');
    await expect(w.getByRole('alert').filter({ hasText: `${folder} is on a read-only filesystem.` })).toBeVisible({
      timeout: 30_000,
    });
    await expect(w.getByRole('alert').filter({ hasText: /read-write/ })).toBeVisible();
    await expect(w.getByRole('alert').filter({ hasText: /does not exist|ENOENT/ })).toHaveCount(0);
    await expect(w.getByLabel('Folder')).toHaveAttribute('aria-invalid', 'true');
    await expectStep(w, 'credentials', 'Credentials');
  }
  expect(fs.existsSync(path.join(mountPoint, 'acct'))).toBe(false);
});
