/**
 * kill -9 mid-failback to an older point, through the real CLI (docs/failover.md, "Failback to any point"): the CLI
 * dies with the point's copy complete beside the original disk and not yet switched in; the original disk still holds
 * a whole point (the newest); the same command takes the job back and the original disk then holds exactly the older
 * point's bytes, nothing of Lifeboat's left beside it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildMain, CLI, cli, ok, readDb, tempHome, until } from '../helpers/home';
import { age, BLOCK, makeDisk, MiB, writeAt } from '../helpers/replication-lab';

beforeAll(buildMain, 120_000);

const job = <R>(home: string, args: string[]) =>
  ok(cli(home, [...args, '--json'])).json<{ id: string; status: string; attempts: number; result: R }>();
const points = (home: string) => ok(cli(home, ['item', 'points', 'vm', '--json'])).json<{ id: string }[]>();

describe('kill -9 mid-failback', () => {
  it('leaves the original disk a whole point, and the same command finishes the failback to the older point', async () => {
    const home = tempHome();
    const root = path.join(tempHome('lifeboat-site-'), 'dr');
    const src = tempHome('lifeboat-src-');
    const disk = makeDisk(path.join(src, 'vm.img'), 4 * MiB, [...Array(16).keys()]);
    age(disk);
    ok(cli(home, ['site', 'add', 'dr', '--root', root]));
    ok(cli(home, ['policy', 'create', 'fast', '--frequency', '30s']));
    ok(cli(home, ['item', 'protect', 'vm', '--disk', disk, '--recovery-site', 'dr', '--policy', 'fast']));
    job(home, ['item', 'failover', 'vm', '--type', 'planned', '--yes']);
    ok(cli(home, ['item', 'commit', 'vm', '--yes', '--json']));
    job(home, ['item', 'reprotect', 'vm', '--yes']);
    const activeDisk = path.join(root, '_active', 'vm', 'disks', 'vm.img');
    const older = fs.readFileSync(activeDisk);
    writeAt(activeDisk, 5 * BLOCK, BLOCK);
    age(activeDisk);
    job(home, ['item', 'replicate', 'vm']);
    const newest = fs.readFileSync(activeDisk);
    const [first, last] = [points(home)[0], points(home).at(-1)!];
    expect(first.id).not.toBe(last.id);
    expect(fs.readFileSync(disk).equals(newest)).toBe(true);

    const args = ['item', 'failover', 'vm', '--type', 'unplanned', '--point', first.id, '--yes', '--json'];
    const child = spawn(process.execPath, [CLI, '--home', home, ...args], {
      env: { ...process.env, LIFEBOAT_FAILOVER_FAULT: 'mid-copy' },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const held = () =>
      readDb(
        home,
        (db) =>
          db.prepare("SELECT job_id FROM job_events WHERE kind = 'fault-point'").pluck().get() as string | undefined,
      );
    const jobId = await until('the failback held mid-copy', held, 90_000);
    child.kill('SIGKILL');
    await exited;
    expect(fs.readFileSync(disk).equals(newest)).toBe(true);
    expect(fs.readFileSync(path.join(src, '.vm.img.lifeboat-partial')).equals(older)).toBe(true);

    const done = job<{ to: string; point: { id: string } }>(home, args.slice(0, -1));
    expect(done).toMatchObject({
      id: jobId,
      status: 'succeeded',
      attempts: 2,
      result: { to: 'primary', point: { id: first.id } },
    });
    expect(fs.readFileSync(disk).equals(older)).toBe(true);
    ok(cli(home, ['item', 'commit', 'vm', '--yes', '--json']));
    expect(fs.readdirSync(src).filter((f) => f.includes('lifeboat'))).toEqual([]);
  }, 300_000);
});
