/**
 * Test failover, point options and cancel, in process with real files and SQLite (test/helpers/protection.ts): a test
 * failover while a writer keeps writing brings up an isolated copy of the point, replication goes on, the replica is
 * never written by the test, and cleanup leaves nothing behind and keeps a drill report; the multi-item options of a
 * replication group under the ordered A-then-B writer never give B's write without A's; a failover cancelled before
 * the item was switched leaves it protected, with replication resuming and no copy at the site.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BLOCK,
  diskAt,
  error,
  makeDisk,
  MiB,
  openLab,
  ORDERED_WRITER,
  points,
  seq,
  settle,
  show,
  startWriter,
  value,
  writeAt,
} from '../helpers/protection';
import type { Lab } from '../helpers/protection';

let lab: Lab | null = null;
let writer: ChildProcess | null = null;
afterEach(async () => {
  writer?.kill('SIGKILL');
  writer = null;
  delete process.env.LIFEBOAT_FAILOVER_FAULT;
  await lab?.close();
  lab = null;
});

/** Writes random 4 KiB pieces into the first 16 blocks of a disk, every 20 ms. */
const RANDOM = `
const fs = require('fs'), crypto = require('crypto');
const fd = fs.openSync(process.argv[1], 'r+'), pause = new Int32Array(new SharedArrayBuffer(4));
process.stdout.write('started\\n');
for (;;) { fs.writeSync(fd, crypto.randomBytes(4096), 0, 4096, Math.floor(Math.random() * 16) * 65536); Atomics.wait(pause, 0, 0, 20); }`;

const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/**
 * Replicates until a cycle succeeds (a writer may tear a read five times: that cycle fails and is retried). Where the
 * file system has no reflinks and the machine is loaded, a writer every 20 ms can tear every read of every cycle, so
 * after three torn cycles the writer is stopped (SIGSTOP) for one cycle and then continued.
 */
async function replicate(l: Lab, name: string): Promise<void> {
  for (let i = 0; i < 10; i++) {
    l.t += 30_000;
    const paused = i >= 3 && writer !== null && writer.kill('SIGSTOP');
    try {
      const done = await l.engine.runner.wait(value(await l.engine.call('items.replicate', { name })).id, 120_000);
      if (done.status === 'succeeded') return;
    } finally {
      if (paused) writer?.kill('SIGCONT');
    }
  }
  throw new Error(`no cycle of ${name} succeeded`);
}

describe('test failover, point options and cancel', () => {
  it('a test failover while the writer writes: an isolated copy, replication goes on, cleanup leaves nothing behind', async () => {
    lab = await openLab();
    const { engine } = lab;
    const disk = makeDisk(path.join(lab.work, 'vm.img'), 2 * MiB, [0, 1, 2]);
    const start = 'echo up at $LIFEBOAT_PATH';
    await settle(
      engine,
      value(
        await engine.call('items.protect', { name: 'vm', disk: [disk], recoverySite: 'dr', policy: 'fast', start }),
      ),
    );
    const siteBefore = fs.readdirSync(lab.siteRoot).sort();
    writer = await startWriter(RANDOM, [disk]);
    await replicate(lab, 'vm');
    const point = (await points(engine, 'vm')).at(-1)!;

    const job = await settle(
      engine,
      value(await engine.call('items.failover', { name: 'vm', type: 'test', point: point.id })),
    );
    const shown = await show(engine, 'vm');
    expect(shown).toMatchObject({
      phase: 'protected',
      activeSite: 'primary',
      testFailover: { pointId: point.id, jobId: job.id },
    });
    const testDisk = shown.disks[0].testPath!;
    expect(testDisk).toBe(path.join(lab.siteRoot, '_test', 'vm', 'disks', 'vm.img'));
    expect(fs.readFileSync(testDisk).equals(await diskAt(lab, 'vm', point.id, 'vm.img'))).toBe(true);
    expect(error(await engine.call('items.failover', { name: 'vm', type: 'test', point: 'latest' }))).toMatchObject({
      code: 'not_allowed',
      message: 'A test failover of vm is up already.',
      hint: 'Clean it up first with `lifeboat item cleanup-test vm`.',
    });
    expect(value(await engine.call('items.failoverOptions', { name: 'vm', type: 'test' })).testActive).toBe(true);
    const before = (await points(engine, 'vm')).length;

    // The test machine writes to its copy: the replica does not change, and replication goes on meanwhile.
    const replica = shown.disks[0].replicaPath;
    const replicaBefore = sha(replica);
    writeAt(testDisk, 40 * BLOCK, BLOCK);
    expect(sha(replica)).toBe(replicaBefore);
    await replicate(lab, 'vm');
    await replicate(lab, 'vm');
    writer!.kill('SIGKILL');
    writer = null;
    await replicate(lab, 'vm');
    expect((await points(engine, 'vm')).length).toBeGreaterThanOrEqual(before + 3);
    expect(fs.readFileSync(replica).equals(fs.readFileSync(disk))).toBe(true);
    expect(
      fs
        .readFileSync(testDisk)
        .subarray(40 * BLOCK, 41 * BLOCK)
        .equals(fs.readFileSync(replica).subarray(40 * BLOCK, 41 * BLOCK)),
    ).toBe(false);

    const report = value(await engine.call('items.cleanupTest', { name: 'vm', notes: 'The web page answered.' }));
    const testPath = path.dirname(path.dirname(testDisk));
    expect(report).toMatchObject({
      item: 'vm',
      jobId: job.id,
      point: { id: point.id },
      notes: 'The web page answered.',
      testPath,
    });
    expect(report.commandRuns[0]).toMatchObject({
      name: 'start',
      exitCode: 0,
      output: `up at ${path.join(lab.siteRoot, '_test', 'vm')}\n`,
    });
    expect(report.timeToStartMs).toBeGreaterThan(0);
    expect(report.cleanedUpAt).not.toBeNull();
    expect(fs.readdirSync(lab.siteRoot).sort()).toEqual(siteBefore);
    expect((await show(engine, 'vm')).testFailover).toBeNull();
    expect((await show(engine, 'vm')).disks[0].testPath).toBeNull();
    expect(value(await engine.call('items.drills', { name: 'vm' })).drills).toEqual([report]);
    expect(error(await engine.call('items.cleanupTest', { name: 'vm' }))).toMatchObject({
      code: 'not_allowed',
      message: 'vm has no test failover up.',
    });
  }, 300_000);

  it('multi-item options give the group a common point: never B’s write without A’s; an item outside a group its own latest', async () => {
    lab = await openLab({ appConsistent: '0' });
    const { engine, work } = lab;
    const diskA = makeDisk(path.join(work, 'a.img'), MiB, [0, 4]);
    const diskB = makeDisk(path.join(work, 'b.img'), MiB, [0, 9]);
    const solo = makeDisk(path.join(work, 'solo.img'), MiB, [0]);
    for (const [name, d] of [
      ['app-a', diskA],
      ['app-b', diskB],
    ])
      await settle(
        engine,
        value(await engine.call('items.protect', { name, disk: [d], recoverySite: 'dr', policy: 'fast', group: 'g' })),
      );
    await settle(
      engine,
      value(await engine.call('items.protect', { name: 'solo', disk: [solo], recoverySite: 'dr', policy: 'fast' })),
    );
    writer = await startWriter(ORDERED_WRITER, [diskA, diskB]);
    for (let i = 0; i < 3; i++) await replicate(lab, 'app-a');
    writer!.kill('SIGKILL');
    writer = null;

    const opts = value(await engine.call('items.failoverOptions', { name: 'app-b', type: 'test' }));
    const multi = opts.options.find((o) => o.option === 'latest-multi-processed')!;
    expect(multi).toMatchObject({ available: true, group: 'g' });
    expect(multi.point!.groupPoint).not.toBeNull();
    const app = opts.options.find((o) => o.option === 'latest-multi-app-consistent')!;
    expect(app).toMatchObject({
      available: false,
      reason: 'The group g has no complete multi-item app-consistent point yet.',
    });
    expect(opts.options.every((o) => o.rtoSeconds > 0)).toBe(true);

    for (const name of ['app-a', 'app-b'])
      await settle(
        engine,
        value(await engine.call('items.failover', { name, type: 'test', point: 'latest-multi-processed' })),
      );
    const [a, b] = [await show(engine, 'app-a'), await show(engine, 'app-b')];
    const pa = (await points(engine, 'app-a')).find((p) => p.id === a.testFailover!.pointId)!;
    const pb = (await points(engine, 'app-b')).find((p) => p.id === b.testFailover!.pointId)!;
    expect(pa.groupPoint).toBe(pb.groupPoint);
    const [sa, sb] = [seq(fs.readFileSync(a.disks[0].testPath!)), seq(fs.readFileSync(b.disks[0].testPath!))];
    expect(sa).toBeGreaterThan(0);
    expect(sb, `B ${sb}, A ${sa}`).toBeLessThanOrEqual(sa);
    expect(sa - sb).toBeLessThanOrEqual(1);

    const soloOpts = value(await engine.call('items.failoverOptions', { name: 'solo', type: 'unplanned' }));
    const newest = (await points(engine, 'solo')).at(-1)!;
    expect(soloOpts.options.find((o) => o.option === 'latest-multi-processed')).toMatchObject({
      available: true,
      group: null,
      point: { id: newest.id },
    });
  }, 300_000);

  it('a failover cancelled before the item was switched leaves it protected, replicating, with no copy at the site', async () => {
    lab = await openLab();
    const { engine } = lab;
    const disk = makeDisk(path.join(lab.work, 'vm.img'), MiB, [0, 3]);
    await settle(
      engine,
      value(await engine.call('items.protect', { name: 'vm', disk: [disk], recoverySite: 'dr', policy: 'fast' })),
    );
    process.env.LIFEBOAT_FAILOVER_FAULT = 'mid-copy';
    const job = value(
      await engine.call('items.failover', { name: 'vm', type: 'unplanned', point: 'latest-processed' }),
    );
    const held = async (id: string, point: string) => {
      const at = () =>
        engine.runner.store.db
          .prepare("SELECT 1 FROM job_events WHERE job_id = ? AND kind = 'fault-point' AND message = ?")
          .get(id, point);
      for (let i = 0; i < 600 && !at(); i++) await new Promise((r) => setTimeout(r, 100));
      expect(at(), `the job held at ${point}`).toBeTruthy();
    };
    await held(job.id, 'mid-copy');
    expect((await show(engine, 'vm')).phase).toBe('failing-over');
    value(await engine.call('jobs.cancel', { id: job.id }));
    await settle(engine, job, 'cancelled');
    const shown = await show(engine, 'vm');
    expect(shown).toMatchObject({ phase: 'protected', activeSite: 'primary', failover: null });
    expect(shown.nextCycleAt).not.toBeNull();
    expect(fs.existsSync(path.join(lab.siteRoot, '_active'))).toBe(false);
    delete process.env.LIFEBOAT_FAILOVER_FAULT;
    writeAt(disk, 5 * BLOCK, BLOCK);
    await replicate(lab, 'vm');
    expect(fs.readFileSync(shown.disks[0].replicaPath).equals(fs.readFileSync(disk))).toBe(true);

    // Once the item is switched to the recovery site and about to start, a cancel is refused with the reason.
    process.env.LIFEBOAT_FAILOVER_FAULT = 'before-start';
    const second = value(
      await engine.call('items.failover', { name: 'vm', type: 'unplanned', point: 'latest-processed' }),
    );
    await held(second.id, 'before-start');
    expect((await show(engine, 'vm')).phase).toBe('failed-over');
    expect(error(await engine.call('jobs.cancel', { id: second.id }))).toMatchObject({
      code: 'not_allowed',
      message:
        `Job ${second.id} cannot be cancelled now: the item is failed over and starting at the other site; ` +
        'change its recovery point with `lifeboat item change-point`, or commit it with `lifeboat item commit`.',
    });
  }, 240_000);

  it('a recovery site without room for the copy: the failover job stops before anything changes, with disk_full', async () => {
    lab = await openLab();
    const { engine } = lab;
    const small = path.join(lab.work, 'small');
    fs.mkdirSync(small);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', small]);
    if (mounted.status !== 0)
      throw new Error(`this test needs a small tmpfs (run as root): mount -t tmpfs was refused: ${mounted.stderr}`);
    try {
      value(await engine.call('sites.add', { name: 'tiny', root: path.join(small, 'dr') }));
      const disk = makeDisk(
        path.join(lab.work, 'vm.img'),
        16 * MiB,
        Array.from({ length: 16 }, (_, i) => i),
      );
      await settle(
        engine,
        value(await engine.call('items.protect', { name: 'vm', disk: [disk], recoverySite: 'tiny', policy: 'fast' })),
      );
      // The source grew to 9 MiB of data since its last point: a copy may need that much (the estimate is the source's).
      writeAt(disk, 16 * BLOCK, 128 * BLOCK);
      const job = await settle(
        engine,
        value(await engine.call('items.failover', { name: 'vm', type: 'unplanned', point: 'latest-processed' })),
        'failed',
      );
      expect(job.error).toMatchObject({ code: 'disk_full' });
      expect(job.error!.message).toMatch(/^The recovery site has \d+ bytes free; the copy of vm needs up to \d+\.$/);
      expect(await show(engine, 'vm')).toMatchObject({ phase: 'protected', activeSite: 'primary', failover: null });
      expect(fs.existsSync(path.join(small, 'dr', '_active'))).toBe(false);
    } finally {
      await lab.close();
      lab = null;
      spawnSync('umount', [small]);
    }
  }, 240_000);

  it('latest app-consistent: the newest point made with the quiesce command, older than the newest crash-consistent one', async () => {
    lab = await openLab({ appConsistent: '60m' });
    const { engine } = lab;
    const disk = makeDisk(path.join(lab.work, 'vm.img'), MiB, [0, 1]);
    const input = { name: 'vm', disk: [disk], recoverySite: 'dr', policy: 'fast', quiesce: 'true', thaw: 'true' };
    await settle(engine, value(await engine.call('items.protect', input)));
    const atApp = fs.readFileSync(disk);
    writeAt(disk, 6 * BLOCK, BLOCK);
    await replicate(lab, 'vm'); // 30 s later: no app-consistent point is due for an hour
    const all = await points(engine, 'vm');
    const app = all.filter((p) => p.kind === 'app').at(-1)!;
    expect(all.at(-1)!.kind).toBe('crash');

    const opts = value(await engine.call('items.failoverOptions', { name: 'vm', type: 'test' }));
    for (const option of ['latest-app-consistent', 'latest-multi-app-consistent'])
      expect(opts.options.find((o) => o.option === option)).toMatchObject({
        available: true,
        point: { id: app.id, kind: 'app' },
      });
    const processed = opts.options.find((o) => o.option === 'latest-processed')!;
    expect(processed.point!.id).toBe(all.at(-1)!.id);
    expect(opts.options.find((o) => o.option === 'latest-app-consistent')!.lossSeconds!).toBeGreaterThan(
      processed.lossSeconds!,
    );

    await settle(
      engine,
      value(await engine.call('items.failover', { name: 'vm', type: 'test', point: 'latest-app-consistent' })),
    );
    const shown = await show(engine, 'vm');
    expect(shown.testFailover!.pointId).toBe(app.id);
    expect(fs.readFileSync(shown.disks[0].testPath!).equals(atApp)).toBe(true);
  }, 240_000);

  it('a shutdown command that fails: the failover goes on and says so', async () => {
    lab = await openLab();
    const { engine } = lab;
    const disk = makeDisk(path.join(lab.work, 'vm.img'), MiB, [0, 2]);
    const input = {
      name: 'vm',
      disk: [disk],
      recoverySite: 'dr',
      policy: 'fast',
      shutdown: 'echo the source is gone; exit 5',
    };
    await settle(engine, value(await engine.call('items.protect', input)));
    const request = { name: 'vm', type: 'unplanned' as const, point: 'latest-processed', shutdownSource: true };
    const job = await settle(engine, value(await engine.call('items.failover', request)));
    const result = job.result as { shutdown: { exitCode: number }; warnings: string[] };
    expect(result.shutdown).toMatchObject({ exitCode: 5 });
    expect(result.warnings).toEqual([
      'The source was not shut down: the shutdown command exited with 5: the source is gone. The failover went on.',
    ]);
    expect((await show(engine, 'vm')).phase).toBe('failed-over');
  }, 120_000);
});
