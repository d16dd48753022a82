/**
 * Recovery plan editing by drag and drop: two protected items (set up through the CLI) dragged from the items not in
 * a group into group 1 and onto "new group", a manual action dragged by its handle between the two groups, each move
 * announced for screen readers; the plan saved, then `lifeboat plan show --json` has each item in the group it was
 * dropped in and the action between them.
 */
import path from 'node:path';
import { cli, ok } from '../helpers/home';
import { age, makeDisk, MiB } from '../helpers/replication-lab';
import { removeScratch, tempDir } from './devices-helpers';
import { ensureService, expect, openPage, test } from './fixtures';

test.afterAll(removeScratch);

test('items dragged into groups and a step dragged to a new place are saved in the plan', async ({
  app: page,
  lifeboat,
}) => {
  test.setTimeout(240_000);
  await ensureService(page);
  const base = tempDir(lifeboat, 'plans-drag');
  ok(cli(lifeboat.home, ['site', 'add', 'dr', '--root', path.join(base, 'dr-site')]));
  ok(cli(lifeboat.home, ['policy', 'create', 'drag', '--frequency', '15m']));
  for (const name of ['app02', 'db02']) {
    const disk = makeDisk(path.join(base, `${name}.img`), 4 * MiB, [0]);
    age(disk);
    ok(cli(lifeboat.home, ['item', 'protect', name, '--disk', disk, '--recovery-site', 'dr', '--policy', 'drag']));
  }

  await openPage(page, 'Recovery plans');
  await page.getByRole('button', { name: 'Create a recovery plan' }).click();
  const editor = page.getByTestId('plan-editor');
  await editor.getByLabel('Name').fill('tiers');
  // db02 from the unplaced items into group 1, app02 onto "new group" (a second group).
  await editor.getByTestId('plan-item-db02').dragTo(editor.getByTestId('plan-step-1'));
  await expect(editor.getByTestId('plan-step-1').getByRole('checkbox', { name: 'db02' })).toBeChecked();
  await expect(editor.getByTestId('plan-announce')).toHaveText('db02 moved to group 1, step 1 of 1.');
  await editor.getByTestId('plan-item-app02').dragTo(editor.getByTestId('plan-new-group'));
  await expect(editor.getByTestId('plan-step-2')).toHaveAttribute('data-kind', 'group');
  await expect(editor.getByTestId('plan-step-2').getByRole('checkbox', { name: 'app02' })).toBeChecked();
  await expect(editor.getByTestId('plan-unplaced')).toBeHidden();
  // A manual action, dragged by its handle to the top half of group 2: it now runs between the groups.
  await editor.getByRole('button', { name: 'Add manual action' }).click();
  await editor.getByTestId('plan-step-3').getByRole('textbox').fill('Check the database');
  await editor
    .getByTestId('plan-step-handle-3')
    .dragTo(editor.getByTestId('plan-step-2'), { targetPosition: { x: 20, y: 4 } });
  await expect(editor.getByTestId('plan-step-2')).toHaveAttribute('data-kind', 'manual');
  await expect(editor.getByTestId('plan-announce')).toHaveText('The manual action moved to step 2 of 3.');
  await editor.getByRole('button', { name: 'Create plan' }).click();
  await expect(editor).toBeHidden();

  const shown = ok(cli(lifeboat.home, ['plan', 'show', 'tiers', '--json'])).json<{
    steps: { kind: string; items?: string[] }[];
  }>();
  expect(shown.steps.map((s) => [s.kind, s.items ?? []])).toEqual([
    ['group', ['db02']],
    ['manual', []],
    ['group', ['app02']],
  ]);
});
