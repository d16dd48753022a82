/**
 * Issue #15's console defects, driven as an administrator meets them: the device wizard offers the storage account
 * the user added and reviews before Configure; a wrong registration key is shown in words at its field with the
 * Dashboard's button (no internal field name, no CLI command); the Devices table and the device page say why a
 * device needs attention; a backup the account check found damaged says so on the Backups page; and an installation
 * warning (a data directory open to others) is on the Dashboard and the Settings page.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Backup } from '../../main/shared/schemas';
import { cli, ok } from '../helpers/home';
import { addShare, configureDevice, openDevice, removeScratch, tempDir } from './devices-helpers';
import { ensureService, expect, openPage, screenshots, test } from './fixtures';

test.afterAll(removeScratch);

test('a device configured into the added account, reviewed first, whose health says why in the table and on its page', async ({
  app: page,
  lifeboat,
}) => {
  test.setTimeout(300_000);
  await ensureService(page);
  const base = tempDir(lifeboat, 'health');
  ok(cli(lifeboat.home, ['account', 'add', 'offsite', '--local', path.join(base, 'offsite'), '--json']));

  // The wizard preselects "offsite" over the embedded account, refuses a wrong key in words, and shows a review.
  await configureDevice(page, {
    name: 'fs-why',
    type: 'file',
    root: path.join(base, 'fs-why'),
    capacity: '1 GiB',
    account: 'offsite',
    shots: 'health-wizard',
  });
  await openDevice(page, 'fs-why');
  await addShare(page, 'docs', { quota: '100 MiB' });
  await expect(page.getByTestId('health-reasons')).toContainText('never backed up');

  await page.setViewportSize({ width: 1440, height: 900 });
  await openPage(page, 'Devices');
  const row = page.locator('tr[data-device="fs-why"]');
  await expect(row.locator('[data-health]')).toHaveAttribute('data-health', 'warning');
  const why = row.getByTestId('health-why');
  await why.hover();
  await expect(page.getByRole('tooltip')).toHaveText('Warning: never backed up');
  await page.screenshot({ path: path.join(screenshots, 'device-health-reason.png') });
  // Keyboard users reach it too, and screen readers get it as the cell's description.
  await page.mouse.move(0, 0);
  await why.focus();
  await expect(page.getByRole('tooltip')).toHaveText('Warning: never backed up');
  await expect(why).toHaveAttribute('aria-describedby', /.+/);

  // The Dashboard's "needs attention" list, by the same rule, names it with its reason.
  await openPage(page, 'Dashboard');
  const attention = page.getByRole('region', { name: 'Devices that need attention' });
  const listed = attention.locator('li[data-device="fs-why"]');
  await expect(listed.getByRole('link', { name: 'fs-why' })).toHaveAttribute('href', '#/devices/fs-why');
  await expect(listed.locator('[data-health]')).toHaveAttribute('data-health', 'warning');
  await expect(listed.getByTestId('health-reasons')).toHaveText('never backed up');
  await expect(attention).not.toContainText('Every device is online and healthy.');
});

test('a backup whose manifest is gone says it cannot be restored whole on the Backups page', async ({
  app: page,
  lifeboat,
}) => {
  await ensureService(page);
  const base = tempDir(lifeboat, 'problem');
  const folder = path.join(base, 'repo');
  ok(cli(lifeboat.home, ['account', 'add', 'checked', '--local', folder, '--json']));
  const source = path.join(base, 'docs');
  fs.mkdirSync(source);
  fs.writeFileSync(path.join(source, 'a.bin'), crypto.randomBytes(64 * 1024));
  ok(
    cli(lifeboat.home, [
      'backup',
      'create',
      '--account',
      'checked',
      '--source',
      source,
      '--label',
      'lost manifest',
      '--json',
    ]),
  );
  const id = ok(cli(lifeboat.home, ['backup', 'list', '--account', 'checked', '--json'])).json<Backup[]>()[0].id;
  fs.rmSync(path.join(folder, 'snapshots', id));
  // The check fails (a backup is missing a part) and records what it found on the backup.
  expect(cli(lifeboat.home, ['account', 'check', 'checked', '--json']).code).not.toBe(0);

  await openPage(page, 'Backups');
  const problem = page.locator(`tr[data-backup-id="${id}"]`).getByTestId('backup-problem');
  await expect(problem).toContainText('Cannot be restored whole');
  await expect(problem).toContainText(/manifest/);
});

test('a data directory open to other users is a warning on the Dashboard and the Settings page', async ({
  app: page,
  lifeboat,
}) => {
  await ensureService(page);
  fs.chmodSync(lifeboat.home, 0o750);
  try {
    await page.reload();
    await openPage(page, 'Dashboard');
    await expect(page.getByTestId('status-warnings')).toContainText(
      `The data directory ${lifeboat.home} is open to the members of its group`,
    );
    await openPage(page, 'Settings');
    await expect(page.getByTestId('status-warnings')).toContainText('chmod 700');
  } finally {
    fs.chmodSync(lifeboat.home, 0o700);
  }
  await page.reload();
  await openPage(page, 'Dashboard');
  await expect(page.getByTestId('status-warnings')).toHaveCount(0);
});
