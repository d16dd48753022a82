/**
 * Protected items the way a user clicks: add a recovery site and create a replication policy on their tabs, run
 * the Enable protection wizard on a small sparse disk image and a folder the test makes, then see the item
 * Protected and Normal with its recovery points; change a file, click Replicate now and see one more point,
 * which materializes (through the CLI) with the changed file. Screenshots at 1024×700 and 1440×900.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { cli } from '../helpers/home';
import { removeScratch, tempDir, wizard } from './devices-helpers';
import { ensureService, expect, openPage, screenshot, test } from './fixtures';

test.afterAll(removeScratch);

test('a site, a policy and the Enable protection wizard protect a disk and a folder; Replicate now makes a second point', async ({
  app: page,
  lifeboat,
}) => {
  test.setTimeout(240_000);
  await ensureService(page);
  const base = tempDir(lifeboat, 'protection');
  const siteRoot = path.join(base, 'dr-site');
  const machine = path.join(base, 'web01');
  const folder = path.join(machine, 'config');
  fs.mkdirSync(folder, { recursive: true });
  // A 16 MiB sparse disk with data in two places, and a folder of two files.
  const disk = path.join(machine, 'disk0.img');
  fs.writeFileSync(disk, '');
  fs.truncateSync(disk, 16 * 1024 * 1024);
  const fd = fs.openSync(disk, 'r+');
  fs.writeSync(fd, crypto.randomBytes(128 * 1024), 0, 128 * 1024, 0);
  fs.writeSync(fd, crypto.randomBytes(64 * 1024), 0, 64 * 1024, 8 * 1024 * 1024);
  fs.closeSync(fd);
  fs.writeFileSync(path.join(folder, 'app.conf'), 'mode=primary\n');
  fs.writeFileSync(path.join(folder, 'data.bin'), crypto.randomBytes(40 * 1024));

  await openPage(page, 'Protected items');
  const views = page.getByRole('tablist', { name: 'Protection views' });
  await expect(page.getByRole('heading', { name: 'No protected items yet' })).toBeVisible();

  // Sites: a local recovery site; a relative root is refused before the engine sees it.
  await views.getByRole('tab', { name: 'Sites' }).click();
  await expect(page.locator('tr[data-site]').first()).toBeVisible();
  await page.getByRole('button', { name: 'Add site' }).click();
  const addSite = page.getByTestId('add-site-dialog');
  await addSite.getByLabel('Site name').fill('dr');
  await addSite.getByLabel('Root folder').fill('relative/dr');
  await addSite.getByRole('button', { name: 'Add site' }).click();
  await expect(addSite.getByText(/is relative/)).toBeVisible();
  await addSite.getByLabel('Root folder').fill(siteRoot);
  await addSite.getByRole('button', { name: 'Add site' }).click();
  await expect(addSite).toBeHidden();
  await expect(page.locator('tr[data-site="dr"]')).toContainText(siteRoot);
  await page.locator('tr[data-site="dr"]').getByRole('button', { name: 'Test' }).click();
  await expect(page.getByTestId('sites-notice')).toContainText(/“dr” answered in .* ms/);
  await expect(page.getByTestId('sites-notice')).toContainText(/free of/);

  // Policies: a 15-minute policy (no scheduled cycle interferes with the test's points); the failback one is fixed.
  await views.getByRole('tab', { name: 'Replication policies' }).click();
  await expect(page.locator('tr[data-policy="failback"]')).toContainText('fixed');
  await expect(page.locator('tr[data-policy="failback"]').getByRole('button', { name: 'Edit' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Create policy' }).click();
  const policy = page.getByTestId('policy-dialog');
  await policy.getByLabel('Policy name').fill('quarter');
  await policy.getByLabel('Replication frequency').selectOption('15m');
  await policy.getByLabel('RPO threshold').fill('10m');
  await policy.getByRole('button', { name: 'Create policy' }).click();
  await expect(policy.getByText('The RPO threshold must be at least the replication frequency.')).toBeVisible();
  await policy.getByLabel('RPO threshold').fill('30m');
  await policy.getByLabel('App-consistent point frequency').fill('0');
  await policy.getByRole('button', { name: 'Create policy' }).click();
  await expect(policy).toBeHidden();
  const row = page.locator('tr[data-policy="quarter"]');
  await expect(row).toContainText('15 min');
  await expect(row).toContainText('30 min');
  await expect(row).toContainText('24 h');

  // The Enable protection wizard.
  await views.getByRole('tab', { name: 'Items' }).click();
  await page.getByRole('button', { name: 'Enable protection' }).first().click();
  const w = wizard(page, 'enable-protection');
  await expect(w).toHaveAttribute('data-step', 'source');
  await expect(w.getByLabel('Source site')).toHaveValue('primary');
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w).toHaveAttribute('data-step', 'machine');
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w.getByText('List at least one disk image or folder.')).toBeVisible();
  await w.getByLabel('Machine name').fill('web01');
  await w.getByLabel('Disk images').fill(disk);
  await w.getByLabel('Folders').fill(folder);
  await screenshot(page, 'protection-wizard-machine');
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w).toHaveAttribute('data-step', 'recovery');
  await w.getByLabel('Recovery site').selectOption('dr');
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w).toHaveAttribute('data-step', 'account');
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w).toHaveAttribute('data-step', 'policy');
  await w.getByRole('combobox', { name: /^Policy/ }).selectOption('quarter');
  await expect(w.getByTestId('policy-summary')).toContainText('Every 15 min');
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w).toHaveAttribute('data-step', 'group');
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w).toHaveAttribute('data-step', 'review');
  const review = w.getByTestId('enable-review');
  await expect(review).toContainText('web01');
  await expect(review).toContainText(disk);
  await expect(review).toContainText(folder);
  await expect(review).toContainText('quarter');
  await w.getByRole('button', { name: 'Enable protection' }).click();
  await expect(w).toHaveAttribute('data-step', 'progress');
  await expect(w.getByTestId('enable-progress')).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 });
  await expect(w.getByTestId('enable-progress')).toContainText('is protected');
  await screenshot(page, 'protection-wizard-done');
  await w.getByRole('button', { name: 'Close' }).click();

  // The item's page: Protected, Normal, one point, disks and folders with their replica paths.
  await expect(page.getByRole('heading', { level: 1, name: 'web01' })).toBeVisible();
  const status = page.getByTestId('item-status');
  await expect(status).toHaveAttribute('data-phase', 'protected');
  await expect(status).toHaveAttribute('data-health', 'normal');
  await expect(status).toContainText('Normal');
  // Enabling ends with at least one point (initial replication, then finalize); the page shows every one the engine lists.
  const before = cli(lifeboat.home, ['item', 'points', 'web01', '--json']);
  expect(before.code, before.stderr).toBe(0);
  const made = before.json<unknown[]>().length;
  expect(made).toBeGreaterThanOrEqual(1);
  const timeline = page.getByTestId('points-timeline');
  await expect(timeline).toHaveAttribute('data-points', String(made));
  await expect(page.locator('tr[data-replicated="disk0.img"]')).toContainText(siteRoot);
  await expect(page.locator('tr[data-replicated="config"]')).toContainText(folder);
  for (const [width, height] of [
    [1024, 700],
    [1440, 900],
  ]) {
    await page.setViewportSize({ width, height });
    await screenshot(page, `protection-item-${width}`);
  }

  // A file changes; Replicate now makes a second point with it.
  fs.writeFileSync(path.join(folder, 'app.conf'), 'mode=primary\nreplicas=2\n');
  await page.getByRole('button', { name: 'Replicate now' }).click();
  await expect(timeline).toHaveAttribute('data-points', String(made + 1), { timeout: 60_000 });
  // The cycle history draws the RPO and throughput charts.
  await expect(page.getByTestId('cycle-charts')).toBeVisible();
  await page.getByTestId('cycle-charts').scrollIntoViewIfNeeded();
  await screenshot(page, 'protection-item-charts');
  const points = cli(lifeboat.home, ['item', 'points', 'web01', '--json']);
  expect(points.code, points.stderr).toBe(0);
  const list = points.json<Array<{ id: string; seq: number; bytes: number }>>();
  expect(list).toHaveLength(made + 1);
  const newest = list[list.length - 1];
  await expect(page.locator(`tr[data-point="${newest.id}"]`)).toContainText('Crash-consistent');
  const out = path.join(base, 'materialized');
  const m = cli(lifeboat.home, ['item', 'materialize', 'web01', '--point', newest.id, '--to', out, '--json']);
  expect(m.code, m.stderr).toBe(0);
  const conf = fs
    .readdirSync(out, { recursive: true })
    .map(String)
    .find((p) => p.endsWith('app.conf'));
  expect(conf, 'the materialized point holds app.conf').toBeTruthy();
  expect(fs.readFileSync(path.join(out, conf!), 'utf8')).toBe('mode=primary\nreplicas=2\n');

  // The list shows the item with its health, RPO and last point.
  await page.getByRole('link', { name: /All protected items/ }).click();
  const item = page.locator('tr[data-item="web01"]');
  await expect(item).toHaveAttribute('data-health', 'normal');
  await expect(item).toHaveAttribute('data-phase', 'protected');
  await expect(item).toContainText(`${made + 1} points`);
  for (const [width, height] of [
    [1024, 700],
    [1440, 900],
  ]) {
    await page.setViewportSize({ width, height });
    await screenshot(page, `protection-list-${width}`);
  }

  // Pause and Resume; then Disable, confirmed, removes the item and frees the site.
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.getByRole('link', { name: 'web01' }).click();
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('item-notice')).toContainText('is paused');
  await expect(page.getByTestId('item-status').getByTestId('paused-badge')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Replicate now' })).toBeDisabled();
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('item-notice')).toContainText('resumed');
  await expect(page.getByTestId('item-status').getByTestId('paused-badge')).toHaveCount(0);
  await page.getByRole('button', { name: 'Disable protection' }).click();
  const disable = page.getByTestId('disable-item-dialog');
  await expect(disable).toContainText('every recovery point are deleted');
  await disable.getByRole('button', { name: 'Disable protection' }).click();
  await expect(page.getByRole('heading', { name: 'No protected items yet' })).toBeVisible();
  expect(fs.existsSync(path.join(siteRoot, 'web01')), 'the replica is deleted').toBe(false);
  await views.getByRole('tab', { name: 'Sites' }).click();
  await page.locator('tr[data-site="dr"]').getByRole('button', { name: 'Remove' }).click();
  await page.getByTestId('remove-site-dialog').getByRole('button', { name: 'Remove site' }).click();
  await expect(page.locator('tr[data-site="dr"]')).toHaveCount(0);
});
