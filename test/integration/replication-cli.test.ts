/**
 * Protection through the real CLI on real files: a recovery site, a policy, an item with a sparse disk image and a
 * folder; the initial replica is byte-identical with its holes kept; scattered block writes send only those blocks;
 * every recovery point materializes byte-identical to a copy of the source kept at its instant; retention prunes the
 * oldest points (engine call with a clock moved forward); bad input gets typed errors.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../main/engine/engine';
import { buildMain, cli, ok, tempHome } from '../helpers/home';
import { age, BLOCK, KiB, materialize, MiB, writeAt } from '../helpers/replication-lab';
import { describeTree } from '../helpers/tree';

beforeAll(buildMain, 120_000);

function failed(r: ReturnType<typeof cli>): string {
  expect(r.code, r.stdout).not.toBe(0);
  return r.stderr + r.stdout;
}

/** A copy of the source as it is now: the disk's bytes and the folder's tree. */
function keep(disk: string, folder: string) {
  return { disk: fs.readFileSync(disk), tree: describeTree(folder) };
}

interface Result {
  bytesSent: number;
  blocksSent: number;
  filesSent: number;
  filesDeleted: number;
  disksUnchanged: number;
  pointId: string;
}

describe('protected items through the CLI', () => {
  it('protects a sparse disk and a folder, sends only changed blocks, and every point materializes byte-identical', async () => {
    const home = tempHome();
    const work = tempHome('lifeboat-src-');
    const siteRoot = path.join(tempHome('lifeboat-site-'), 'dr');
    const disk = path.join(work, 'vm1.img');
    const folder = path.join(work, 'data');
    // A 4 MiB sparse image with data in three places and holes between.
    fs.writeFileSync(disk, '');
    fs.truncateSync(disk, 4 * MiB);
    writeAt(disk, 0, 2 * BLOCK);
    writeAt(disk, 20 * BLOCK, BLOCK);
    writeAt(disk, 60 * BLOCK, BLOCK / 2);
    age(disk);
    fs.mkdirSync(path.join(folder, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'a.txt'), 'alpha\n');
    fs.writeFileSync(path.join(folder, 'sub', 'b.bin'), crypto.randomBytes(100 * KiB));
    for (const f of ['a.txt', 'sub/b.bin', 'sub', '.']) age(path.join(folder, f));

    // Bad input, each with its code and what to do.
    expect(failed(cli(home, ['policy', 'create', 'p1', '--frequency', '1m']))).toContain(
      'error (invalid_input): --frequency: "1m" is not a replication frequency; choose 30 s, 5 min, 15 min.',
    );
    ok(cli(home, ['site', 'add', 'dr', '--root', siteRoot]));
    expect(failed(cli(home, ['site', 'add', 'dr2', '--root', home]))).toContain("is Lifeboat's data directory");
    ok(cli(home, ['policy', 'create', 'fast', '--frequency', '30s', '--retention', '1h']));
    expect(failed(cli(home, ['policy', 'edit', 'failback', '--retention', '2h']))).toContain(
      'error (not_allowed): The failback policy is fixed',
    );
    const protect = (name: string, extra: string[]) =>
      cli(home, ['item', 'protect', name, '--recovery-site', 'dr', '--policy', 'fast', ...extra]);
    expect(failed(protect('vm1', ['--disk', path.join(work, 'missing.img')]))).toMatch(
      /error \(invalid_input\): --disk: .*missing\.img does not exist\./,
    );
    expect(failed(protect('vm1', ['--disk', folder]))).toMatch(
      /error \(invalid_input\): --disk: .*data is a folder, not a disk image\.\nhint: Protect a folder with --folder/,
    );
    expect(
      failed(cli(home, ['item', 'protect', 'vm1', '--disk', disk, '--recovery-site', 'nowhere', '--policy', 'fast'])),
    ).toContain('error (not_found): There is no site nowhere.');
    expect(
      failed(cli(home, ['item', 'protect', 'vm1', '--disk', disk, '--recovery-site', 'dr', '--policy', 'none'])),
    ).toContain('error (not_found): There is no replication policy none.');

    // Enable protection: the job and its result.
    const at1 = keep(disk, folder);
    const job = ok(protect('vm1', ['--disk', disk, '--folder', folder, '--json'])).json<{
      status: string;
      steps: { name: string; status: string }[];
      result: { initial: Result; finalize: Result };
    }>();
    expect(job.status).toBe('succeeded');
    expect(job.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'prerequisites:succeeded',
      'initial:succeeded',
      'finalize:succeeded',
    ]);
    // Initial: the data blocks (two full, one full, one half block) plus the folder's files; the holes are not sent.
    expect(job.result.initial.blocksSent).toBe(4);
    expect(job.result.initial.bytesSent).toBe(4 * BLOCK + 6 + 100 * KiB);
    expect(job.result.finalize).toMatchObject({ bytesSent: 0, disksUnchanged: 1, filesSent: 0 });
    expect(failed(protect('vm1', ['--disk', disk]))).toContain(
      'error (already_exists): There is already a protected item named vm1.',
    );

    const shown = ok(cli(home, ['item', 'show', 'vm1', '--json'])).json<Record<string, unknown>>();
    expect(shown).toMatchObject({
      phase: 'protected',
      health: 'normal',
      activeSite: 'primary',
      recoverySite: 'dr',
      disks: [{ name: 'vm1.img', sourcePath: disk, replicaPath: path.join(siteRoot, 'vm1', 'disks', 'vm1.img') }],
      folders: [{ name: 'data', sourcePath: folder, replicaPath: path.join(siteRoot, 'vm1', 'folders', 'data') }],
    });
    expect(typeof shown.rpoSeconds).toBe('number');
    const replica = path.join(siteRoot, 'vm1', 'disks', 'vm1.img');
    expect(fs.readFileSync(replica).equals(at1.disk)).toBe(true);
    // Holes stay holes: the replica allocates only the four 64 KiB blocks that hold data (the source 3.5 of them).
    expect(fs.statSync(replica).size).toBe(4 * MiB);
    expect(fs.statSync(replica).blocks * 512).toBeLessThanOrEqual(4 * BLOCK);
    expect(fs.statSync(disk).blocks * 512).toBeGreaterThanOrEqual(3.5 * BLOCK);
    expect(describeTree(path.join(siteRoot, 'vm1', 'folders', 'data'))).toEqual(at1.tree);

    // Scattered writes: only those blocks go.
    writeAt(disk, 3 * BLOCK, BLOCK);
    writeAt(disk, 40 * BLOCK + 100, 10);
    writeAt(disk, 63 * BLOCK, BLOCK);
    age(disk);
    const at3 = keep(disk, folder);
    const c3 = ok(cli(home, ['item', 'replicate', 'vm1', '--json'])).json<{ status: string; result: Result }>();
    expect(c3.status).toBe('succeeded');
    expect(c3.result).toMatchObject({ blocksSent: 3, bytesSent: 3 * BLOCK, filesSent: 0, filesDeleted: 0 });

    // A folder change and one more block: a changed, a new and a deleted file.
    fs.writeFileSync(path.join(folder, 'a.txt'), 'alpha, changed\n');
    fs.mkdirSync(path.join(folder, 'new'));
    fs.writeFileSync(path.join(folder, 'new', 'c.txt'), 'gamma\n');
    fs.rmSync(path.join(folder, 'sub', 'b.bin'));
    for (const f of ['a.txt', 'new/c.txt', 'new', 'sub', '.']) age(path.join(folder, f));
    writeAt(disk, 20 * BLOCK, BLOCK);
    age(disk);
    const at4 = keep(disk, folder);
    const c4 = ok(cli(home, ['item', 'replicate', 'vm1', '--json'])).json<{ result: Result }>();
    expect(c4.result).toMatchObject({ blocksSent: 1, filesSent: 2, filesDeleted: 1, bytesSent: BLOCK + 15 + 6 });

    const points = ok(cli(home, ['item', 'points', 'vm1', '--json'])).json<
      { id: string; seq: number; kind: string }[]
    >();
    expect(points.map((p) => [p.seq, p.kind])).toEqual([
      [1, 'crash'],
      [2, 'crash'],
      [3, 'crash'],
      [4, 'crash'],
    ]);
    const expected = [at1, at1, at3, at4];
    for (const [i, p] of points.entries()) {
      const to = materialize(home, 'vm1', p.id);
      expect(fs.readFileSync(path.join(to, 'disks', 'vm1.img')).equals(expected[i].disk), `point ${p.seq}`).toBe(true);
      expect(describeTree(path.join(to, 'folders', 'data')), `point ${p.seq}`).toEqual(expected[i].tree);
    }
    expect(
      failed(cli(home, ['item', 'materialize', 'vm1', '--point', 'rp-nope', '--to', path.join(work, 'x')])),
    ).toContain('error (not_found): vm1 has no recovery point rp-nope.');
    expect(failed(cli(home, ['site', 'remove', 'dr', '--yes']))).toContain(
      'error (not_allowed): The site dr is used by vm1.',
    );

    // Retention (1 h): with the clock two hours on, every point but the newest goes, at the site too.
    const engine = Engine.open({ dataDir: home, mode: 'cli' });
    try {
      const item = engine.protection.items.store.requireItem('vm1');
      const pruned = await engine.protection.items.prune(item, new Date(Date.now() + 2 * 3600_000));
      expect(pruned).toEqual(points.slice(0, 3).map((p) => p.id));
      expect(engine.protection.items.points('vm1').map((p) => p.id)).toEqual([points[3].id]);
    } finally {
      await engine.close();
    }
    expect(fs.readdirSync(path.join(siteRoot, 'vm1', '.lifeboat', 'undo'))).toEqual([]);
    const last = materialize(home, 'vm1', points[3].id);
    expect(fs.readFileSync(path.join(last, 'disks', 'vm1.img')).equals(at4.disk)).toBe(true);

    ok(cli(home, ['item', 'disable', 'vm1', '--yes']));
    expect(fs.existsSync(path.join(siteRoot, 'vm1'))).toBe(false);
    ok(cli(home, ['site', 'remove', 'dr', '--yes']));
  }, 120_000);
});
