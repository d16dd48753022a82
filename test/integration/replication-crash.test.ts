/**
 * kill -9 of a CLI process in the middle of a replication cycle, after the site's journal said "applying" and the
 * first changed block reached the replica (LIFEBOAT_REPLICATION_FAULT=mid-apply holds it there). No point is listed
 * for the half-applied cycle; the next process finishes it (rolls it forward) as a complete point, replication goes
 * on, and every point materializes byte-identical to the source kept at its instant. Also kill -9 in the middle of
 * the first copy, which is written straight into its file at the site (LIFEBOAT_REPLICATION_FAULT=mid-copy): no
 * replica and no point until the next process copies again from the start.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildMain, CLI, cli, ok, readDb, until } from '../helpers/home';
import { age, BLOCK, materialize, MiB, vmLab, writeAt } from '../helpers/replication-lab';

beforeAll(buildMain, 120_000);

describe('kill -9 mid-cycle', () => {
  it('leaves only complete points; the next process rolls the cycle forward and replication continues', async () => {
    const { home, root: siteRoot, disk } = vmLab(2 << 20);
    ok(cli(home, ['site', 'add', 'dr', '--root', siteRoot]));
    ok(cli(home, ['policy', 'create', 'fast', '--frequency', '30s']));
    const atStart = fs.readFileSync(disk);
    ok(cli(home, ['item', 'protect', 'vm', '--disk', disk, '--recovery-site', 'dr', '--policy', 'fast']));
    const before = ok(cli(home, ['item', 'points', 'vm', '--json'])).json<{ id: string }[]>();
    expect(before).toHaveLength(2);

    // Many scattered blocks, so the cycle is held with most of them not yet written to the replica.
    for (let b = 1; b < 30; b += 2) writeAt(disk, b * BLOCK, BLOCK);
    age(disk);
    const atKill = fs.readFileSync(disk);
    const child = spawn(process.execPath, [CLI, '--home', home, 'item', 'replicate', 'vm', '--json'], {
      env: { ...process.env, LIFEBOAT_REPLICATION_FAULT: 'mid-apply' },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const jobId = await until(
      'the cycle held mid-apply',
      () =>
        fs.existsSync(path.join(home, 'lifeboat.db')) &&
        readDb(
          home,
          (db) =>
            db.prepare("SELECT job_id FROM job_events WHERE kind = 'fault-point'").pluck().get() as string | undefined,
        ),
      60_000,
    );
    expect(fs.existsSync(path.join(siteRoot, 'vm', '.lifeboat', 'cycle', 'APPLYING'))).toBe(true);
    // Half applied: the replica is neither the old point nor the new one.
    const replica = path.join(siteRoot, 'vm', 'disks', 'vm.img');
    expect(fs.readFileSync(replica).equals(atKill)).toBe(false);
    child.kill('SIGKILL');
    await exited;

    // A half-applied cycle is never shown as a point.
    expect(
      ok(cli(home, ['item', 'points', 'vm', '--json']))
        .json<{ id: string }[]>()
        .map((p) => p.id),
    ).toEqual(before.map((p) => p.id));

    // The next process takes the interrupted job back (replicate follows it): the site rolls the cycle forward.
    const resumed = ok(cli(home, ['item', 'replicate', 'vm', '--json'])).json<{
      id: string;
      status: string;
      attempts: number;
    }>();
    expect(resumed).toMatchObject({ id: jobId, status: 'succeeded', attempts: 2 });
    expect(fs.existsSync(path.join(siteRoot, 'vm', '.lifeboat', 'cycle'))).toBe(false);
    const after = ok(cli(home, ['item', 'points', 'vm', '--json'])).json<{ id: string; seq: number }[]>();
    expect(after.slice(0, 2).map((p) => p.id)).toEqual(before.map((p) => p.id));
    // The rolled-forward point of the killed cycle, then the resumed job's own (nothing changed in between).
    expect(after.map((p) => p.seq)).toEqual([1, 2, 3, 4]);
    expect(fs.readFileSync(replica).equals(atKill)).toBe(true);

    // Replication continues: one more change, one more point, only its block sent.
    writeAt(disk, 50 * BLOCK, BLOCK);
    age(disk);
    const atLast = fs.readFileSync(disk);
    const next = ok(cli(home, ['item', 'replicate', 'vm', '--json'])).json<{
      status: string;
      result: { blocksSent: number; bytesSent: number };
    }>();
    expect(next).toMatchObject({ status: 'succeeded', result: { blocksSent: 1, bytesSent: BLOCK } });
    const points = ok(cli(home, ['item', 'points', 'vm', '--json'])).json<{ id: string }[]>();
    expect(points).toHaveLength(5);
    for (const [i, p] of points.entries()) {
      const to = materialize(home, 'vm', p.id);
      const got = fs.readFileSync(path.join(to, 'disks', 'vm.img'));
      if (i >= 2 && i <= 3) expect(got.equals(atKill), `point ${i + 1}`).toBe(true);
      if (i === 4) expect(got.equals(atLast), 'point 5').toBe(true);
      if (i < 2) expect(got.equals(atStart), `point ${i + 1}`).toBe(true);
    }
  }, 180_000);

  it('kill -9 mid-first-copy leaves no replica and no point; the resumed job copies again and the points are identical', async () => {
    const { home, root: siteRoot, disk } = vmLab(8 << 20);
    // Data apart from the first run, so the copy is held with most of it not yet at the site.
    for (const b of [20, 40, 41, 60, 90, 120]) writeAt(disk, b * BLOCK, BLOCK);
    writeAt(disk, 4 * MiB, MiB);
    age(disk);
    const atStart = fs.readFileSync(disk);
    ok(cli(home, ['site', 'add', 'dr', '--root', siteRoot]));
    ok(cli(home, ['policy', 'create', 'fast', '--frequency', '30s']));
    const args = ['item', 'protect', 'vm', '--disk', disk, '--recovery-site', 'dr', '--policy', 'fast', '--json'];
    const child = spawn(process.execPath, [CLI, '--home', home, ...args], {
      env: { ...process.env, LIFEBOAT_REPLICATION_FAULT: 'mid-copy' },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const jobId = await until(
      'the first copy held',
      () =>
        fs.existsSync(path.join(home, 'lifeboat.db')) &&
        readDb(
          home,
          (db) =>
            db.prepare("SELECT job_id FROM job_events WHERE kind = 'fault-point'").pluck().get() as string | undefined,
        ),
      60_000,
    );
    // The copy is in its file inside the staged cycle, not yet the disk (its size is set at the commit); no replica yet.
    const copy = path.join(siteRoot, 'vm', '.lifeboat', 'cycle', 'disks', 'vm.img');
    const replica = path.join(siteRoot, 'vm', 'disks', 'vm.img');
    expect(fs.statSync(copy).size).toBeGreaterThan(0);
    expect(fs.statSync(copy).size).toBeLessThan(atStart.length);
    expect(fs.existsSync(replica)).toBe(false);
    child.kill('SIGKILL');
    await exited;
    expect(ok(cli(home, ['item', 'points', 'vm', '--json'])).json<unknown[]>()).toEqual([]);

    // The next process takes the job back: the site drops the half copy (rolled back) and the copy starts over.
    const resumed = ok(cli(home, ['jobs', 'wait', jobId, '--json'])).json<{ status: string; attempts: number }>();
    expect(resumed).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(fs.existsSync(path.join(siteRoot, 'vm', '.lifeboat', 'cycle'))).toBe(false);
    expect(fs.readFileSync(replica).equals(atStart)).toBe(true);
    const points = ok(cli(home, ['item', 'points', 'vm', '--json'])).json<{ id: string }[]>();
    expect(points).toHaveLength(2);
    for (const p of points)
      expect(fs.readFileSync(path.join(materialize(home, 'vm', p.id), 'disks', 'vm.img')).equals(atStart)).toBe(true);

    // Deltas go on from that copy: one block changed, one block sent.
    writeAt(disk, 100 * BLOCK, BLOCK);
    age(disk);
    const atLast = fs.readFileSync(disk);
    const next = ok(cli(home, ['item', 'replicate', 'vm', '--json'])).json<{
      status: string;
      result: { blocksSent: number };
    }>();
    expect(next).toMatchObject({ status: 'succeeded', result: { blocksSent: 1 } });
    expect(fs.readFileSync(replica).equals(atLast)).toBe(true);
  }, 180_000);
});
