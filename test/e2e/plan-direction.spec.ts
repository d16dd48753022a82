/**
 * "Change direction" of a recovery plan whose items are split between their sites, the way a user clicks: two
 * protected items, one of them failed over, committed and reprotected earlier through the CLI (it runs at dr,
 * protected in reverse); the plan holds both. The Run wizard says the plan is split, asks for the direction before
 * going on, says what each direction does to each item, and the planned failover to the recovery site fails over the
 * item still at primary and skips the other (shown on the run, with why).
 */
import path from 'node:path';
import { cli, ok } from '../helpers/home';
import { age, makeDisk, MiB } from '../helpers/replication-lab';
import { removeScratch, tempDir, wizard } from './devices-helpers';
import { ensureService, expect, openPage, screenshot, test } from './fixtures';

test.afterAll(removeScratch);

interface Shown {
  phase: string;
  activeSite: string;
}

test('a split plan asks for its direction; to the recovery site fails over the item at primary and skips the other', async ({
  app: page,
  lifeboat,
}) => {
  test.setTimeout(420_000);
  await ensureService(page);
  const base = tempDir(lifeboat, 'plan-direction');
  const run = (args: string[]) => ok(cli(lifeboat.home, [...args, '--json']));
  run(['site', 'add', 'dr', '--root', path.join(base, 'dr-site')]);
  run(['policy', 'create', 'fast', '--frequency', '15m']);
  for (const name of ['app01', 'db01']) {
    const disk = makeDisk(path.join(base, `${name}.img`), 4 * MiB, [0, 5]);
    age(disk);
    run(['item', 'protect', name, '--disk', disk, '--recovery-site', 'dr', '--policy', 'fast']);
  }
  // db01 failed over earlier and was reprotected: it runs at dr now, replicating back to primary.
  run(['item', 'failover', 'db01', '--type', 'planned', '--point', 'latest', '--yes']);
  run(['item', 'commit', 'db01', '--yes']);
  run(['item', 'reprotect', 'db01', '--yes']);
  const show = (name: string) => run(['item', 'show', name]).json<Shown>();
  expect(show('db01')).toMatchObject({ phase: 'protected', activeSite: 'dr' });
  run([
    'plan',
    'create',
    'shop',
    '--step',
    'group: db01',
    '--step',
    'script: echo "up at $LIFEBOAT_SITE"',
    '--step',
    'group: app01',
  ]);

  await openPage(page, 'Recovery plans');
  const row = page.locator('tr[data-plan="shop"]');
  await row.getByRole('button', { name: 'Run shop' }).click();
  const w = wizard(page, 'run-plan');
  await expect(w).toHaveAttribute('data-step', 'choose');
  await w.getByRole('radio', { name: 'Planned failover', exact: true }).check();
  const split = w.getByTestId('run-split');
  await expect(split).toContainText('Some items already failed over');
  await expect(split).toContainText('app01 runs at primary; db01 runs at dr.');
  const toRecovery = w.getByTestId('run-direction-to-recovery');
  const toPrimary = w.getByTestId('run-direction-to-primary');
  await expect(toRecovery).toContainText('Fail over to the recovery site (primary → dr)');
  await expect(toRecovery).toContainText('Fails over app01; db01 is skipped: already at dr.');
  await expect(toPrimary).toContainText('Fail back to the primary site (dr → primary)');
  await expect(toPrimary).toContainText(
    'Fails back db01 (each must be protected in reverse: committed and reprotected);',
  );
  await expect(toPrimary).toContainText('app01 is skipped: already at primary.');
  // The direction must be chosen before going on.
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w.getByText('Choose the direction: some items of the plan already failed over.')).toBeVisible();
  await expect(w).toHaveAttribute('data-step', 'choose');
  await screenshot(page, 'plan-run-direction');
  await w.getByRole('radio', { name: /Fail over to the recovery site/ }).check();
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w).toHaveAttribute('data-step', 'confirm');
  await expect(w.getByTestId('run-summary')).toContainText(
    'Fail over to the recovery site (primary → dr). Fails over app01; db01 is skipped',
  );
  await w.getByTestId('run-understood').check();
  await w.getByRole('button', { name: 'Start planned failover' }).click();
  await expect(w).toBeHidden({ timeout: 60_000 });

  const planRun = page.getByTestId('plan-run');
  await expect(planRun).toHaveAttribute('data-status', 'succeeded', { timeout: 240_000 });
  await expect(planRun).toContainText('Planned failover of plan shop');
  const items = planRun.getByLabel('Items of the run');
  await expect(items).toContainText('app01: succeeded');
  await expect(items).toContainText('db01: skipped');
  await expect(planRun.getByTestId('plan-run-skipped')).toHaveText(
    'Skipped: db01 runs at its recovery site dr already.',
  );
  // The script action ran at the recovery site, where the run brought app01.
  await expect(planRun.getByTestId('plan-action-output-1')).toHaveText('up at dr\n');
  expect(show('app01')).toMatchObject({ phase: 'failed-over', activeSite: 'dr' });
  expect(show('db01'), 'the skipped item is left as it was').toMatchObject({ phase: 'protected', activeSite: 'dr' });
});
