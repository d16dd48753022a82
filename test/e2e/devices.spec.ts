/**
 * Virtual arrays and device failover the way a user clicks: configure two file servers through the wizard (a
 * wrong registration key first), create shares, write files into them on disk, back up, deactivate (the typed name
 * must match), fail over through the wizard (a too-small device is listed as excluded), and compare every byte on
 * the target. Then an iSCSI server whose volume dialog refuses a bad IQN and a short CHAP secret before it creates
 * the volume, a file server registered later from its dashboard, and "No compatible target devices".
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  addShare,
  configureDevice,
  expectStep,
  openDevice,
  removeScratch,
  showDevice,
  tempDir,
  treeHashes,
  wizard,
} from './devices-helpers';
import { ensureService, expect, openPage, screenshot, test } from './fixtures';

test.afterAll(removeScratch);

test('two file servers are configured, one fails over to the other, and the shares come back byte for byte', async ({
  app: page,
  lifeboat,
}) => {
  test.setTimeout(300_000);
  await ensureService(page);
  await openPage(page, 'Devices');
  await expect(page.getByRole('heading', { name: 'No devices yet' })).toBeVisible();
  await screenshot(page, 'devices-empty');

  const base = tempDir(lifeboat, 'roots');
  await configureDevice(page, {
    name: 'fs-src',
    type: 'file',
    root: path.join(base, 'fs-src'),
    capacity: '1 GiB',
    domain: 'corp.contoso.com',
    shots: 'device-wizard',
  });
  // In another domain: compatible, with a warning that share permissions may not resolve.
  await configureDevice(page, {
    name: 'fs-dst',
    type: 'file',
    root: path.join(base, 'fs-dst'),
    capacity: '1.5 GiB',
    domain: 'corp.fabrikam.com',
  });
  // Too small for the source's shares: the failover wizard lists it as excluded, with the reason.
  await configureDevice(page, {
    name: 'fs-small',
    type: 'file',
    root: path.join(base, 'fs-small'),
    capacity: '100 MiB',
    domain: 'corp.contoso.com',
  });
  await screenshot(page, 'devices-list');

  // Shares on the source: one tiered, one locally pinned; files written into their folders on disk.
  await openDevice(page, 'fs-src');
  await addShare(page, 'docs', {
    quota: '200 MiB',
    description: 'Team documents',
    users: 'CORP\\finance\nCORP\\alice',
  });
  await addShare(page, 'pinned', { quota: '100 MiB', pinned: true });
  // Edit: the quota grows; the tier is fixed once created.
  await page.getByRole('button', { name: 'Edit: docs' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit the share docs' });
  await expect(edit.getByRole('radio', { name: /^Locally pinned/ })).toBeDisabled();
  await edit.getByRole('textbox', { name: 'Quota' }).fill('300 MiB');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(edit).toBeHidden();
  await expect(page.locator('tr[data-share="docs"]').getByTestId('share-usage')).toContainText('/ 300 MiB');
  const src = showDevice(lifeboat, 'fs-src');
  expect(src.shares.map((s) => s.name).sort()).toEqual(['docs', 'pinned']);
  const written: Record<string, Record<string, string>> = {};
  for (const share of src.shares) {
    fs.mkdirSync(path.join(share.path, 'reports', '2026'), { recursive: true });
    fs.writeFileSync(path.join(share.path, 'readme.txt'), `The ${share.name} share.\n`.repeat(300));
    fs.writeFileSync(path.join(share.path, 'reports', '2026', 'q4.bin'), crypto.randomBytes(900 * 1024));
    fs.writeFileSync(path.join(share.path, 'reports', 'empty.dat'), '');
    fs.writeFileSync(path.join(share.path, 'Übersicht – ünïcode.txt'), 'ß'.repeat(3000));
    written[share.name] = treeHashes(share.path);
  }

  // The backup policy editor saves through devices.policy.
  const policy = page.getByTestId('policy-editor');
  await policy.getByLabel('Frequency').selectOption('weekly');
  await policy.getByLabel('Day').selectOption({ label: 'Monday' });
  await policy.getByLabel(/^Time/).fill('21:30');
  await policy.getByRole('button', { name: 'Save policy' }).click();
  await expect(page.getByTestId('policy-summary')).toContainText('every Monday at 21:30');

  // Take a backup now: it shows in the device's backups as manual, and the heat map appears.
  await page.getByRole('button', { name: 'Take backup now' }).click();
  await expect(page.getByTestId('device-notice')).toContainText('Started');
  await expect(page.locator('tr[data-device-backup][data-kind="manual"]')).toHaveCount(1, { timeout: 60_000 });
  await expect(page.getByTestId('heat-chart')).toBeVisible();
  await expect(page.getByTestId('heat-chart').getByRole('list', { name: 'Heat per share or volume' })).toContainText(
    'docs: hot',
  );
  await screenshot(page, 'device-dashboard');
  await page.getByTestId('heat-chart').scrollIntoViewIfNeeded();
  await screenshot(page, 'device-dashboard-heat-policy');

  // Take a share offline (the impact must be acknowledged) and bring it back online.
  await page.getByRole('button', { name: 'Take offline: docs' }).click();
  const offline = page.getByRole('alertdialog', { name: 'Take the share docs offline' });
  await expect(offline.getByRole('button', { name: 'Take offline' })).toBeDisabled();
  await offline.getByRole('checkbox', { name: 'I understand the impact of taking this share offline' }).check();
  await screenshot(page, 'device-share-offline');
  await offline.getByRole('button', { name: 'Take offline' }).click();
  await expect(offline).toBeHidden();
  await expect(page.locator('tr[data-share="docs"]')).toHaveAttribute('data-online', 'false');
  await page.getByRole('button', { name: 'Bring online: docs' }).click();
  await expect(page.locator('tr[data-share="docs"]')).toHaveAttribute('data-online', 'true');

  // The whole device offline for maintenance, and back.
  await page.getByRole('button', { name: 'Take device offline' }).click();
  const deviceOffline = page.getByRole('alertdialog', { name: 'Take the device fs-src offline' });
  await deviceOffline.getByRole('checkbox', { name: 'I understand the impact of taking this device offline' }).check();
  await deviceOffline.getByRole('button', { name: 'Take offline' }).click();
  await expect(deviceOffline).toBeHidden();
  await expect(page.getByTestId('device-properties')).toContainText('Offline');
  await page.getByRole('button', { name: 'Bring device online' }).click();
  await expect(page.getByTestId('device-properties')).toContainText('Online');

  // Deactivate: a wrong name keeps the button disabled; the right one starts the job with a final backup.
  await page.getByRole('button', { name: 'Deactivate' }).click();
  const deactivate = page.getByTestId('deactivate-dialog');
  await expect(deactivate).toContainText('Deactivation is permanent and cannot be undone.');
  await expect(deactivate.getByRole('checkbox', { name: /Take a final backup first/ })).toBeChecked();
  const confirm = deactivate.getByLabel('Type the device name to confirm');
  await confirm.fill('fs-sr');
  await expect(deactivate.getByRole('button', { name: 'Deactivate' })).toBeDisabled();
  await confirm.fill('FS-SRC');
  await expect(deactivate.getByRole('button', { name: 'Deactivate' })).toBeDisabled();
  await screenshot(page, 'device-deactivate-wrong-name');
  await confirm.fill('fs-src');
  await expect(deactivate.getByRole('button', { name: 'Deactivate' })).toBeEnabled();
  await screenshot(page, 'device-deactivate');
  await deactivate.getByRole('button', { name: 'Deactivate' }).click();
  await expect(page.getByTestId('deactivate-progress')).toHaveAttribute('data-status', 'succeeded', {
    timeout: 90_000,
  });
  await screenshot(page, 'device-deactivate-done');
  await deactivate.getByRole('button', { name: 'Close' }).click();

  await openPage(page, 'Devices');
  const srcRow = page.locator('tr[data-device="fs-src"]');
  await expect(srcRow).toHaveAttribute('data-status', 'deactivated');
  // Fail over is enabled only for the deactivated device.
  await page.locator('tr[data-device="fs-dst"]').getByRole('radio', { name: 'Select fs-dst' }).check();
  await expect(page.getByRole('button', { name: 'Fail over' })).toBeDisabled();
  await srcRow.getByRole('radio', { name: 'Select fs-src' }).check();
  await expect(page.getByRole('button', { name: 'Fail over' })).toBeEnabled();
  await page.getByRole('button', { name: 'Fail over' }).click();

  const w = wizard(page, 'failover');
  await expectStep(w, 'source', 'Source device');
  await expect(page.getByTestId('failover-source')).toContainText('docs, pinned');
  await expect(page.getByTestId('failover-backup')).toContainText('Planned failover');
  await screenshot(page, 'failover-wizard-1-source');
  await w.getByRole('button', { name: 'Next' }).click();

  await expectStep(w, 'target', 'Target device');
  await expect(w.getByRole('radio')).toHaveCount(1);
  await expect(page.getByTestId('excluded-targets').locator('li[data-device="fs-small"]')).toContainText(
    /capacity|space|MiB/i,
  );
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w.getByText('Choose a compatible target device.')).toBeVisible();
  await w.getByRole('radio', { name: /^fs-dst/ }).check();
  await expect(w.getByText(/in the domain corp\.fabrikam\.com.*share permissions may not resolve/)).toBeVisible();
  await screenshot(page, 'failover-wizard-2-target');
  await w.getByRole('button', { name: 'Next' }).click();

  await expectStep(w, 'summary', 'Summary');
  const summary = page.getByTestId('failover-summary');
  await expect(summary).toContainText('fs-dst');
  await expect(summary).toContainText('Planned: no data loss');
  await expect(summary).toContainText(/Data to restore\s*[\d.]+ (KiB|MiB)/);
  await expect(summary).toContainText(/Estimated time \(RTO\)\s*(about \d|Unknown)/);
  await expect(page.getByTestId('failover-warning')).toContainText('share permissions may not resolve');
  await w.getByRole('button', { name: 'Fail over' }).click();
  await expect(w.getByText('Check that you understand, to start the failover.')).toBeVisible();
  await w
    .getByRole('checkbox', { name: 'I understand that this operation will fail over data to the target device' })
    .check();
  await screenshot(page, 'failover-wizard-3-summary');
  await w.getByRole('button', { name: 'Fail over' }).click();

  await expectStep(w, 'progress', 'Failover');
  const progress = page.getByTestId('failover-progress');
  await expect(progress).toHaveAttribute('data-status', 'succeeded', { timeout: 180_000 });
  await expect(
    progress.getByRole('table', { name: 'Restore jobs' }).locator('tr[data-status="succeeded"]'),
  ).toHaveCount(2);
  const checklist = page.getByTestId('dns-checklist');
  await expect(checklist.getByRole('table', { name: 'DNS records to create' })).toContainText('fs-src');
  await expect(checklist.getByRole('table', { name: 'DNS records to create' })).toContainText('fs-dst');
  await expect(page.getByTestId('failover-succeeded')).toContainText('Reclaim the source');
  await screenshot(page, 'failover-wizard-4-done');
  await w.getByRole('button', { name: 'Close' }).click();
  await expect(w).toBeHidden();

  // Every byte came back on the target, under the same share names and settings.
  const dst = showDevice(lifeboat, 'fs-dst');
  expect(dst.device.replaces).toBe('fs-src');
  expect(dst.shares.map((s) => [s.name, s.tier]).sort()).toEqual([
    ['docs', 'tiered'],
    ['pinned', 'locally-pinned'],
  ]);
  for (const share of dst.shares)
    expect(treeHashes(share.path), `share ${share.name} on fs-dst`).toEqual(written[share.name]);
  const docs = dst.shares.find((s) => s.name === 'docs')!;
  expect(docs.users.sort()).toEqual(['CORP\\alice', 'CORP\\finance']);
  expect([docs.description, docs.quota]).toEqual(['Team documents', 300 * 2 ** 20]);

  // The source is gone from the list, and shows Deleted with Show deleted.
  await openPage(page, 'Devices');
  await expect(page.locator('tr[data-device="fs-src"]')).toHaveCount(0);
  await page.getByRole('switch', { name: 'Show deleted' }).check();
  await expect(page.locator('tr[data-device="fs-src"]')).toHaveAttribute('data-status', 'deleted');
  await expect(page.locator('tr[data-device="fs-dst"]')).toContainText('replaces fs-src');
  await screenshot(page, 'devices-after-failover');

  // The target's dashboard carries the DNS alias checklist.
  await openDevice(page, 'fs-dst');
  const after = page.getByRole('region', { name: 'After the failover' });
  await expect(after.getByRole('table', { name: 'DNS records to create' })).toContainText('fs-src');
  await after.scrollIntoViewIfNeeded();
  await screenshot(page, 'device-dashboard-target');
  // The same in the dark theme (it follows the operating system).
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.getByRole('heading', { name: 'Heat map' }).scrollIntoViewIfNeeded();
  await screenshot(page, 'device-dashboard-target-dark');
  await page.emulateMedia({ colorScheme: 'light' });
});

test('an iSCSI volume is created with an access control record and CHAP, after a bad IQN and a short secret are refused', async ({
  app: page,
  lifeboat,
}) => {
  test.setTimeout(180_000);
  await ensureService(page);
  const roots = tempDir(lifeboat, 'iscsi');
  await configureDevice(page, { name: 'iscsi-1', type: 'iscsi', root: path.join(roots, 'iscsi-1'), capacity: '2 GiB' });
  // A file server cannot take over an iSCSI server: the failover wizard says so at the end.
  // Registered later, from its dashboard.
  await configureDevice(page, {
    name: 'fs-other',
    type: 'file',
    root: path.join(roots, 'fs-other'),
    capacity: '1 GiB',
    register: false,
  });
  await expect(page.locator('tr[data-device="fs-other"]')).toContainText('Ready to set up');
  await openDevice(page, 'fs-other');
  await expect(page.getByRole('button', { name: 'Add share' })).toBeDisabled();
  await page.getByRole('button', { name: 'Register', exact: true }).click();
  await expect(page.getByText('Enter the service registration key.')).toBeVisible();
  await page.getByRole('button', { name: "Use this service's key" }).click();
  await page.getByRole('button', { name: 'Register', exact: true }).click();
  await expect(page.getByTestId('device-properties')).toContainText('Online');
  await expect(page.getByRole('button', { name: 'Add share' })).toBeEnabled();
  // A share written past its quota is marked over quota.
  await addShare(page, 'tiny', { quota: '1 MiB' });
  fs.writeFileSync(
    path.join(showDevice(lifeboat, 'fs-other').shares[0].path, 'big.bin'),
    crypto.randomBytes(2 * 1024 * 1024),
  );
  // Usage is as of the last periodic scan (every 30 s) until Refresh measures it now.
  const tiny = page.locator('tr[data-share="tiny"]').getByTestId('share-usage');
  await page.getByRole('button', { name: 'Refresh', exact: true }).click();
  await expect(tiny).toHaveAttribute('data-over-quota', 'true');
  await expect(tiny).toContainText('over quota');
  await screenshot(page, 'device-share-over-quota');
  // The Dashboard lists the device among those that need attention (the iSCSI server is fine), and counts its capacity.
  await openPage(page, 'Dashboard');
  const attention = page.getByRole('region', { name: 'Devices that need attention' });
  await expect(attention.locator('li[data-device="fs-other"]')).toContainText('Critical');
  await expect(attention.locator('li[data-device="iscsi-1"]')).toHaveCount(0);
  await expect(page.getByTestId('storage-capacity')).toHaveText(/^\d+(\.\d)? GiB$/);
  await screenshot(page, 'dashboard-storage');
  await attention.getByRole('link', { name: 'fs-other' }).click();
  await expect(page.getByTestId('device-properties')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'fs-other', level: 1 })).toBeVisible();
  await openDevice(page, 'iscsi-1');
  await expect(page.getByText('No volumes yet.', { exact: false })).toBeVisible();

  await page.getByRole('button', { name: 'Add volume' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a volume' });
  await dialog.getByLabel('Volume name').fill('vol1');
  await dialog.getByLabel('Size').fill('1 GiB');

  // A bad initiator name is refused with what is wrong (the engine's own rule); a good one is added to the list.
  const iqn = dialog.getByLabel('Initiator name (IQN)');
  await iqn.fill('iqn.2024-13.com.contoso:host1');
  await dialog.getByRole('button', { name: 'Add initiator' }).click();
  await expect(dialog.getByText(/has month 13; the date must be YYYY-MM/)).toBeVisible();
  await expect(iqn).toHaveAttribute('aria-invalid', 'true');
  await screenshot(page, 'volume-create-bad-iqn');
  await iqn.fill('iqn.1991-05.com.microsoft:host1');
  await page.keyboard.press('Enter');
  await expect(dialog.getByRole('list', { name: 'Initiators allowed to connect' })).toContainText(
    'iqn.1991-05.com.microsoft:host1',
  );
  await iqn.fill('eui.02004567A425678D');
  await dialog.getByRole('button', { name: 'Add initiator' }).click();
  await dialog.getByRole('button', { name: 'Remove eui.02004567A425678D' }).click();
  await expect(dialog.getByRole('list', { name: 'Initiators allowed to connect' })).not.toContainText('eui.');

  // CHAP: a secret shorter than 12 characters is refused; Show reveals what was typed.
  await dialog.getByRole('radio', { name: 'CHAP authentication', exact: true }).check();
  await dialog.getByLabel('CHAP user name').fill('host1-chap');
  const secret = dialog.getByRole('textbox', { name: 'CHAP secret' });
  await secret.fill('short');
  await expect(secret).toHaveAttribute('type', 'password');
  await dialog.getByRole('button', { name: 'Show the CHAP secret' }).click();
  await expect(secret).toHaveAttribute('type', 'text');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(
    dialog.getByText('The CHAP secret must be 12 to 16 characters long; the one given has 5.'),
  ).toBeVisible();
  await screenshot(page, 'volume-create-short-secret');
  await dialog.getByRole('button', { name: 'Hide the CHAP secret' }).click();
  await expect(secret).toHaveAttribute('type', 'password');
  await secret.fill('s3cret-enough!');
  await screenshot(page, 'volume-create');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(dialog).toBeHidden();

  const row = page.locator('tr[data-volume="vol1"]');
  await expect(row.getByTestId('volume-acrs')).toHaveText('iqn.1991-05.com.microsoft:host1');
  await expect(row.getByTestId('volume-chap')).toHaveText('host1-chap');
  await expect(row).toContainText('1.0 GiB');
  const shown = showDevice(lifeboat, 'iscsi-1');
  expect(shown.volumes).toHaveLength(1);
  expect(shown.volumes[0].acrs.map((a) => a.iqn)).toEqual(['iqn.1991-05.com.microsoft:host1']);
  expect(fs.statSync(shown.volumes[0].path).size).toBe(1024 ** 3);
  await screenshot(page, 'device-dashboard-iscsi');

  // Edit access: the engine checks too; turning CHAP off is kept.
  await row.getByRole('button', { name: 'Edit access: vol1' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit the volume vol1' });
  await edit.getByRole('radio', { name: 'No CHAP', exact: true }).check();
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(edit).toBeHidden();
  await expect(row.getByTestId('volume-chap')).toHaveText('Off');

  // Delete needs the volume's name typed.
  await row.getByRole('button', { name: 'Delete: vol1' }).click();
  const del = page.getByRole('alertdialog', { name: 'Delete the volume vol1' });
  await expect(del).toContainText("Its data stays in the device's backups");
  await expect(del.getByRole('button', { name: 'Delete' })).toBeDisabled();
  await del.getByLabel('Type the volume name to confirm').fill('vol1');
  await del.getByRole('button', { name: 'Delete' }).click();
  await expect(del).toBeHidden();
  await expect(row).toHaveCount(0);

  // Deactivated with no iSCSI server to take over: the wizard says there is no compatible target, and why.
  await page.getByRole('button', { name: 'Deactivate' }).click();
  const deactivate = page.getByTestId('deactivate-dialog');
  await deactivate.getByRole('checkbox', { name: /Take a final backup first/ }).uncheck();
  await deactivate.getByLabel('Type the device name to confirm').fill('iscsi-1');
  await deactivate.getByRole('button', { name: 'Deactivate' }).click();
  await expect(page.getByTestId('deactivate-progress')).toHaveAttribute('data-status', 'succeeded', {
    timeout: 60_000,
  });
  await deactivate.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByTestId('device-properties')).toContainText('Deactivated');
  await page.getByRole('button', { name: 'Fail over' }).click();
  const w = wizard(page, 'failover');
  await expectStep(w, 'source', 'Source device');
  await w.getByRole('button', { name: 'Next' }).click();
  await expectStep(w, 'target', 'Target device');
  await expect(page.getByTestId('no-compatible-targets')).toContainText('No compatible target devices');
  await expect(page.getByTestId('excluded-targets').locator('li[data-device="fs-other"]')).toContainText(
    'It is a file server; the source iscsi-1 is an iSCSI server.',
  );
  await screenshot(page, 'failover-wizard-no-compatible-targets');
  await w.getByRole('button', { name: 'Cancel' }).click();
  await expect(w).toBeHidden();
});
