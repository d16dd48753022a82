/**
 * Pruning a storage account from the Backups page: three backups of a folder that changes between them (taken with
 * the CLI, which talks to the running app), the Prune dialog's checks, a preview that lists what is kept and
 * removed, the confirmation, the result; then the list holds one backup, which still restores byte for byte, and the
 * account passes a check. Last, an engine refusal (an account whose folder is gone) shows the engine's message.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Backup } from '../../main/shared/schemas';
import { cli, ok } from '../helpers/home';
import { treeHashes } from './devices-helpers';
import { ensureService, expect, openPage, screenshot, test, type Lifeboat } from './fixtures';

const ACCOUNT = 'prunes';
let scratch = '';

/** A folder next to the test's Lifeboat home, removed after the file's tests. */
function tempDir(lifeboat: Lifeboat, prefix: string): string {
  if (!scratch) scratch = fs.mkdtempSync(path.join(path.dirname(lifeboat.home), 'lifeboat-e2e-prune-'));
  return fs.mkdtempSync(path.join(scratch, `${prefix}-`));
}

test.afterAll(() => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

function listBackups(lifeboat: Lifeboat): Backup[] {
  return ok(cli(lifeboat.home, ['backup', 'list', '--account', ACCOUNT, '--json'])).json<Backup[]>();
}

/** Takes a backup with the CLI (it follows the job to its end) and returns its id, found by its label. */
function backUp(lifeboat: Lifeboat, source: string, label: string): string {
  ok(cli(lifeboat.home, ['backup', 'create', '--account', ACCOUNT, '--source', source, '--label', label, '--json']));
  const made = listBackups(lifeboat).filter((b) => b.label === label);
  expect(made).toHaveLength(1);
  return made[0].id;
}

test('an account is pruned from the Backups page: preview, confirm, and the kept backup still restores', async ({
  app: page,
  lifeboat,
}) => {
  await ensureService(page);
  ok(
    cli(lifeboat.home, [
      'account',
      'add',
      ACCOUNT,
      '--local',
      path.join(tempDir(lifeboat, 'account'), 'repo'),
      '--json',
    ]),
  );

  // Three backups of one folder: an unchanged text file, a file replaced each time (its old chunks become garbage),
  // and a file added for the last one.
  const source = path.join(tempDir(lifeboat, 'source'), 'docs');
  fs.mkdirSync(source, { recursive: true });
  fs.writeFileSync(path.join(source, 'readme.txt'), 'Kept in every backup.\n'.repeat(400));
  const ids: string[] = [];
  for (const [i, label] of ['prune one', 'prune two', 'prune three'].entries()) {
    fs.writeFileSync(path.join(source, 'data.bin'), crypto.randomBytes(400 * 1024));
    if (i === 2) fs.writeFileSync(path.join(source, 'added.txt'), 'new in the third backup');
    ids.push(backUp(lifeboat, source, label));
  }
  const expected = treeHashes(source);
  expect(listBackups(lifeboat)).toHaveLength(3);

  await openPage(page, 'Backups');
  const rows = page.locator('tr[data-backup-id]');
  await expect(rows).toHaveCount(3);
  await page.getByRole('button', { name: 'Prune…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Prune backups' });
  await expect(dialog.getByLabel('Storage account')).toHaveValue(ACCOUNT);
  await expect(dialog.getByLabel('Repack packs more than this % unused')).toHaveValue('10');
  const prune = dialog.getByRole('button', { name: 'Prune…' });
  await expect(prune).toBeDisabled();

  // The form's checks: whole numbers, and at least one rule above 0 (the engine's own rule).
  const rule = (name: string) => dialog.getByLabel(new RegExp(`^${name} \\(`));
  await rule('Keep the last').fill('1.5');
  await rule('Keep daily').fill('0');
  await rule('Keep weekly').fill('0');
  await rule('Keep monthly').fill('');
  await dialog.getByRole('button', { name: 'Preview' }).click();
  await expect(dialog.getByText('Enter a whole number, 0 or more.')).toBeVisible();
  await expect(dialog.getByText('Enter a number (0 to not use this rule).')).toBeVisible();
  await rule('Keep the last').fill('0');
  await rule('Keep monthly').fill('0');
  await expect(dialog.getByRole('alert').filter({ hasText: 'Keep at least one backup' })).toBeVisible();
  await dialog.getByLabel('Repack packs more than this % unused').fill('101');
  await expect(dialog.getByText('Enter a percentage from 0 to 100')).toBeVisible();
  await dialog.getByLabel('Repack packs more than this % unused').fill('10');
  await screenshot(page, 'prune-1-checks');

  // Keep the last 2: the oldest goes.
  await rule('Keep the last').fill('2');
  await dialog.getByRole('button', { name: 'Preview' }).click();
  await expect(dialog.getByTestId('prune-preview-counts')).toHaveText('Keeps 2 backups, removes 1 backup');
  await expect(dialog.locator(`tr[data-prune-backup-id="${ids[0]}"]`)).toHaveAttribute('data-outcome', 'removed');
  await expect(prune).toBeEnabled();
  // A preview counts only for its settings.
  await rule('Keep the last').fill('1');
  await expect(dialog.getByTestId('prune-preview-stale')).toBeVisible();
  await expect(prune).toBeDisabled();

  await dialog.getByRole('button', { name: 'Preview' }).click();
  await expect(dialog.getByTestId('prune-preview-counts')).toHaveText('Keeps 1 backup, removes 2 backups');
  const plan = dialog.getByRole('table', { name: 'What the prune keeps and removes' });
  await expect(plan.locator('tr[data-outcome="kept"]')).toHaveCount(1);
  await expect(plan.locator('tr[data-outcome="removed"]')).toHaveCount(2);
  await expect(plan.locator(`tr[data-prune-backup-id="${ids[2]}"]`)).toHaveAttribute('data-outcome', 'kept');
  await expect(plan.locator(`tr[data-prune-backup-id="${ids[2]}"]`)).toContainText('prune three');
  for (const id of ids.slice(0, 2))
    await expect(plan.locator(`tr[data-prune-backup-id="${id}"]`)).toHaveAttribute('data-outcome', 'removed');
  // The preview's figures come from the engine's pack plan, the one the real prune follows (not from backup sizes).
  const previewFreed = dialog.getByTestId('prune-preview-freed');
  await expect(previewFreed).toHaveAttribute('data-bytes', /^[1-9]\d*$/);
  const previewed = Number(await previewFreed.getAttribute('data-bytes'));
  const previewedText = await previewFreed.textContent();
  const previewPacks = dialog.getByTestId('prune-preview-packs');
  const previewedDeleted = await previewPacks.getAttribute('data-packs-deleted');
  const previewedRepacked = await previewPacks.getAttribute('data-packs-repacked');
  await expect(previewPacks).toContainText(/\d+ packs? /);
  await screenshot(page, 'prune-2-preview');
  // The dry run deleted nothing.
  expect(listBackups(lifeboat)).toHaveLength(3);

  await prune.click();
  const confirm = page.getByRole('alertdialog', { name: 'Prune backups' });
  await expect(confirm.getByRole('heading', { name: `Prune “${ACCOUNT}” permanently?` })).toBeVisible();
  await expect(confirm).toContainText('2 backups are deleted permanently: they can no longer be restored.');
  await expect(confirm).toContainText(`(the preview: ${previewedText} freed)`);
  await expect(
    confirm.getByRole('table', { name: `Backups deleted from ${ACCOUNT}` }).locator('tr[data-prune-backup-id]'),
  ).toHaveCount(2);
  const go = confirm.getByRole('button', { name: 'Delete 2 backups and prune' });
  await expect(go).toBeDisabled();
  await confirm.getByRole('checkbox', { name: 'I understand that 2 backups are deleted permanently' }).check();
  await screenshot(page, 'prune-3-confirm');
  await go.click();

  const done = page.getByRole('dialog', { name: 'Prune backups' });
  await expect(done.getByRole('heading', { name: `Pruned “${ACCOUNT}”` })).toBeVisible({ timeout: 30_000 });
  await expect(done.getByTestId('prune-removed')).toHaveText('2');
  await expect(done.getByTestId('prune-kept')).toHaveText('1');
  // The replaced data.bin of the two removed backups is garbage now: whole packs go, or mostly unused ones are repacked.
  expect(Number(await done.getByTestId('prune-packs-deleted').textContent())).toBeGreaterThan(0);
  await expect(done.getByTestId('prune-freed')).not.toHaveText(/^0 B$/);
  await expect(done.getByTestId('prune-packs-repacked')).toHaveText(/^\d+/);
  // The preview foresaw it: the same packs, and the bytes freed within 1% (in practice exact: the dry run sizes the
  // new packs as the writer builds them; the documented bound is a pack header per new pack).
  await expect(done.getByTestId('prune-packs-deleted')).toHaveText(previewedDeleted!);
  await expect(done.getByTestId('prune-packs-repacked')).toHaveText(new RegExp(`^${previewedRepacked}\\b`));
  const freed = Number(await done.getByTestId('prune-freed').getAttribute('data-bytes'));
  expect(Math.abs(freed - previewed)).toBeLessThanOrEqual(previewed * 0.01);
  await screenshot(page, 'prune-4-result');
  // The list behind the dialog is already refreshed.
  await expect(rows).toHaveCount(1);
  await done.getByRole('button', { name: 'Close' }).click();
  await expect(done).toBeHidden();
  await expect(page.getByTestId('backups-notice')).toContainText(`Pruned “${ACCOUNT}”`);
  await expect(page.getByTestId('backups-notice')).toContainText('Removed 2 backups, kept 1');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute('data-backup-id', ids[2]);
  await expect(rows.first()).toContainText('prune three');
  await screenshot(page, 'prune-5-list');

  // The kept backup restores byte for byte, and the account passes a full check.
  expect(listBackups(lifeboat).map((b) => b.id)).toEqual([ids[2]]);
  const target = path.join(tempDir(lifeboat, 'restore'), 'into');
  ok(cli(lifeboat.home, ['backup', 'restore', ids[2], '--to', target, '--json']));
  expect(treeHashes(path.join(target, 'docs'))).toEqual(expected);
  ok(cli(lifeboat.home, ['account', 'check', ACCOUNT, '--read-data', '--json']));
});

test('a backup that cannot be read: the preview says no data would be freed, which backup and what to do', async ({
  app: page,
  lifeboat,
}) => {
  await ensureService(page);
  const folder = path.join(tempDir(lifeboat, 'damaged'), 'repo');
  ok(cli(lifeboat.home, ['account', 'add', 'damaged', '--local', folder, '--json']));
  const source = path.join(tempDir(lifeboat, 'damaged-source'), 'docs');
  fs.mkdirSync(source, { recursive: true });
  const ids: string[] = [];
  for (const label of ['damaged one', 'damaged two', 'damaged three']) {
    fs.writeFileSync(path.join(source, 'data.bin'), crypto.randomBytes(200 * 1024));
    ok(
      cli(lifeboat.home, ['backup', 'create', '--account', 'damaged', '--source', source, '--label', label, '--json']),
    );
    ids.push(
      ok(cli(lifeboat.home, ['backup', 'list', '--account', 'damaged', '--json']))
        .json<Backup[]>()
        .find((b) => b.label === label)!.id,
    );
  }
  // The middle backup's manifest is damaged on the account: it may use any data, so none may be freed.
  const manifest = path.join(folder, 'snapshots', ids[1]);
  const bytes = fs.readFileSync(manifest);
  bytes[bytes.length >> 1] ^= 0xff;
  fs.writeFileSync(manifest, bytes);

  await openPage(page, 'Backups');
  await page.getByRole('button', { name: 'Prune…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Prune backups' });
  await dialog.getByLabel('Storage account').selectOption('damaged');
  const rule = (name: string) => dialog.getByLabel(new RegExp(`^${name} \\(`));
  await rule('Keep the last').fill('1');
  for (const r of ['Keep daily', 'Keep weekly', 'Keep monthly']) await rule(r).fill('0');
  await dialog.getByRole('button', { name: 'Preview' }).click();
  await expect(dialog.getByTestId('prune-preview-counts')).toHaveText('Keeps 1 backup, removes 1 backup');
  await expect(dialog.getByTestId('prune-preview')).toContainText('No data would be freed');
  await expect(dialog.getByTestId('prune-preview-freed')).toHaveCount(0);
  const damaged = dialog.getByTestId('prune-damaged');
  await expect(damaged).toContainText('1 backup cannot be read');
  await expect(damaged).toContainText(`the backup ${ids[1]} could not be read`);
  // The app names its own button for the check, not the CLI command the engine's notice gives.
  await expect(damaged).toContainText('Check on the Storage accounts page');
  await expect(damaged).not.toContainText('lifeboat account check');
  await expect(damaged.locator(`li[data-damaged-backup-id="${ids[1]}"]`)).toBeVisible();
  await screenshot(page, 'prune-7-damaged-preview');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
});

test('an engine refusal is shown with its message in the Prune dialog', async ({ app: page, lifeboat }) => {
  await ensureService(page);
  // An account whose folder is gone: the engine cannot open its repository and says so.
  const folder = path.join(tempDir(lifeboat, 'gone'), 'repo');
  ok(cli(lifeboat.home, ['account', 'add', 'gone', '--local', folder, '--json']));
  fs.rmSync(folder, { recursive: true, force: true });

  await openPage(page, 'Backups');
  await page.getByRole('button', { name: 'Prune…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Prune backups' });
  await dialog.getByLabel('Storage account').selectOption('gone');
  await dialog.getByRole('button', { name: 'Preview' }).click();
  const error = dialog.getByTestId('prune-error');
  await expect(error).toBeVisible();
  await expect(error).toHaveAttribute('role', 'alert');
  await expect(error).toContainText(`The folder ${folder} does not exist.`);
  await expect(dialog.getByRole('button', { name: 'Preview' })).toBeEnabled();
  await expect(dialog.getByRole('button', { name: 'Prune…' })).toBeDisabled();
  await screenshot(page, 'prune-6-engine-error');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
});
