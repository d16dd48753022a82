/**
 * What keeps a device's data consistent: restores into it only where it is writable, changes that race a
 * deactivation, device maintenance (offline/online) keeping file modes, crash leftovers swept at start, pinned space,
 * paths that lead outside the data root, and secrets that never leave the secret store.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CallInput, CallName, CallOutput } from '../../main/shared/contract';
import { Engine } from '../../main/engine/engine';
import { call, closeEngines, track } from '../helpers/device-lab';
import { tempHome, until } from '../helpers/home';

afterEach(closeEngines);

const MiB = 2 ** 20;

async function refused<N extends CallName>(
  engine: Engine,
  name: N,
  input: CallInput<N>,
): Promise<{ code: string; message: string; hint?: string }> {
  const r = await engine.call(name, input);
  if (r.ok) throw new Error(`${name} should have been refused`);
  return r.error;
}

const open = (dataDir = tempHome(), runJobs = false): Engine => track(Engine.open({ dataDir, mode: 'cli', runJobs }));

async function lab(runJobs = false): Promise<{ e: Engine; key: string }> {
  const e = open(tempHome(), runJobs);
  const { registrationKey } = e.service.init('Lab');
  return { e, key: registrationKey };
}

const newRoot = () => path.join(tempHome('lifeboat-root-'), 'root');

async function fileServer(e: Engine, key: string, name = 'fs1', capacity = '1GiB') {
  return call(e, 'devices.create', { name, type: 'file', root: newRoot(), capacity, registrationKey: key });
}

const mode = (p: string) => fs.statSync(p).mode & 0o777;
const restoreJobs = (e: Engine) =>
  e.runner.store.list({ limit: 1000 }).filter((j) => j.type === 'backup.restore').length;

describe('restores into a device', () => {
  it('go only into an online share of an online device, never elsewhere in its data root', async () => {
    const { e, key } = await lab(true);
    const d = await fileServer(e, key);
    const docs = await call(e, 'shares.create', { device: 'fs1', name: 'docs', quota: '100MiB' });
    const src = path.join(tempHome('lifeboat-src-'), 'data');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'a.txt'), 'restored');
    const backup = await e.runner.wait((await call(e, 'backups.create', { source: [src] })).id, 60_000);
    expect(backup.status).toBe('succeeded');
    const id = (await call(e, 'backups.list', {}))[0].id;

    // Into the online share: allowed, and it lands there.
    const ok = await e.runner.wait(
      (await call(e, 'backups.restore', { id, to: docs.path, overwrite: true })).id,
      60_000,
    );
    expect(ok.status).toBe('succeeded');
    expect(fs.readFileSync(path.join(docs.path, 'data', 'a.txt'), 'utf8')).toBe('restored');
    const before = restoreJobs(e);

    // Offline share (root ignores mode bits, so only this check stops the write), also through a link to it.
    await call(e, 'shares.offline', { device: 'fs1', name: 'docs' });
    expect(await refused(e, 'backups.restore', { id, to: docs.path, overwrite: true })).toMatchObject({
      code: 'not_allowed',
      message: 'The share docs on fs1 is offline and read-only.',
    });
    const link = path.join(tempHome('lifeboat-link-'), 'docs-link');
    fs.symlinkSync(docs.path, link);
    expect(await refused(e, 'backups.restore', { id, to: path.join(link, 'sub'), overwrite: true })).toMatchObject({
      code: 'not_allowed',
      message: expect.stringContaining('offline and read-only'),
    });
    await call(e, 'shares.online', { device: 'fs1', name: 'docs' });

    // Device offline for maintenance.
    await call(e, 'devices.offline', { name: 'fs1' });
    expect(await refused(e, 'backups.restore', { id, to: docs.path, overwrite: true })).toMatchObject({
      code: 'not_allowed',
      message: expect.stringContaining('offline for maintenance'),
    });
    await call(e, 'devices.online', { name: 'fs1' });

    // The root itself, a folder that is not a share, and over the whole root.
    expect(await refused(e, 'backups.restore', { id, to: d.root, overwrite: true })).toMatchObject({
      code: 'not_allowed',
      message: expect.stringContaining('outside its shares and volumes'),
    });
    expect(await refused(e, 'backups.restore', { id, to: path.join(d.root, 'shares'), overwrite: true })).toMatchObject(
      { code: 'not_allowed', message: expect.stringMatching(/shares\/data is not a share of the device fs1/) },
    );
    // A restore whose source folder would land on a data root (the source is named "data", so is this root).
    const parent = tempHome('lifeboat-parent-');
    await call(e, 'devices.create', {
      name: 'fs2',
      type: 'file',
      root: path.join(parent, 'data'),
      capacity: '10MiB',
      registrationKey: key,
    });
    expect(await refused(e, 'backups.restore', { id, to: parent, overwrite: true })).toMatchObject({
      code: 'not_allowed',
      message: expect.stringContaining('would write over the data root of the device fs2'),
    });
    expect(fs.readdirSync(path.join(parent, 'data')).sort()).toEqual(['.lifeboat-device.json', 'shares', 'volumes']);

    // Held by a failover, and deactivated.
    e.devices.store.update(d.id, { failover_job_id: 'job-x' });
    expect(await refused(e, 'backups.restore', { id, to: docs.path, overwrite: true })).toMatchObject({ code: 'busy' });
    e.devices.store.update(d.id, { failover_job_id: null, status: 'deactivated' });
    expect(await refused(e, 'backups.restore', { id, to: docs.path, overwrite: true })).toMatchObject({
      code: 'not_allowed',
      message: expect.stringContaining('is deactivated'),
    });
    expect(restoreJobs(e)).toBe(before); // no job was created for any of them
  });
});

describe('changes racing a deactivation', () => {
  it('a share created or brought online while a deactivation starts is refused, leaving nothing behind', async () => {
    const { e, key } = await lab();
    await fileServer(e, key, 'fs1');
    await fileServer(e, key, 'fs2');
    const agent = e.devices.agent;

    // Create: the deactivation is asked for while the share's checks wait on the disk.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const inspect = agent.inspectRoot.bind(agent);
    const spy = vi.spyOn(agent, 'inspectRoot').mockImplementation(async (p) => {
      await gate;
      return inspect(p);
    });
    const creating = e.call('shares.create', { device: 'fs1', name: 'late', quota: '10MiB' });
    await until('the create waits on the disk', () => spy.mock.calls.length > 0);
    const job = await call(e, 'devices.deactivate', { name: 'fs1', confirm: 'fs1', finalBackup: false });
    release();
    const r = await creating;
    expect(r).toMatchObject({
      ok: false,
      error: {
        code: 'busy',
        message: `The device fs1 is being deactivated (job ${job.id}), so its shares and volumes cannot change.`,
      },
    });
    spy.mockRestore();
    const fs1 = e.devices.store.require('fs1');
    expect(e.devices.store.share(fs1.id, 'late')).toBeUndefined();
    expect(fs.existsSync(path.join(fs1.root, 'shares', 'late'))).toBe(false);
    // And while the job is queued, every change is refused up front.
    expect(await refused(e, 'shares.create', { device: 'fs1', name: 'other' })).toMatchObject({
      code: 'busy',
      hint: expect.stringContaining(`lifeboat job cancel ${job.id}`),
    });
    expect(await refused(e, 'devices.offline', { name: 'fs1' })).toMatchObject({ code: 'busy' });

    // Online: the data went writable, the deactivation started, so the share stays offline and read-only.
    const share = await call(e, 'shares.create', { device: 'fs2', name: 'docs', quota: '10MiB' });
    await call(e, 'shares.offline', { device: 'fs2', name: 'docs' });
    let release2!: () => void;
    const gate2 = new Promise<void>((r) => (release2 = r));
    const setWritable = agent.setWritable.bind(agent);
    const spy2 = vi.spyOn(agent, 'setWritable').mockImplementation(async (p, w) => {
      if (w) await gate2;
      return setWritable(p, w);
    });
    const onlining = e.call('shares.online', { device: 'fs2', name: 'docs' });
    await until('the online waits on the disk', () => spy2.mock.calls.length > 0);
    await call(e, 'devices.deactivate', { name: 'fs2', confirm: 'fs2', finalBackup: false });
    release2();
    expect(await onlining).toMatchObject({ ok: false, error: { code: 'busy' } });
    spy2.mockRestore();
    expect(e.devices.store.share(e.devices.store.require('fs2').id, 'docs')!.online).toBe(0);
    expect(mode(share.path) & 0o222).toBe(0);
  });
});

describe('device maintenance', () => {
  it('offline makes every share read-only and skips scheduled backups; online gives back exactly the modes there were', async () => {
    const { e, key } = await lab();
    const d = await fileServer(e, key);
    const docs = await call(e, 'shares.create', { device: 'fs1', name: 'docs', quota: '10MiB' });
    fs.mkdirSync(path.join(docs.path, 'sub'), { mode: 0o750 });
    fs.writeFileSync(path.join(docs.path, 'sub', 'rw.txt'), 'rw', { mode: 0o664 });
    fs.writeFileSync(path.join(docs.path, 'ro.txt'), 'ro', { mode: 0o444 });
    fs.chmodSync(path.join(docs.path, 'sub', 'rw.txt'), 0o664);
    fs.chmodSync(path.join(docs.path, 'ro.txt'), 0o444);
    fs.chmodSync(path.join(docs.path, 'sub'), 0o750);
    const modes = () =>
      [
        docs.path,
        path.join(docs.path, 'sub'),
        path.join(docs.path, 'sub', 'rw.txt'),
        path.join(docs.path, 'ro.txt'),
      ].map(mode);
    const original = modes();

    const off = await call(e, 'devices.offline', { name: 'fs1' });
    expect(off).toMatchObject({ status: 'offline', health: 'warning' });
    expect(modes().map((m) => m & 0o222)).toEqual([0, 0, 0, 0]);
    expect(await refused(e, 'shares.create', { device: 'fs1', name: 'x' })).toMatchObject({
      code: 'not_allowed',
      hint: 'Bring the device online first with `lifeboat device online fs1`.',
    });
    // Scheduled backups skip it: a backup that is due is not started.
    e.devices.store.update(d.id, {
      policy: JSON.stringify({ frequency: 'daily', time: '01:00', weekday: null, retention: 7 }),
      next_backup_at: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(e.deviceBackups.scheduler.tick()).toEqual([]);
    expect(e.runner.store.list({ limit: 100 }).filter((j) => j.object_name === 'fs1')).toEqual([]);
    expect((await call(e, 'devices.offline', { name: 'fs1' })).status).toBe('offline'); // again: nothing to do

    const on = await call(e, 'devices.online', { name: 'fs1' });
    expect(on.status).toBe('online');
    expect(modes()).toEqual(original); // a read-only file stays read-only; nothing gained a write bit

    // The same through a share's own offline/online, and a share that was offline stays so across maintenance.
    await call(e, 'shares.offline', { device: 'fs1', name: 'docs' });
    await call(e, 'devices.offline', { name: 'fs1' });
    await call(e, 'devices.online', { name: 'fs1' });
    expect(modes().map((m) => m & 0o222)).toEqual([0, 0, 0, 0]);
    expect((await call(e, 'shares.online', { device: 'fs1', name: 'docs' })).online).toBe(true);
    expect(modes()).toEqual(original);

    // Refused where maintenance means nothing.
    const ready = await call(e, 'devices.create', { name: 'fs3', type: 'file', root: newRoot(), capacity: '10MiB' });
    expect(await refused(e, 'devices.offline', { name: ready.name })).toMatchObject({
      code: 'not_allowed',
      message: expect.stringContaining('not registered'),
    });
    e.devices.store.update(d.id, { status: 'deactivated' });
    expect(await refused(e, 'devices.online', { name: 'fs1' })).toMatchObject({
      code: 'not_allowed',
      message: expect.stringContaining('is deactivated'),
    });
    e.devices.store.update(d.id, { status: 'online', failover_job_id: 'job-y' });
    expect(await refused(e, 'devices.offline', { name: 'fs1' })).toMatchObject({ code: 'busy' });
  });
});

describe('data roots', () => {
  it('checkRoot tells the wizard what a folder is and the free space of its disk', async () => {
    const { e, key } = await lab();
    const missing = newRoot();
    const check = await call(e, 'devices.checkRoot', { root: missing });
    expect(check).toMatchObject({ root: missing, usable: true, state: 'missing', previousDevice: null });
    expect(check.freeBytes).toBeGreaterThan(0);
    expect(check.totalBytes).toBeGreaterThanOrEqual(check.freeBytes);
    fs.mkdirSync(missing);
    expect(await call(e, 'devices.checkRoot', { root: missing })).toMatchObject({ usable: true, state: 'empty' });
    fs.writeFileSync(path.join(missing, 'notes.txt'), 'x');
    expect(await call(e, 'devices.checkRoot', { root: missing })).toMatchObject({
      usable: false,
      state: 'not-empty',
      message: `${missing} is not empty (it holds notes.txt) and is not the data root of a previous Lifeboat device.`,
    });
    expect(await call(e, 'devices.checkRoot', { root: path.join(missing, 'notes.txt') })).toMatchObject({
      usable: false,
      state: 'not-a-folder',
    });
    const d = await fileServer(e, key, 'fs1');
    expect(await call(e, 'devices.checkRoot', { root: d.root })).toMatchObject({
      usable: false,
      state: 'in-use',
      message: expect.stringContaining('data root of the device fs1'),
    });
    await call(e, 'devices.remove', { name: 'fs1' });
    expect(await call(e, 'devices.checkRoot', { root: d.root })).toMatchObject({
      usable: true,
      state: 'previous-device',
      previousDevice: 'fs1',
    });
  });

  it('warns past 90% of the free space, and not at 90%', async () => {
    const { e, key } = await lab();
    const free = await e.devices.agent.freeBytes(newRoot());
    vi.spyOn(e.devices.agent, 'freeBytes').mockResolvedValue(free);
    const warned = (name: string) =>
      e.alerts.list(false).filter((a) => a.objectName === name && a.severity === 'warning');
    await call(e, 'devices.create', {
      name: 'at90',
      type: 'iscsi',
      root: newRoot(),
      capacity: String(Math.floor(free * 0.9)),
      registrationKey: key,
    });
    expect(warned('at90')).toEqual([]);
    await call(e, 'devices.create', {
      name: 'at91',
      type: 'iscsi',
      root: newRoot(),
      capacity: String(Math.floor(free * 0.91)),
      registrationKey: key,
    });
    expect(warned('at91')).toHaveLength(1);
  });

  it('deletes and changes modes only inside the data root, even when shares/ is swapped for a link', async () => {
    const { e, key } = await lab();
    const d = await fileServer(e, key);
    await call(e, 'shares.create', { device: 'fs1', name: 'docs', quota: '10MiB' });
    const outside = tempHome('lifeboat-outside-');
    fs.mkdirSync(path.join(outside, 'docs'));
    fs.writeFileSync(path.join(outside, 'docs', 'precious.txt'), 'keep me', { mode: 0o644 });
    fs.renameSync(path.join(d.root, 'shares'), path.join(d.root, 'shares.real'));
    fs.symlinkSync(outside, path.join(d.root, 'shares'));
    expect(await refused(e, 'shares.offline', { device: 'fs1', name: 'docs' })).toMatchObject({
      code: 'not_allowed',
      message: expect.stringContaining('is not a folder of the data root'),
    });
    expect(await refused(e, 'shares.delete', { device: 'fs1', name: 'docs' })).toMatchObject({ code: 'not_allowed' });
    expect(fs.readFileSync(path.join(outside, 'docs', 'precious.txt'), 'utf8')).toBe('keep me');
    expect(mode(path.join(outside, 'docs', 'precious.txt'))).toBe(0o644);
    expect(e.devices.store.share(d.id, 'docs')!.online).toBe(1);
  });

  it('reports disk errors as io_error naming the path, and leaves no half-made volume', async () => {
    const { e, key } = await lab();
    const d = await call(e, 'devices.create', {
      name: 'is1',
      type: 'iscsi',
      root: newRoot(),
      capacity: '64MiB',
      registrationKey: key,
    });
    fs.rmSync(path.join(d.root, 'volumes'), { recursive: true });
    fs.writeFileSync(path.join(d.root, 'volumes'), 'not a folder');
    const err = await refused(e, 'volumes.create', { device: 'is1', name: 'vol1', size: '1MiB' });
    expect(err).toMatchObject({
      code: 'io_error',
      message: expect.stringContaining(path.join(d.root, 'volumes', 'vol1')),
    });
    expect(err.hint).toBeTruthy();
    expect(e.devices.store.volumes(d.id)).toEqual([]);
  });
});

describe('crash leftovers', () => {
  it('a half-deleted share comes back, a half-created one gets its folder, and orphaned trash is emptied at start', async () => {
    const dataDir = tempHome();
    let e = open(dataDir);
    const key = e.service.init('Lab').registrationKey;
    const d = await fileServer(e, key);
    const docs = await call(e, 'shares.create', { device: 'fs1', name: 'docs', quota: '10MiB' });
    fs.writeFileSync(path.join(docs.path, 'a.txt'), 'data');
    const docsId = e.devices.store.share(d.id, 'docs')!.id;
    // A delete that crashed after moving the data away, before its row went.
    await e.devices.agent.trash(docs.path, docsId);
    expect(fs.existsSync(docs.path)).toBe(false);
    // A create that crashed after its row, before its folder.
    const now = new Date().toISOString();
    e.devices.store.insertShare({
      id: 'share-half',
      device_id: d.id,
      name: 'half',
      description: '',
      tier: 'tiered',
      quota: MiB,
      users: '[]',
      online: 1,
      created_at: now,
      updated_at: now,
    });
    // A delete that crashed after its row went, before the trash was emptied.
    fs.mkdirSync(path.join(d.root, '.lifeboat-trash', 'share-gone'), { recursive: true });
    fs.writeFileSync(path.join(d.root, '.lifeboat-trash', 'share-gone', 'old.txt'), 'old');
    await e.close();

    e = open(dataDir);
    await e.devices.swept;
    expect(fs.readFileSync(path.join(docs.path, 'a.txt'), 'utf8')).toBe('data');
    expect(fs.statSync(path.join(d.root, 'shares', 'half')).isDirectory()).toBe(true);
    expect(fs.readdirSync(path.join(d.root, '.lifeboat-trash'))).toEqual([]);
    // The device's root still counts as its own (the trash is not "other content") once removed.
    await call(e, 'shares.delete', { device: 'fs1', name: 'docs' });
    await call(e, 'shares.delete', { device: 'fs1', name: 'half' });
    expect(fs.readdirSync(path.join(d.root, 'shares'))).toEqual([]);
    await call(e, 'devices.remove', { name: 'fs1' });
    expect(await call(e, 'devices.checkRoot', { root: d.root })).toMatchObject({
      usable: true,
      state: 'previous-device',
    });
  });
});

describe('locally pinned space', () => {
  it('counts every pinned share against the free space, less what they already use', async () => {
    const { e, key } = await lab();
    await fileServer(e, key);
    vi.spyOn(e.devices.agent, 'freeBytes').mockResolvedValue(100 * MiB);
    await call(e, 'shares.create', { device: 'fs1', name: 'p1', quota: '60MiB', pinned: true });
    expect(
      await refused(e, 'shares.create', { device: 'fs1', name: 'p2', quota: '60MiB', pinned: true }),
    ).toMatchObject({
      code: 'invalid_input',
      message:
        'quota: locally pinned data is kept whole on the local disk: the other locally pinned shares or volumes of fs1 may still write 60 MiB, and with 60 MiB more that is more than the 100 MiB free there.',
    });
    expect((await call(e, 'shares.create', { device: 'fs1', name: 't2', quota: '60MiB' })).tier).toBe('tiered');
    expect((await call(e, 'shares.create', { device: 'fs1', name: 'p3', quota: '40MiB', pinned: true })).tier).toBe(
      'locally-pinned',
    );
  });
});

describe('storage accounts of devices', () => {
  it('an account a device uses cannot be removed, with what to do', async () => {
    const { e, key } = await lab();
    await fileServer(e, key);
    expect(await refused(e, 'accounts.remove', { name: 'default', force: true })).toMatchObject({
      code: 'not_allowed',
      message: 'The storage account "default" is used by the device fs1.',
      hint: expect.stringContaining('lifeboat device remove fs1'),
    });
    await call(e, 'devices.remove', { name: 'fs1' });
    expect(await call(e, 'accounts.remove', { name: 'default', force: true })).toMatchObject({ removed: 'default' });
  });
});

describe('volumes', () => {
  it('never shows or logs a CHAP secret, and warns when an image grows past its size', async () => {
    const { e, key } = await lab();
    await call(e, 'devices.create', {
      name: 'is1',
      type: 'iscsi',
      root: newRoot(),
      capacity: '64MiB',
      registrationKey: key,
    });
    const secrets = ['Secret-One-12', 'Secret-Two-345'];
    const answers = [
      await call(e, 'volumes.create', {
        device: 'is1',
        name: 'vol1',
        size: '4MiB',
        chapUser: 'u',
        chapSecret: secrets[0],
        acr: ['IQN.1991-05.com.Microsoft:Host1'],
      }),
      await call(e, 'volumes.edit', { device: 'is1', name: 'vol1', chapSecret: secrets[1] }),
      await call(e, 'volumes.list', { device: 'is1' }),
      await call(e, 'devices.show', { name: 'is1' }),
    ];
    for (const a of answers) for (const s of secrets) expect(JSON.stringify(a)).not.toContain(s);
    expect(answers[0]).toMatchObject({ chapUser: 'u', acrs: [{ iqn: 'iqn.1991-05.com.microsoft:host1' }] });
    const logs = fs
      .readdirSync(path.join(e.dataDir, 'logs'))
      .map((f) => fs.readFileSync(path.join(e.dataDir, 'logs', f), 'utf8'))
      .join('\n');
    expect(logs).toContain('volume edited');
    for (const s of secrets) expect(logs).not.toContain(s);

    const vol = answers[0] as CallOutput<'volumes.create'>;
    fs.truncateSync(vol.path, 8 * MiB);
    await e.devices.usage.tick();
    const oversized = () =>
      e.alerts
        .list(false)
        .filter((a) => a.objectName === 'is1/vol1' && a.title === 'Volume image larger than its size');
    expect(oversized()).toHaveLength(1);
    expect(oversized()[0].message).toContain("8.0 MiB, larger than the volume's size of 4.0 MiB");
    await e.devices.usage.tick();
    expect(oversized()).toHaveLength(1); // once, not on every tick
    expect(fs.statSync(vol.path).size).toBe(8 * MiB); // reported, never truncated behind the host's back
  });
});
