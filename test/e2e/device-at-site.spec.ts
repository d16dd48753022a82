/**
 * The Configure device wizard puts a device's data root at a paired agent site (a real `lifeboat agent serve` child,
 * paired through the CLI): the data-root step offers the site, prefills the folder of device roots there, refuses that
 * folder itself and anything outside it at the root field, and the device is made at the agent's root, shown with its
 * site; its share is created there from the device's page; with the agent killed, the page shows why, naming the site.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cli } from '../helpers/home';
import { startAgent, type AgentProc } from '../helpers/site-agent';
import {
  addShare,
  configureDevice,
  expectStep,
  openDevice,
  removeScratch,
  showDevice,
  tempDir,
  wizard,
} from './devices-helpers';
import { ensureService, expect, openPage, test } from './fixtures';

let agent: AgentProc | null = null;
test.afterAll(async () => {
  await agent?.stop();
  removeScratch();
});

test('the Configure device wizard puts the data root at an agent site', async ({ app: page, lifeboat }) => {
  test.setTimeout(300_000);
  await ensureService(page);
  const siteRoot = path.join(tempDir(lifeboat, 'device-site'), 'agent-root');
  agent = await startAgent(siteRoot, '127.0.0.1:0');
  const paired = cli(lifeboat.home, ['site', 'add', 'dr', '--agent', agent.url, '--pairing-key', agent.pairingKey!]);
  expect(paired.code, paired.stderr + paired.stdout).toBe(0);
  const area = path.join(siteRoot, 'devices');

  // The folder of all device roots, prefilled when the site is chosen, and a folder outside it are refused at the field.
  await openPage(page, 'Devices');
  await page.getByRole('button', { name: 'Configure device' }).first().click();
  const w = wizard(page, 'configure-device');
  await expectStep(w, 'root', 'Data root');
  await w.getByRole('radio', { name: /^The agent site dr / }).check();
  await expect(w.getByLabel('Data root folder')).toHaveValue(`${area}/`);
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(w.getByText(`${area} is the folder of all device roots at the site dr.`)).toBeVisible();
  await w.getByLabel('Data root folder').fill(path.join(siteRoot, 'elsewhere'));
  await w.getByRole('button', { name: 'Next' }).click();
  await expect(
    w.getByText(`${path.join(siteRoot, 'elsewhere')} is not under ${area}, the folder of device roots at the site dr.`),
  ).toBeVisible();
  await expect(w.getByLabel('Data root folder')).toHaveAttribute('aria-invalid', 'true');
  await page.reload(); // the wizard goes; the next one starts afresh

  const root = path.join(area, 'fs7');
  await configureDevice(page, { name: 'fs7', type: 'file', root, capacity: '1 GiB', site: 'dr' });
  expect(JSON.parse(fs.readFileSync(path.join(root, '.lifeboat-device.json'), 'utf8'))).toMatchObject({ name: 'fs7' });
  expect(showDevice(lifeboat, 'fs7').device).toMatchObject({ site: 'dr', root, status: 'online' });

  await openDevice(page, 'fs7');
  await addShare(page, 'docs', { quota: '100 MiB' });
  await expect(page.locator('tr[data-share="docs"]')).toBeVisible();
  expect(fs.statSync(path.join(root, 'shares', 'docs')).isDirectory()).toBe(true);
  await expect(page.getByText('The agent site dr (the data root is on its host)')).toBeVisible();

  // The agent stops: the device's page still shows, with the reason naming the site and what to do.
  await agent.stop('SIGKILL');
  agent = null;
  await page.reload();
  const reasons = page.getByTestId('health-reasons').first();
  await expect(reasons).toContainText('The site dr, which holds the data root of the device fs7, cannot be reached', {
    timeout: 60_000,
  });
  await expect(reasons).toContainText('site test dr');
  await expect(page.locator('tr[data-share="docs"]')).toBeVisible();
});
