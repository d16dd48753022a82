/**
 * A failover that does not finish, the way a user handles it: this file's Lifeboat runs with the engine's fault
 * point LIFEBOAT_FAILOVER_FAULT=restore, so a failover job holds as it starts a restore job until it is paused or
 * cancelled (a resumed one, whose restore jobs exist, runs through). The wizard pauses it and abandons it (the target is clean and usable again, the source still
 * Deactivated); then fails over again, pauses, reopens on the held source and resumes it to the end.
 */
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
  wizard,
} from './devices-helpers';
import { ensureService, expect, openPage, screenshot, test } from './fixtures';

// The fixture starts this file's Lifeboat with the environment of the first test; later files get a clean one.
test.beforeAll(() => {
  process.env.LIFEBOAT_FAILOVER_FAULT = 'restore';
});
test.afterAll(() => {
  delete process.env.LIFEBOAT_FAILOVER_FAULT;
  removeScratch();
});

test('a paused failover is abandoned, leaving the target clean; another is resumed from the held source to the end', async ({
  app: page,
  lifeboat,
}) => {
  test.setTimeout(240_000);
  await ensureService(page);
  const base = tempDir(lifeboat, 'abandon');
  await configureDevice(page, { name: 'fs-a', type: 'file', root: path.join(base, 'fs-a'), capacity: '1 GiB' });
  await configureDevice(page, { name: 'fs-b', type: 'file', root: path.join(base, 'fs-b'), capacity: '1 GiB' });
  await openDevice(page, 'fs-a');
  await addShare(page, 'data', { quota: '100 MiB' });
  const share = showDevice(lifeboat, 'fs-a').shares[0];
  fs.writeFileSync(path.join(share.path, 'ledger.txt'), 'entry\n'.repeat(5000));

  await page.getByRole('button', { name: 'Deactivate' }).click();
  const deactivate = page.getByTestId('deactivate-dialog');
  await deactivate.getByLabel('Type the device name to confirm').fill('fs-a');
  await deactivate.getByRole('button', { name: 'Deactivate' }).click();
  await expect(page.getByTestId('deactivate-progress')).toHaveAttribute('data-status', 'succeeded', {
    timeout: 90_000,
  });
  await deactivate.getByRole('button', { name: 'Close' }).click();

  // Fail over from the dashboard; the job stops at its fault point with a restore started, and is paused.
  const w = wizard(page, 'failover');
  const progress = page.getByTestId('failover-progress');
  const startAndPause = async () => {
    await page.getByRole('button', { name: 'Fail over' }).click();
    await expectStep(w, 'source', 'Source device');
    await w.getByRole('button', { name: 'Next' }).click();
    await expectStep(w, 'target', 'Target device');
    await w.getByRole('radio', { name: /^fs-b/ }).check();
    await w.getByRole('button', { name: 'Next' }).click();
    await expectStep(w, 'summary', 'Summary');
    await w
      .getByRole('checkbox', { name: 'I understand that this operation will fail over data to the target device' })
      .check();
    await w.getByRole('button', { name: 'Fail over' }).click();
    await expectStep(w, 'progress', 'Failover');
    await expect(progress).toHaveAttribute('data-status', 'running');
    await expect(progress.getByRole('table', { name: 'Restore jobs' }).locator('tr[data-job-id]')).toHaveCount(1);
    await progress.getByRole('button', { name: /^Pause Fail over fs-a/ }).click();
    await expect(progress).toHaveAttribute('data-status', 'paused', { timeout: 30_000 });
    await expect(progress.getByText('The failover is paused.')).toBeVisible();
    await expect(progress.getByRole('button', { name: 'Resume' })).toBeVisible();
  };
  await startAndPause();
  await screenshot(page, 'failover-wizard-paused');

  // Abandon asks first, then cleans the target and releases both devices.
  await progress.getByRole('button', { name: 'Abandon…' }).click();
  await expect(progress.getByText('Abandon this failover?')).toBeVisible();
  await screenshot(page, 'failover-wizard-abandon-confirm');
  await progress.getByRole('button', { name: 'Abandon failover' }).click();
  await expect(progress).toHaveAttribute('data-status', 'abandoned', { timeout: 60_000 });
  await expect(page.getByTestId('failover-abandoned')).toContainText('the target is Ready to set up again');
  await screenshot(page, 'failover-wizard-abandoned');
  await w.getByRole('button', { name: 'Close' }).click();
  await expect(w).toBeHidden();
  const target = showDevice(lifeboat, 'fs-b');
  expect(target.shares).toEqual([]);
  expect(target.device.failoverJobId).toBeNull();
  expect(['ready-to-set-up', 'online']).toContain(target.device.status);
  expect(fs.existsSync(path.join(target.device.root, 'shares', 'data'))).toBe(false);
  const source = showDevice(lifeboat, 'fs-a');
  expect(source.device.status).toBe('deactivated');
  expect(source.device.failoverJobId).toBeNull();

  // Again, and this time the held source reopens the wizard on its paused failover, which is resumed to the end.
  await startAndPause();
  await w.getByRole('button', { name: 'Close' }).click();
  await openPage(page, 'Devices');
  await page.locator('tr[data-device="fs-a"]').getByRole('radio', { name: 'Select fs-a' }).check();
  await page.getByRole('button', { name: 'Fail over' }).click();
  await expectStep(w, 'progress', 'Failover');
  await expect(progress).toHaveAttribute('data-status', 'paused');
  await progress.getByRole('button', { name: 'Resume' }).click();
  await expect(progress).toHaveAttribute('data-status', 'succeeded', { timeout: 90_000 });
  await expect(page.getByTestId('dns-checklist')).toContainText('fs-a');
  await screenshot(page, 'failover-wizard-resumed');
  await w.getByRole('button', { name: 'Close' }).click();
  const after = showDevice(lifeboat, 'fs-b');
  expect(after.device.replaces).toBe('fs-a');
  expect(fs.readFileSync(path.join(after.shares[0].path, 'ledger.txt'), 'utf8')).toBe('entry\n'.repeat(5000));
});
