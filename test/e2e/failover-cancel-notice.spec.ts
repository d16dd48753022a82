/**
 * Issue #15, as an administrator meets it: a device deactivated on its page (its "Started" notice, and the alert that
 * says to fail it over next), then failed over in the wizard. While the failover runs it offers ONE Cancel, which
 * says what cancelling does at that moment; once the failover succeeded, neither the notice nor the alert is shown.
 * This file's Lifeboat runs with LIFEBOAT_FAILOVER_FAULT=restore, so the failover holds as it starts a restore job
 * (a deterministic "running" moment) until it is paused; resumed, it runs through.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cli } from '../helpers/home';
import { expectStep, openDevice, removeScratch, showDevice, tempDir, wizard } from './devices-helpers';
import { ensureService, expect, test, type Lifeboat } from './fixtures';

// The fixture starts this file's Lifeboat with the environment of the first test; later files get a clean one.
test.beforeAll(() => {
  process.env.LIFEBOAT_FAILOVER_FAULT = 'restore';
});
test.afterAll(() => {
  delete process.env.LIFEBOAT_FAILOVER_FAULT;
  removeScratch();
});
test.describe.configure({ timeout: 300_000 });

function run(lifeboat: Lifeboat, args: string[]) {
  const r = cli(lifeboat.home, args);
  expect(r.code, `lifeboat ${args.join(' ')}: ${r.stderr}${r.stdout}`).toBe(0);
  return r;
}

test('a running failover offers one Cancel saying what it does now; after success the deactivation notice and alert are gone', async ({
  app: page,
  lifeboat,
}) => {
  await ensureService(page);
  const base = tempDir(lifeboat, 'fcancel');
  const key = run(lifeboat, ['service', 'registration-key', '--json']).json<{ registrationKey: string }>()
    .registrationKey;
  run(lifeboat, ['account', 'add', 'lab', '--local', path.join(base, 'account')]);
  for (const name of ['fs-c', 'fs-d']) {
    const where = [
      '--root',
      path.join(base, name),
      '--capacity',
      '1GiB',
      '--account',
      'lab',
      '--registration-key',
      key,
    ];
    run(lifeboat, ['device', 'create', name, '--type', 'file', ...where]);
  }
  run(lifeboat, ['share', 'create', 'fs-c', 'records', '--quota', '100MiB']);
  fs.writeFileSync(path.join(showDevice(lifeboat, 'fs-c').shares[0].path, 'records.txt'), 'row\n'.repeat(2000));

  // Deactivated on its page: the page says it started, and the bell asks to fail it over next.
  await openDevice(page, 'fs-c');
  await page.getByRole('button', { name: 'Deactivate' }).click();
  const deactivate = page.getByTestId('deactivate-dialog');
  await deactivate.getByLabel('Type the device name to confirm').fill('fs-c');
  await deactivate.getByRole('button', { name: 'Deactivate' }).click();
  await expect(page.getByTestId('deactivate-progress')).toHaveAttribute('data-status', 'succeeded', {
    timeout: 90_000,
  });
  await deactivate.getByRole('button', { name: 'Close' }).click();
  const notice = page.getByTestId('device-notice');
  await expect(notice).toContainText('Started “Deactivate device fs-c”');
  const bell = page.getByTestId('alert-bell');
  await bell.click();
  const unread = page.getByRole('dialog', { name: 'Unacknowledged alerts' });
  await expect(unread).toContainText('Device fs-c deactivated');
  await page.keyboard.press('Escape');
  await expect(unread).toBeHidden();

  // The failover, held with its restore started: one Cancel, and what cancelling does now.
  await page.getByRole('button', { name: 'Fail over' }).click();
  const w = wizard(page, 'failover');
  await expectStep(w, 'source', 'Source device');
  await w.getByRole('button', { name: 'Next' }).click();
  await expectStep(w, 'target', 'Target device');
  await w.getByRole('radio', { name: /^fs-d/ }).check();
  await w.getByRole('button', { name: 'Next' }).click();
  await expectStep(w, 'summary', 'Summary');
  await w
    .getByRole('checkbox', { name: 'I understand that this operation will fail over data to the target device' })
    .check();
  await w.getByRole('button', { name: 'Fail over' }).click();
  await expectStep(w, 'progress', 'Failover');
  const progress = page.getByTestId('failover-progress');
  await expect(progress).toHaveAttribute('data-status', 'running');
  await expect(progress.getByRole('table', { name: 'Restore jobs' }).locator('tr[data-job-id]')).toHaveCount(1);
  const meaning = page.getByTestId('failover-cancel-meaning');
  await expect(meaning).toHaveText(
    'Cancel: stops the restores at their next checkpoint, deletes what they wrote on fs-d and releases both devices; ' +
      'the source stays Deactivated, to fail over again.',
  );
  await expect(meaning).toHaveCount(1);
  await expect(w.getByRole('button', { name: /cancel/i })).toHaveCount(1);
  await expect(w.getByRole('button', { name: 'Cancel failover…' })).toBeVisible();

  // Paused and resumed in the wizard, it runs through.
  await progress.getByRole('button', { name: /^Pause Fail over fs-c/ }).click();
  await expect(progress).toHaveAttribute('data-status', 'paused', { timeout: 30_000 });
  await expect(w.getByRole('button', { name: /cancel/i })).toHaveCount(0);
  await progress.getByRole('button', { name: 'Resume' }).click();
  await expect(progress).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 });
  await expect(page.getByTestId('failover-succeeded')).toBeVisible();
  await expect(meaning).toHaveCount(0);
  await w.getByRole('button', { name: 'Close' }).click();
  await expect(w).toBeHidden();

  // Done with: the "Started" notice and the "deactivated, fail it over next" alert are gone.
  await expect(page.getByTestId('failed-over-to')).toContainText(/^Failed over to fs-d on /);
  await expect(notice).toHaveCount(0);
  await expect(page.getByText(/Started “Deactivate device fs-c”/)).toHaveCount(0);
  await bell.click();
  await expect(unread).toBeVisible();
  await expect(unread).not.toContainText('Device fs-c deactivated');
  await expect(unread).not.toContainText(/fail it over/i);
  await page.keyboard.press('Escape');
});
