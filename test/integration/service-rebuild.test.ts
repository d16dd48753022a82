/**
 * The whole service from its account (seed 000's BCDR): the machine running Lifeboat is lost. A fresh install joins
 * the service with the SDEK, adds the same storage account and rebuilds its catalog: the devices come back, with
 * their shares (quota, users), volumes (ACR, CHAP secret), policy and lineage, Deactivated, and each fails over to a
 * target created on the new install, byte for byte and with the same settings.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../main/engine/engine';
import { buildMain, cli, ok, tempHome } from '../helpers/home';
import { describeTree } from '../helpers/tree';
import {
  backup,
  deactivate,
  describeImage,
  fileServer,
  iscsiServer,
  MiB,
  random,
  settle,
  value,
} from './failover-setup';

const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
});

function open(dataDir: string): Engine {
  const e = Engine.open({ dataDir, mode: 'cli', runJobs: true });
  engines.push(e);
  return e;
}

beforeAll(() => buildMain(), 300_000);

describe('a fresh install rebuilt from the storage account', () => {
  it('gets the lost devices back with their settings and fails them over byte for byte', async () => {
    // ---- the installation that will be lost ----
    const lostHome = tempHome();
    const folder = path.join(tempHome('lifeboat-account-'), 'lab');
    const lost = open(lostHome);
    const created = value(await lost.call('service.init', { name: 'Lab DR' }));
    value(await lost.call('accounts.add', { name: 'lab', local: folder }));
    const fs1 = await fileServer(lost, created.registrationKey, 'fs1', { account: 'lab' });
    const users = ['CORP\\finance-admins', 'CORP\\alice'];
    value(
      await lost.call('shares.create', {
        device: 'fs1',
        name: 'finance',
        quota: '200MiB',
        user: users,
        pinned: true,
        description: 'Books',
      }),
    );
    value(await lost.call('shares.create', { device: 'fs1', name: 'docs', quota: '50MiB', pinned: false }));
    const finance = path.join(fs1.root, 'shares', 'finance');
    fs.mkdirSync(path.join(finance, '2026'));
    fs.writeFileSync(path.join(finance, '2026', 'ledger.bin'), random(2 * MiB + 77));
    fs.writeFileSync(path.join(fs1.root, 'shares', 'docs', 'readme.txt'), 'restored from the account alone\n');
    value(
      await lost.call('devices.policy', { name: 'fs1', frequency: 'weekly', time: '21:30', weekday: 2, retention: 9 }),
    );
    const is1 = await iscsiServer(lost, created.registrationKey, 'is1', { account: 'lab' });
    const acr = [{ name: 'sql01', iqn: 'iqn.1991-05.com.microsoft:sql01.corp.contoso.com' }];
    const chap = { chapUser: 'sql01', chapSecret: 'Kept-Secret-12' };
    value(
      await lost.call('volumes.create', {
        device: 'is1',
        name: 'sql',
        size: '16MiB',
        pinned: false,
        type: 'general',
        acr: [acr[0].iqn],
        ...chap,
      }),
    );
    const image = path.join(is1.root, 'volumes', 'sql');
    const fd = fs.openSync(image, 'r+');
    for (const offset of [0, 9 * MiB]) fs.writeSync(fd, random(256 * 1024), 0, 256 * 1024, offset);
    fs.closeSync(fd);
    await backup(lost, 'fs1');
    await backup(lost, 'is1');
    const before = {
      finance: describeTree(finance),
      docs: describeTree(path.join(fs1.root, 'shares', 'docs')),
      image: describeImage(image),
      fs1: value(await lost.call('devices.show', { name: 'fs1' })),
      is1: value(await lost.call('devices.show', { name: 'is1' })),
    };
    await lost.close();
    engines.splice(engines.indexOf(lost), 1);
    // The machine is lost: its data directory with it. The devices' roots are gone too (a failover restores from
    // the account alone).
    fs.rmSync(lostHome, { recursive: true, force: true });
    fs.rmSync(path.dirname(fs1.root), { recursive: true, force: true });
    fs.rmSync(path.dirname(is1.root), { recursive: true, force: true });

    // ---- a fresh install: join with the SDEK, add the account, rebuild ----
    const home = tempHome();
    const sdekFile = path.join(tempHome('lifeboat-sdek-'), 'sdek.txt');
    fs.writeFileSync(sdekFile, created.sdek);
    ok(cli(home, ['service', 'join', '--sdek-file', sdekFile]));
    // Adding an account that holds backups rebuilds its catalog, devices included, and says what to do next.
    const added = ok(cli(home, ['account', 'add', 'lab', '--local', folder, '--json'])).json<{
      backupsFound: number;
      devicesFound: string[];
    }>();
    expect(added).toMatchObject({ backupsFound: 2, devicesFound: ['fs1', 'is1'] });
    const rebuilt = ok(cli(home, ['account', 'rebuild-catalog', 'lab']));
    expect(rebuilt.stdout).toContain('fs1, is1 are Deactivated here');
    expect(rebuilt.stdout).toContain('failover targets fs1');
    type Rebuilt = { backups: number; devices: Array<{ name: string; outcome: string; status: string }> };
    const again = ok(cli(home, ['account', 'rebuild-catalog', 'lab', '--json'])).json<Rebuilt>();
    expect(again.backups).toBe(2);
    expect(again.devices.map((d) => [d.name, d.status, d.outcome])).toEqual([
      ['fs1', 'deactivated', 'already here'],
      ['is1', 'deactivated', 'already here'],
    ]);

    const e = open(home);
    const shown = {
      fs1: value(await e.call('devices.show', { name: 'fs1' })),
      is1: value(await e.call('devices.show', { name: 'is1' })),
    };
    const { domain, capacity } = before.fs1.device;
    expect(shown.fs1.device).toMatchObject({ status: 'deactivated', type: 'file', account: 'lab', domain, capacity });
    expect(shown.fs1.device.policy).toMatchObject({ frequency: 'weekly', time: '21:30', weekday: 2, retention: 9 });
    const shareSettings = (d: typeof before.fs1) =>
      d.shares.map((s) => ({ name: s.name, tier: s.tier, quota: s.quota, users: s.users, description: s.description }));
    expect(shareSettings(shown.fs1)).toEqual(shareSettings(before.fs1));
    const volumeSettings = (d: typeof before.is1) =>
      d.volumes.map((v) => ({ name: v.name, size: v.size, tier: v.tier, acrs: v.acrs, chapUser: v.chapUser }));
    expect(volumeSettings(shown.is1)).toEqual(volumeSettings(before.is1));
    const sqlId = e.devices.store.volume(e.devices.store.require('is1').id, 'sql')!.id;
    expect(e.devices.store.chapSecret(sqlId)).toBe('Kept-Secret-12');
    expect(shown.fs1.backups.map((b) => b.kind)).toEqual(['manual']);

    // ---- fail each over to a target registered on this install ----
    const { registrationKey } = value(await e.call('service.registrationKey', {}));
    const fs2 = await fileServer(e, registrationKey, 'fs2', { account: 'lab' });
    const is2 = await iscsiServer(e, registrationKey, 'is2', { account: 'lab' });
    for (const [source, target] of [
      ['fs1', 'fs2'],
      ['is1', 'is2'],
    ]) {
      const plan = value(await e.call('failover.plan', { source, target }));
      expect(plan).toMatchObject({ planned: false }); // no final backup: what changed after the last one is lost
      await settle(e, value(await e.call('failover.start', { source, target })));
    }
    expect(describeTree(path.join(fs2.root, 'shares', 'finance'))).toEqual(before.finance);
    expect(describeTree(path.join(fs2.root, 'shares', 'docs'))).toEqual(before.docs);
    expect(describeImage(path.join(is2.root, 'volumes', 'sql'))).toEqual(before.image);
    const after = {
      fs2: value(await e.call('devices.show', { name: 'fs2' })),
      is2: value(await e.call('devices.show', { name: 'is2' })),
    };
    expect(shareSettings(after.fs2)).toEqual(shareSettings(before.fs1));
    expect(volumeSettings(after.is2)).toEqual(volumeSettings(before.is1));
    expect(e.devices.store.chapSecret(e.devices.store.volume(is2.id, 'sql')!.id)).toBe('Kept-Secret-12');
    expect(after.fs2.device).toMatchObject({ status: 'online', replaces: 'fs1' });
    expect(after.fs2.device.policy).toMatchObject({ frequency: 'weekly', time: '21:30', weekday: 2, retention: 9 });
  });

  it('brings back the failover lineage, and forgets a removed device', async () => {
    const lostHome = tempHome();
    const folder = path.join(tempHome('lifeboat-account-'), 'lab');
    const lost = open(lostHome);
    const created = value(await lost.call('service.init', { name: 'Lab DR' }));
    value(await lost.call('accounts.add', { name: 'lab', local: folder }));
    const fs1 = await fileServer(lost, created.registrationKey, 'fs1', { account: 'lab' });
    value(await lost.call('shares.create', { device: 'fs1', name: 'docs', quota: '50MiB', pinned: false }));
    fs.writeFileSync(path.join(fs1.root, 'shares', 'docs', 'a.txt'), 'first owner\n');
    await backup(lost, 'fs1');
    await deactivate(lost, 'fs1');
    await fileServer(lost, created.registrationKey, 'fs2', { account: 'lab' });
    await settle(lost, value(await lost.call('failover.start', { source: 'fs1', target: 'fs2' })));
    await backup(lost, 'fs2');
    await fileServer(lost, created.registrationKey, 'spare', { account: 'lab' });
    await lost.deviceBackups.records.flush();
    // One record object per device (older ones are deleted as new ones are written).
    const spareRecords = () =>
      fs.readdirSync(path.join(folder, 'devices'), { recursive: true, withFileTypes: true }).filter((f) => f.isFile())
        .length;
    expect(spareRecords()).toBe(3); // fs1 (deleted), fs2 and spare
    value(await lost.call('devices.remove', { name: 'spare' }));
    await lost.deviceBackups.records.flush();
    expect(spareRecords()).toBe(2);
    await lost.close();
    engines.splice(engines.indexOf(lost), 1);
    fs.rmSync(lostHome, { recursive: true, force: true });

    const e = open(tempHome());
    value(await e.call('service.join', { sdek: created.sdek }));
    const added = value(await e.call('accounts.add', { name: 'lab', local: folder }));
    expect(added.devicesFound).toEqual(['fs2']);
    const rebuilt = value(await e.call('accounts.rebuildCatalog', { name: 'lab' }));
    expect(rebuilt.devices?.map((d) => [d.name, d.status, d.backups])).toEqual([
      ['fs1', 'deleted', 2],
      ['fs2', 'deactivated', 1],
    ]);
    const fs2 = value(await e.call('devices.show', { name: 'fs2' }));
    expect(fs2.device).toMatchObject({ status: 'deactivated', replaces: 'fs1' });
    // Its history is the lineage's: its own backup, then the final and the first backup of the device it replaced.
    expect(fs2.backups.map((b) => [b.device, b.kind])).toEqual([
      ['fs2', 'manual'],
      ['fs1', 'final'],
      ['fs1', 'manual'],
    ]);
    expect(value(await e.call('devices.list', {})).map((d) => d.name)).toEqual(['fs2']);
  });
});
