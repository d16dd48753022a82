/**
 * The failover wizard as an administrator acts on it: an earlier backup chosen on the Source step (with what it
 * loses), targets with their facts (an unregistered one offered as such), the prechecks as a checklist on the Summary
 * step with a red line for a storage account whose folder vanished, Re-run after reconnecting it, then the failover,
 * its restore job named by share, and the deleted source's page pointing at the target. Devices are set up through
 * the CLI (which talks to this app), the wizard is driven in chromium.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cli } from '../helpers/home';
import { expectStep, openDevice, removeScratch, showDevice, tempDir, wizard } from './devices-helpers';
import { ensureService, expect, screenshot, test, type Lifeboat } from './fixtures';

test.afterAll(removeScratch);
// The whole test, starting the app included: on a loaded machine starting it alone can take a minute.
test.describe.configure({ timeout: 300_000 });

function run(lifeboat: Lifeboat, args: string[]) {
  const r = cli(lifeboat.home, args);
  expect(r.code, `lifeboat ${args.join(' ')}: ${r.stderr}${r.stdout}`).toBe(0);
  return r;
}

test('an earlier backup, target facts, a red precheck for a vanished account folder, re-run after reconnecting, then the failover', async ({
  app: page,
  lifeboat,
}) => {
  await ensureService(page);
  const base = tempDir(lifeboat, 'fw');
  const account = path.join(base, 'account');
  const key = run(lifeboat, ['service', 'registration-key', '--json']).json<{ registrationKey: string }>()
    .registrationKey;
  run(lifeboat, ['account', 'add', 'lab', '--local', account]);
  const device = (name: string, registered: boolean) => [
    ...[
      'device',
      'create',
      name,
      '--type',
      'file',
      '--root',
      path.join(base, name),
      '--capacity',
      '1GiB',
      '--account',
      'lab',
    ],
    ...['--domain', 'corp.contoso.com', ...(registered ? ['--registration-key', key] : [])],
  ];
  run(lifeboat, device('fs1', true));
  run(lifeboat, ['share', 'create', 'fs1', 'finance', '--quota', '100MiB']);
  const share = showDevice(lifeboat, 'fs1').shares[0].path;
  fs.writeFileSync(path.join(share, 'ledger.txt'), 'january\n');
  run(lifeboat, ['device', 'backup', 'fs1']);
  fs.writeFileSync(path.join(share, 'ledger.txt'), 'january\nfebruary\n');
  run(lifeboat, ['device', 'deactivate', 'fs1', '--confirm', 'fs1']);
  run(lifeboat, device('fs2', true));
  run(lifeboat, device('fs3', false));

  await openDevice(page, 'fs1');
  await page.getByRole('button', { name: 'Fail over' }).click();
  const w = wizard(page, 'failover');
  await expectStep(w, 'source', 'Source device');

  // The newest (final) backup is the default; the earlier manual one says what it loses.
  const backups = w.getByRole('radiogroup', { name: 'Backup to restore' });
  await expect(backups.getByRole('radio')).toHaveCount(2);
  await expect(backups.getByRole('radio').first()).toBeChecked();
  await expect(page.getByTestId('failover-backup')).toContainText('Planned failover');
  await backups.getByRole('radio', { name: /Manual/ }).check();
  await expect(backups).toContainText(/Loses: .*older than the newest; 1 later backup read/);
  await expect(page.getByTestId('failover-backup')).toContainText('Unplanned failover');
  await screenshot(page, 'failover-wizard-choose-backup');
  await w.getByRole('button', { name: 'Next' }).click();

  // Each target with its facts; the unregistered one is offered, saying the failover registers it.
  await expectStep(w, 'target', 'Target device');
  await expect(w.getByRole('radio')).toHaveCount(2);
  const fs2 = w.getByRole('radio', { name: /^fs2/ });
  await expect(
    w.getByText(
      /^Online · capacity 1(\.0)? GiB · [\d.]+ \w+ free on its disk · domain corp\.contoso\.com · software \d/,
    ),
  ).toBeVisible();
  await expect(w.getByText(/^Ready to set up · capacity/)).toBeVisible();
  await expect(w.getByTestId('target-unregistered')).toHaveText(
    'Not registered yet: the failover registers it with this service first, as it takes over.',
  );
  await fs2.check();
  await screenshot(page, 'failover-wizard-target-facts');

  // The account's disk goes away before the summary: the checklist says so in one red line, before the RTO.
  fs.renameSync(account, `${account}.unplugged`);
  await w.getByRole('button', { name: 'Next' }).click();
  await expectStep(w, 'summary', 'Summary');
  const checklist = page.getByTestId('failover-prechecks');
  await expect(checklist).toHaveAttribute('data-ok', 'false');
  const red = checklist.locator('li[data-status="fail"]');
  await expect(red).toHaveCount(1);
  await expect(red).toHaveAttribute('data-check', 'account');
  await expect(red).toContainText(`The folder of the storage account "lab" (${account}) is not there`);
  await expect(red).toContainText("Fix: Reconnect the account's folder or disk");
  await expect(red).not.toContainText(/create the folder/i);
  await expect(red.getByRole('link', { name: 'Open Storage accounts' })).toHaveAttribute('href', '#/storage-accounts');
  await expect(checklist.locator('li[data-check="backup"]')).toHaveAttribute('data-status', 'warn');
  await expect(page.getByTestId('failover-summary')).toContainText('Unplanned: changes after this backup are lost');
  await w
    .getByRole('checkbox', { name: 'I understand that this operation will fail over data to the target device' })
    .check();
  await w.getByRole('button', { name: 'Fail over' }).click();
  await expect(
    w.getByText('Fix what the failed prechecks say, then re-run them: the failover cannot start until none fails.'),
  ).toBeVisible();
  await expect(w).toHaveAttribute('data-step', 'summary');
  await screenshot(page, 'failover-wizard-precheck-failed');

  // Reconnected, Re-run: every line passes or warns, and the failover starts.
  fs.renameSync(`${account}.unplugged`, account);
  await checklist.getByRole('button', { name: 'Re-run prechecks' }).click();
  await expect(checklist).toHaveAttribute('data-ok', 'true');
  await expect(checklist.locator('li[data-status="fail"]')).toHaveCount(0);
  await expect(checklist.locator('li[data-check="account"]')).toHaveAttribute('data-status', 'pass');
  await screenshot(page, 'failover-wizard-prechecks');
  await w.getByRole('button', { name: 'Fail over' }).click();

  await expectStep(w, 'progress', 'Failover');
  const progress = page.getByTestId('failover-progress');
  await expect(progress).toHaveAttribute('data-status', 'succeeded', { timeout: 180_000 });
  await expect(progress.getByRole('table', { name: 'Restore jobs' })).toContainText('Restore share finance to fs2');
  await w.getByRole('button', { name: 'Close' }).click();
  await expect(w).toBeHidden();
  // What the chosen (earlier) backup held.
  const target = showDevice(lifeboat, 'fs2');
  expect(fs.readFileSync(path.join(target.shares[0].path, 'ledger.txt'), 'utf8')).toBe('january\n');

  // The deleted source's page points at the target and lists no shares of its own.
  await page.goto(`${lifeboat.origin}/#/devices/fs1`);
  const moved = page.getByTestId('failed-over-to');
  await expect(moved).toContainText(/^Failed over to fs2 on /);
  await expect(page.getByTestId('device-items')).toHaveCount(0);
  await screenshot(page, 'device-failed-over-source');
  await moved.getByRole('link', { name: 'fs2' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'fs2' })).toBeVisible();
});
