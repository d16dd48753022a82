/** Helpers of the device e2e tests: temp folders, tree hashes, the device CLI, and the Configure device wizard. */
import type { Locator, Page } from '@playwright/test';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DeviceDetail } from '../../main/shared/device-schemas';
import { cli } from '../helpers/home';
import { expect, openPage, screenshot, type Lifeboat } from './fixtures';

let scratch = '';

/** A folder next to the test's Lifeboat home, removed after the file's tests. */
export function tempDir(lifeboat: Lifeboat, prefix: string): string {
  if (!scratch) scratch = fs.mkdtempSync(path.join(path.dirname(lifeboat.home), 'lifeboat-e2e-devices-'));
  return fs.mkdtempSync(path.join(scratch, `${prefix}-`));
}

/** Removes the temp folders (each spec file calls it in its afterAll). */
export function removeScratch(): void {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  scratch = '';
}

/** Every file under `root` (relative path → sha256), directories as `dir/`. */
export function treeHashes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      const rel = path.relative(root, full);
      if (e.isDirectory()) {
        out[`${rel}/`] = 'dir';
        walk(full);
      } else out[rel] = crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex');
    }
  };
  walk(root);
  return out;
}

/** What the running app says about a device, through the CLI (which talks to it over its socket). */
export function showDevice(lifeboat: Lifeboat, name: string): DeviceDetail {
  const r = cli(lifeboat.home, ['device', 'show', name, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return r.json<DeviceDetail>();
}

export const wizard = (page: Page, id: string) => page.getByTestId(`${id}-wizard`);

export async function expectStep(w: Locator, step: string, heading: string): Promise<void> {
  await expect(w).toHaveAttribute('data-step', step);
  await expect(w.getByRole('heading', { name: heading })).toBeVisible();
}

export interface DeviceSpec {
  name: string;
  type: 'file' | 'iscsi';
  root: string;
  capacity: string;
  domain?: string;
  /** false: "Register later", so the device stays Ready to set up. */
  register?: boolean;
  /** Screenshot every step under this prefix, and try the mistakes a user makes. */
  shots?: string;
  /** The storage account the wizard offers first ('' for the embedded one, the default when the user added none). */
  account?: string;
  /** A paired agent site to put the data root at (then `root` is a path on the agent host). */
  site?: string;
}

/** Walks the Configure device wizard; with `shots`, also the refusals: a relative root, an all-digit name, a wrong key. */
export async function configureDevice(page: Page, spec: DeviceSpec): Promise<void> {
  await openPage(page, 'Devices');
  await page.getByRole('button', { name: 'Configure device' }).first().click();
  const w = wizard(page, 'configure-device');
  const shot = async (n: string) => spec.shots && (await screenshot(page, `${spec.shots}-${n}`));

  await expectStep(w, 'root', 'Data root');
  if (spec.shots) {
    await page.keyboard.type('relative/root');
    await page.keyboard.press('Enter');
    await expect(w.getByText(/is relative/)).toBeVisible();
  }
  if (spec.shots) {
    // A folder with someone else's files: the engine's check refuses it on this step.
    const taken = path.join(path.dirname(spec.root), 'not-empty');
    fs.mkdirSync(taken, { recursive: true });
    fs.writeFileSync(path.join(taken, 'someone-elses.txt'), 'data');
    await w.getByLabel('Data root folder').fill(taken);
    await page.keyboard.press('Enter');
    await expect(w.getByLabel('Data root folder')).toHaveAttribute('aria-invalid', 'true');
    await expectStep(w, 'root', 'Data root');
    await shot('1-root-not-empty');
  }
  if (spec.site) {
    await w.getByRole('radio', { name: new RegExp(`^The agent site ${spec.site} `) }).check();
    await expect(w.getByTestId('site-root-note')).toContainText(`agent host of ${spec.site}`);
  }
  await w.getByLabel('Data root folder').fill(spec.root);
  await shot('1-root');
  await page.keyboard.press('Enter');

  await expectStep(w, 'name', 'Device name');
  if (spec.shots) {
    // Checked as it is typed, before Next.
    await page.keyboard.type('12345');
    await expect(
      w.getByText('"12345" is all digits; a device name needs at least one letter or hyphen.'),
    ).toBeVisible();
    await w.getByLabel('Device name').fill('fs_1');
    await expect(w.getByText('"fs_1" contains "_"; a device name has only letters, digits and hyphens.')).toBeVisible();
    await shot('2-name-invalid');
  }
  await w.getByLabel('Device name').fill(spec.name);
  await shot('2-name');
  await page.keyboard.press('Enter');

  await expectStep(w, 'type', 'Device type');
  await w.getByRole('radio', { name: spec.type === 'file' ? /^File server/ : /^iSCSI server/ }).check();
  await shot('3-type');
  await w.getByRole('button', { name: 'Next' }).click();

  await expectStep(w, 'capacity', 'Capacity');
  await w.getByLabel('Maximum capacity').fill(spec.capacity);
  await expect(w.getByText(/^= [\d.]+ (MiB|GiB)\./)).toBeVisible();
  await shot('4-capacity');
  await page.keyboard.press('Enter');

  await expectStep(w, 'settings', 'Device settings');
  if (spec.type === 'file') {
    if (spec.shots) {
      await w.getByLabel('Domain (optional)').fill('contoso');
      await page.keyboard.press('Enter');
      await expect(
        w.getByText(
          '"contoso" is not a fully qualified domain name: it needs at least two labels (e.g. corp.contoso.com).',
        ),
      ).toBeVisible();
    }
    await w.getByLabel('Domain (optional)').fill(spec.domain ?? '');
  } else {
    await expect(w.getByLabel('Domain (optional)')).toHaveCount(0);
  }
  await expect(w.getByLabel('Time zone')).toHaveValue('UTC');
  await shot('5-settings');
  await w.getByRole('button', { name: 'Next' }).click();

  await expectStep(w, 'account', 'Storage account');
  await expect(w.getByLabel('Storage account')).toHaveValue(spec.account ?? '');
  await shot('6-account');
  await w.getByRole('button', { name: 'Next' }).click();

  await expectStep(w, 'register', 'Register with the service');
  const key = w.getByRole('textbox', { name: 'Service registration key' });
  if (spec.shots) {
    // A wrong key: the engine's refusal is shown on this step, on the key field.
    await key.fill('WRONG-KEY-0000');
    await w.getByRole('button', { name: 'Next' }).click();
    await expectStep(w, 'review', 'Review and configure');
    await w.getByRole('button', { name: 'Configure' }).click();
    // Shown at the field in words: no internal field name, and the Dashboard's button rather than a CLI command.
    await expect(w.getByText('This is not the service registration key.', { exact: true })).toBeVisible();
    await expect(w.getByText(/registrationKey/)).toHaveCount(0);
    await expectStep(w, 'register', 'Register with the service');
    await expect(key).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByTestId('configure-device-error')).toContainText('Show registration key on the Dashboard');
    await expect(page.getByTestId('configure-device-error')).not.toContainText('lifeboat');
    await shot('7-register-wrong-key');
  }
  const register = spec.register !== false;
  if (register) {
    await w.getByRole('button', { name: "Use this service's registration key" }).click();
    await expect(key).not.toHaveValue('');
  } else {
    await w.getByRole('checkbox', { name: /^Register later/ }).check();
    await expect(key).toBeDisabled();
  }
  await shot('7-register');
  await w.getByRole('button', { name: 'Next' }).click();

  // The review before anything is made: name and type are permanent.
  await expectStep(w, 'review', 'Review and configure');
  const review = page.getByTestId('configure-review');
  await expect(review).toContainText(`Name (permanent)${spec.name}`);
  await expect(review).toContainText(`Type (permanent)${spec.type === 'file' ? 'File server' : 'iSCSI server'}`);
  await expect(review).toContainText(`Storage account${spec.account || 'default (embedded)'}`);
  await shot('8-review');
  await w.getByRole('button', { name: 'Configure' }).click();

  await expectStep(w, 'done', 'Device configured');
  await expect(page.getByTestId('configured-device')).toContainText(register ? 'Online' : 'Ready to set up');
  await expect(page.getByTestId('configured-device')).toContainText(spec.root);
  await shot('9-done');
  await w.getByRole('button', { name: 'Finish' }).click();
  await expect(w).toBeHidden();
  const row = page.locator(`tr[data-device="${spec.name}"]`);
  await expect(row).toHaveAttribute('data-status', register ? 'online' : 'ready-to-set-up');
  await expect(row).toContainText(spec.type === 'file' ? 'File server' : 'iSCSI server');
}

export async function openDevice(page: Page, name: string): Promise<void> {
  await openPage(page, 'Devices');
  await page.locator(`tr[data-device="${name}"]`).getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { level: 1, name, exact: true })).toBeVisible();
}

export async function addShare(
  page: Page,
  name: string,
  opts: { pinned?: boolean; quota: string; description?: string; users?: string },
): Promise<void> {
  await page.getByRole('button', { name: 'Add share' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a share' });
  await dialog.getByLabel('Share name').fill(name);
  if (opts.description) await dialog.getByLabel('Description (optional)').fill(opts.description);
  if (opts.pinned) await dialog.getByRole('radio', { name: /^Locally pinned/ }).check();
  await dialog.getByLabel('Quota (optional)').fill(opts.quota);
  if (opts.users) await dialog.getByLabel('Users and groups with full permission (optional)').fill(opts.users);
  await screenshot(page, `device-share-create-${name}`);
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.locator(`tr[data-share="${name}"]`)).toContainText(opts.pinned ? 'Locally pinned' : 'Tiered');
}
