/**
 * The whole round of an item through its page, the way an administrator clicks it (issue 17's end-to-end test in
 * chromium): Enable protection → Replicate now (a delta) → planned failover to dr (the disk there byte-identical to
 * the source at shutdown) → Change recovery point to the first point (the disk then holds that point's bytes) →
 * Commit → Reprotect (dr → primary; the bytes sent, shown in the notice, far below the disk's size) → the machine
 * writes at dr → Fail back to primary (planned: the original disk byte-identical to the dr copy at shutdown; each
 * point option says what it loses, app-consistent points being older) → Commit → Reprotect (primary → dr), ending
 * "Protected" in the original direction. Disks are checked byte for byte, the bytes sent against the job's result.
 */
import crypto from 'node:crypto';
import type { Page } from '@playwright/test';
import { formatBytes } from '../../main/shared/units';
import { cli } from '../helpers/home';
import { removeScratch, wizard } from './devices-helpers';
import { appWithSite, DISK_SIZE, sha, writeAt } from './protection-helpers';
import { ensureService, expect, openPage, screenshot, test } from './fixtures';

test.afterAll(removeScratch);

interface Shown {
  phase: string;
  activeSite: string;
  direction: string;
  disks: Array<{ name: string; activePath: string | null }>;
}

interface ReprotectJob {
  status: string;
  result: { bytesSent: number; bytesCompared: number; direction: string };
}

/** Reprotect from the page, confirmed; waits for its job (not one of `seen`) and checks the notice against its result. */
async function reprotect(
  page: Page,
  home: string,
  seen: string[],
  direction: string,
  dialogText: RegExp,
): Promise<ReprotectJob['result'] & { id: string }> {
  await page.getByRole('button', { name: 'Reprotect' }).click();
  const dialog = page.getByTestId('reprotect-dialog');
  await expect(dialog).toContainText(dialogText);
  await dialog.getByRole('button', { name: 'Reprotect' }).click();
  const notice = page.getByTestId('item-notice');
  await expect(notice).toContainText(`Reprotected: “app01” replicates ${direction}.`, { timeout: 180_000 });
  const row = page.getByTestId('item-jobs').locator('tr[data-job-type="replication.reprotect"]').first();
  const id = (await row.getAttribute('data-job-id'))!;
  expect(seen, 'the notice is about a new reprotect job').not.toContain(id);
  const shown = cli(home, ['jobs', 'show', id, '--json']).json<{ job: ReprotectJob }>().job;
  expect(shown.status).toBe('succeeded');
  expect(shown.result.direction).toBe(direction);
  await expect(notice).toContainText(
    `${formatBytes(shown.result.bytesSent)} sent after comparing ${formatBytes(shown.result.bytesCompared)}`,
  );
  return { ...shown.result, id };
}

test('enable, delta, planned failover, change point, commit, reprotect, failback, commit, reprotect: from the item page', async ({
  app: page,
  lifeboat,
}) => {
  test.setTimeout(600_000);
  await ensureService(page);
  const { disk, atFirstPoint, run } = appWithSite(lifeboat, 'item-failback', 256 * 1024);

  // Enable protection with the wizard, with the machine's shutdown and start commands.
  await openPage(page, 'Protected items');
  await page.getByRole('button', { name: 'Enable protection' }).first().click();
  const enable = wizard(page, 'enable-protection');
  await enable.getByRole('button', { name: 'Next' }).click();
  await expect(enable).toHaveAttribute('data-step', 'machine');
  await enable.getByLabel('Machine name').fill('app01');
  await enable.getByLabel('Disk images').fill(disk);
  await enable.getByLabel('Shutdown command (optional)').fill('echo app01-down');
  await enable.getByLabel('Start command (optional)').fill('echo app01-up');
  await enable.getByRole('button', { name: 'Next' }).click();
  await enable.getByLabel('Recovery site').selectOption('dr');
  await enable.getByRole('button', { name: 'Next' }).click();
  await expect(enable).toHaveAttribute('data-step', 'account');
  await enable.getByRole('button', { name: 'Next' }).click();
  await enable.getByRole('combobox', { name: /^Policy/ }).selectOption('quarter');
  await enable.getByRole('button', { name: 'Next' }).click();
  await expect(enable).toHaveAttribute('data-step', 'group');
  await enable.getByRole('button', { name: 'Next' }).click();
  await expect(enable).toHaveAttribute('data-step', 'review');
  await enable.getByRole('button', { name: 'Enable protection' }).click();
  await expect(enable.getByTestId('enable-progress')).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 });
  await enable.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'app01' })).toBeVisible();
  const status = page.getByTestId('item-status');
  await expect(status).toHaveAttribute('data-phase', 'protected');
  const firstPoint = run(['item', 'points', 'app01']).json<Array<{ id: string; seq: number }>>().at(-1)!;

  // A delta: Replicate now makes a second point with new data.
  writeAt(disk, 1024 * 1024, crypto.randomBytes(64 * 1024));
  const timeline = page.getByTestId('points-timeline');
  const pointsBefore = Number(await timeline.getAttribute('data-points'));
  await page.getByRole('button', { name: 'Replicate now' }).click();
  await expect(timeline).toHaveAttribute('data-points', String(pointsBefore + 1), { timeout: 60_000 });
  // And a write after the last cycle, which a planned failover must carry over.
  writeAt(disk, 3 * 1024 * 1024, crypto.randomBytes(32 * 1024));

  // Planned failover to dr, Latest: nothing lost.
  await page.getByRole('button', { name: 'Fail over to dr…' }).click();
  const w = wizard(page, 'failover-item');
  await expect(w.getByTestId('failover-direction')).toContainText('Fail over to dr (primary → dr)');
  await expect(w.getByTestId('failover-direction')).toHaveAttribute('data-reversed', 'false');
  await expect(w.getByRole('radio', { name: /Planned failover/ })).toBeChecked();
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w.getByTestId('option-latest')).toContainText('Loses nothing already sent');
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w).toHaveAttribute('data-step', 'shutdown');
  await w.getByRole('button', { name: 'Next' }).click();
  await w.getByRole('checkbox', { name: /app01 will run at dr,/ }).check();
  await w.getByRole('button', { name: 'Start failover' }).click();
  await expect(w.getByTestId('failover-progress')).toHaveAttribute('data-status', 'succeeded', { timeout: 180_000 });
  await expect(w.getByTestId('start-output')).toContainText('app01-up');
  await w.getByRole('button', { name: 'Close' }).click();
  await expect(status).toHaveAttribute('data-phase', 'failed-over');
  let shown = run(['item', 'show', 'app01']).json<Shown>();
  const drCopy = shown.disks[0].activePath!;
  expect(shown.activeSite).toBe('dr');
  const atShutdown = sha(disk);
  expect(sha(drCopy), 'planned failover: the dr disk is the source at shutdown').toBe(atShutdown);

  // Change recovery point to the first point, picked on the timeline: the dr disk then holds that point's bytes.
  await page.getByRole('button', { name: 'Change recovery point' }).click();
  const change = page.getByTestId('change-point-dialog');
  await expect(change.getByTestId('option-latest')).toHaveCount(0);
  await change.getByRole('radio', { name: /Custom point/ }).check();
  await change.locator(`tr[data-point="${firstPoint.id}"]`).getByRole('radio').check();
  await expect(change.getByTestId('custom-point-loss')).toContainText(`Point ${firstPoint.seq} loses the last`);
  await change.getByRole('button', { name: 'Change point' }).click();
  await expect(change).toBeHidden();
  const changed = page.getByTestId('item-jobs').locator('tr[data-job-type="replication.change-point"]').first();
  await expect(changed).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 });
  expect(sha(drCopy), 'after Change recovery point the dr disk is the first point').toBe(atFirstPoint);
  await expect(status).toHaveAttribute('data-phase', 'failed-over');

  // Commit, then Reprotect dr → primary: only differences go back to the original disk.
  await page.getByRole('button', { name: 'Commit' }).click();
  await page.getByTestId('commit-dialog').getByRole('button', { name: 'Commit' }).click();
  await expect(page.getByTestId('item-notice')).toContainText('Committed: “app01” runs at dr.');
  const back = await reprotect(
    page,
    lifeboat.home,
    [],
    'dr → primary',
    /back to its primary site primary, under the failback policy/,
  );
  expect(back.bytesCompared).toBeGreaterThan(0);
  expect(back.bytesSent, 'reprotect sends the differences, not the disk').toBeLessThan(DISK_SIZE / 16);
  expect(sha(disk), 'reprotect brings the original disk to the dr copy').toBe(atFirstPoint);
  await expect(status).toHaveAttribute('data-phase', 'protected', { timeout: 30_000 });
  await expect(status).toContainText('Protected in reverse');

  // The machine writes at dr; a planned failback carries that write to the original disk.
  writeAt(drCopy, 5 * 1024 * 1024, crypto.randomBytes(48 * 1024));
  const atDr = sha(drCopy);
  await page.getByRole('button', { name: 'Fail back to primary…' }).click();
  await expect(w).toHaveAttribute('data-step', 'type');
  await expect(page.getByRole('dialog', { name: 'Fail app01 back to primary' })).toBeVisible();
  await expect(w.getByTestId('failover-direction')).toContainText('Fail back to primary (dr → primary)');
  await expect(w.getByTestId('failover-direction')).toHaveAttribute('data-reversed', 'true');
  await expect(w.getByRole('radio', { name: /Planned failback/ })).toBeChecked();
  await expect(w.getByRole('radio', { name: /Unplanned failback/ })).toBeVisible();
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w).toHaveAttribute('data-step', 'point');
  await expect(w.getByTestId('option-latest')).toContainText('Loses nothing already sent');
  await expect(w.getByTestId('failback-app-note')).toContainText(
    'App-consistent points are older than the newest point',
  );
  await expect(w.getByRole('radio', { name: /Latest app-consistent/ })).toBeDisabled();
  await expect(w.getByRole('radio', { name: /Custom point/ })).toBeEnabled();
  await screenshot(page, 'item-failback-points');
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w.getByRole('checkbox', { name: /Shut down app01 at dr before the failback/ })).toBeChecked();
  await w.getByRole('button', { name: 'Next' }).click();
  const review = w.getByTestId('failover-review');
  await expect(review).toContainText('Planned failback');
  await expect(review).toContainText('Fail back to primary (dr → primary)');
  await w.getByRole('checkbox', { name: /app01 will run at primary again/ }).check();
  await w.getByRole('button', { name: 'Start failback' }).click();
  await expect(w.getByTestId('failover-progress')).toHaveAttribute('data-status', 'succeeded', { timeout: 180_000 });
  await expect(w.getByTestId('failover-progress')).toContainText('“app01” runs at primary again.');
  await expect(w.getByTestId('failover-progress')).toContainText('Back in its original disks and folders');
  await w.getByRole('button', { name: 'Close' }).click();
  await expect(status).toHaveAttribute('data-phase', 'failed-over');
  shown = run(['item', 'show', 'app01']).json<Shown>();
  expect(shown.activeSite).toBe('primary');
  expect(sha(disk), 'planned failback: the original disk is the dr copy at shutdown').toBe(atDr);

  // Commit the failback, then Reprotect primary → dr: "Protected" in the original direction again.
  await page.getByRole('button', { name: 'Commit' }).click();
  await expect(page.getByTestId('commit-dialog')).toContainText(
    'kept only as the base the next reprotect compares with',
  );
  await page.getByTestId('commit-dialog').getByRole('button', { name: 'Commit' }).click();
  await expect(page.getByTestId('item-notice')).toContainText('Committed: “app01” runs at primary.');
  const forward = await reprotect(
    page,
    lifeboat.home,
    [back.id],
    'primary → dr',
    /to its recovery site dr again, under its own policy/,
  );
  expect(forward.bytesSent, 'the reprotect after failback compares with the copy left at dr').toBeLessThan(
    DISK_SIZE / 16,
  );
  await expect(status).toHaveAttribute('data-phase', 'protected', { timeout: 30_000 });
  await expect(status).not.toContainText('in reverse');
  await expect(page.getByRole('button', { name: 'Fail over to dr…' })).toBeVisible();
  shown = run(['item', 'show', 'app01']).json<Shown>();
  expect(shown.direction).toBe('primary → dr');
  expect(sha(disk), 'the original disk is untouched by the reprotect').toBe(atDr);
  await screenshot(page, 'item-protected-again');
});
