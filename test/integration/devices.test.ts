import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { EngineEvent } from '../../main/shared/schemas';
import { Engine } from '../../main/engine/engine';
import type { Result } from '../../main/shared/errors';
import { tempHome } from '../helpers/home';

let engine: Engine | null = null;
afterEach(async () => {
  await engine?.close();
  engine = null;
});

const MiB = 2 ** 20;
const GiB = 2 ** 30;

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

/** An engine with a service; returns it and the registration key. */
async function open(): Promise<{ engine: Engine; key: string }> {
  engine = Engine.open({ dataDir: tempHome(), mode: 'cli' });
  const { registrationKey } = value(await engine.call('service.init', { name: 'Lab' }));
  return { engine, key: registrationKey };
}

const newRoot = () => path.join(tempHome('lifeboat-root-'), 'root');

async function fileServer(e: Engine, key: string, name = 'fs1', capacity = '1GiB') {
  return value(
    await e.call('devices.create', {
      name,
      type: 'file',
      root: newRoot(),
      capacity,
      registrationKey: key,
      domain: 'corp.contoso.com',
    }),
  );
}

describe('devices', () => {
  it('creates a registered file server on an empty root, with its marker, defaults and the default account', async () => {
    const { engine: e, key } = await open();
    const events: EngineEvent[] = [];
    e.bus.on((ev) => events.push(ev));
    const root = newRoot();
    const d = value(
      await e.call('devices.create', {
        name: 'fs1',
        type: 'file',
        root,
        capacity: '1.5GiB',
        registrationKey: ` ${key} `,
        domain: 'corp.contoso.com',
        timeZone: 'europe/amsterdam',
        fips: true,
      }),
    );
    expect(d).toMatchObject({
      name: 'fs1',
      type: 'file',
      status: 'online',
      root,
      capacity: 1.5 * GiB,
      provisioned: 0,
      used: 0,
      domain: 'corp.contoso.com',
      timeZone: 'Europe/Amsterdam',
      fips: true,
      account: 'default',
      model: 'Lifeboat Virtual Array',
      health: 'healthy',
      healthReasons: [],
      shares: 0,
      volumes: 0,
      replaces: null,
      failoverJobId: null,
      policy: { frequency: 'daily', time: '22:00', weekday: null, retention: 7, nextAt: expect.any(String) },
    });
    expect(d.serial).toMatch(/^LBVA-[0-9A-F]{10}$/);
    expect(d.registeredAt).not.toBeNull();
    const marker = JSON.parse(fs.readFileSync(path.join(root, '.lifeboat-device.json'), 'utf8'));
    expect(marker).toMatchObject({ id: d.id, name: 'fs1', type: 'file' });
    expect(fs.statSync(path.join(root, 'shares')).isDirectory()).toBe(true);
    expect(events).toContainEqual({ type: 'device.changed', device: 'fs1' });
    const row = e.devices.store.require('FS1');
    expect(row.lineage).toMatch(/^lineage-/);

    // Without a key: Ready to set up, and nothing can change on it until it is registered.
    const is = value(
      await e.call('devices.create', { name: 'is1', type: 'iscsi', root: newRoot(), capacity: '100MiB' }),
    );
    expect(is.status).toBe('ready-to-set-up');
    expect(is.registeredAt).toBeNull();
    expect(await e.call('volumes.create', { device: 'is1', name: 'v', size: '1MiB' })).toMatchObject({
      ok: false,
      error: {
        code: 'not_allowed',
        message: expect.stringContaining('not registered'),
        hint: expect.stringContaining('lifeboat device register is1'),
      },
    });
    expect(await e.call('devices.register', { name: 'is1', registrationKey: 'nope' })).toMatchObject({
      ok: false,
      error: {
        code: 'invalid_input',
        message: expect.stringMatching(/^registrationKey: this is not the service registration key/),
        hint: expect.stringContaining('lifeboat service registration-key'),
      },
    });
    expect(value(await e.call('devices.register', { name: 'is1', registrationKey: key })).status).toBe('online');
    expect(await e.call('devices.register', { name: 'is1', registrationKey: key })).toMatchObject({
      ok: false,
      error: { code: 'conflict' },
    });

    expect(value(await e.call('devices.list', {})).map((x) => x.name)).toEqual(['fs1', 'is1']);
  });

  it('refuses every invalid setting with a message naming the field', async () => {
    const { engine: e, key } = await open();
    await fileServer(e, key);
    const create = (over: Record<string, unknown>) =>
      e.call('devices.create', {
        name: 'fs2',
        type: 'file',
        root: newRoot(),
        capacity: '1GiB',
        registrationKey: key,
        ...over,
      } as never);
    const err = async (over: Record<string, unknown>) => {
      const r = await create(over);
      if (r.ok) throw new Error(`accepted ${JSON.stringify(over)}`);
      return r.error;
    };
    expect(await err({ registrationKey: 'svc-0000::WRONG' })).toMatchObject({
      code: 'invalid_input',
      message: 'registrationKey: this is not the service registration key.',
    });
    expect(await err({ name: 'FS1' })).toMatchObject({
      code: 'conflict',
      message: 'name: there is already a device named fs1.',
    });
    expect((await err({ name: 'abcdefghijklmnop' })).message).toBe(
      'name: "abcdefghijklmnop" has 16 characters; a device name has at most 15.',
    );
    expect((await err({ name: '2024' })).message).toMatch(/^name: "2024" is all digits/);
    expect((await err({ name: 'fs_2' })).message).toMatch(/^name: "fs_2" contains "_"/);
    expect((await err({ domain: 'contoso' })).message).toMatch(
      /^domain: "contoso" is not a fully qualified domain name/,
    );
    expect(await err({ type: 'iscsi', domain: 'corp.contoso.com' })).toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/^domain: only a file server joins a domain/),
    });
    expect((await err({ timeZone: 'Nowhere/Land' })).message).toBe('timeZone: "Nowhere/Land" is not a time zone.');
    expect((await err({ capacity: 'huge' })).message).toBe('capacity: "huge" is not a size.');
    expect((await err({ capacity: '1PiB' })).message).toMatch(
      /^capacity: 1\.0 PiB is more than the .* free on the filesystem of /,
    );
    expect((await err({ root: 'relative/dir' })).message).toBe('root: give an absolute path (got relative/dir).');
    expect(await err({ account: 'nope' })).toMatchObject({ code: 'not_found' });

    const busy = newRoot();
    fs.mkdirSync(busy, { recursive: true });
    fs.writeFileSync(path.join(busy, 'notes.txt'), 'mine');
    expect(await err({ root: busy })).toMatchObject({
      code: 'invalid_input',
      message: `root: ${busy} is not empty (it holds notes.txt) and is not the data root of a previous Lifeboat device.`,
    });
    const fs1Root = e.devices.store.require('fs1').root;
    expect(await err({ root: fs1Root })).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('data root of the device fs1'),
    });
    expect(await err({ root: path.join(fs1Root, 'shares', 'x') })).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('overlaps the data root of the device fs1'),
    });
    // Nothing was created by the refused attempts.
    expect(value(await e.call('devices.list', {})).map((x) => x.name)).toEqual(['fs1']);
  });

  it('needs a service for a registration key', async () => {
    engine = Engine.open({ dataDir: tempHome(), mode: 'cli' });
    const r = await engine.call('devices.create', {
      name: 'fs1',
      type: 'file',
      root: newRoot(),
      capacity: '1GiB',
      registrationKey: 'abc',
    });
    expect(r).toMatchObject({
      ok: false,
      error: {
        code: 'not_initialized',
        message: expect.stringContaining('no service is set up yet'),
        hint: expect.stringContaining('lifeboat service init'),
      },
    });
    // Without a key it is configured, Ready to set up, with no account until it registers.
    const d = value(
      await engine.call('devices.create', { name: 'fs1', type: 'file', root: newRoot(), capacity: '1GiB' }),
    );
    expect(d).toMatchObject({ status: 'ready-to-set-up', account: null });
    const { registrationKey } = value(await engine.call('service.init', { name: 'Lab' }));
    expect(value(await engine.call('devices.register', { name: 'fs1', registrationKey }))).toMatchObject({
      status: 'online',
      account: 'default',
    });
  });

  it('warns with an alert when the capacity is past 90% of the free space', async () => {
    const { engine: e, key } = await open();
    const root = newRoot();
    const free = await e.devices.agent.freeBytes(root);
    vi.spyOn(e.devices.agent, 'freeBytes').mockResolvedValue(free);
    const d = value(
      await e.call('devices.create', {
        name: 'big',
        type: 'iscsi',
        root,
        capacity: String(Math.floor(free * 0.95)),
        registrationKey: key,
      }),
    );
    expect(d.status).toBe('online');
    const alerts = value(await e.call('alerts.list', {} as never)) as {
      severity: string;
      title: string;
      message: string;
      objectName: string | null;
    }[];
    expect(alerts).toContainEqual(
      expect.objectContaining({
        severity: 'warning',
        objectName: 'big',
        message: expect.stringMatching(/is 95% of the .* free on the filesystem/),
      }),
    );
  });

  it('reuses the root of a removed device, and removes only a device without shares', async () => {
    const { engine: e, key } = await open();
    const d = await fileServer(e, key);
    value(await e.call('shares.create', { device: 'fs1', name: 'docs', quota: '10MiB' }));
    expect(await e.call('devices.remove', { name: 'fs1' })).toMatchObject({
      ok: false,
      error: { code: 'not_allowed', message: 'The device fs1 still has 1 share, so it cannot be removed.' },
    });
    value(await e.call('shares.delete', { device: 'fs1', name: 'docs' }));
    // Held by a failover: busy, naming the job.
    e.devices.store.update(d.id, { failover_job_id: 'job-123' });
    expect(await e.call('devices.remove', { name: 'fs1' })).toMatchObject({
      ok: false,
      error: { code: 'busy', message: expect.stringContaining('failover job job-123') },
    });
    expect(await e.call('shares.create', { device: 'fs1', name: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'busy' },
    });
    e.devices.store.update(d.id, { failover_job_id: null });
    expect(value(await e.call('devices.remove', { name: 'fs1' }))).toEqual({ removed: 'fs1' });
    expect(await e.call('devices.show', { name: 'fs1' })).toMatchObject({
      ok: false,
      error: {
        code: 'not_found',
        message: 'There is no device fs1.',
        hint: 'List devices with `lifeboat device list`.',
      },
    });
    expect(fs.existsSync(path.join(d.root, '.lifeboat-device.json'))).toBe(true);
    const again = value(
      await e.call('devices.create', {
        name: 'fs9',
        type: 'file',
        root: d.root,
        capacity: '1GiB',
        registrationKey: key,
      }),
    );
    expect(again.root).toBe(d.root);
    expect(JSON.parse(fs.readFileSync(path.join(d.root, '.lifeboat-device.json'), 'utf8')).name).toBe('fs9');
  });

  it('refuses changes on deactivated and deleted devices', async () => {
    const { engine: e, key } = await open();
    const d = await fileServer(e, key);
    e.devices.store.update(d.id, { status: 'deactivated', deactivated_at: new Date().toISOString() });
    expect(await e.call('shares.create', { device: 'fs1', name: 'docs' })).toMatchObject({
      ok: false,
      error: { code: 'not_allowed', message: expect.stringContaining('is deactivated') },
    });
    e.devices.store.update(d.id, { status: 'deleted', deleted_at: new Date().toISOString() });
    expect(await e.call('shares.create', { device: 'fs1', name: 'docs' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(value(await e.call('devices.list', {}))).toEqual([]);
    expect(value(await e.call('devices.list', { all: true })).map((x) => x.status)).toEqual(['deleted']);
    expect(value(await e.call('devices.show', { name: 'fs1' })).device.status).toBe('deleted');
  });
});

describe('shares', () => {
  it('provisions within the capacity, with the default quota, users and pinned tier', async () => {
    const { engine: e, key } = await open();
    await fileServer(e, key, 'fs1', '1.5GiB');
    const docs = value(
      await e.call('shares.create', {
        device: 'fs1',
        name: 'docs',
        user: ['CORP\\alice', 'CORP\\finance'],
        description: 'Documents',
      }),
    );
    expect(docs).toMatchObject({
      name: 'docs',
      quota: GiB,
      tier: 'tiered',
      users: ['CORP\\alice', 'CORP\\finance'],
      online: true,
      used: 0,
      overQuota: false,
    });
    expect(fs.statSync(docs.path).isDirectory()).toBe(true);
    expect(docs.path).toBe(path.join(e.devices.store.require('fs1').root, 'shares', 'docs'));
    // The default quota is what is left when that is less than 1 GiB.
    expect(value(await e.call('shares.create', { device: 'fs1', name: 'rest' })).quota).toBe(0.5 * GiB);
    expect(await e.call('shares.create', { device: 'fs1', name: 'more' })).toMatchObject({
      ok: false,
      error: {
        code: 'invalid_input',
        message: expect.stringMatching(/^quota: all of the 1\.5 GiB capacity of fs1 is provisioned/),
      },
    });
    value(await e.call('shares.delete', { device: 'fs1', name: 'rest' }));
    const over = await e.call('shares.create', { device: 'fs1', name: 'big', quota: '600MiB' });
    expect(over).toMatchObject({
      ok: false,
      error: {
        code: 'invalid_input',
        message: 'quota: 600 MiB does not fit: only 512 MiB of the 1.5 GiB capacity of fs1 is not provisioned.',
      },
    });
    expect(await e.call('shares.create', { device: 'fs1', name: 'DOCS' })).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: 'name: fs1 already has a share named docs.' },
    });
    expect(await e.call('shares.create', { device: 'fs1', name: 'PRN' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: expect.stringMatching(/^name: "PRN" is a name Windows reserves/) },
    });

    // A locally pinned share must also fit on the local disk.
    vi.spyOn(e.devices.agent, 'freeBytes').mockResolvedValue(100 * MiB);
    expect(
      await e.call('shares.create', { device: 'fs1', name: 'pinned', quota: '200MiB', pinned: true }),
    ).toMatchObject({
      ok: false,
      error: {
        code: 'invalid_input',
        message: expect.stringMatching(
          /^quota: a locally pinned share is kept whole on the local disk, but 200 MiB is more than the 100 MiB free there/,
        ),
      },
    });
    expect(
      value(await e.call('shares.create', { device: 'fs1', name: 'pinned', quota: '50MiB', pinned: true })).tier,
    ).toBe('locally-pinned');

    const shown = value(await e.call('devices.show', { name: 'fs1' }));
    expect(shown.device).toMatchObject({
      provisioned: GiB + 50 * MiB,
      shares: 2,
      health: 'warning',
      healthReasons: ['never backed up'],
    });
    expect(shown.shares.map((s) => s.name)).toEqual(['docs', 'pinned']);
    expect(shown.backups).toEqual([]);
    expect(shown.heat).toMatchObject({ items: [] });
    expect(shown.jobs).toEqual([]);

    // The detail lists the newest 10 jobs about the device (its object), newest first.
    e.runner.register({
      type: 'test-device-job',
      params: z.object({ device: z.string() }),
      title: (p) => `Test ${p.device}`,
      object: (p) => ({ kind: 'device', name: p.device }),
      steps: [],
    });
    const ids = Array.from({ length: 12 }, () => e.runner.create('test-device-job', { device: 'fs1' }).id);
    e.runner.create('test-device-job', { device: 'other' });
    const jobs = value(await e.call('devices.show', { name: 'fs1' })).jobs;
    expect(jobs).toHaveLength(10);
    expect(new Set(jobs)).toEqual(new Set(ids.slice(2)));
  });

  it('never over-provisions when two shares are created at once', async () => {
    const { engine: e, key } = await open();
    await fileServer(e, key, 'fs1', '100MiB');
    const both = await Promise.all([
      e.call('shares.create', { device: 'fs1', name: 'a', quota: '60MiB' }),
      e.call('shares.create', { device: 'fs1', name: 'b', quota: '60MiB' }),
    ]);
    expect(both.filter((r) => r.ok)).toHaveLength(1);
    expect(both.find((r) => !r.ok)).toMatchObject({
      error: { message: 'quota: 60 MiB does not fit: only 40 MiB of the 100 MiB capacity of fs1 is not provisioned.' },
    });
    const health = async () => {
      const d = value(await e.call('devices.show', { name: 'fs1' })).device;
      return [d.health, d.healthReasons];
    };
    expect(await health()).toEqual(['warning', ['never backed up']]);
    value(await e.call('shares.create', { device: 'fs1', name: 'c', quota: '35MiB' }));
    expect(await health()).toEqual(['warning', ['95% of the capacity is provisioned', 'never backed up']]);
    const root = e.devices.store.require('fs1').root;
    fs.renameSync(root, `${root}.moved`);
    expect(await health()).toEqual([
      'critical',
      ['the data root is missing', '95% of the capacity is provisioned', 'never backed up'],
    ]);
    fs.renameSync(`${root}.moved`, root);
    const twice = await Promise.all(
      [0, 1].map(() =>
        e.call('devices.create', {
          name: 'dup',
          type: 'file',
          root: newRoot(),
          capacity: '1MiB',
          registrationKey: key,
        }),
      ),
    );
    expect(twice.map((r) => r.ok).sort()).toEqual([false, true]);
  });

  it('belong to file servers only', async () => {
    const { engine: e, key } = await open();
    value(
      await e.call('devices.create', {
        name: 'is1',
        type: 'iscsi',
        root: newRoot(),
        capacity: '1GiB',
        registrationKey: key,
      }),
    );
    const r = await e.call('shares.create', { device: 'is1', name: 'docs' });
    expect(r).toMatchObject({
      ok: false,
      error: {
        code: 'invalid_input',
        message: 'device: is1 is an iSCSI server; shares belong to file servers.',
        hint: expect.stringContaining('lifeboat volume create is1'),
      },
    });
    expect(await e.call('volumes.create', { device: 'fs1', name: 'v', size: '1MiB' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });

  it('goes offline read-only and online again, tracks usage over quota, edits, and deletes its data', async () => {
    const { engine: e, key } = await open();
    await fileServer(e, key);
    const docs = value(await e.call('shares.create', { device: 'fs1', name: 'docs', quota: '1MiB' }));
    fs.mkdirSync(path.join(docs.path, 'sub'));
    fs.writeFileSync(path.join(docs.path, 'sub', 'a.bin'), Buffer.alloc(2 * MiB, 1));

    // Usage is measured by the periodic tick (one walk per device), not on every read: until then reads show the cache.
    expect(value(await e.call('shares.list', { device: 'fs1' }))[0].used).toBe(0);
    const walks = vi.spyOn(e.devices.agent, 'usage');
    await Promise.all([e.devices.usage.tick(), e.devices.usage.tick(), e.devices.usage.tick()]);
    // Three at once: the one running, then one more shared by the two that came while it ran (never older than asked).
    expect(walks).toHaveBeenCalledTimes(2);
    walks.mockRestore();
    const listed = value(await e.call('shares.list', { device: 'fs1' }))[0];
    expect(listed.used).toBeGreaterThanOrEqual(2 * MiB);
    expect(listed.overQuota).toBe(true);
    expect(value(await e.call('devices.show', { name: 'fs1' })).device.health).toBe('critical');
    const overAlerts = () =>
      e.alerts.list(false).filter((a) => a.title === 'Share over quota' && a.objectName === 'fs1/docs');
    expect(overAlerts()).toHaveLength(1);
    value(await e.call('shares.list', { device: 'fs1' }));
    expect(overAlerts()).toHaveLength(1); // raised once, not on every look
    e.alerts.acknowledge(overAlerts().map((a) => a.id));
    value(await e.call('devices.show', { name: 'fs1' }));
    expect(overAlerts()).toHaveLength(0); // and not again once acknowledged while still over quota
    fs.rmSync(path.join(e.devices.store.require('fs1').root, 'shares', 'docs', 'sub', 'a.bin'));
    // A look still shows the last scan; a refresh (the dashboard's Refresh, `device show --refresh`) measures now.
    expect(value(await e.call('shares.list', { device: 'fs1' }))[0].overQuota).toBe(true);
    const refreshed = value(await e.call('devices.show', { name: 'fs1', refresh: true })).shares[0];
    expect(refreshed.used).toBeLessThan(MiB);
    expect(refreshed.overQuota).toBe(false);
    fs.writeFileSync(path.join(docs.path, 'sub', 'a.bin'), Buffer.alloc(2 * MiB, 1));
    await e.devices.usage.tick();
    expect(overAlerts()).toHaveLength(1); // over quota again after dropping under: a new alert

    expect(await e.call('shares.edit', { device: 'fs1', name: 'docs', quota: '1MiB' })).toMatchObject({
      ok: false,
      error: {
        code: 'invalid_input',
        message: expect.stringMatching(/^quota: 1\.0 MiB is less than the 2\.0 MiB the share docs already uses/),
      },
    });
    const edited = value(
      await e.call('shares.edit', { device: 'fs1', name: 'docs', quota: '10MiB', description: 'Docs', user: ['bob'] }),
    );
    expect(edited).toMatchObject({ quota: 10 * MiB, description: 'Docs', users: ['bob'], overQuota: false });
    expect(overAlerts()).toHaveLength(0); // cleared once under quota

    const off = value(await e.call('shares.offline', { device: 'fs1', name: 'docs' }));
    expect(off.online).toBe(false);
    for (const p of [docs.path, path.join(docs.path, 'sub'), path.join(docs.path, 'sub', 'a.bin')])
      expect(fs.statSync(p).mode & 0o222, p).toBe(0);
    expect(() => e.devices.assertItemWritable(e.devices.store.require('fs1'), 'share', 'docs')).toThrow(
      /offline and read-only/,
    );
    expect(value(await e.call('devices.show', { name: 'fs1' })).device.health).toBe('warning');
    const on = value(await e.call('shares.online', { device: 'fs1', name: 'docs' }));
    expect(on.online).toBe(true);
    for (const p of [docs.path, path.join(docs.path, 'sub', 'a.bin')])
      expect(fs.statSync(p).mode & 0o200, p).toBe(0o200);
    fs.writeFileSync(path.join(docs.path, 'b.txt'), 'writable again');

    // Deleting removes the folder even when it was offline (read-only).
    value(await e.call('shares.offline', { device: 'fs1', name: 'docs' }));
    expect(value(await e.call('shares.delete', { device: 'fs1', name: 'docs' }))).toEqual({
      deleted: 'docs',
      device: 'fs1',
    });
    expect(fs.existsSync(docs.path)).toBe(false);
    expect(value(await e.call('shares.list', { device: 'fs1' }))).toEqual([]);
    expect(await e.call('shares.delete', { device: 'fs1', name: 'docs' })).toMatchObject({
      ok: false,
      error: { code: 'not_found', message: 'There is no share docs on fs1.' },
    });
  });
});

describe('volumes', () => {
  it('creates sparse images with ACRs and CHAP kept in the secret store', async () => {
    const { engine: e, key } = await open();
    const dev = value(
      await e.call('devices.create', {
        name: 'is1',
        type: 'iscsi',
        root: newRoot(),
        capacity: '256MiB',
        registrationKey: key,
      }),
    );
    const vol = value(
      await e.call('volumes.create', {
        device: 'is1',
        name: 'vol1',
        size: '64MiB',
        acr: ['iqn.1991-05.com.microsoft:host1', 'eui.02004567A425678D'],
        chapUser: 'u',
        chapSecret: '123456789012',
        type: 'archival',
      }),
    );
    expect(vol).toMatchObject({
      name: 'vol1',
      size: 64 * MiB,
      tier: 'tiered',
      type: 'archival',
      chapUser: 'u',
      online: true,
      path: path.join(dev.root, 'volumes', 'vol1'),
      acrs: [
        { name: 'iqn.1991-05.com.microsoft:host1', iqn: 'iqn.1991-05.com.microsoft:host1' },
        { name: 'eui.02004567a425678d', iqn: 'eui.02004567a425678d' },
      ],
    });
    const st = fs.statSync(vol.path);
    expect(st.size).toBe(64 * MiB);
    expect(st.blocks * 512).toBeLessThan(64 * MiB);
    expect(vol.allocated).toBe(st.blocks * 512);
    const row = e.devices.store.volume(dev.id, 'vol1')!;
    expect(e.devices.store.chapSecret(row.id)).toBe('123456789012');
    expect(JSON.stringify(e.db.prepare('SELECT * FROM volumes').all())).not.toContain('123456789012');

    const err = async (input: Record<string, unknown>) => {
      const r = await e.call('volumes.create', { device: 'is1', name: 'v2', size: '1MiB', ...input } as never);
      if (r.ok) throw new Error('accepted');
      return r.error;
    };
    expect((await err({ acr: ['iqn.1991-13.com.microsoft:x'] })).message).toMatch(/^acr: .* has month 13/);
    expect((await err({ acr: ['not-an-iqn'] })).message).toBe('acr: "not-an-iqn" is not a valid initiator name (IQN).');
    const long = 'iqn.1991-05.com.microsoft:' + 'h'.repeat(221 - 26);
    expect((await err({ acr: [long] })).message).toMatch(/has 221 characters; at most 220 are allowed/);
    expect((await err({ chapUser: 'u', chapSecret: '12345678901' })).message).toBe(
      'chapSecret: the CHAP secret must be 12 to 16 characters long; the one given has 11.',
    );
    const seventeen = await err({ chapUser: 'u', chapSecret: 'abcdefghijklmnopq' });
    expect(seventeen.message).toMatch(/the one given has 17/);
    expect(seventeen.message).not.toContain('abcdefghijklmnopq');
    expect((await err({ size: '193MiB' })).message).toBe(
      'size: 193 MiB does not fit: only 192 MiB of the 256 MiB capacity of is1 is not provisioned.',
    );
    expect((await err({ name: 'VOL1' })).code).toBe('conflict');
    expect(fs.readdirSync(path.join(dev.root, 'volumes'))).toEqual(['vol1']);

    // A share on an iSCSI server / a volume on a file server.
    await fileServer(e, key);
    expect(await e.call('volumes.create', { device: 'fs1', name: 'v', size: '1MiB' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: 'device: fs1 is a file server; volumes belong to iSCSI servers.' },
    });
  });

  it('edits ACRs and CHAP, goes offline and online, and deletes its image and secret', async () => {
    const { engine: e, key } = await open();
    const dev = value(
      await e.call('devices.create', {
        name: 'is1',
        type: 'iscsi',
        root: newRoot(),
        capacity: '256MiB',
        registrationKey: key,
      }),
    );
    const vol = value(await e.call('volumes.create', { device: 'is1', name: 'vol1', size: '16MiB', pinned: true }));
    expect(vol).toMatchObject({ tier: 'locally-pinned', chapUser: null, acrs: [] });
    const id = e.devices.store.volume(dev.id, 'vol1')!.id;

    const fh = fs.openSync(vol.path, 'r+');
    fs.writeSync(fh, Buffer.alloc(MiB, 7), 0, MiB, 4 * MiB);
    fs.closeSync(fh);
    await e.devices.usage.tick();
    const after = value(await e.call('volumes.list', { device: 'is1' }))[0];
    expect(after.allocated).toBeGreaterThanOrEqual(MiB);
    expect(after.allocated).toBeLessThan(16 * MiB);
    expect(fs.statSync(vol.path).size).toBe(16 * MiB);

    const edited = value(
      await e.call('volumes.edit', {
        device: 'is1',
        name: 'vol1',
        acr: ['iqn.2010-01.org.example:a'],
        chapUser: 'admin',
        chapSecret: 'abcdefghijklmnop',
      }),
    );
    expect(edited).toMatchObject({ acrs: [{ iqn: 'iqn.2010-01.org.example:a' }], chapUser: 'admin' });
    expect(e.devices.store.chapSecret(id)).toBe('abcdefghijklmnop');
    value(await e.call('volumes.edit', { device: 'is1', name: 'vol1', chapSecret: '0000000000000' }));
    expect(e.devices.store.chapSecret(id)).toBe('0000000000000');
    expect(await e.call('volumes.edit', { device: 'is1', name: 'vol1', noChap: true, chapUser: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: expect.stringMatching(/^noChap: /) },
    });
    const cleared = value(await e.call('volumes.edit', { device: 'is1', name: 'vol1', noChap: true }));
    expect(cleared).toMatchObject({ chapUser: null, acrs: [{ iqn: 'iqn.2010-01.org.example:a' }] });
    expect(e.devices.store.chapSecret(id)).toBeNull();

    value(await e.call('volumes.edit', { device: 'is1', name: 'vol1', chapUser: 'u2', chapSecret: '123456789012' }));
    value(await e.call('volumes.offline', { device: 'is1', name: 'vol1' }));
    expect(fs.statSync(vol.path).mode & 0o222).toBe(0);
    expect(() => e.devices.assertItemWritable(e.devices.store.require('is1'), 'volume', 'vol1')).toThrow(/offline/);
    value(await e.call('volumes.online', { device: 'is1', name: 'vol1' }));
    expect(fs.statSync(vol.path).mode & 0o200).toBe(0o200);

    expect(value(await e.call('volumes.delete', { device: 'is1', name: 'vol1' }))).toEqual({
      deleted: 'vol1',
      device: 'is1',
    });
    expect(fs.existsSync(vol.path)).toBe(false);
    expect(e.devices.store.chapSecret(id)).toBeNull();
    expect(value(await e.call('devices.show', { name: 'is1' })).device).toMatchObject({ provisioned: 0, volumes: 0 });
  });
});
