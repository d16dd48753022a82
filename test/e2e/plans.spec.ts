/**
 * Recovery plans the way a user clicks: two protected items (set up through the CLI, which talks to the running app),
 * then on the Recovery plans page a plan made in the editor (a group, a manual action, a script action moved up
 * between groups, a second group), a test failover of it from the Run wizard, the run paused at the manual action
 * until Confirm is clicked, its groups and actions as steps to the end, then the plan deleted (its items stay). Saves test-results/screenshots/recovery-plan.png.
 */
import path from 'node:path';
import { cli, ok } from '../helpers/home';
import { age, makeDisk, MiB } from '../helpers/replication-lab';
import { removeScratch, tempDir, wizard } from './devices-helpers';
import { ensureService, expect, openPage, screenshot, screenshots, test } from './fixtures';

test.afterAll(removeScratch);

test('a plan made in the editor runs a test failover to the end, its manual action confirmed in the UI', async ({
  app: page,
  lifeboat,
}) => {
  test.setTimeout(300_000);
  await ensureService(page);
  const base = tempDir(lifeboat, 'plans');
  ok(cli(lifeboat.home, ['site', 'add', 'dr', '--root', path.join(base, 'dr-site')]));
  ok(cli(lifeboat.home, ['policy', 'create', 'fast', '--frequency', '15m']));
  for (const name of ['db01', 'web01']) {
    const disk = makeDisk(path.join(base, `${name}.img`), 4 * MiB, [0, 5]);
    age(disk);
    ok(cli(lifeboat.home, ['item', 'protect', name, '--disk', disk, '--recovery-site', 'dr', '--policy', 'fast']));
  }

  await openPage(page, 'Recovery plans');
  await expect(page.getByRole('heading', { name: 'No recovery plans yet' })).toBeVisible();
  await page.getByRole('button', { name: 'Create a recovery plan' }).click();
  const editor = page.getByTestId('plan-editor');
  await editor.getByLabel('Name').fill('shop');
  await editor.getByLabel('Description').fill('Database first, then the web tier');
  await editor.getByTestId('plan-step-1').getByRole('checkbox', { name: 'db01' }).check();
  await editor.getByRole('button', { name: 'Add manual action' }).click();
  await editor.getByTestId('plan-step-2').getByRole('textbox').fill('Check that the database accepts connections');
  await editor.getByRole('button', { name: 'Add group' }).click();
  // db01 is in group 1, so group 2 offers web01 only.
  await expect(editor.getByTestId('plan-step-3').getByRole('checkbox')).toHaveCount(1);
  await editor.getByTestId('plan-step-3').getByRole('checkbox', { name: 'web01' }).check();
  await editor.getByRole('button', { name: 'Add script action' }).click();
  await editor
    .getByTestId('plan-step-4')
    .getByLabel(/Script action/)
    .fill('echo "db01 is up at $LIFEBOAT_SITE"');
  // Before the web tier: move the script up one step, between the manual action and group 2.
  await editor.getByRole('button', { name: 'Move step 4 up' }).click();
  await expect(editor.getByTestId('plan-step-3')).toHaveAttribute('data-kind', 'script');
  await editor.getByRole('button', { name: 'Create plan' }).click();
  await expect(editor).toBeHidden();

  const row = page.locator('tr[data-plan="shop"]');
  await expect(row).toHaveAttribute('data-state', 'protected');
  await expect(row).toContainText('never run');
  const detail = page.getByTestId('plan-detail');
  await expect(detail.getByRole('list', { name: 'Steps of shop' })).toContainText(
    'script 300s: echo "db01 is up at $LIFEBOAT_SITE"',
  );

  // Run: a test failover, confirmed.
  await row.getByRole('button', { name: 'Run shop' }).click();
  const w = wizard(page, 'run-plan');
  await expect(w).toHaveAttribute('data-step', 'choose');
  await w.getByRole('radio', { name: 'Test failover', exact: true }).check();
  await w.getByLabel('Recovery point of every item').selectOption('latest-processed');
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w).toHaveAttribute('data-step', 'confirm');
  await w.getByRole('button', { name: 'Start test failover' }).click();
  await expect(w.getByText('Check the box to confirm.').first()).toBeVisible();
  await w.getByTestId('run-understood').check();
  await w.getByRole('button', { name: 'Start test failover' }).click();
  await expect(w).toBeHidden();

  // The run waits at the manual action with group 1 done and group 2 not started.
  const run = page.getByTestId('plan-run');
  await expect(run).toHaveAttribute('data-status', 'paused', { timeout: 120_000 });
  const waiting = run.getByTestId('plan-waiting');
  await expect(waiting).toContainText('Check that the database accepts connections');
  const steps = run.getByRole('list', { name: /^Steps of Test failover of plan shop/ });
  await expect(steps.getByRole('listitem')).toHaveCount(5);
  await expect(steps.getByRole('listitem').nth(0)).toContainText('Group 1: db01');
  await expect(steps.getByRole('listitem').nth(0)).toContainText('Succeeded');
  await expect(steps.getByRole('listitem').nth(3)).toContainText('Pending');
  await expect(row).toHaveAttribute('data-state', 'waiting');

  await waiting.getByRole('button', { name: 'Confirm' }).click();
  await expect(run).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 });
  await expect(waiting).toBeHidden();
  await expect(run.getByLabel('Items of the run')).toContainText('db01: succeeded');
  await expect(run.getByLabel('Items of the run')).toContainText('web01: succeeded');
  await expect(run.getByTestId('plan-action-output-2')).toHaveText('db01 is up at dr\n');
  await expect(row.getByText('Succeeded')).toBeVisible();

  await screenshot(page, 'recovery-plan');
  await page.screenshot({ path: path.join(screenshots, 'recovery-plan.png'), fullPage: true });

  // Delete, confirmed in a dialog: the items stay protected.
  await row.getByRole('button', { name: 'Delete shop' }).click();
  await page.getByTestId('delete-plan-dialog').getByRole('button', { name: 'Delete plan' }).click();
  await expect(page.getByRole('heading', { name: 'No recovery plans yet' })).toBeVisible();
  expect(
    ok(cli(lifeboat.home, ['item', 'list', '--json']))
      .json<{ name: string }[]>()
      .map((i) => i.name),
  ).toEqual(['db01', 'web01']);
});
