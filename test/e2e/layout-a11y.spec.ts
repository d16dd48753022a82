/**
 * The console reads well from 1024×700 up, in light and dark, and is accessible: a clean launch logs no console error;
 * with realistic content (devices, shares, a volume, backups, jobs with long titles, a failover, an alert) every page
 * is screenshot at 1024×700 and 1440×900 in both themes (test-results/layout), with no page scrolling sideways, no
 * table cell's text running over another, and no serious or critical axe-core violation; a toast never covers the
 * buttons of the dialog that is open.
 */
import type { Locator, Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { cli, ok } from '../helpers/home';
import { expectStep, openDevice, removeScratch, showDevice, tempDir, wizard } from './devices-helpers';
import { ensureService, expect, openPage, test, type Lifeboat } from './fixtures';
import { SIZES, THEMES, axeViolations, layoutProblems, layoutShot, overlaps } from './layout-helpers';

test.describe.configure({ mode: 'serial' });
test.afterAll(() => removeScratch());

const PAGES = [
  'Dashboard',
  'Devices',
  'Storage accounts',
  'Backups',
  'Protected items',
  'Recovery plans',
  'Jobs',
  'Alerts',
  'Console',
  'Settings',
];
const SOURCE = 'fs-finance-hq';
const TARGET = 'fs-finance-dr';
const LONG_SHARE = 'finance-reports-quarterly-archive';

/** Everything a page can show, made the way an administrator would with the CLI (the running app takes it). */
function seed(lifeboat: Lifeboat): void {
  const run = (...args: string[]) => ok(cli(lifeboat.home, [...args, '--json']));
  const roots = tempDir(lifeboat, 'roots');
  run('account', 'add', 'lab', '--local', path.join(tempDir(lifeboat, 'account'), 'repo'));
  const key = run('service', 'registration-key').json<{ registrationKey: string }>().registrationKey;
  const device = (name: string, type: string, capacity: string, ...more: string[]) =>
    run(
      'device',
      'create',
      name,
      '--type',
      type,
      '--root',
      path.join(roots, name),
      '--capacity',
      capacity,
      '--account',
      'lab',
      ...more,
    );
  device(
    SOURCE,
    'file',
    '2GiB',
    '--registration-key',
    key,
    '--domain',
    'corp.contoso.com',
    '--time-zone',
    'Europe/Amsterdam',
  );
  device(TARGET, 'file', '2GiB', '--registration-key', key, '--domain', 'corp.contoso.com');
  device('iscsi-sql01', 'iscsi', '1GiB', '--registration-key', key);
  device('fs-branch-new', 'file', '1GiB');
  const description = 'Quarterly statements, audits and tax filings since 2019';
  const users = ['--user', 'CORP\\finance-admins', '--user', 'CORP\\auditors-external'];
  run('share', 'create', SOURCE, LONG_SHARE, '--quota', '300MiB', '--description', description, ...users);
  run('share', 'create', SOURCE, 'docs', '--quota', '200MiB', '--user', 'CORP\\alice');
  run('share', 'create', SOURCE, 'scans', '--quota', '100MiB', '--pinned');
  const iqn = 'iqn.1991-05.com.microsoft:sql01.corp.contoso.com';
  run(
    'volume',
    'create',
    'iscsi-sql01',
    'sql-data',
    '--size',
    '200MiB',
    '--acr',
    iqn,
    '--chap-user',
    'sql01',
    '--chap-secret',
    'a1b2c3d4e5f6g7',
  );
  const shares = showDevice(lifeboat, SOURCE).shares;
  for (const share of shares) {
    fs.mkdirSync(path.join(share.path, 'reports', '2026'), { recursive: true });
    fs.writeFileSync(
      path.join(share.path, 'reports', '2026', 'q4-statement.txt'),
      `The ${share.name} share.\n`.repeat(2000),
    );
  }
  run('device', 'backup', SOURCE);
  run('device', 'backup', 'iscsi-sql01');
  // An account backup of several folders, restored to a long path: the Jobs page's longest titles.
  run(
    'backup',
    'create',
    '--account',
    'lab',
    ...shares.flatMap((s) => ['--source', s.path]),
    '--label',
    'before-the-quarterly-close',
  );
  const backups = run('backup', 'list', '--account', 'lab').json<Array<{ id: string; label: string | null }>>();
  const backup = backups.find((b) => b.label === 'before-the-quarterly-close')!;
  const restoreTo = path.join(tempDir(lifeboat, 'restores'), 'restored-finance-data-for-the-auditors-2026-q4');
  run('backup', 'restore', backup.id, '--to', restoreTo);
  // A restore of a path the backup does not hold fails: a failed job and a critical alert.
  expect(
    cli(lifeboat.home, [
      'backup',
      'restore',
      backup.id,
      '--to',
      `${restoreTo}-again`,
      '--path',
      'no-such-folder/2019',
      '--json',
    ]).code,
  ).not.toBe(0);
  run('selftest', '--size-mib', '8');
}

async function setViewport(page: Page, size: (typeof SIZES)[number], theme: (typeof THEMES)[number]): Promise<void> {
  await page.setViewportSize(size);
  await page.emulateMedia({ colorScheme: theme });
}

/** Screenshot, layout check and axe scan of what the window shows now; returns the problems found. */
async function check(page: Page, name: string): Promise<string[]> {
  // The pointer rests on the header, so no hover tooltip sits over the page in the screenshot.
  await page.mouse.move(page.viewportSize()!.width / 2, 10);
  await layoutShot(page, name);
  return [
    ...(await layoutProblems(page)).map((p) => `${name}: ${p}`),
    ...(await axeViolations(page)).map((v) => `${name}: ${v}`),
  ];
}

test('a clean launch logs no console error, and the welcome wizard reads well and is accessible', async ({
  page,
  lifeboat,
}) => {
  // Four axe scans: each takes 10 s or more on a loaded two-core machine.
  test.setTimeout(180_000);
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') errors.push(`console.${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  await page.goto(lifeboat.url);
  await expect(page.getByRole('heading', { name: 'Welcome to Lifeboat' })).toBeVisible();
  expect(errors, 'browser console errors and warnings of a clean launch').toEqual([]);
  const problems: string[] = [];
  for (const size of SIZES) {
    for (const theme of THEMES) {
      await setViewport(page, size, theme);
      problems.push(...(await check(page, `welcome-${size.width}-${theme}`)));
    }
  }
  expect(problems).toEqual([]);
  expect(errors).toEqual([]);
});

/** No toast on screen covers a button of the dialog. */
async function expectNoToastOver(page: Page, dialog: Locator, name: string): Promise<void> {
  await layoutShot(page, name);
  for (const toast of await page.locator('.fui-Toast').all()) {
    for (const button of await dialog.getByRole('button').all()) {
      expect(
        await overlaps(toast, button),
        `the toast "${await toast.textContent()}" covers the button ${await button.textContent()}`,
      ).toBe(false);
    }
  }
}

test('at 1024×700 a toast never covers the buttons of the deactivate or failover dialog: it shows once the dialog closes', async ({
  app: page,
  lifeboat,
}) => {
  test.setTimeout(300_000);
  await ensureService(page, 'Contoso Finance DR');
  seed(lifeboat);
  await setViewport(page, SIZES[0], 'light');

  await openDevice(page, SOURCE);
  await page.getByRole('button', { name: 'Deactivate' }).click();
  const deactivate = page.getByTestId('deactivate-dialog');
  await deactivate.getByLabel('Type the device name to confirm').fill(SOURCE);
  await deactivate.getByRole('button', { name: 'Deactivate' }).click();
  // The store announces the settled job (the toast) before the dialog renders its status.
  await expect(page.getByTestId('deactivate-progress')).toHaveAttribute('data-status', 'succeeded', {
    timeout: 90_000,
  });
  await expectNoToastOver(page, deactivate, 'toast-deactivate-dialog-1024');
  await deactivate.getByRole('button', { name: 'Close' }).click();
  await expect(page.locator('.fui-Toast').filter({ hasText: `Deactivate device ${SOURCE} succeeded` })).toBeVisible();

  await openPage(page, 'Devices');
  await page.locator(`tr[data-device="${SOURCE}"]`).getByRole('radio').check();
  await page.getByRole('button', { name: 'Fail over' }).click();
  const w = wizard(page, 'failover');
  await expectStep(w, 'source', 'Source device');
  await w.getByRole('button', { name: 'Next' }).click();
  await expectStep(w, 'target', 'Target device');
  await w.getByRole('radio', { name: new RegExp(`^${TARGET}`) }).check();
  await w.getByRole('button', { name: 'Next' }).click();
  await expectStep(w, 'summary', 'Summary');
  await w
    .getByRole('checkbox', { name: 'I understand that this operation will fail over data to the target device' })
    .check();
  await w.getByRole('button', { name: 'Fail over' }).click();
  await expect(page.getByTestId('failover-progress')).toHaveAttribute('data-status', 'succeeded', { timeout: 180_000 });
  const close = w.getByRole('button', { name: 'Close' });
  await expect(close).toBeVisible();
  await expectNoToastOver(page, w, 'toast-failover-dialog-1024');
  await close.click();
  await expect(w).toBeHidden();
  await expect(
    page.locator('.fui-Toast').filter({ hasText: `Fail over ${SOURCE} to ${TARGET} succeeded` }),
  ).toBeVisible();
  await layoutShot(page, 'toast-after-failover-dialog-1024');
});

for (const size of SIZES) {
  for (const theme of THEMES) {
    const tag = `${size.width}-${theme}`;
    const title = `every page reads at ${size.width}×${size.height} in ${theme}: no overlap, no sideways scrolling, no serious axe violation`;
    test(title, async ({ app: page }) => {
      // Fourteen axe scans: 10 to 25 s each on a loaded two-core machine.
      test.setTimeout(900_000);
      await setViewport(page, size, theme);
      const problems: string[] = [];
      for (const label of PAGES) {
        await openPage(page, label);
        if (label === 'Console') await expect(page.locator('.xterm-rows')).toContainText('lifeboat>');
        if (label === 'Jobs')
          await expect(
            page.locator('tr[data-job-id]').filter({ hasText: 'restored-finance-data-for-the-auditors' }).first(),
          ).toBeVisible();
        if (label === 'Devices')
          await expect(page.locator(`tr[data-device="${TARGET}"]`)).toContainText(`replaces ${SOURCE}`);
        if (label === 'Backups')
          await expect(page.locator('tr').filter({ hasText: 'before-the-quarterly-close' }).first()).toBeVisible();
        problems.push(...(await check(page, `${label.toLowerCase().replace(/ /g, '-')}-${tag}`)));
      }
      // A failover job opened to its steps, its restore jobs under it.
      await openPage(page, 'Jobs');
      const failover = page.locator('tr[data-job-id]').filter({ hasText: `Fail over ${SOURCE} to ${TARGET}` });
      await failover.getByRole('button', { name: /^Show the steps/ }).click();
      await expect(page.getByRole('list', { name: `Steps of Fail over ${SOURCE} to ${TARGET}` })).toBeVisible();
      problems.push(...(await check(page, `jobs-expanded-${tag}`)));
      await failover.getByRole('button', { name: /^Hide the steps/ }).click();
      // Device dashboards, scrolled to their tables: the failed-over file server's shares, the iSCSI server's volume.
      await openDevice(page, TARGET);
      await page.locator(`tr[data-share="${LONG_SHARE}"]`).scrollIntoViewIfNeeded();
      problems.push(...(await check(page, `device-file-${tag}`)));
      await openDevice(page, 'iscsi-sql01');
      await page.locator('tr[data-volume="sql-data"]').scrollIntoViewIfNeeded();
      problems.push(...(await check(page, `device-iscsi-${tag}`)));
      expect(problems).toEqual([]);
    });
  }
}

test('share and volume row buttons are named by their visible words first, for voice control', async ({
  app: page,
}) => {
  await setViewport(page, SIZES[1], 'light');
  await openDevice(page, TARGET);
  const row = page.locator('tr[data-share="docs"]');
  await expect(row.getByRole('button', { name: 'Take offline: docs', exact: true })).toBeVisible();
  await expect(row.getByRole('button', { name: 'Edit: docs', exact: true })).toBeVisible();
  await expect(row.getByRole('button', { name: 'Delete: docs', exact: true })).toBeVisible();
  await openDevice(page, 'iscsi-sql01');
  await expect(
    page.locator('tr[data-volume="sql-data"]').getByRole('button', { name: 'Edit access: sql-data', exact: true }),
  ).toBeVisible();
});
