import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/engine/engine';
import { tempHome, until } from '../helpers/home';
import { describeTree } from '../helpers/tree';
import {
  backup,
  deactivate,
  describeImage,
  error,
  fileServer,
  fileServerWithData,
  iscsiServer,
  iscsiServerWithData,
  MiB,
  openEngine,
  random,
  settle,
  value,
} from './failover-setup';

let engine: Engine | null = null;
afterEach(async () => {
  await engine?.close();
  engine = null;
});

async function open() {
  const o = await openEngine();
  engine = o.engine;
  return o;
}

/** The failover's restore jobs in the order they were created. */
const children = (e: Engine, id: string) =>
  e.runner.store
    .list({ parentId: id, limit: 100 })
    .reverse()
    .map((r) => e.runner.toJob(r));

describe('failover of a file server', () => {
  it('restores every share on the target byte for byte, moves ownership and deletes the source', async () => {
    const { engine: e, key } = await open();
    const { docs, pinned } = await fileServerWithData(e, key, 'fs1');
    const before = { docs: describeTree(docs), pinned: describeTree(pinned) };
    expect(Object.keys(before.docs)).toEqual([
      'empty folder',
      'link-to-readme',
      'projects',
      'projects/2026',
      'projects/2026/plan.bin',
      'readme.txt',
      'Übersicht – 日本語 ✓.txt',
    ]);
    value(
      await e.call('devices.policy', { name: 'fs1', frequency: 'weekly', time: '21:30', weekday: 1, retention: 5 }),
    );
    await deactivate(e, 'fs1');
    const target = await fileServer(e, key, 'fs2');

    const targets = value(await e.call('failover.targets', { source: 'fs1' }));
    // Each target with the facts the wizard's picker shows.
    expect(targets).toEqual({
      source: 'fs1',
      compatible: [
        {
          device: 'fs2',
          warnings: [],
          facts: {
            status: 'online',
            registered: true,
            capacity: 2 ** 30,
            freeBytes: expect.any(Number),
            domain: 'corp.contoso.com',
            softwareVersion: expect.stringMatching(/^\d+\.\d+/),
          },
        },
      ],
      excluded: [],
    });
    expect(targets.compatible[0].facts.freeBytes).toBeGreaterThan(0);
    const plan = value(await e.call('failover.plan', { source: 'fs1', target: 'fs2' }));
    expect(plan).toMatchObject({ source: 'fs1', target: 'fs2', planned: true, backup: { kind: 'final' } });
    expect(plan.items.map((i) => i.name).sort()).toEqual(['docs', 'pinned']);
    expect(plan.bytesToRestore).toBe(
      MiB + 123 + 512 * 1024 + 'hello from the source\n'.length + 'unicode name\n'.length,
    );
    // The default account was probed when it was added: the estimate is bytes over its read rate, plus overhead.
    expect(plan.throughputBytesPerSecond).toBeGreaterThan(0);
    expect(plan.rtoSeconds).toBeGreaterThanOrEqual(30);

    const job = value(await e.call('failover.start', { source: 'fs1', target: 'fs2' }));
    expect(job).toMatchObject({ type: 'device.failover', objectKind: 'device', objectName: 'fs1' });
    // Both devices are held: nothing else may change them meanwhile.
    expect(e.devices.store.require('fs2').failover_job_id).toBe(job.id);
    expect(error(await e.call('shares.create', { device: 'fs2', name: 'x' }))).toMatchObject({
      code: 'busy',
      message: expect.stringContaining(job.id),
    });
    expect(error(await e.call('failover.start', { source: 'fs1', target: 'fs2' })).code).toBe('busy');

    const done = await settle(e, job);
    expect(done.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'prechecks:succeeded',
      'restore:succeeded',
      'transfer:succeeded',
      'finish:succeeded',
    ]);
    const restores = children(e, job.id);
    // One restore job per share, the locally pinned one first.
    expect(restores.map((r) => [r.type, r.status, JSON.parse(e.runner.store.row(r.id)!.params).sources])).toEqual([
      ['backup.restore', 'succeeded', ['pinned']],
      ['backup.restore', 'succeeded', ['docs']],
    ]);

    const t = e.devices.store.require('fs2');
    expect(describeTree(path.join(t.root, 'shares', 'docs'))).toEqual(before.docs);
    expect(describeTree(path.join(t.root, 'shares', 'pinned'))).toEqual(before.pinned);
    const fs2 = value(await e.call('devices.show', { name: 'fs2' }));
    expect(fs2.device).toMatchObject({ status: 'online', replaces: 'fs1', failoverJobId: null, account: 'default' });
    // Backups continue on the target on the source's schedule from before its deactivation.
    expect(fs2.device.policy).toMatchObject({
      frequency: 'weekly',
      time: '21:30',
      weekday: 1,
      retention: 5,
      nextAt: expect.any(String),
    });
    expect(
      fs2.shares.map((s) => ({
        name: s.name,
        tier: s.tier,
        quota: s.quota,
        description: s.description,
        users: s.users,
        online: s.online,
      })),
    ).toEqual([
      {
        name: 'docs',
        tier: 'tiered',
        quota: 200 * MiB,
        description: 'Team documents',
        users: ['CORP\\alice', 'CORP\\finance'],
        online: true,
      },
      {
        name: 'pinned',
        tier: 'locally-pinned',
        quota: 100 * MiB,
        description: 'Always local',
        users: [],
        online: true,
      },
    ]);
    const source = e.devices.store.byName('fs1', { includeDeleted: true })!;
    expect(source).toMatchObject({ status: 'deleted', failover_job_id: null });
    expect(t.lineage).toBe(source.lineage);
    expect(t.id).toBe(target.id);
    expect(value(await e.call('devices.list', {})).map((d) => d.name)).toEqual(['fs2']);

    const alerts = value(await e.call('alerts.list', { all: true }));
    expect(alerts).toContainEqual(
      expect.objectContaining({
        severity: 'info',
        title: 'Failover of fs1 to fs2 succeeded',
        hint: expect.stringContaining('fs1 -> fs2'),
      }),
    );
    expect(value(await e.call('failover.checklist', { id: job.id })).records).toEqual([
      { type: 'CNAME', name: 'fs1', value: 'fs2' },
      { type: 'CNAME', name: 'fs1.corp.contoso.com', value: 'fs2.corp.contoso.com' },
    ]);
    expect(error(await e.call('failover.abandon', { id: job.id })).code).toBe('not_allowed');

    // The target's own first backup stores next to nothing new: the data is in the account already.
    const b = await backup(e, 'fs2');
    const stored = e.accounts.catalog.row(JSON.parse(e.runner.store.row(b.id)!.state).snapshotId)!;
    expect(stored.stored_new).toBeLessThan(64 * 1024);
    expect(stored.bytes).toBe(plan.bytesToRestore);
  });

  it('fails an iSCSI server over to a device that was Ready to set up: sparse image, ACRs and CHAP come along', async () => {
    const { engine: e, key } = await open();
    const { image } = await iscsiServerWithData(e, key, 'is1');
    const before = describeImage(image);
    expect(before.allocated).toBeLessThan(4 * MiB);
    await deactivate(e, 'is1');
    await iscsiServer(e, key, 'is2', { registered: false });
    // Not registered, offered as such: the failover registers it as it takes over (the prechecks warn).
    expect(value(await e.call('failover.targets', { source: 'is1' })).compatible).toEqual([
      { device: 'is2', warnings: [], facts: expect.objectContaining({ status: 'ready-to-set-up', registered: false }) },
    ]);
    const checks = value(await e.call('failover.prechecks', { source: 'is1', target: 'is2' })).checks;
    expect(checks.find((c) => c.name === 'registered')).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('the failover registers it with this service'),
    });

    await settle(e, value(await e.call('failover.start', { source: 'is1', target: 'is2' })));
    const is2 = value(await e.call('devices.show', { name: 'is2' }));
    expect(is2.device).toMatchObject({ status: 'online', replaces: 'is1' });
    expect(is2.device.registeredAt).not.toBeNull();
    expect(is2.volumes).toEqual([
      expect.objectContaining({
        name: 'vol1',
        size: 16 * MiB,
        tier: 'tiered',
        type: 'general',
        acrs: [
          {
            name: 'iqn.1991-05.com.microsoft:host1.corp.contoso.com',
            iqn: 'iqn.1991-05.com.microsoft:host1.corp.contoso.com',
          },
        ],
        chapUser: 'host1',
        online: true,
      }),
    ]);
    const restored = describeImage(path.join(e.devices.store.require('is2').root, 'volumes', 'vol1'));
    expect(restored.sha256).toBe(before.sha256);
    expect(restored.size).toBe(16 * MiB);
    expect(restored.allocated).toBeLessThan(4 * MiB);
    const vol = e.devices.store.volumes(e.devices.store.require('is2').id)[0];
    expect(e.devices.store.chapSecret(vol.id)).toBe('S3cret-secret!');
    expect(
      value(
        await e.call('failover.checklist', {
          id:
            is2.device.failoverJobId ??
            e.runner.store.list({ limit: 100 }).find((j) => j.type === 'device.failover')!.id,
        }),
      ).records,
    ).toEqual([{ type: 'CNAME', name: 'is1', value: 'is2' }]);
  });
});

describe('failover prerequisites', () => {
  it('names why each device is excluded, and refuses an incompatible target', async () => {
    const { engine: e, key } = await open();
    await fileServerWithData(e, key, 'src', { fips: true });
    await deactivate(e, 'src');
    await fileServer(e, key, 'small', { capacity: '250MiB', fips: true });
    await fileServer(e, key, 'nofips');
    await iscsiServer(e, key, 'iscsi', { fips: true });
    await fileServer(e, key, 'full', { fips: true });
    value(await e.call('shares.create', { device: 'full', name: 'x', quota: '1MiB' }));
    const off = await fileServer(e, key, 'off', { fips: true });
    e.devices.store.update(off.id, { status: 'offline' });
    const busy = await fileServer(e, key, 'busy', { fips: true });
    e.devices.store.update(busy.id, { failover_job_id: 'job_other' });

    const t = value(await e.call('failover.targets', { source: 'src' }));
    expect(t.compatible).toEqual([]);
    const why = Object.fromEntries(t.excluded.map((x) => [x.device, x.reasons]));
    expect(why).toEqual({
      small: [{ code: 'capacity', message: 'Its capacity 250 MiB is less than the 300 MiB provisioned on src.' }],
      nofips: [
        {
          code: 'fips',
          message: 'FIPS mode is off on it; the source src runs in FIPS mode and fails over only to a FIPS device.',
        },
      ],
      iscsi: [{ code: 'type', message: 'It is an iSCSI server; the source src is a file server.' }],
      full: [{ code: 'not-empty', message: 'It has 1 share(s); a target must have no shares or volumes.' }],
      off: [{ code: 'status', message: 'It is offline; a target must be Ready to set up or Online.' }],
      busy: [
        { code: 'busy', message: 'It is held by the failover job job_other; resume or abandon that failover first.' },
      ],
    });
    const refused = error(await e.call('failover.start', { source: 'src', target: 'small' }));
    expect(refused).toMatchObject({
      code: 'no_compatible_target',
      message:
        'There are no compatible target devices for src. small: Its capacity 250 MiB is less than the 300 MiB provisioned on src.',
    });
    expect(refused.hint).toContain('lifeboat failover targets src');

    // Another domain is allowed, with a warning; then a refusal names the compatible one.
    await fileServer(e, key, 'elsewhere', { fips: true, domain: 'other.example.com' });
    const t2 = value(await e.call('failover.targets', { source: 'src' }));
    expect(t2.compatible).toEqual([
      {
        device: 'elsewhere',
        warnings: [
          {
            code: 'domain',
            message: expect.stringMatching(/in the domain other\.example\.com while src is in corp\.contoso\.com/),
          },
        ],
        facts: expect.objectContaining({ domain: 'other.example.com' }),
      },
    ]);
    expect(
      value(await e.call('failover.plan', { source: 'src', target: 'elsewhere' })).warnings.map((w) => w.code),
    ).toEqual(['domain']);
    expect(error(await e.call('failover.start', { source: 'src', target: 'iscsi' }))).toMatchObject({
      code: 'no_compatible_target',
      message: expect.stringMatching(/^iscsi cannot be the failover target of src: It is an iSCSI server/),
      hint: 'Choose a compatible target: elsewhere.',
    });
    // Nothing was held by the refusals.
    expect(e.devices.store.list().filter((d) => d.failover_job_id && d.name !== 'busy')).toEqual([]);
  });

  it('needs a deactivated source with a backup', async () => {
    const { engine: e, key } = await open();
    await fileServerWithData(e, key, 'live');
    await fileServer(e, key, 'spare');
    expect(error(await e.call('failover.targets', { source: 'live' }))).toMatchObject({
      code: 'not_allowed',
      message: 'The device live is online; only a deactivated device can be failed over.',
      hint: expect.stringContaining('lifeboat device deactivate live --confirm live'),
    });
    await deactivate(e, 'live', false);
    expect(error(await e.call('failover.plan', { source: 'live', target: 'spare' }))).toMatchObject({
      code: 'not_found',
      message: expect.stringMatching(/^The device live has no backup, so its data cannot be failed over/),
    });
    expect(error(await e.call('failover.start', { source: 'live', target: 'spare' })).code).toBe('not_found');
  });

  it('plans an unplanned failover from an older backup with a data-loss warning', async () => {
    const { engine: e, key } = await open();
    await fileServerWithData(e, key, 'fs1');
    await backup(e, 'fs1');
    await deactivate(e, 'fs1', false);
    await fileServer(e, key, 'fs2');
    const plan = value(await e.call('failover.plan', { source: 'fs1', target: 'fs2' }));
    expect(plan.planned).toBe(false);
    expect(plan.backup.kind).toBe('manual');
    expect(plan.warnings).toEqual([
      { code: 'unplanned', message: expect.stringMatching(/not a final one: changes made on fs1 after it are lost/) },
    ]);
  });
});

describe('failover prechecks', () => {
  it('fails before any data moves on a bad CHAP secret, releases both devices, and runs again once fixed', async () => {
    const { engine: e, key } = await open();
    await iscsiServerWithData(e, key, 'is1');
    await deactivate(e, 'is1');
    await iscsiServer(e, key, 'is2');
    const vol = e.devices.store.volumes(e.devices.store.require('is1').id)[0];
    e.devices.store.setChapSecret(vol.id, 'short');

    const job = await settle(e, value(await e.call('failover.start', { source: 'is1', target: 'is2' })), 'failed');
    expect(job.error).toMatchObject({
      code: 'precheck_failed',
      message: expect.stringMatching(
        /1 precheck\(s\) failed, no data was moved: \[iscsi\] .*vol1: the CHAP secret has 5 characters; it must have 12 to 16/,
      ),
    });
    expect(job.error!.message).not.toContain('short');
    expect(job.resumable).toBe(false);
    expect(job.steps.map((s) => s.status)).toEqual(['failed', 'pending', 'pending', 'pending']);
    expect(children(e, job.id)).toEqual([]);
    expect(
      e.runner.store
        .events(job.id)
        .filter((ev) => ev.kind.startsWith('precheck'))
        .map((ev) => ev.message.split(':')[0]),
    ).toEqual([
      'PASS account',
      'PASS cloud',
      'PASS target',
      'PASS registered',
      'PASS backup',
      'PASS space',
      'FAIL iscsi',
    ]);
    expect(e.devices.store.list().map((d) => d.failover_job_id)).toEqual([null, null]);
    expect(error(await e.call('failover.resume', { id: job.id }))).toMatchObject({
      code: 'not_allowed',
      hint: expect.stringContaining('start the failover again'),
    });

    // The fix the precheck names works on the deactivated source: its access settings stay editable, its data not.
    expect(job.error!.message).toContain('`lifeboat volume edit is1 vol1 --chap-secret SECRET`');
    value(await e.call('volumes.edit', { device: 'is1', name: 'vol1', chapSecret: 'a-good-secret!' }));
    expect(error(await e.call('shares.create', { device: 'is1', name: 'x' }))).toMatchObject({ code: 'not_allowed' });
    await settle(e, value(await e.call('failover.start', { source: 'is1', target: 'is2' })));
    expect(e.devices.store.chapSecret(e.devices.store.volumes(e.devices.store.require('is2').id)[0].id)).toBe(
      'a-good-secret!',
    );
    expect(e.devices.store.require('is2').status).toBe('online');
  });

  it('fails on an unreachable storage account and on a target without room, each with its fix', async () => {
    const { engine: e, key } = await open();
    const folder = path.join(tempHome('lifeboat-acct-'), 'lab');
    value(await e.call('accounts.add', { name: 'lab', local: folder }));
    await fileServerWithData(e, key, 'fs1', { account: 'lab' });
    await deactivate(e, 'fs1');
    await fileServer(e, key, 'fs2');

    fs.renameSync(folder, `${folder}.moved`);
    // The checklist says it before any job: one red line, whose fix is to reconnect the folder, never to create it.
    const before = value(await e.call('failover.prechecks', { source: 'fs1', target: 'fs2' }));
    expect(before.ok).toBe(false);
    const failed = before.checks.filter((c) => c.status === 'fail');
    expect(failed).toEqual([
      {
        name: 'account',
        status: 'fail',
        message: `The folder of the storage account "lab" (${folder}) is not there: its disk is not mounted, or the folder was moved or deleted.`,
        fix: expect.stringMatching(
          /^Reconnect the account's folder or disk; if the folder moved, give the account its new place \(Edit on the Storage accounts page\)/,
        ),
        page: 'Storage accounts',
        command: 'lifeboat account edit lab --local NEW_FOLDER',
      },
    ]);
    expect(failed[0].fix).not.toMatch(/create the folder/i);
    // The job's first step runs the same rules: the same line, nothing restored.
    const job = await settle(e, value(await e.call('failover.start', { source: 'fs1', target: 'fs2' })), 'failed');
    expect(job.error!.code).toBe('precheck_failed');
    expect(job.error!.message).toContain(
      `[account] ${failed[0].message} Fix: ${failed[0].fix} (\`lifeboat account edit lab --local NEW_FOLDER\`)`,
    );
    expect(job.error!.message).not.toContain('[cloud]');
    expect(children(e, job.id)).toEqual([]);
    // Reconnected where it moved (account edit), the prechecks run again and pass.
    value(await e.call('accounts.edit', { name: 'lab', local: `${folder}.moved` }));
    const after = value(await e.call('failover.prechecks', { source: 'fs1', target: 'fs2' }));
    expect(after.ok).toBe(true);
    expect(after.checks.map((c) => `${c.name}:${c.status}`)).toEqual([
      'account:pass',
      'cloud:pass',
      'target:pass',
      'registered:pass',
      'domain:pass',
      'backup:pass',
      'space:pass',
    ]);

    // Room: the capacity fits, the disk does not (its free space is what the device agent reports).
    const agent = e.devices.agent;
    const realFree = agent.freeBytes.bind(agent);
    const targetRoot = e.devices.store.require('fs2').root;
    agent.freeBytes = async (p: string) => (p === targetRoot ? 100 * 1024 : realFree(p));
    try {
      // The pinned share (100 MiB provisioned) no longer fits: fs2 is excluded before any job.
      expect(error(await e.call('failover.start', { source: 'fs1', target: 'fs2' })).code).toBe('no_compatible_target');
    } finally {
      agent.freeBytes = realFree;
    }
    let calls = 0;
    agent.freeBytes = async (p: string) => (p === targetRoot && ++calls > 1 ? 100 * 1024 : realFree(p));
    try {
      const full = await settle(e, value(await e.call('failover.start', { source: 'fs1', target: 'fs2' })), 'failed');
      expect(full.error!.message).toMatch(
        /\[space\] The disk of fs2 has 100 KiB free; the restore needs 1\.5 MiB\. Fix: Free 1\.4 MiB on the disk of fs2's data root/,
      );
    } finally {
      agent.freeBytes = realFree;
    }
    await settle(e, value(await e.call('failover.start', { source: 'fs1', target: 'fs2' })));
  });
});

describe('hot data first', () => {
  it('restores the hot files of a share before any cold file', async () => {
    const { engine: e, key } = await open();
    const device = await fileServer(e, key, 'fs1');
    value(await e.call('shares.create', { device: 'fs1', name: 'data', quota: '200MiB' }));
    const dir = path.join(device.root, 'shares', 'data');
    // Cold: one file untouched for 90 days, larger than a restore batch (32 MiB of fetched data), so it can only
    // be complete once a second batch is written; the hot files all fit in the first batch if they come first.
    fs.mkdirSync(path.join(dir, 'archive'));
    fs.writeFileSync(path.join(dir, 'archive', 'cold.bin'), random(40 * MiB));
    const old = new Date(Date.now() - 90 * 86_400_000);
    fs.utimesSync(path.join(dir, 'archive', 'cold.bin'), old, old);
    fs.mkdirSync(path.join(dir, 'hot'));
    const hot = ['a.doc', 'b.xls', 'c.txt'].map((n) => `hot/${n}`);
    for (const h of hot) fs.writeFileSync(path.join(dir, h), random(64 * 1024));
    await deactivate(e, 'fs1');

    const backupId = e.deviceBackups.latest(device.id)!.row.backup_id;
    const order = e.deviceBackups.restoreOrder(backupId, 'data');
    expect([...order].sort()).toEqual(hot.map((h) => `data/${h}`));

    const target = await fileServer(e, key, 'fs2');
    const restored = path.join(target.root, 'shares', 'data');
    // When the restore step has ended, and before the next step touches any file (listeners run synchronously),
    // note when each file was last written: a file's last write is its completion.
    const written = new Map<string, bigint>();
    e.bus.on((ev) => {
      if (
        ev.type !== 'job.updated' ||
        ev.job.type !== 'device.failover' ||
        ev.job.steps[1]?.status !== 'succeeded' ||
        written.size
      )
        return;
      for (const f of [...hot, 'archive/cold.bin'])
        written.set(f, fs.statSync(path.join(restored, f), { bigint: true }).ctimeNs);
    });
    const job = await settle(e, value(await e.call('failover.start', { source: 'fs1', target: 'fs2' })));
    const [child] = e.runner.store.list({ parentId: job.id, limit: 10 });
    expect(JSON.parse(child.params).priority).toEqual(order);
    expect(written.size).toBe(4);
    const lastHot = hot.map((h) => written.get(h)!).reduce((a, b) => (a > b ? a : b));
    expect(lastHot < written.get('archive/cold.bin')!).toBe(true);
    expect(fs.statSync(path.join(restored, 'archive', 'cold.bin')).size).toBe(40 * MiB);
  });
});

describe('a failover that stops midway', () => {
  /** Moves the account's folder away as soon as the prechecks have passed: every restore then fails. */
  function loseAccountAfterPrechecks(e: Engine, folder: string) {
    let moved = false;
    e.bus.on((ev) => {
      if (
        moved ||
        ev.type !== 'job.updated' ||
        ev.job.type !== 'device.failover' ||
        ev.job.steps[0]?.status !== 'succeeded'
      )
        return;
      moved = true;
      fs.renameSync(folder, `${folder}.gone`);
    });
    return () => fs.renameSync(`${folder}.gone`, folder);
  }

  async function setup() {
    const { engine: e, key } = await open();
    const folder = path.join(tempHome('lifeboat-acct-'), 'lab');
    value(await e.call('accounts.add', { name: 'lab', local: folder }));
    const { docs, pinned } = await fileServerWithData(e, key, 'fs1', { account: 'lab' });
    const before = { docs: describeTree(docs), pinned: describeTree(pinned) };
    await deactivate(e, 'fs1');
    const target = await fileServer(e, key, 'fs2');
    return { e, folder, before, target };
  }

  it('fails with the item and the cause when the account is lost, and resumes once it is back', async () => {
    const { e, folder, before, target } = await setup();
    const restoreAccount = loseAccountAfterPrechecks(e, folder);
    const failed = await settle(e, value(await e.call('failover.start', { source: 'fs1', target: 'fs2' })), 'failed');
    expect(failed.error!.message).toMatch(
      /^The failover of fs1 to fs2 stopped: restoring the share (pinned|docs) failed \(job job-\w+\): The folder \S+lab does not exist; the share (pinned|docs) failed/,
    );
    expect(failed.error!.hint).toContain(`lifeboat failover resume ${failed.id}`);
    expect(failed.resumable).toBe(true);
    expect(failed.steps.map((s) => s.status)).toEqual(['succeeded', 'failed', 'pending', 'pending']);
    const first = children(e, failed.id).map((c) => c.id);
    expect(first).toHaveLength(2);
    // Still held: nothing else may use the target while the failover can resume.
    expect(e.devices.store.require('fs2').failover_job_id).toBe(failed.id);
    expect(e.devices.store.require('fs1').status).toBe('deactivated');

    restoreAccount();
    await settle(e, value(await e.call('failover.resume', { id: failed.id })));
    // The same restore jobs were resumed; none was created again.
    expect(children(e, failed.id).map((c) => [c.id, c.status])).toEqual(first.map((id) => [id, 'succeeded']));
    expect(describeTree(path.join(target.root, 'shares', 'docs'))).toEqual(before.docs);
    expect(describeTree(path.join(target.root, 'shares', 'pinned'))).toEqual(before.pinned);
    expect(e.devices.store.require('fs2')).toMatchObject({
      status: 'online',
      replaces: e.devices.store.byName('fs1', { includeDeleted: true })!.id,
      failover_job_id: null,
    });
  });

  it('resumes a failover that an interrupted process left in the queue', async () => {
    const { e, folder, before, target } = await setup();
    const restoreAccount = loseAccountAfterPrechecks(e, folder);
    const failed = await settle(e, value(await e.call('failover.start', { source: 'fs1', target: 'fs2' })), 'failed');
    restoreAccount();
    // As the next Lifeboat leaves a job whose process died: back in the queue, not yet taken up.
    e.db.prepare("UPDATE jobs SET status = 'queued' WHERE id = ?").run(failed.id);
    const resumed = value(await e.call('failover.resume', { id: failed.id }));
    expect(resumed.id).toBe(failed.id);
    await settle(e, resumed);
    expect(describeTree(path.join(target.root, 'shares', 'docs'))).toEqual(before.docs);
  });

  it('is abandoned: the target is clean and released, and a new failover to it succeeds', async () => {
    const { e, folder, before, target } = await setup();
    const restoreAccount = loseAccountAfterPrechecks(e, folder);
    const failed = await settle(e, value(await e.call('failover.start', { source: 'fs1', target: 'fs2' })), 'failed');
    // What a restore cut short leaves behind on the target.
    fs.mkdirSync(path.join(target.root, 'shares', 'docs', 'projects'), { recursive: true });
    fs.writeFileSync(path.join(target.root, 'shares', 'docs', 'readme.txt'), 'partial');

    const abandoned = value(await e.call('failover.abandon', { id: failed.id }));
    expect(abandoned).toMatchObject({ status: 'cancelled', resumable: false });
    expect(children(e, failed.id).every((c) => c.status === 'cancelled')).toBe(true);
    expect(fs.readdirSync(path.join(target.root, 'shares'))).toEqual([]);
    expect(e.devices.store.require('fs2')).toMatchObject({ status: 'online', failover_job_id: null });
    expect(e.devices.store.require('fs1')).toMatchObject({ status: 'deactivated', failover_job_id: null });
    expect(error(await e.call('failover.resume', { id: failed.id })).code).toBe('not_allowed');
    expect(
      value(await e.call('failover.targets', { source: 'fs1' })).compatible.map((c) => [c.device, c.warnings]),
    ).toEqual([['fs2', []]]);

    restoreAccount();
    const again = await settle(e, value(await e.call('failover.start', { source: 'fs1', target: 'fs2' })));
    expect(again.id).not.toBe(failed.id);
    expect(describeTree(path.join(target.root, 'shares', 'docs'))).toEqual(before.docs);
    expect(describeTree(path.join(target.root, 'shares', 'pinned'))).toEqual(before.pinned);
  });

  it('is cancelled while restoring, and the target is cleaned the same way', async () => {
    const { e, target } = await setup();
    // Abandon as soon as a restore job runs (listeners run synchronously, so the failover is mid-restore).
    let abandoning: ReturnType<Engine['failover']['abandon']> | undefined;
    e.bus.on((ev) => {
      if (
        abandoning ||
        ev.type !== 'job.updated' ||
        ev.job.type !== 'backup.restore' ||
        ev.job.status !== 'running' ||
        !ev.job.parentId
      )
        return;
      abandoning = e.failover.abandon(ev.job.parentId);
    });
    const job = value(await e.call('failover.start', { source: 'fs1', target: 'fs2' }));
    await until('the abandon', () => abandoning);
    const cancelled = await abandoning!;
    expect(cancelled).toMatchObject({ id: job.id, status: 'cancelled' });
    expect(cancelled.steps.map((s) => s.status)).toEqual(['succeeded', 'cancelled', 'cancelled', 'cancelled']);
    expect(children(e, job.id).every((c) => c.status === 'cancelled' || c.status === 'succeeded')).toBe(true);
    expect(fs.readdirSync(path.join(target.root, 'shares'))).toEqual([]);
    expect(e.devices.store.list().map((d) => d.failover_job_id)).toEqual([null, null]);
    await settle(e, value(await e.call('failover.start', { source: 'fs1', target: 'fs2' })));
  });

  it('is paused, then abandoned: its restore jobs are stopped and the target cleaned', async () => {
    const { e, target } = await setup();
    let paused = false;
    e.bus.on((ev) => {
      if (
        paused ||
        ev.type !== 'job.updated' ||
        ev.job.type !== 'backup.restore' ||
        ev.job.status !== 'running' ||
        !ev.job.parentId
      )
        return;
      paused = true;
      e.runner.pause(ev.job.parentId);
    });
    const job = value(await e.call('failover.start', { source: 'fs1', target: 'fs2' }));
    const held = await settle(e, job, 'paused');
    expect(held.resumable).toBe(true);
    const abandoned = value(await e.call('failover.abandon', { id: job.id }));
    expect(abandoned.status).toBe('cancelled');
    expect(children(e, job.id).every((c) => c.status === 'cancelled' || c.status === 'succeeded')).toBe(true);
    expect(fs.readdirSync(path.join(target.root, 'shares'))).toEqual([]);
    expect(e.devices.store.list().map((d) => [d.name, d.status, d.failover_job_id])).toEqual([
      ['fs1', 'deactivated', null],
      ['fs2', 'online', null],
    ]);
    await settle(e, value(await e.call('failover.start', { source: 'fs1', target: 'fs2' })));
  });
});
