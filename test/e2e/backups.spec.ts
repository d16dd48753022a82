/**
 * Storage accounts and backups the way a user clicks: add a local account through the wizard (after a mistake the
 * wizard sends back to the credentials step), test it, take a backup of a folder, follow the job, read its details,
 * restore it through the restore wizard and compare every byte; then the refusals: a non-empty destination, and
 * removing an account that holds backups; a restore into a device share, refused until its checkbox is checked.
 */
import type { Locator, Page } from '@playwright/test';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { treeHashes } from './devices-helpers';
import { cli } from '../helpers/home';
import { ensureService, expect, openPage, screenshot, test, type Lifeboat } from './fixtures';

const ACCOUNT = 'local1';
let scratch = '';
/** The folder the first backup test backs up ("e2e first"), which later tests restore from. */
let financeSource = '';

/** A folder next to the test's Lifeboat home, removed after the file's tests. */
function tempDir(lifeboat: Lifeboat, prefix: string): string {
  if (!scratch) scratch = fs.mkdtempSync(path.join(path.dirname(lifeboat.home), 'lifeboat-e2e-data-'));
  return fs.mkdtempSync(path.join(scratch, `${prefix}-`));
}

test.afterAll(() => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

const wizard = (page: Page, id: string) => page.getByTestId(`${id}-wizard`);

async function expectStep(w: Locator, step: string, heading: string): Promise<void> {
  await expect(w).toHaveAttribute('data-step', step);
  await expect(w.getByRole('heading', { name: heading })).toBeVisible();
}

async function waitForJob(page: Page, title: string | RegExp): Promise<Locator> {
  await openPage(page, 'Jobs');
  const row = page.locator('tr[data-job-id]').filter({ hasText: title }).first();
  await expect(row).toHaveAttribute('data-status', 'succeeded', { timeout: 30_000 });
  return row;
}

test('a local storage account is added through the wizard, after a mistake it shows on the credentials step', async ({
  app: page,
  lifeboat,
}) => {
  await ensureService(page);
  await openPage(page, 'Storage accounts');
  await expect(page.getByRole('heading', { name: 'No storage accounts yet' })).toBeVisible();
  await screenshot(page, 'accounts-empty');
  await page.getByRole('button', { name: 'Add storage account' }).click();

  // Keyboard only: Enter is Next on every step.
  const w = wizard(page, 'add-account');
  await expectStep(w, 'kind', 'Where should backups be kept?');
  await expect(w.getByRole('radio', { name: /Local folder/ })).toBeChecked();
  await screenshot(page, 'account-wizard-1-kind');
  await page.keyboard.press('Enter');

  await expectStep(w, 'credentials', 'Credentials');
  const notAFolder = path.join(tempDir(lifeboat, 'file'), 'plain.txt');
  fs.writeFileSync(notAFolder, 'not a folder');
  // A relative path is caught before Next.
  await page.keyboard.type('relative/path');
  await page.keyboard.press('Enter');
  await expect(w.getByText(/is relative/)).toBeVisible();
  await w.getByLabel('Folder').fill(notAFolder);
  await screenshot(page, 'account-wizard-2-credentials');
  await page.keyboard.press('Enter');

  await expectStep(w, 'container', 'Container and name');
  await page.keyboard.press('Enter');
  await expect(w.getByText('Enter a storage account name.')).toBeVisible();
  await page.keyboard.type(ACCOUNT);
  await screenshot(page, 'account-wizard-3-name');
  await page.keyboard.press('Enter');

  await expectStep(w, 'probe', 'Validate and add');
  await expect(w.getByRole('definition').filter({ hasText: notAFolder })).toBeVisible();
  await screenshot(page, 'account-wizard-4-probe');
  await w.getByRole('button', { name: 'Validate and add' }).click();

  // The engine refuses the file: back on the credentials step with its message, and what was typed is kept.
  await expectStep(w, 'credentials', 'Credentials');
  await expect(w.getByRole('alert').filter({ hasText: notAFolder })).toBeVisible();
  await expect(w.getByLabel('Folder')).toHaveValue(notAFolder);
  await expect(w.getByLabel('Folder')).toHaveAttribute('aria-invalid', 'true');
  await expect(w.getByLabel('Folder')).toBeFocused();
  await screenshot(page, 'account-wizard-5-error-on-credentials');

  const folder = path.join(tempDir(lifeboat, 'account'), 'repo');
  await w.getByLabel('Folder').fill(folder);
  await page.keyboard.press('Enter');
  await expect(w.getByLabel('Storage account name')).toHaveValue(ACCOUNT);
  await page.keyboard.press('Enter');
  await expectStep(w, 'probe', 'Validate and add');
  await page.keyboard.press('Enter');

  await expectStep(w, 'done', 'Storage account added');
  await expect(page.getByTestId('probe-result')).toContainText(/Latency\s*[\d.]+ ms/);
  await expect(page.getByTestId('probe-result')).toContainText(/Write throughput\s*[\d.]+ \w+\/s/);
  await expect(w.getByText('A new, empty repository was created in the account.')).toBeVisible();
  await screenshot(page, 'account-wizard-6-done');
  await w.getByRole('button', { name: 'Finish' }).click();
  await expect(w).toBeHidden();

  const row = page.locator(`tr[data-account="${ACCOUNT}"]`);
  await expect(row).toContainText('Local folder');
  await expect(row).toContainText(folder);
  await expect(row.getByTestId('account-backups')).toHaveText('0');
  expect(fs.existsSync(folder)).toBe(true);

  await row.getByRole('button', { name: `Test ${ACCOUNT}` }).click();
  await expect(page.getByTestId('accounts-notice')).toContainText(`Tested “${ACCOUNT}”`);
  await expect(page.getByTestId('accounts-notice')).toContainText(
    /[\d.]+ ms · write [\d.]+ \w+\/s · read [\d.]+ \w+\/s/,
  );
  await expect(row.getByTestId('account-probe')).toContainText(/ ms · write/);
  await screenshot(page, 'accounts-list');
});

test('a backup is taken, shown with its details, and restored byte for byte through the restore wizard', async ({
  app: page,
  lifeboat,
}) => {
  await ensureService(page);
  const source = (financeSource = path.join(tempDir(lifeboat, 'source'), 'finance'));
  fs.mkdirSync(path.join(source, 'reports', '2024'), { recursive: true });
  fs.writeFileSync(path.join(source, 'readme.txt'), 'Quarterly numbers.\n'.repeat(200));
  fs.writeFileSync(path.join(source, 'reports', '2024', 'q1.bin'), crypto.randomBytes(700 * 1024));
  fs.writeFileSync(path.join(source, 'reports', 'empty.dat'), '');
  fs.writeFileSync(path.join(source, 'Übersicht – ünïcode.txt'), 'ß'.repeat(5000));
  const expected = treeHashes(source);

  await openPage(page, 'Backups');
  await page.getByRole('button', { name: 'Take a backup' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Take a backup' });
  await expect(dialog.getByLabel('Storage account')).toHaveValue(ACCOUNT);
  await dialog.getByLabel('Source folder or image file').fill(source);
  await dialog.getByLabel('Label (optional)').fill('e2e first');
  await screenshot(page, 'backup-take-dialog');
  await dialog.getByRole('button', { name: 'Start backup' }).click();
  await expect(page.getByTestId('backups-notice')).toContainText(`Started “Back up finance to ${ACCOUNT}”`);
  await page.getByTestId('backups-notice').getByRole('link', { name: 'Jobs page' }).click();
  await waitForJob(page, `Back up finance to ${ACCOUNT}`);

  await openPage(page, 'Backups');
  const row = page.locator('tr[data-backup-id]').filter({ hasText: 'e2e first' });
  await expect(row).toContainText('finance');
  await expect(row).toContainText(ACCOUNT);
  const id = (await row.getAttribute('data-backup-id'))!;
  await row.getByRole('button', { name: `Show the details of backup ${id}` }).click();
  const details = page.getByTestId(`backup-details-${id}`);
  await expect(details).toContainText('Deduplication');
  await expect(details.getByTestId('compression-ratio')).toContainText('×');
  await expect(details.getByRole('table', { name: `Sources of backup ${id}` })).toContainText(source);
  await screenshot(page, 'backups-details');

  // Restore through the wizard into a folder that does not exist yet.
  const target = path.join(tempDir(lifeboat, 'restore'), 'into');
  await row.getByRole('button', { name: `Restore backup ${id}` }).click();
  const w = wizard(page, 'restore');
  await expectStep(w, 'backup', 'Choose the backup');
  await expect(w.getByLabel('Backup')).toHaveValue(id);
  await screenshot(page, 'restore-wizard-1-backup');
  await page.keyboard.press('Enter');
  await expectStep(w, 'sources', 'What to restore');
  await expect(w.getByRole('checkbox', { name: /^finance/ })).toBeChecked();
  await screenshot(page, 'restore-wizard-2-sources');
  await w.getByRole('button', { name: 'Next' }).click();
  await expectStep(w, 'destination', 'Where to restore');
  await w.getByLabel('Destination folder').fill(target);
  await screenshot(page, 'restore-wizard-3-destination');
  await page.keyboard.press('Enter');
  await expectStep(w, 'confirm', 'Confirm the restore');
  await expect(page.getByTestId('restore-summary')).toContainText(target);
  await screenshot(page, 'restore-wizard-4-confirm');
  await w.getByRole('button', { name: 'Start restore' }).click();
  await expect(w).toBeHidden();
  await expect(page.getByTestId('backups-notice')).toContainText(`Started “Restore backup ${id}`);
  await waitForJob(page, `Restore backup ${id} to ${target}`);
  expect(treeHashes(path.join(target, 'finance'))).toEqual(expected);

  // The same folder again, now not empty: the engine refuses, and the wizard shows it on the destination step.
  await openPage(page, 'Backups');
  await page
    .locator(`tr[data-backup-id="${id}"]`)
    .getByRole('button', { name: `Restore backup ${id}` })
    .click();
  await page.keyboard.press('Enter');
  await expectStep(w, 'sources', 'What to restore');
  await page.keyboard.press('Enter');
  await w.getByLabel('Destination folder').fill(target);
  await page.keyboard.press('Enter');
  await w.getByRole('button', { name: 'Start restore' }).click();
  await expectStep(w, 'destination', 'Where to restore');
  await expect(w.getByText(`The folder ${target} is not empty.`)).toBeVisible();
  await expect(page.getByTestId('restore-error')).toContainText('Choose an empty folder');
  await expect(w.getByLabel('Destination folder')).toHaveValue(target);
  await screenshot(page, 'restore-wizard-5-not-empty');
  // Overwrite warns before it is allowed.
  await w.getByRole('checkbox', { name: /Overwrite/ }).check();
  await expect(w.getByText('Files in the destination with the same names are replaced.')).toBeVisible();
  await w.getByRole('button', { name: 'Cancel' }).click();
  await expect(w).toBeHidden();
});

test('one file is found by browsing the backup in the restore wizard, and restored alone', async ({
  app: page,
  lifeboat,
}) => {
  await ensureService(page);
  await openPage(page, 'Backups');
  const row = page.locator('tr[data-backup-id]').filter({ hasText: 'e2e first' });
  const id = (await row.getAttribute('data-backup-id'))!;
  await row.getByRole('button', { name: `Restore backup ${id}` }).click();
  const w = wizard(page, 'restore');
  await page.keyboard.press('Enter');
  await expectStep(w, 'sources', 'What to restore');
  await w.getByRole('button', { name: 'Browse the backup…' }).click();
  const browser = w.getByTestId('backup-browser');
  // The top of the source: folders first, with the files and bytes under them.
  await expect(browser.locator('tr[data-entry]')).toHaveText([
    /^reports.*2/,
    /^readme\.txt/,
    /^Übersicht – ünïcode\.txt/,
  ]);
  await browser.getByRole('button', { name: 'Open reports' }).click();
  await browser.getByRole('button', { name: 'Open 2024' }).click();
  await expect(browser.getByRole('navigation', { name: 'Folder shown' })).toContainText('finance');
  await expect(browser.locator('tr[data-entry="reports/2024/q1.bin"]')).toContainText('700 KiB');
  await screenshot(page, 'restore-wizard-browse');
  await browser.getByRole('button', { name: 'Choose reports/2024/q1.bin' }).click();
  await expect(browser).toBeHidden();
  await expect(w.getByLabel('Only this path (optional)')).toHaveValue('reports/2024/q1.bin');
  await w.getByRole('button', { name: 'Next' }).click();
  const target = path.join(tempDir(lifeboat, 'restore-one'), 'into');
  await w.getByLabel('Destination folder').fill(target);
  await page.keyboard.press('Enter');
  await expectStep(w, 'confirm', 'Confirm the restore');
  await expect(page.getByTestId('restore-summary')).toContainText('reports/2024/q1.bin');
  await w.getByRole('button', { name: 'Start restore' }).click();
  await waitForJob(page, `Restore backup ${id} to ${target}`);
  const restored = treeHashes(path.join(target, 'finance'));
  expect(Object.keys(restored)).toEqual(['reports/', 'reports/2024/', 'reports/2024/q1.bin']);
  expect(restored['reports/2024/q1.bin']).toBe(treeHashes(financeSource)['reports/2024/q1.bin']);
});

test('the usage chart shows the account, and removing an account that holds backups needs a second thought', async ({
  app: page,
}) => {
  await ensureService(page);
  await openPage(page, 'Storage accounts');
  const chart = page.getByTestId('usage-chart');
  await expect(chart.getByRole('list', { name: 'Protected data per storage account' })).toContainText(`${ACCOUNT}: `);
  await expect(page.locator(`tr[data-account="${ACCOUNT}"]`).getByTestId('account-backups')).toHaveText('1');
  await screenshot(page, 'accounts-usage-chart');

  // Check runs as a job; Rebuild catalog reads the account alone and finds the same backup.
  await page.getByRole('button', { name: `Check ${ACCOUNT}` }).click();
  await page.getByRole('menuitem', { name: 'Check the structure (fast)' }).click();
  await expect(page.getByTestId('accounts-notice')).toContainText(`Started “Check storage account ${ACCOUNT}”`);
  await page.getByRole('button', { name: `More actions for ${ACCOUNT}` }).click();
  await page.getByRole('menuitem', { name: 'Rebuild catalog' }).click();
  await expect(page.getByTestId('accounts-notice')).toContainText(`Rebuilt the catalog of “${ACCOUNT}”`);
  await expect(page.getByTestId('accounts-notice')).toContainText('1 backup in the account');
  await waitForJob(page, `Check storage account ${ACCOUNT}`);
  await openPage(page, 'Storage accounts');

  await page.getByRole('button', { name: `More actions for ${ACCOUNT}` }).click();
  await page.getByRole('menuitem', { name: 'Remove…' }).click();
  const dialog = page.getByRole('alertdialog');
  await dialog.getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByTestId('remove-account-error')).toContainText(`holds 1 backup`);
  await screenshot(page, 'account-remove-refused');
  await dialog.getByRole('checkbox', { name: 'Remove even though it holds backups' }).check();
  await dialog.getByRole('button', { name: 'Remove' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('accounts-notice')).toContainText(`Removed “${ACCOUNT}”`);
  await expect(page.getByRole('heading', { name: 'No storage accounts yet' })).toBeVisible();
});

test("a restore into a device share is refused until the wizard's checkbox names the device and share", async ({
  app: page,
  lifeboat,
}) => {
  test.setTimeout(180_000); // four CLI commands and a backup before the clicks, on a shared 2-core machine
  await ensureService(page);
  const key = cli(lifeboat.home, ['service', 'registration-key', '--json']).json<{ registrationKey: string }>()
    .registrationKey;
  const root = path.join(tempDir(lifeboat, 'device'), 'root');
  // Its own backup of a folder named like the share (the earlier tests' account is removed by now).
  const source = path.join(tempDir(lifeboat, 'device-source'), 'finance');
  fs.mkdirSync(source);
  fs.writeFileSync(path.join(source, 'ledger.txt'), 'restored into the share\n');
  for (const args of [
    ['device', 'create', 'e2e-fs', '--type', 'file', '--root', root, '--capacity', '100MiB', '--registration-key', key],
    ['share', 'create', 'e2e-fs', 'finance', '--quota', '50MiB'],
    ['backup', 'create', '--source', source, '--label', 'e2e device'],
  ]) {
    const r = cli(lifeboat.home, args);
    expect(r.code, r.stderr + r.stdout).toBe(0);
  }
  const share = path.join(root, 'shares', 'finance');
  await openPage(page, 'Backups');
  const row = page.locator('tr[data-backup-id]').filter({ hasText: 'e2e device' });
  const id = (await row.getAttribute('data-backup-id'))!;
  await row.getByRole('button', { name: `Restore backup ${id}` }).click();
  const w = wizard(page, 'restore');
  await page.keyboard.press('Enter');
  await expectStep(w, 'sources', 'What to restore');
  await page.keyboard.press('Enter');
  await w.getByLabel('Destination folder').fill(path.join(root, 'shares'));
  await page.keyboard.press('Enter');
  await w.getByRole('button', { name: 'Start restore' }).click();
  // Refused: the destination step names the device and the share, with a checkbox to replace its files.
  await expectStep(w, 'destination', 'Where to restore');
  const warning = page.getByTestId('restore-device-warning');
  await expect(warning).toContainText('This folder is the share finance on e2e-fs.');
  await screenshot(page, 'restore-wizard-device-share');
  expect(fs.readdirSync(share)).toEqual([]);
  await warning.getByRole('checkbox', { name: 'Replace the files of the share finance on e2e-fs' }).check();
  await page.keyboard.press('Enter');
  await expectStep(w, 'confirm', 'Confirm the restore');
  await expect(page.getByTestId('restore-summary')).toContainText('in the share finance on e2e-fs are replaced');
  await w.getByRole('button', { name: 'Start restore' }).click();
  await waitForJob(page, `Restore backup ${id} to ${path.join(root, 'shares')}`);
  expect(treeHashes(share)).toEqual(treeHashes(source));
});
