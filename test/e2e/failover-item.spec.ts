/**
 * Failover of a protected item through its page, the way a user clicks: a test failover to a custom point picked on
 * the timeline (the test copy holds that point's data, not the newest), cleaned up with notes kept in the drill
 * report, and scheduled drills set and stopped in the Drills section; then a planned failover to Latest (the
 * failed-over disk is byte-identical to the source at shutdown, a write made after the last cycle included), Commit,
 * and Reprotect back to "Protected in reverse". Saves
 * test-results/screenshots/item-failover-wizard.png.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { removeScratch, wizard } from './devices-helpers';
import { appWithSite, sha, writeAt } from './protection-helpers';
import { ensureService, expect, openPage, repoRoot, screenshot, test } from './fixtures';

test.afterAll(removeScratch);

interface Shown {
  phase: string;
  activeSite: string;
  disks: Array<{ name: string; activePath: string | null; testPath: string | null }>;
}

test('a test failover to a custom point and its cleanup, a planned failover, commit and reprotect, through the wizard', async ({
  app: page,
  lifeboat,
}) => {
  test.setTimeout(480_000);
  await ensureService(page);
  const { disk, atFirstPoint, run } = appWithSite(lifeboat, 'item-failover', 192 * 1024);
  const commands = ['--shutdown', 'echo app01-shutting-down', '--start', 'echo app01-started'];
  run(['item', 'protect', 'app01', '--disk', disk, '--recovery-site', 'dr', '--policy', 'quarter', ...commands]);
  const firstPoint = run(['item', 'points', 'app01']).json<Array<{ id: string; seq: number }>>().at(-1)!;
  // A second point with other data, so the custom point is not the newest.
  writeAt(disk, 64 * 1024, crypto.randomBytes(64 * 1024));
  run(['item', 'replicate', 'app01']);

  await openPage(page, 'Protected items');
  await page.getByRole('link', { name: 'app01' }).click();
  await expect(page.getByTestId('item-status')).toHaveAttribute('data-phase', 'protected');

  // Test failover to the first point, picked on the timeline.
  await page.getByRole('button', { name: 'Fail over to dr…' }).click();
  const w = wizard(page, 'failover-item');
  await expect(w).toHaveAttribute('data-step', 'type');
  await expect(w.getByTestId('failover-direction')).toContainText('Fail over to dr (primary → dr)');
  await w.getByRole('radio', { name: /Test failover/ }).check();
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w).toHaveAttribute('data-step', 'point');
  await expect(w.getByTestId('option-latest-processed')).toContainText('RTO about');
  await expect(w.getByTestId('option-latest-app-consistent')).toContainText('no app-consistent point');
  await expect(w.getByRole('radio', { name: /Latest app-consistent/ })).toBeDisabled();
  await w.getByRole('radio', { name: /Custom point/ }).check();
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w.getByText('Pick a point on the timeline, or choose one of the options.')).toBeVisible();
  await w.locator(`tr[data-point="${firstPoint.id}"]`).getByRole('radio').check();
  await expect(w.getByTestId('custom-point-loss')).toContainText(`Point ${firstPoint.seq} loses the last`);
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w).toHaveAttribute('data-step', 'review');
  await expect(w.getByTestId('failover-review')).toContainText(`Custom: point ${firstPoint.seq}`);
  await expect(w.getByTestId('failover-review')).toContainText('no: a test leaves the source running');
  await expect(w.getByTestId('rto-estimate')).toContainText('about');
  await w.getByRole('button', { name: 'Start test failover' }).click();
  await expect(w.getByText('Confirm that you understand what the failover does.')).toBeVisible();
  await w.getByRole('checkbox', { name: /a test copy of app01 starts at dr/ }).check();
  await w.getByRole('button', { name: 'Start test failover' }).click();
  await expect(w.getByTestId('failover-progress')).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 });
  await expect(w.getByTestId('failover-progress')).toContainText('A test copy of “app01” is up.');
  await w.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByTestId('testing-badge')).toBeVisible();
  let shown = run(['item', 'show', 'app01']).json<Shown>();
  const testPath = shown.disks[0].testPath!;
  expect(testPath, 'a test failover has a test copy').toBeTruthy();
  expect(sha(testPath), 'the test copy is the custom point, not the newest').toBe(atFirstPoint);
  await expect(page.getByTestId('test-path')).toContainText(testPath);

  // Cleanup asks for notes; the drill report keeps them and the copy is gone.
  await page.getByRole('button', { name: 'Clean up test failover' }).click();
  const cleanup = page.getByTestId('cleanup-test-dialog');
  await cleanup.getByLabel('Notes for the drill report').fill('Drill OK: app01 answered on the test network.');
  await cleanup.getByRole('button', { name: 'Clean up' }).click();
  await expect(cleanup).toBeHidden({ timeout: 60_000 });
  await expect(page.getByTestId('item-notice')).toContainText('The test copy of “app01” is removed.');
  const drill = page.getByTestId('drill-reports').locator('tr[data-drill]');
  await expect(drill).toHaveCount(1);
  await expect(drill).toHaveAttribute('data-cleaned', 'true');
  await expect(drill).toContainText('Drill OK: app01 answered on the test network.');
  expect(fs.existsSync(testPath), 'cleanup removes the test copy').toBe(false);

  // Scheduled drills: set from the Drills section (a wrong time refused on its field), shown in words, then stopped.
  const schedule = page.getByTestId('drill-schedule');
  await expect(schedule).toHaveAttribute('data-scheduled', 'false');
  await schedule.getByRole('button', { name: 'Schedule drills…' }).click();
  const scheduling = page.getByTestId('drill-schedule-dialog');
  await scheduling.getByLabel('Every (days)').fill('3');
  await scheduling.getByLabel('At (local time)').fill('25:00');
  await scheduling.getByLabel('Test copy stays up for (minutes)').fill('45');
  await scheduling.getByRole('button', { name: 'Schedule drills' }).click();
  await expect(scheduling.getByText('Enter a time of day as HH:MM, e.g. 02:00.')).toBeVisible();
  await scheduling.getByLabel('At (local time)').fill('03:30');
  await scheduling.getByRole('button', { name: 'Schedule drills' }).click();
  await expect(scheduling).toBeHidden();
  await expect(schedule).toHaveAttribute('data-scheduled', 'true');
  await expect(schedule).toContainText(
    'Every 3 days at 03:30 (Latest processed), the test copy cleaned up after 45 min.',
  );
  await expect(schedule).toContainText('Next:');
  const set = run(['item', 'drill-schedule', 'app01']).json<{
    schedule: { everyDays: number; at: string; holdMinutes: number } | null;
  }>();
  expect(set.schedule).toMatchObject({ everyDays: 3, at: '03:30', holdMinutes: 45 });
  await schedule.getByRole('button', { name: 'Stop scheduled drills' }).click();
  await page.getByTestId('drill-schedule-stop-dialog').getByRole('button', { name: 'Stop scheduled drills' }).click();
  await expect(schedule).toHaveAttribute('data-scheduled', 'false');
  expect(
    run(['item', 'drill-schedule', 'app01']).json<{ schedule: unknown }>().schedule,
    'stopped: no schedule',
  ).toBeNull();

  // A write after the last cycle: a planned failover must carry it over.
  writeAt(disk, 512 * 1024, crypto.randomBytes(32 * 1024));

  // Planned failover to Latest: nothing lost, the source shut down first.
  await page.getByRole('button', { name: 'Fail over to dr…' }).click();
  await expect(w).toHaveAttribute('data-step', 'type');
  await expect(w.getByRole('radio', { name: /Planned failover/ })).toBeChecked();
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w).toHaveAttribute('data-step', 'point');
  await expect(w.getByTestId('option-latest')).toContainText('Loses nothing already sent');
  await expect(w.getByRole('radio', { name: /^Latest First processes/ })).toBeChecked();
  await page.setViewportSize({ width: 1280, height: 900 });
  fs.mkdirSync(path.join(repoRoot, 'test-results', 'screenshots'), { recursive: true });
  await page.screenshot({ path: path.join(repoRoot, 'test-results', 'screenshots', 'item-failover-wizard.png') });
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w).toHaveAttribute('data-step', 'shutdown');
  await expect(w.getByRole('checkbox', { name: /Shut down app01 at primary/ })).toBeChecked();
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w).toHaveAttribute('data-step', 'review');
  await expect(w.getByTestId('failover-review')).toContainText('Planned failover');
  await expect(w.getByTestId('failover-review')).toContainText('nothing already sent');
  await w.getByRole('checkbox', { name: /app01 will run at dr/ }).check();
  await screenshot(page, 'item-failover-review');
  await w.getByRole('button', { name: 'Start failover' }).click();
  await expect(w.getByTestId('failover-progress')).toHaveAttribute('data-status', 'succeeded', { timeout: 180_000 });
  await expect(w.getByTestId('start-output')).toContainText('app01-started');
  await w.getByRole('button', { name: 'Close' }).click();
  const status = page.getByTestId('item-status');
  await expect(status).toHaveAttribute('data-phase', 'failed-over');
  await expect(status).toContainText('Failed over (not committed)');
  shown = run(['item', 'show', 'app01']).json<Shown>();
  expect(shown.activeSite).toBe('dr');
  expect(sha(shown.disks[0].activePath!), 'planned failover loses nothing').toBe(sha(disk));

  // Commit, confirmed; then Reprotect replicates back, and the item reads "Protected in reverse".
  await page.getByRole('button', { name: 'Commit' }).click();
  await page.getByTestId('commit-dialog').getByRole('button', { name: 'Commit' }).click();
  await expect(page.getByTestId('item-notice')).toContainText('Committed: “app01” runs at dr.');
  await expect(status).toHaveAttribute('data-phase', 'committed');
  await expect(page.getByRole('button', { name: 'Change recovery point' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Reprotect' }).click();
  await page.getByTestId('reprotect-dialog').getByRole('button', { name: 'Reprotect' }).click();
  const reprotect = page.getByTestId('item-jobs').locator('tr[data-job-type="replication.reprotect"]').first();
  await expect(reprotect).toHaveAttribute('data-status', 'succeeded', { timeout: 180_000 });
  await expect(status).toHaveAttribute('data-phase', 'protected', { timeout: 30_000 });
  await expect(status).toContainText('Protected in reverse');
  await expect(page.getByRole('button', { name: 'Fail back to primary…' })).toBeVisible();
  await screenshot(page, 'item-protected-in-reverse');

  // The list shows the phase too.
  await page.getByRole('link', { name: /All protected items/ }).click();
  await expect(page.locator('tr[data-item="app01"]')).toContainText('Protected in reverse');
});
