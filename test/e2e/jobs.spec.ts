/**
 * Jobs and alerts, live: a self-test started from the Dashboard shows its progress moving on the Jobs page and ends
 * with a toast; cancel, pause and resume work from the table; a job that really fails raises a critical alert.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { ensureService, expect, openPage, repoRoot, screenshot, test, type Lifeboat } from './fixtures';

const TITLE = 'Self-test (64 MiB)';

/** Starts a self-test from the Dashboard button and returns its row on the Jobs page. */
async function startSelftest(page: Page): Promise<{ row: Locator; id: string }> {
  await openPage(page, 'Dashboard');
  await page.getByRole('button', { name: 'Run self-test job' }).click();
  await expect(page.getByText(`Started “${TITLE}”`)).toBeVisible();
  await openPage(page, 'Jobs');
  const row = page.locator('tr[data-job-id]').filter({ hasText: TITLE }).first();
  const id = (await row.getAttribute('data-job-id'))!;
  return { row: page.locator(`tr[data-job-id="${id}"]`), id };
}

const percentOf = async (row: Locator) =>
  Number((await row.getByTestId('job-percent').textContent())!.replace('%', ''));

test('a self-test shows live progress on the Jobs page, then a success toast', async ({ app: page }) => {
  await ensureService(page);
  const { row } = await startSelftest(page);
  await expect(row).toHaveAttribute('data-status', 'running');
  await expect.poll(() => percentOf(row)).toBeGreaterThan(0);
  const first = await percentOf(row);
  await expect.poll(() => percentOf(row), { message: 'the percentage moves without a reload' }).toBeGreaterThan(first);
  const second = await percentOf(row);
  expect(second).not.toBe(first);
  await expect(row.getByRole('progressbar', { name: /^Self-test \(64 MiB\): \d+%$/ })).toBeVisible();
  await screenshot(page, 'jobs-running');

  // The row opens to the job's steps, each with its own status.
  await row.getByRole('button', { name: `Show the steps of ${TITLE}` }).click();
  const steps = page.getByRole('list', { name: `Steps of ${TITLE}` });
  await expect(steps.getByRole('listitem')).toHaveCount(3);
  await expect(steps).toContainText('Write test data');

  const toast = page.getByText(`${TITLE} succeeded`, { exact: true });
  await expect(toast).toBeVisible({ timeout: 30_000 });
  await expect(row).toHaveAttribute('data-status', 'succeeded');
  await expect(row.getByTestId('job-percent')).toHaveText('100%');
  await screenshot(page, 'jobs-succeeded');
});

test('a running self-test can be paused, resumed and cancelled from the table', async ({ app: page, lifeboat }) => {
  await ensureService(page);
  // Started from the CLI, which hands it to the running app: two minutes long, so the buttons act on it while it
  // runs however slow the machine (the Dashboard's takes 8 s).
  const started = spawnSync(
    process.execPath,
    [
      path.join(repoRoot, 'bin/lifeboat.cjs'),
      '--home',
      lifeboat.home,
      'selftest',
      '--size-mib',
      '64',
      '--seconds',
      '120',
      '--detach',
      '--json',
    ],
    { encoding: 'utf8' },
  );
  expect(started.status, started.stderr).toBe(0);
  const id = (JSON.parse(started.stdout) as { id: string }).id;
  await openPage(page, 'Jobs');
  const row = page.locator(`tr[data-job-id="${id}"]`);
  await expect(row).toHaveAttribute('data-status', 'running');
  await row.getByRole('button', { name: `Pause ${TITLE}` }).click();
  await expect(row).toHaveAttribute('data-status', 'paused');
  await row.getByRole('button', { name: `Resume ${TITLE}` }).click();
  await expect(row).toHaveAttribute('data-status', 'running');
  await row.getByRole('button', { name: `Cancel ${TITLE}` }).click();
  await expect(row).toHaveAttribute('data-status', 'cancelled');
  await expect(row.getByText('Cancelled')).toBeVisible();
  await expect(page.getByText(`${TITLE} was cancelled`, { exact: true })).toBeVisible();
  await expect(row.getByRole('button', { name: `Cancel ${TITLE}` })).toHaveCount(0);
});

/**
 * A real failure: the test data file shrinks under the running job (as a failing disk would), so the hash step
 * reads fewer bytes than were written and the job fails with io_error. The engine raises a critical alert.
 */
async function breakSelftestData(lifeboat: Lifeboat, jobId: string, row: Locator): Promise<void> {
  const file = path.join(lifeboat.home, 'tmp', `selftest-${jobId}.bin`);
  // Past the write step (weight 1 of 5), the hash step is reading the file piece by piece.
  await expect.poll(() => percentOf(row)).toBeGreaterThanOrEqual(25);
  fs.truncateSync(file, 0);
}

test('a failed job toasts, raises a critical alert on the bell, and the alert can be acknowledged', async ({
  app: page,
  lifeboat,
}) => {
  await ensureService(page);
  await expect(page.getByRole('button', { name: 'Alerts: 0 unacknowledged' })).toBeVisible();
  const { row, id } = await startSelftest(page);
  await breakSelftestData(lifeboat, id, row);

  await expect(page.getByText(`${TITLE} failed`, { exact: true })).toBeVisible();
  await expect(row).toHaveAttribute('data-status', 'failed');
  const bell = page.getByRole('button', { name: 'Alerts: 1 unacknowledged' });
  await expect(bell).toBeVisible();
  await expect(page.getByTestId('alert-count')).toHaveText('1');

  // The failed row says why and what to do; a failed self-test may be resumed.
  await row.getByRole('button', { name: `Show the steps of ${TITLE}` }).click();
  await expect(page.getByTestId(`job-details-${id}`)).toContainText('The test file is shorter than written');
  await expect(row.getByRole('button', { name: `Resume ${TITLE}` })).toBeVisible();
  await screenshot(page, 'jobs-failed');

  await bell.click();
  const popover = page.getByRole('dialog', { name: 'Unacknowledged alerts' });
  await expect(popover).toContainText(`${TITLE} failed`);
  await screenshot(page, 'alerts-bell');
  await popover.getByRole('button', { name: 'Open the Alerts page' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Alerts' })).toBeVisible();
  const alertRow = page.locator('tr[data-alert-id]').filter({ hasText: `${TITLE} failed` });
  await expect(alertRow).toContainText('Critical');
  await expect(alertRow).toContainText('The test file is shorter than written');
  await expect(alertRow).toContainText('Check the disk of the data directory.');
  await screenshot(page, 'alerts-page');

  await alertRow.getByRole('button', { name: `Acknowledge ${TITLE} failed` }).click();
  await expect(page.getByRole('button', { name: 'Alerts: 0 unacknowledged' })).toBeVisible();
  await expect(page.getByTestId('alerts-empty')).toBeVisible();
  await page.getByRole('switch', { name: 'Show acknowledged' }).check();
  await expect(alertRow).toContainText('Acknowledged');
});
