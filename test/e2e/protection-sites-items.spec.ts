/**
 * The protection views a user works in after enabling: pair a site agent from the Sites tab (a wrong pairing key and
 * an address where no agent answers are shown at their fields), test it, and see its removal refused while an item
 * uses it; on the item's page, edit its commands and resync window, replicate (the quiesce and thaw outputs show),
 * resync after a confirmation and see the item's jobs; the Replication tab's outgoing items with bytes per cycle and
 * Pause/Resume, of an item and of the site; the global resync window; and Tab completing item and site names in the
 * console.
 */
import type { Page } from '@playwright/test';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { cli } from '../helpers/home';
import { startAgent, type AgentProc } from '../helpers/site-agent';
import { removeScratch, tempDir } from './devices-helpers';
import { ensureService, expect, openPage, screenshot, test } from './fixtures';

let agent: AgentProc | null = null;
test.afterAll(async () => {
  await agent?.stop();
  removeScratch();
});

/** A loopback port where nothing listens: one the kernel gave out and that was closed again. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The same key with its first character changed to another of the alphabet: well formed, and wrong. */
const wrongKey = (key: string) => (key[0] === 'A' ? 'B' : 'A') + key.slice(1);

const lastLine = async (page: Page) => {
  const rows = (await page.locator('.xterm-rows > div').allInnerTexts()).map((r) => r.replace(/\s+$/, ''));
  while (rows.length && !rows.at(-1)) rows.pop();
  return rows.at(-1) ?? '';
};

test('a site agent paired from the UI; the item page edits, resyncs and lists jobs; the Replication tab pauses; the console completes names', async ({
  app: page,
  lifeboat,
}) => {
  test.setTimeout(420_000);
  await ensureService(page);
  const base = tempDir(lifeboat, 'protection-ui');
  agent = await startAgent(path.join(base, 'agent-root'), '127.0.0.1:0');
  expect(agent.pairingKey, 'a fresh agent prints a pairing key').toBeTruthy();

  // Sites: pair with the agent. A wrong key and an address where nothing answers are refused at their fields.
  await openPage(page, 'Protected items');
  const views = page.getByRole('tablist', { name: 'Protection views' });
  await views.getByRole('tab', { name: 'Sites' }).click();
  await page.getByRole('button', { name: 'Add site' }).click();
  const add = page.getByTestId('add-site-dialog');
  await add.getByRole('radio', { name: 'A site agent on another host' }).check();
  await add.getByLabel('Site name').fill('dr-agent');
  await add.getByLabel('Agent address').fill(agent.url);
  await add.getByLabel('Pairing key').fill('ABC');
  await add.getByRole('button', { name: 'Add site' }).click();
  await expect(add.locator('[data-field="pairingKey"]')).toContainText(
    'A pairing key has 24 letters and digits (this one has 3).',
  );
  await add.getByLabel('Pairing key').fill(wrongKey(agent.pairingKey!));
  await add.getByRole('button', { name: 'Add site' }).click();
  await expect(add.locator('[data-field="pairingKey"]')).toContainText('The pairing key is wrong.');
  await expect(add.getByTestId('add-site-hint')).toContainText('Copy the key the agent printed');
  await screenshot(page, 'sites-agent-wrong-key');
  await add.getByLabel('Pairing key').fill(agent.pairingKey!);
  await add.getByLabel('Agent address').fill(`https://127.0.0.1:${await closedPort()}`);
  await add.getByRole('button', { name: 'Add site' }).click();
  await expect(add.locator('[data-field="agent"]')).toContainText('cannot be reached');
  await expect(add.getByTestId('add-site-hint')).toContainText('lifeboat agent serve');
  await add.getByLabel('Agent address').fill(agent.url);
  await add.getByRole('button', { name: 'Add site' }).click();
  await expect(add).toBeHidden({ timeout: 60_000 });
  const siteRow = page.locator('tr[data-site="dr-agent"]');
  await expect(siteRow).toContainText('site agent');
  await expect(siteRow).toContainText(agent.url);
  await siteRow.getByRole('button', { name: 'Test' }).click();
  await expect(page.getByTestId('sites-notice')).toContainText(/“dr-agent” answered in .* ms/, { timeout: 60_000 });

  // An item replicating to the agent site (through the CLI: the Enable protection wizard has its own test).
  const disk = path.join(base, 'web02', 'disk0.img');
  fs.mkdirSync(path.dirname(disk), { recursive: true });
  fs.writeFileSync(disk, crypto.randomBytes(256 * 1024));
  fs.truncateSync(disk, 8 * 1024 * 1024);
  const policy = cli(lifeboat.home, [
    'policy',
    'create',
    'quarter',
    '--frequency',
    '15m',
    '--rpo-threshold',
    '30m',
    '--json',
  ]);
  expect(policy.code, policy.stderr).toBe(0);
  const protect = cli(lifeboat.home, [
    'item',
    'protect',
    'web02',
    '--disk',
    disk,
    '--recovery-site',
    'dr-agent',
    '--policy',
    'quarter',
    '--json',
  ]);
  expect(protect.code, protect.stderr + protect.stdout).toBe(0);

  // Removing a site an item uses is refused, with the reason.
  await page.reload();
  await siteRow.getByRole('button', { name: 'Remove' }).click();
  const remove = page.getByTestId('remove-site-dialog');
  await expect(remove).toContainText('refused while protected items use the site (web02)');
  await remove.getByRole('button', { name: 'Remove site' }).click();
  await expect(remove.getByRole('alert')).toContainText('The site dr-agent is used by web02.');
  await remove.getByRole('button', { name: 'Cancel' }).click();
  await expect(siteRow).toBeVisible();

  // The item's page: edit the commands and the item's resync window; a window the engine refuses shows at its field.
  await views.getByRole('tab', { name: 'Items' }).click();
  await page.getByRole('link', { name: 'web02' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'web02' })).toBeVisible();
  await expect(page.getByTestId('item-jobs').locator('tr[data-job-type="replication.enable"]')).toHaveAttribute(
    'data-status',
    'succeeded',
  );
  await page.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByTestId('item-edit-dialog');
  await edit.getByLabel('Quiesce command').fill('echo quiesced-web02');
  await edit.getByLabel('Thaw command').fill('echo thawed-web02');
  await edit.getByLabel('Command timeout').fill('soon');
  await edit.getByLabel('Resync window').fill('25:00-06:00');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(edit.locator('[data-field="commandTimeout"]')).toContainText('Give a number with a unit');
  await edit.getByLabel('Command timeout').fill('30s');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(edit.locator('[data-field="resyncWindow"]')).toContainText('is not a time window');
  await edit.getByLabel('Resync window').fill('19:00-05:00');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(edit).toBeHidden();
  await expect(page.getByTestId('item-notice')).toContainText('Saved the settings of “web02”');
  const shown = cli(lifeboat.home, ['item', 'show', 'web02', '--json']);
  expect(shown.code, shown.stderr).toBe(0);
  const detail = shown.json<{
    commands: Record<string, string>;
    commandTimeoutSeconds: number;
    resync: { window: string; windowIsItemOwn: boolean };
  }>();
  expect(detail.commands).toEqual({ quiesce: 'echo quiesced-web02', thaw: 'echo thawed-web02' });
  expect(detail.commandTimeoutSeconds).toBe(30);
  expect(detail.resync).toMatchObject({ window: '19:00-05:00', windowIsItemOwn: true });

  // Replicate now: the cycle is app-consistent, and the commands' last outputs show.
  await page.getByRole('button', { name: 'Replicate now' }).click();
  const quiesce = page.locator('[data-command="quiesce"]');
  await expect(quiesce).toContainText('exit code 0', { timeout: 90_000 });
  await quiesce.getByRole('button').first().click();
  await expect(quiesce).toContainText('quiesced-web02');
  await expect(page.locator('[data-command="thaw"]')).toContainText('exit code 0');

  // Resync, after a confirmation: a resync job runs and is listed with the item's jobs.
  await page.getByRole('button', { name: 'Resync' }).click();
  const resync = page.getByTestId('resync-dialog');
  await expect(resync).toContainText('sends only the blocks that differ');
  await resync.getByRole('button', { name: 'Resync now' }).click();
  await expect(resync).toBeHidden();
  await expect(page.getByTestId('item-notice')).toContainText('Started');
  const resyncJob = page.getByTestId('item-jobs').locator('tr[data-job-type="replication.resync"]').first();
  await expect(resyncJob).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 });
  await page.getByTestId('item-jobs').scrollIntoViewIfNeeded();
  await screenshot(page, 'protection-item-jobs');

  // The Replication tab: web02 goes out to dr-agent, with bytes per cycle; Pause and Resume from there.
  await page.getByRole('link', { name: /All protected items/ }).click();
  await views.getByRole('tab', { name: 'Replication', exact: true }).click();
  const card = page.locator('[data-replication-site="dr-agent"]');
  await expect(card).toContainText('1 outgoing · 0 incoming');
  const out = card.getByTestId('outgoing').locator('tr[data-item="web02"]');
  await expect(out.getByTestId('last-cycle-bytes')).not.toContainText('—');
  await expect(card.getByTestId('incoming')).toContainText('None.');
  await out.getByRole('button', { name: 'Pause' }).click();
  await expect(out).toHaveAttribute('data-paused', 'true');
  await expect(page.getByTestId('replication-notice')).toContainText('is paused');
  await screenshot(page, 'protection-replication');
  await out.getByRole('button', { name: 'Resume' }).click();
  await expect(out).toHaveAttribute('data-paused', 'false');
  // The whole site paused and resumed.
  await card.getByRole('button', { name: 'Pause site' }).click();
  await expect(page.getByTestId('replication-notice')).toContainText('Replication with “dr-agent” is paused');
  await expect(card.getByRole('button', { name: 'Resume site' })).toBeVisible();
  expect(cli(lifeboat.home, ['site', 'show', 'dr-agent', '--json']).json<{ paused: boolean }>().paused).toBe(true);
  await card.getByRole('button', { name: 'Resume site' }).click();
  await expect(card.getByRole('button', { name: 'Pause site' })).toBeVisible();

  // Replication policies: the global resync window.
  await views.getByRole('tab', { name: 'Replication policies' }).click();
  const windowSetting = page.getByTestId('resync-window-setting');
  await windowSetting.getByRole('textbox').fill('20:00-04:00');
  await windowSetting.getByRole('button', { name: 'Save window' }).click();
  await expect(windowSetting).toContainText('between 20:00 and 04:00');
  const settings = cli(lifeboat.home, ['item', 'settings', '--json']);
  expect(settings.json<{ resyncWindow: string }>().resyncWindow).toBe('20:00-04:00');

  // The console completes item and site names.
  await openPage(page, 'Console');
  await expect(page.locator('.xterm-rows')).toContainText('lifeboat>');
  await page.locator('.xterm').click();
  await page.keyboard.type('item show w');
  await page.keyboard.press('Tab');
  await expect.poll(() => lastLine(page)).toBe('lifeboat> item show web02');
  await page.keyboard.press('Enter');
  await expect(page.locator('.xterm-rows')).toContainText('agent-root/web02/disks/disk0.img');
  await page.keyboard.type('site test dr-');
  await page.keyboard.press('Tab');
  await expect.poll(() => lastLine(page)).toBe('lifeboat> site test dr-agent');
});
