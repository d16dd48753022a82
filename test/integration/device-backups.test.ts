import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallName, CallInput } from '../../main/shared/contract';
import type { Job } from '../../main/shared/schemas';
import { Engine } from '../../main/engine/engine';
import { LifeboatError } from '../../main/shared/errors';
import { preparedFilesOf } from '../../main/engine/devices/backup-job';
import type { HeatSummary, ShareHeat } from '../../main/engine/devices/heat';
import { heatFile, readHeatFile } from '../../main/engine/devices/heat-store';
import { readOwner, transferOwner } from '../../main/engine/devices/ownership';
import { call, closeEngines, iscsiVolume, lab, track } from '../helpers/device-lab';
import { tempHome, until } from '../helpers/home';
import { describeTree } from '../helpers/tree';

afterEach(closeEngines);

const DAY = 86_400_000;

async function refused<N extends CallName>(
  engine: Engine,
  name: N,
  input: CallInput<N>,
): Promise<{ code: string; message: string }> {
  const r = await engine.call(name, input);
  expect(r.ok, `${name} should have been refused`).toBe(false);
  return (r as { ok: false; error: { code: string; message: string } }).error;
}

async function finished(engine: Engine, job: Job): Promise<Job> {
  return engine.runner.wait(job.id, 120_000);
}

async function fileServer(engine: Engine, key: string, name = 'FS1') {
  const root = path.join(tempHome('lifeboat-dev-'), 'root');
  const device = await call(engine, 'devices.create', {
    name,
    type: 'file',
    root,
    capacity: '1GiB',
    account: 'lab',
    registrationKey: key,
  });
  const docs = await call(engine, 'shares.create', { device: name, name: 'docs', quota: '100MiB' });
  const hot = await call(engine, 'shares.create', {
    device: name,
    name: 'hot',
    pinned: true,
    quota: '100MiB',
    user: ['CONTOSO\\ops'],
  });
  return { device, docs: docs.path, hot: hot.path, root };
}

function fillDocs(dir: string): void {
  fs.mkdirSync(path.join(dir, 'reports/2026'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'readme.txt'), 'lifeboat\n'.repeat(4000));
  fs.writeFileSync(path.join(dir, 'reports/2026/q1.bin'), crypto.randomBytes(300_000));
  fs.writeFileSync(path.join(dir, 'cold.dat'), crypto.randomBytes(200_000));
  fs.writeFileSync(path.join(dir, 'repeated.dat'), crypto.randomBytes(50_000));
  fs.symlinkSync('readme.txt', path.join(dir, 'link'));
}

const aged = (file: string, days: number) => {
  const t = new Date(Date.now() - days * DAY);
  fs.utimesSync(file, t, t);
};

function deviceBackupRows(engine: Engine, deviceId: string) {
  return engine.db
    .prepare('SELECT backup_id, kind, items, heat FROM device_backups WHERE device_id = ? ORDER BY created_at')
    .all(deviceId) as Array<{ backup_id: string; kind: string; items: string; heat: string }>;
}

/** What a device backup's heat step leaves for its catalog step: gone once the backup is recorded or refused. */
const preparedFiles = (engine: Engine) =>
  fs.readdirSync(path.join(engine.dataDir, 'tmp')).filter((f) => f.startsWith('device-backup-'));

/** The backup manifests in a local storage account. */
const snapshotsIn = (account: string) =>
  fs.existsSync(path.join(account, 'snapshots')) ? fs.readdirSync(path.join(account, 'snapshots')) : [];

/** Bytes the file system really allocated for a file (holes take none). */
const allocated = (file: string) => fs.statSync(file).blocks * 512;

describe('device backups', () => {
  it('backs up a file server with two shares as one backup set and restores it byte-identical; the next backup is incremental', async () => {
    const { engine, key } = await lab();
    const { device, docs, hot } = await fileServer(engine, key);
    fillDocs(docs);
    fs.writeFileSync(path.join(hot, 'db.mdf'), crypto.randomBytes(400_000));

    const job = await call(engine, 'devices.backup', { name: 'FS1' });
    expect(job.steps.map((s) => s.name)).toEqual(['heat', 'backup', 'catalog', 'retention']);
    expect(job).toMatchObject({ objectKind: 'device', objectName: 'FS1' });
    const done = await finished(engine, job);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');

    const [b1] = engine.deviceBackups.listFor(device.id);
    expect(b1).toMatchObject({ device: 'FS1', kind: 'manual' });
    const backup = await call(engine, 'backups.show', { id: b1.id });
    expect(backup.label).toBe('device:FS1');
    expect(backup.sources.map((s) => [s.name, s.kind]).sort()).toEqual([
      ['docs', 'tree'],
      ['hot', 'tree'],
    ]);
    // The configuration of every share is kept with the backup, for a failover to recreate it.
    const [row] = deviceBackupRows(engine, device.id);
    expect(JSON.parse(row.items)).toEqual([
      expect.objectContaining({
        name: 'docs',
        kind: 'share',
        tier: 'tiered',
        quota: 100 << 20,
        online: true,
        users: [],
      }),
      expect.objectContaining({ name: 'hot', kind: 'share', tier: 'locally-pinned', users: ['CONTOSO\\ops'] }),
    ]);
    expect((await call(engine, 'devices.show', { name: 'FS1' })).device.lastBackupId).toBe(b1.id);

    const out = path.join(tempHome('lifeboat-out-'), 'restore');
    const restore = await finished(engine, await call(engine, 'backups.restore', { id: b1.id, to: out }));
    expect(restore.status, JSON.stringify(restore.error)).toBe('succeeded');
    expect(describeTree(path.join(out, 'docs'))).toEqual(describeTree(docs));
    expect(describeTree(path.join(out, 'hot'))).toEqual(describeTree(hot));

    // Nothing changed (an offline share is read-only but still backed up): the second backup reads and uploads
    // (almost) nothing and is incremental on the first.
    await call(engine, 'shares.offline', { device: 'FS1', name: 'hot' });
    const second = await finished(engine, await call(engine, 'devices.backup', { name: 'FS1' }));
    expect(second.status).toBe('succeeded');
    const [b2] = engine.deviceBackups.listFor(device.id);
    const shown = await call(engine, 'backups.show', { id: b2.id });
    expect(shown.parentId).toBe(b1.id);
    expect(shown.bytesRead).toBe(0);
    expect(shown.storedNew).toBeLessThan(4096);
    expect(engine.deviceBackups.listFor(device.id).map((b) => b.id)).toEqual([b2.id, b1.id]);
    expect(shown.sources.map((s) => s.name).sort()).toEqual(['docs', 'hot']);
    expect(engine.deviceBackups.items(b2.id).map((i) => [i.name, i.online])).toEqual([
      ['docs', true],
      ['hot', false],
    ]);
  }, 120_000);

  it('backs up an iSCSI server with a sparse volume, keeps holes on restore, and rates the blocks that change', async () => {
    const { engine, key } = await lab();
    const { device, vol, write } = await iscsiVolume(engine, key, '64MiB');
    write(0, crypto.randomBytes(256 << 10)); // written once: cools down
    write(40 << 20, crypto.randomBytes(128 << 10)); // rewritten before every backup: hot
    for (let i = 0; i < 3; i++) {
      if (i) write(40 << 20, crypto.randomBytes(128 << 10));
      const job = await finished(engine, await call(engine, 'devices.backup', { name: 'ISCSI1' }));
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    }
    const backups = engine.deviceBackups.listFor(device.id);
    expect(backups).toHaveLength(3);
    const newest = await call(engine, 'backups.show', { id: backups[0].id });
    expect(newest.sources).toEqual([expect.objectContaining({ name: 'vol1', kind: 'image', bytes: 64 << 20 })]);
    // Only the rewritten 128 KiB are new and uploaded; the holes are never read.
    expect(newest.bytesRead).toBe((256 + 128) << 10);
    expect(newest.bytesNew).toBe(128 << 10);
    expect(newest.storedNew).toBeLessThan(160 << 10);
    const [row] = deviceBackupRows(engine, device.id).slice(-1);
    expect(JSON.parse(row.items)).toEqual([
      expect.objectContaining({
        name: 'vol1',
        kind: 'volume',
        size: 64 << 20,
        type: 'general',
        acrs: [expect.objectContaining({ iqn: 'iqn.1991-05.com.microsoft:host1' })],
      }),
    ]);

    const heat = await call(engine, 'devices.heat', { name: 'ISCSI1' });
    expect(heat.backupId).toBe(backups[0].id);
    const [item] = heat.items;
    expect(item).toMatchObject({ name: 'vol1', kind: 'volume' });
    expect(item.hottest[0].path).toBe(`@${40 << 20}+${1 << 20}`);
    expect(item.hottest[1].path).toBe(`@0+${1 << 20}`);
    expect(item.hottest[0].heat).toBeGreaterThan(item.hottest[1].heat);
    expect(item.hotBytes + item.warmBytes + item.coldBytes).toBe((256 + 128) << 10);
    expect(engine.deviceBackups.restoreOrder(backups[0].id, 'vol1')).toEqual(['vol1']);

    const out = path.join(tempHome('lifeboat-out-'), 'restore');
    const restore = await finished(engine, await call(engine, 'backups.restore', { id: backups[0].id, to: out }));
    expect(restore.status, JSON.stringify(restore.error)).toBe('succeeded');
    const restored = path.join(out, 'vol1');
    expect(fs.statSync(restored).size).toBe(64 << 20);
    const hash = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
    expect(hash(restored)).toBe(hash(vol.path));
    // The holes stay holes: the restored image allocates about what was written, not 64 MiB.
    expect(allocated(restored)).toBeLessThan(4 << 20);
  }, 180_000);

  it('rates files by recency and frequency of change, pinned shares hottest, and lists hot files first for a restore', async () => {
    const { engine, key } = await lab();
    const { device, docs, hot } = await fileServer(engine, key);
    fillDocs(docs);
    fs.writeFileSync(path.join(hot, 'db.mdf'), crypto.randomBytes(100_000));
    for (const f of ['readme.txt', 'reports/2026/q1.bin', 'cold.dat', 'repeated.dat', 'link'])
      fs.lutimesSync(path.join(docs, f), new Date(Date.now() - 60 * DAY), new Date(Date.now() - 60 * DAY));
    for (const f of ['db.mdf']) aged(path.join(hot, f), 60);
    for (let i = 0; i < 3; i++) {
      // repeated.dat changes before every backup (but its times say 20 days ago): frequency alone makes it warm.
      if (i) fs.appendFileSync(path.join(docs, 'repeated.dat'), crypto.randomBytes(1000));
      aged(path.join(docs, 'repeated.dat'), 20);
      if (i === 2) fs.writeFileSync(path.join(docs, 'reports/2026/q1.bin'), crypto.randomBytes(300_000)); // modified just now
      // The backups read the files: their own reads must not count as accesses.
      const job = await finished(engine, await call(engine, 'devices.backup', { name: 'FS1' }));
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    }
    const [newest] = engine.deviceBackups.listFor(device.id);
    const heat = await call(engine, 'devices.heat', { name: 'FS1' });
    expect(heat.backupId).toBe(newest.id);
    const docsHeat = heat.items.find((i) => i.name === 'docs')!;
    const hotHeat = heat.items.find((i) => i.name === 'hot')!;
    const of = (p: string) => docsHeat.hottest.find((h) => h.path === p)!.heat;
    expect(docsHeat.hottest[0].path).toBe('reports/2026/q1.bin');
    expect(of('repeated.dat')).toBeGreaterThan(of('cold.dat'));
    expect(of('cold.dat')).toBeLessThan(0.2);
    expect(hotHeat.hottest[0]).toEqual({ path: 'db.mdf', heat: expect.any(Number) });
    expect(hotHeat.hottest[0].heat).toBeGreaterThanOrEqual(0.9);
    expect(hotHeat.hotBytes).toBe(100_000);
    expect(docsHeat.coldBytes).toBeGreaterThan(200_000);
    // What devices.show shows is the same heat map.
    expect((await call(engine, 'devices.show', { name: 'FS1' })).heat).toEqual(heat);

    const order = engine.deviceBackups.restoreOrder(newest.id, 'docs');
    expect(order[0]).toBe('docs/reports/2026/q1.bin');
    expect(order).not.toContain('docs/cold.dat');
    const items = engine.deviceBackups.itemHeat(newest.id);
    expect(items.hot).toBeGreaterThanOrEqual(0.9);
    expect(items.hot).toBeGreaterThan(items.docs);

    // A restore with that priority brings the hot file back whole, like any other.
    const out = path.join(tempHome('lifeboat-out-'), 'restore');
    const restore = await finished(
      engine,
      await call(engine, 'backups.restore', { id: newest.id, to: out, source: ['docs'], priority: order }),
    );
    expect(restore.status).toBe('succeeded');
    expect(describeTree(path.join(out, 'docs'))).toEqual(describeTree(docs));
  }, 180_000);

  it('a device backup interrupted by closing Lifeboat resumes on the next start and records one backup', async () => {
    const { engine, key } = await lab();
    const home = engine.dataDir;
    const { device, docs } = await fileServer(engine, key);
    for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(docs, `big${i}.bin`), crypto.randomBytes(4 << 20));
    const job = await call(engine, 'devices.backup', { name: 'FS1' });
    await until('the upload to start', () => engine.runner.get(job.id).steps[1].status === 'running');
    await engine.close();
    const opened = track(Engine.open({ dataDir: home, mode: 'cli', runJobs: true }));
    const done = await finished(opened, opened.runner.get(job.id));
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.attempts).toBeGreaterThanOrEqual(1);
    const backups = opened.deviceBackups.listFor(device.id);
    expect(backups).toHaveLength(1);
    expect(await call(opened, 'backups.list', {})).toHaveLength(1);
    expect(preparedFiles(opened)).toEqual([]);
    const out = path.join(tempHome('lifeboat-out-'), 'restore');
    expect(
      (await finished(opened, await call(opened, 'backups.restore', { id: backups[0].id, to: out, source: ['docs'] })))
        .status,
    ).toBe('succeeded');
    expect(describeTree(path.join(out, 'docs'))).toEqual(describeTree(docs));
  }, 180_000);

  it('fences a device whose backups another device took over: its backup fails and lists nothing new', async () => {
    const { engine, key, account } = await lab();
    const { device, docs } = await fileServer(engine, key);
    fillDocs(docs);
    expect((await finished(engine, await call(engine, 'devices.backup', { name: 'FS1' }))).status).toBe('succeeded');
    const repo = await engine.accounts.repository(engine.accounts.store.require('lab'), { loadIndex: false });
    const row = engine.devices.store.byId(device.id)!;
    expect(await readOwner(repo.backend, row.lineage)).toMatchObject({
      deviceId: device.id,
      deviceName: 'FS1',
      epoch: 1,
    });

    const other = { id: 'dev-0123456789ab', name: 'FS2' };
    const moved = await transferOwner(repo.backend, row.lineage, device.id, other);
    expect(moved).toMatchObject({ deviceId: other.id, epoch: 2 });
    // Idempotent for the new owner; refused for a third device.
    expect(await transferOwner(repo.backend, row.lineage, device.id, other)).toMatchObject({ epoch: 2 });
    await expect(
      transferOwner(repo.backend, row.lineage, device.id, { id: 'dev-third', name: 'FS3' }),
    ).rejects.toMatchObject({ code: 'fenced' });

    const before = (await call(engine, 'backups.list', {})).length;
    fs.writeFileSync(path.join(docs, 'after.txt'), 'written after the failover');
    const job = await finished(engine, await call(engine, 'devices.backup', { name: 'FS1' }));
    expect(job.status).toBe('failed');
    expect(job.error).toMatchObject({ code: 'fenced' });
    expect(job.error!.message).toContain('now owned by device FS2');
    expect(engine.deviceBackups.listFor(device.id)).toHaveLength(1);
    expect((await call(engine, 'backups.list', {})).length).toBe(before);
    expect(preparedFiles(engine)).toEqual([]);
    expect(snapshotsIn(account)).toEqual(engine.deviceBackups.listFor(device.id).map((b) => b.id));
  }, 120_000);

  it('re-checks the lease before recording: a device fenced while it uploaded records nothing', async () => {
    const { engine, key, account } = await lab();
    const { device, docs } = await fileServer(engine, key);
    fillDocs(docs);
    const lineage = engine.devices.store.byId(device.id)!.lineage;
    // The moment the upload is done, another device takes the lineage over (as a failover's ownership transfer would).
    let fenceNow = false;
    engine.bus.on((e) => {
      if (
        e.type === 'job.updated' &&
        e.job.type === 'device.backup' &&
        e.job.steps[1]?.status === 'succeeded' &&
        e.job.steps[2]?.status === 'pending'
      )
        fenceNow = true;
    });
    const repository = engine.accounts.repository.bind(engine.accounts);
    engine.accounts.repository = async (row, opts) => {
      const repo = await repository(row, opts);
      if (fenceNow) {
        fenceNow = false;
        await transferOwner(repo.backend, lineage, device.id, { id: 'dev-0123456789ab', name: 'FS2' });
      }
      return repo;
    };
    const job = await finished(engine, await call(engine, 'devices.backup', { name: 'FS1' }));
    expect(job.status).toBe('failed');
    expect(job.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'failed', 'pending']);
    expect(job.error).toMatchObject({ code: 'fenced' });
    expect(engine.deviceBackups.listFor(device.id)).toEqual([]);
    expect(await call(engine, 'backups.list', {})).toEqual([]);
    expect(preparedFiles(engine)).toEqual([]);
    // The backup it uploaded is gone from the account too: rebuilding the catalog from the account finds nothing.
    expect(snapshotsIn(account)).toEqual([]);
    expect((await call(engine, 'accounts.rebuildCatalog', { name: 'lab' })).backups).toBe(0);
    expect(await call(engine, 'backups.list', {})).toEqual([]);
  }, 120_000);

  it('after a failover the new device continues the lineage: its first backup is incremental and uploads nothing the account has', async () => {
    const { engine, key } = await lab();
    const source = await fileServer(engine, key, 'FS1');
    fillDocs(source.docs);
    fs.writeFileSync(path.join(source.hot, 'db.mdf'), crypto.randomBytes(400_000));
    expect(
      (
        await finished(
          engine,
          await call(engine, 'devices.deactivate', { name: 'FS1', confirm: 'FS1', finalBackup: true }),
        )
      ).status,
    ).toBe('succeeded');
    const final = engine.deviceBackups.latest(source.device.id)!;
    expect(final.row.kind).toBe('final');

    // What the failover job does, in short: restore every share on the target, move the lease, link the devices.
    const target = await fileServer(engine, key, 'FS2');
    const shares = path.dirname(target.docs);
    expect(
      (
        await finished(
          engine,
          await call(engine, 'backups.restore', {
            id: final.backup.id,
            to: shares,
            overwrite: true,
            priority: engine.deviceBackups.restoreOrder(final.backup.id, 'docs'),
          }),
        )
      ).status,
    ).toBe('succeeded');
    const lineage = engine.devices.store.byId(source.device.id)!.lineage;
    engine.devices.store.update(target.device.id, { lineage, replaces: source.device.id });
    const repo = await engine.accounts.repository(engine.accounts.store.require('lab'), { loadIndex: false });
    await transferOwner(repo.backend, lineage, source.device.id, { id: target.device.id, name: 'FS2' });

    const job = await finished(engine, await call(engine, 'devices.backup', { name: 'FS2' }));
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const history = engine.deviceBackups.listFor(target.device.id);
    expect(history.map((b) => [b.device, b.kind])).toEqual([
      ['FS2', 'manual'],
      ['FS1', 'final'],
    ]);
    const first = await call(engine, 'backups.show', { id: history[0].id });
    expect(first.parentId).toBe(final.backup.id);
    expect(first.bytesNew).toBe(0);
    expect(first.storedNew).toBeLessThan(4096);
    // Its heat map starts from the source's: the pinned share is still the hottest.
    expect(engine.deviceBackups.itemHeat(history[0].id).hot).toBeGreaterThanOrEqual(0.9);
  }, 120_000);

  it('deactivates only with the exact name typed: final backup, shares offline, backups stopped, then read-only', async () => {
    const { engine, key } = await lab();
    const { device, docs } = await fileServer(engine, key);
    fillDocs(docs);
    await call(engine, 'devices.policy', { name: 'FS1', frequency: 'daily', time: '03:00', retention: 7 });

    const wrong = await refused(engine, 'devices.deactivate', { name: 'FS1', confirm: 'fs1', finalBackup: true });
    expect(wrong).toMatchObject({ code: 'invalid_input' });
    expect(wrong.message).toBe('confirm: type the device name "FS1" exactly to deactivate it.');
    expect(engine.devices.store.byId(device.id)!.status).toBe('online');

    const job = await call(engine, 'devices.deactivate', { name: 'FS1', confirm: 'FS1', finalBackup: true });
    expect(job.steps.map((s) => s.name)).toEqual(['final-backup', 'offline', 'stop-backups', 'deactivate']);
    const done = await finished(engine, job);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');

    const row = engine.devices.store.byId(device.id)!;
    expect(row.status).toBe('deactivated');
    expect(row.deactivated_at).not.toBeNull();
    expect(row.next_backup_at).toBeNull();
    expect(JSON.parse(row.policy)).toMatchObject({ frequency: 'off' });
    expect(engine.devices.store.shares(device.id).map((s) => s.online)).toEqual([0, 0]);
    const latest = engine.deviceBackups.latest(device.id)!;
    expect(latest.row.kind).toBe('final');
    expect(latest.items.map((i) => i.name)).toEqual(['docs', 'hot']);
    // The final backup recorded the shares as they were when it was taken: online.
    expect(latest.items.every((i) => i.online)).toBe(true);
    const alert = engine.alerts.list(false).find((a) => a.title === 'Device FS1 deactivated');
    expect(alert).toMatchObject({ severity: 'info', objectKind: 'device', objectName: 'FS1', jobId: job.id });
    expect(alert!.hint).toContain('failover');

    const backup = await refused(engine, 'devices.backup', { name: 'FS1' });
    expect(backup.code).toBe('not_allowed');
    expect(backup.message).toContain('deactivated');
    expect(
      (await refused(engine, 'devices.deactivate', { name: 'FS1', confirm: 'FS1', finalBackup: true })).message,
    ).toContain('already deactivated');
    expect(
      (await refused(engine, 'devices.policy', { name: 'FS1', frequency: 'daily', time: '03:00', retention: 7 })).code,
    ).toBe('not_allowed');
  }, 120_000);

  it('a deactivation cancelled before the status change leaves the device online and usable', async () => {
    const { engine, key } = await lab();
    const { device, docs } = await fileServer(engine, key);
    fillDocs(docs);
    await call(engine, 'shares.offline', { device: 'FS1', name: 'hot' }); // already offline before: stays offline
    const policy = (
      await call(engine, 'devices.policy', { name: 'FS1', frequency: 'daily', time: '03:00', retention: 7 })
    ).policy;
    // Cancel the moment every share is offline, before backups are stopped and the status changes.
    engine.bus.on((e) => {
      if (
        e.type === 'job.updated' &&
        e.job.type === 'device.deactivate' &&
        e.job.status === 'running' &&
        e.job.steps[1].status === 'succeeded' &&
        e.job.steps[2].status === 'pending'
      )
        engine.runner.cancel(e.job.id);
    });
    const job = await finished(
      engine,
      await call(engine, 'devices.deactivate', { name: 'FS1', confirm: 'FS1', finalBackup: true }),
    );
    expect(job.status).toBe('cancelled');
    expect(job.steps.map((s) => s.status).slice(2)).toEqual(['cancelled', 'cancelled']);
    const row = engine.devices.store.byId(device.id)!;
    expect(row.status).toBe('online');
    expect(row.next_backup_at).toBe(policy.nextAt);
    expect(JSON.parse(row.policy)).toMatchObject({ frequency: 'daily' });
    expect(engine.devices.store.shares(device.id).map((s) => [s.name, s.online])).toEqual([
      ['docs', 1],
      ['hot', 0],
    ]);
    fs.writeFileSync(path.join(docs, 'still-writable.txt'), 'yes');
    // The backup it took is kept, but no longer counts as a final one; nothing it prepared is left in tmp.
    expect(engine.deviceBackups.listFor(device.id).map((b) => b.kind)).toEqual(['manual']);
    expect(engine.deviceBackups.latest(device.id)!.row.kind).toBe('manual');
    expect(preparedFiles(engine)).toEqual([]);
    expect((await finished(engine, await call(engine, 'devices.backup', { name: 'FS1' }))).status).toBe('succeeded');
  }, 120_000);

  it('deactivates without a final backup when asked, and refuses a device with nothing to back up', async () => {
    const { engine, key } = await lab();
    const root = path.join(tempHome('lifeboat-dev-'), 'root');
    const empty = await call(engine, 'devices.create', {
      name: 'EMPTY1',
      type: 'file',
      root,
      capacity: '1GiB',
      account: 'lab',
      registrationKey: key,
    });
    const nothing = await refused(engine, 'devices.backup', { name: 'EMPTY1' });
    expect(nothing.message).toBe('The device EMPTY1 has no shares, so there is nothing to back up.');
    // Deactivating it with a final backup says how to do it without one.
    const final = (await refused(engine, 'devices.deactivate', {
      name: 'EMPTY1',
      confirm: 'EMPTY1',
      finalBackup: true,
    })) as { message: string; hint?: string };
    expect(final.message).toBe('The device EMPTY1 has no shares, so there is nothing to back up.');
    expect(final.hint).toBe(
      'Deactivate it without one: `lifeboat device deactivate EMPTY1 --confirm EMPTY1 --no-final-backup`.',
    );
    // A device held by a failover job is neither backed up nor deactivated.
    engine.devices.store.update(empty.id, { failover_job_id: 'job-0123456789ab' });
    expect(
      await refused(engine, 'devices.deactivate', { name: 'EMPTY1', confirm: 'EMPTY1', finalBackup: false }),
    ).toMatchObject({ code: 'busy', message: expect.stringContaining('job-0123456789ab') });
    expect(
      (await refused(engine, 'devices.policy', { name: 'EMPTY1', frequency: 'daily', time: '22:00', retention: 7 }))
        .code,
    ).toBe('busy');
    engine.devices.store.db.prepare('UPDATE devices SET failover_job_id = NULL WHERE id = ?').run(empty.id);
    const job = await finished(
      engine,
      await call(engine, 'devices.deactivate', { name: 'EMPTY1', confirm: 'EMPTY1', finalBackup: false }),
    );
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(engine.devices.store.byId(empty.id)!.status).toBe('deactivated');
    expect(engine.deviceBackups.listFor(empty.id)).toEqual([]);
  }, 60_000);

  it('schedules exactly one backup when a device is due, advances the next time, and keeps only the retention', async () => {
    const { engine, key, account } = await lab();
    const { device, docs } = await fileServer(engine, key);
    fillDocs(docs);
    const shown = await call(engine, 'devices.policy', {
      name: 'FS1',
      frequency: 'weekly',
      time: '7:30',
      weekday: 3,
      retention: 1,
    });
    expect(shown.policy).toMatchObject({ frequency: 'weekly', time: '07:30', weekday: 3, retention: 1 });
    expect(Date.parse(shown.policy.nextAt!)).toBeGreaterThan(Date.now());
    expect(new Date(shown.policy.nextAt!).getUTCDay()).toBe(3); // UTC device: Wednesday 07:30 UTC
    expect(
      (await refused(engine, 'devices.policy', { name: 'FS1', frequency: 'daily', time: '25:00', retention: 1 }))
        .message,
    ).toMatch(/^time: "25:00" is not a time of day/);

    // A manual backup is never deleted by the retention.
    expect((await finished(engine, await call(engine, 'devices.backup', { name: 'FS1' }))).status).toBe('succeeded');
    const scheduledJobs = () =>
      engine.db
        .prepare(
          "SELECT id FROM jobs WHERE type = 'device.backup' AND json_extract(params, '$.kind') = 'scheduled' ORDER BY created_at DESC, rowid DESC",
        )
        .pluck()
        .all() as string[];
    for (let round = 1; round <= 2; round++) {
      engine.devices.store.update(device.id, { next_backup_at: new Date(Date.now() - 60_000).toISOString() });
      expect(engine.deviceBackups.scheduler.tick()).toEqual(['FS1']);
      expect(engine.deviceBackups.scheduler.tick()).toEqual([]); // already advanced: no second job
      expect(scheduledJobs()).toHaveLength(round);
      const next = engine.devices.store.byId(device.id)!.next_backup_at!;
      expect(Date.parse(next)).toBeGreaterThan(Date.now());
      const job = await finished(engine, engine.runner.get(scheduledJobs()[0]));
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      fs.appendFileSync(path.join(docs, 'readme.txt'), `round ${round}\n`);
    }
    const kinds = engine.deviceBackups.listFor(device.id).map((b) => b.kind);
    expect(kinds).toEqual(['scheduled', 'manual']);
    expect((await call(engine, 'backups.list', {})).length).toBe(2);
    // The pruned scheduled backup is gone from the account (and its heat file from heat/), not only from the list.
    const kept = engine.deviceBackups
      .listFor(device.id)
      .map((b) => b.id)
      .sort();
    expect(snapshotsIn(account).sort()).toEqual(kept);
    expect(fs.readdirSync(path.join(engine.dataDir, 'heat')).sort()).toEqual(kept.map((id) => `${id}.ndjson.gz`));

    // An offline or deactivated device is not backed up by the scheduler.
    engine.devices.store.update(device.id, {
      status: 'offline',
      next_backup_at: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(engine.deviceBackups.scheduler.tick()).toEqual([]);
  }, 180_000);

  it('a deactivation that fails after its final backup leaves the device online and that backup manual, not final', async () => {
    const { engine, key } = await lab();
    const { device, docs } = await fileServer(engine, key);
    fillDocs(docs);
    const items = engine.devices.items;
    const applyOnline = items.applyOnline.bind(items);
    items.applyOnline = () =>
      Promise.reject(
        new LifeboatError('io_error', 'EROFS: read-only file system (test)', 'Remount the data root read-write.'),
      );
    const failed = await finished(
      engine,
      await call(engine, 'devices.deactivate', { name: 'FS1', confirm: 'FS1', finalBackup: true }),
    );
    expect(failed.status).toBe('failed');
    expect(failed.steps.map((s) => s.status)).toEqual(['succeeded', 'failed', 'pending', 'pending']);
    expect(engine.devices.store.byId(device.id)!.status).toBe('online');
    // A failover now would call the newest backup what it is: not a planned (final) one.
    expect(engine.deviceBackups.listFor(device.id).map((b) => b.kind)).toEqual(['manual']);
    expect(engine.deviceBackups.latest(device.id)!.row.kind).toBe('manual');

    items.applyOnline = applyOnline;
    const done = await finished(
      engine,
      await call(engine, 'devices.deactivate', { name: 'FS1', confirm: 'FS1', finalBackup: true }),
    );
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(engine.deviceBackups.listFor(device.id).map((b) => b.kind)).toEqual(['final', 'manual']);
    expect(engine.deviceBackups.latest(device.id)!.row.kind).toBe('final');
  }, 120_000);

  it("keeps per-file heat in a heat file and a bounded summary in the row; retention prunes the lineage's scheduled backups, account and heat file included", async () => {
    const { engine, key, account } = await lab();
    const source = await fileServer(engine, key, 'FS1');
    fillDocs(source.docs);
    await call(engine, 'devices.policy', { name: 'FS1', frequency: 'daily', time: '03:00', retention: 5 });
    const scheduledRound = async (name: string, id: string) => {
      engine.devices.store.update(id, { next_backup_at: new Date(Date.now() - 60_000).toISOString() });
      expect(engine.deviceBackups.scheduler.tick()).toEqual([name]);
      const jobId = engine.db
        .prepare("SELECT id FROM jobs WHERE type = 'device.backup' ORDER BY created_at DESC, rowid DESC LIMIT 1")
        .pluck()
        .get() as string;
      const job = await finished(engine, engine.runner.get(jobId));
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      return engine.deviceBackups.listFor(id)[0].id;
    };
    const s1 = await scheduledRound('FS1', source.device.id);
    fs.appendFileSync(path.join(source.docs, 'readme.txt'), 'more\n');
    const s2 = await scheduledRound('FS1', source.device.id);

    // The row holds the summary only; the per-file heat with its change history is in the heat file.
    const row = engine.db.prepare('SELECT heat FROM device_backups WHERE backup_id = ?').pluck().get(s2) as string;
    const summary = JSON.parse(row) as HeatSummary;
    expect(summary.v).toBe(2);
    expect(summary.items.map((i) => Object.keys(i).sort())).toEqual([
      ['coldBytes', 'heat', 'hotBytes', 'hottest', 'kind', 'name', 'order', 'pinned', 'warmBytes'],
      ['coldBytes', 'heat', 'hotBytes', 'hottest', 'kind', 'name', 'order', 'pinned', 'warmBytes'],
    ]);
    const detail = (await readHeatFile(heatFile(engine.dataDir, s2)))!;
    const docsFiles = (detail.items.find((i) => i.name === 'docs') as ShareHeat).files;
    expect(docsFiles.map((f) => f[0]).sort()).toEqual([
      'cold.dat',
      'readme.txt',
      'repeated.dat',
      'reports/2026/q1.bin',
    ]);
    // readme.txt changed at both backups, cold.dat only at the first: the history was carried from s1's heat file.
    expect(docsFiles.find((f) => f[0] === 'readme.txt')![2]).toBe(0b11);
    expect(docsFiles.find((f) => f[0] === 'cold.dat')![2]).toBe(0b10);

    // Deactivate (final backup), then fail over by hand to FS2 (restore, lease, lineage), which keeps 1 scheduled backup.
    expect(
      (
        await finished(
          engine,
          await call(engine, 'devices.deactivate', { name: 'FS1', confirm: 'FS1', finalBackup: true }),
        )
      ).status,
    ).toBe('succeeded');
    const final = engine.deviceBackups.latest(source.device.id)!;
    const target = await fileServer(engine, key, 'FS2');
    expect(
      (
        await finished(
          engine,
          await call(engine, 'backups.restore', {
            id: final.backup.id,
            to: path.dirname(target.docs),
            overwrite: true,
          }),
        )
      ).status,
    ).toBe('succeeded');
    const lineage = engine.devices.store.byId(source.device.id)!.lineage;
    engine.devices.store.update(target.device.id, { lineage, replaces: source.device.id });
    const repo = await engine.accounts.repository(engine.accounts.store.require('lab'), { loadIndex: false });
    await transferOwner(repo.backend, lineage, source.device.id, { id: target.device.id, name: 'FS2' });
    await call(engine, 'devices.policy', { name: 'FS2', frequency: 'daily', time: '03:00', retention: 1 });
    expect(snapshotsIn(account).sort()).toEqual([s1, s2, final.backup.id].sort());
    const t1 = await scheduledRound('FS2', target.device.id);

    // The source's scheduled backups are past the lineage's retention: gone from the list, the account and heat/.
    // Its final backup is never pruned.
    expect(engine.deviceBackups.listFor(target.device.id).map((b) => [b.id, b.device, b.kind])).toEqual([
      [t1, 'FS2', 'scheduled'],
      [final.backup.id, 'FS1', 'final'],
    ]);
    expect(snapshotsIn(account).sort()).toEqual([t1, final.backup.id].sort());
    expect(fs.readdirSync(path.join(engine.dataDir, 'heat')).sort()).toEqual(
      [`${t1}.ndjson.gz`, `${final.backup.id}.ndjson.gz`].sort(),
    );
    expect((await call(engine, 'backups.list', {})).map((b) => b.id).sort()).toEqual([t1, final.backup.id].sort());
  }, 180_000);

  it('sweeps what ended or vanished jobs left in tmp, and keeps the files of jobs that may still run', async () => {
    const { engine, key } = await lab();
    const { docs } = await fileServer(engine, key);
    fillDocs(docs);
    const ended = await finished(engine, await call(engine, 'devices.backup', { name: 'FS1' }));
    expect(ended.status).toBe('succeeded');
    const failed = await finished(engine, await call(engine, 'devices.backup', { name: 'FS1' }));
    // A failed job that can still be resumed keeps what it prepared; one that cannot does not.
    engine.db
      .prepare("UPDATE jobs SET status = 'failed', resumable = 1, ended_at = ? WHERE id = ?")
      .run(new Date().toISOString(), failed.id);
    const tmp = path.join(engine.dataDir, 'tmp');
    const planted = [
      preparedFilesOf(engine.dataDir, 'job-gone00000000'),
      preparedFilesOf(engine.dataDir, ended.id),
      preparedFilesOf(engine.dataDir, failed.id),
    ];
    for (const f of planted) {
      fs.writeFileSync(f.config, '{}');
      fs.writeFileSync(f.heat, 'x');
    }
    fs.writeFileSync(path.join(tmp, 'device-backup-job-gone00000000.json.part'), '{');
    fs.writeFileSync(path.join(tmp, 'unrelated.txt'), 'not ours');
    await engine.deviceBackups.sweep(true);
    expect(fs.readdirSync(tmp).sort()).toEqual(
      [path.basename(planted[2].config), path.basename(planted[2].heat), 'unrelated.txt'].sort(),
    );
    engine.db.prepare('UPDATE jobs SET resumable = 0 WHERE id = ?').run(failed.id);
    await engine.deviceBackups.sweep(false);
    expect(fs.readdirSync(tmp)).toEqual(['unrelated.txt']);
  }, 120_000);
});
