/**
 * Reprotect and failback (seed 004's four phases) through the real CLI on real files: enable protection → delta →
 * planned failover (byte-identical) → change point → commit → reprotect, which compares block checksums on both sides
 * and sends only what differs (1% of the disk changed on each side: at most 3% of it sent) into the original disk at
 * its own path → delta replication in reverse → failback (a planned failover back) → commit → reprotect again, the
 * original site replicating to the recovery site as at first, again sending only differences. Reprotect before commit
 * is refused naming the next step; kill -9 of the CLI mid-reprotect (the original disk half rewritten) and
 * mid-failback (its final cycle half applied to the original disk) leave the job to finish in the next process.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  change,
  changeBothSides,
  deltaThenFailback,
  expectReprotectedFromDr,
  job,
  ONE_PERCENT,
  points,
  protectVm,
  same,
  show,
  SIZE,
  sourceVm,
  yes,
} from '../helpers/agent-failback';
import type { ReprotectResult } from '../helpers/agent-failback';
import { buildMain, CLI, cli, ok, readDb, tempHome, until } from '../helpers/home';

beforeAll(buildMain, 120_000);

/** The jobs a fault point held (LIFEBOAT_REPLICATION_FAULT=mid-apply). */
const HELD = "SELECT job_id FROM job_events WHERE kind = 'fault-point'";

/** A home, a recovery site `dr`, a half-full 16 MiB disk and a folder, protected as `vm` with a shutdown command. */
function protectedVm() {
  const home = tempHome();
  const root = path.join(tempHome('lifeboat-site-'), 'dr');
  const source = sourceVm();
  ok(cli(home, ['site', 'add', 'dr', '--root', root]));
  return { home, root, ...source, ...protectVm(home, root, source) };
}

const shutdowns = (log: string) => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').length : 0);

describe('reprotect and failback', () => {
  it('runs the four phases by CLI, sending only differences both ways', async () => {
    const lab = protectedVm();
    const { home, disk, log, activeDisk } = lab;
    const atStart = fs.readFileSync(disk);
    change(disk, 5, 1);
    expect(job(home, ['item', 'replicate', 'vm']).result).toMatchObject({ blocksSent: 1 });

    // Planned failover: byte-identical to the source at shutdown.
    const failover = yes(home, ['item', 'failover', 'vm', '--type', 'planned']);
    expect(failover.status).toBe('succeeded');
    expect(same(activeDisk, disk)).toBe(true);
    const atFailover = fs.readFileSync(disk);

    // Reprotect before commit: refused, naming the phase and the next step.
    const early = cli(home, ['item', 'reprotect', 'vm', '--yes', '--json']);
    expect(early.code).not.toBe(0);
    expect(early.json<{ error: { code: string; message: string; hint: string } }>().error).toMatchObject({
      code: 'not_allowed',
      message: expect.stringContaining('vm is failed over (not committed), so reprotect is not possible now'),
      hint: expect.stringContaining('lifeboat item commit vm'),
    });

    // Change point to the first point and back, then commit.
    const [first, , last] = points(home);
    yes(home, ['item', 'change-point', 'vm', '--point', first.id]);
    expect(fs.readFileSync(activeDisk).equals(atStart)).toBe(true);
    yes(home, ['item', 'change-point', 'vm', '--point', last.id]);
    expect(fs.readFileSync(activeDisk).equals(atFailover)).toBe(true);
    ok(cli(home, ['item', 'commit', 'vm', '--yes', '--json']));

    // 1% of the disk changes on each side: the machine at dr, and the original disk after the failover.
    changeBothSides(lab);
    const before = shutdowns(log);
    const reprotect = yes<ReprotectResult>(home, ['item', 'reprotect', 'vm']);
    expect(reprotect.title).toBe('Reprotect vm (dr → primary)');
    expect(reprotect.result).toMatchObject({
      direction: 'dr → primary',
      policy: 'failback',
      bytesCompared: SIZE,
      blocksSent: 2 * ONE_PERCENT,
    });
    expect(reprotect.result).toMatchObject({ filesSent: 1, filesDeleted: 1 });
    expect(reprotect.result.bytesSent).toBeLessThanOrEqual(SIZE * 0.03);
    expect(reprotect.result.shutdown).toMatchObject({ exitCode: 0 });
    expect(shutdowns(log)).toBe(before + 1); // the original machine was shut down first
    expectReprotectedFromDr(lab);

    // Delta replication in reverse (only the changed block, into the original disk), then the failback: a planned
    // failover back to the primary, byte-identical; commit removes the recovery-site copy.
    deltaThenFailback(lab);
    expect(show(home)).toMatchObject({ phase: 'failed-over', activeSite: 'primary', disks: [{ activePath: disk }] });
    ok(cli(home, ['item', 'commit', 'vm', '--yes', '--json']));
    expect(fs.existsSync(path.join(lab.root, '_active', 'vm'))).toBe(false);

    // Reprotect again: the original site replicates to the recovery site as at first, with its own policy.
    change(disk, 70, ONE_PERCENT);
    const again = yes<ReprotectResult>(home, ['item', 'reprotect', 'vm']);
    expect(again.result).toMatchObject({
      direction: 'primary → dr',
      policy: 'fast',
      bytesCompared: SIZE,
      blocksSent: ONE_PERCENT,
      shutdown: null,
    });
    expect(again.result.bytesSent).toBeLessThanOrEqual(SIZE * 0.03);
    const replica = path.join(lab.root, 'vm', 'disks', 'vm.img');
    expect(same(disk, replica)).toBe(true);
    expect(show(home)).toMatchObject({
      phase: 'protected',
      activeSite: 'primary',
      direction: 'primary → dr',
      policy: 'fast',
    });
    change(disk, 80, 1);
    expect(job(home, ['item', 'replicate', 'vm']).result).toMatchObject({ blocksSent: 1 });
    expect(same(disk, replica)).toBe(true);
  }, 300_000);

  it('kill -9 mid-reprotect and mid-failback: the next process finishes the job, never a half-written disk as a point', async () => {
    const { home, disk, activeDisk } = protectedVm();
    yes(home, ['item', 'failover', 'vm', '--type', 'planned']);
    ok(cli(home, ['item', 'commit', 'vm', '--yes', '--json']));
    for (let b = 0; b < 60; b += 2) change(activeDisk, b, 1); // many scattered blocks: the apply is held with most not yet written

    /** Runs a CLI command held at its cycle's mid-apply fault point (a job not in `seen`), and kills it there. */
    const killMidApply = async (args: string[], seen: string[] = []) => {
      const env = { ...process.env, LIFEBOAT_REPLICATION_FAULT: 'mid-apply' };
      const child = spawn(process.execPath, [CLI, '--home', home, ...args, '--yes', '--json'], {
        env,
        stdio: 'ignore',
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const held = await until(
        'the cycle held mid-apply',
        () => readDb(home, (db) => db.prepare(HELD).pluck().all() as string[]).find((j) => !seen.includes(j)),
        120_000,
      );
      child.kill('SIGKILL');
      await exited;
      return held;
    };

    // Mid-reprotect: the original disk is being rewritten; the item stays reprotecting, no point is listed.
    const itemId = readDb(
      home,
      (db) => db.prepare("SELECT id FROM protected_items WHERE name = 'vm'").pluck().get() as string,
    );
    const reprotectJob = await killMidApply(['item', 'reprotect', 'vm']);
    expect(fs.existsSync(path.join(home, 'replication', itemId, 'return', 'cycle', 'APPLYING'))).toBe(true);
    expect(same(disk, activeDisk)).toBe(false);
    expect(show(home).phase).toBe('reprotecting');
    expect(points(home)).toEqual([]);
    const resumed = yes<ReprotectResult>(home, ['item', 'reprotect', 'vm']);
    expect(resumed).toMatchObject({
      id: reprotectJob,
      status: 'succeeded',
      attempts: 2,
      result: { direction: 'dr → primary' },
    });
    expect(same(disk, activeDisk)).toBe(true);
    expect(show(home)).toMatchObject({ phase: 'protected', activeSite: 'dr' });

    // Mid-failback: its final cycle is applying to the original disk when the CLI dies.
    for (let b = 1; b < 60; b += 2) change(activeDisk, b, 1);
    const atShutdown = fs.readFileSync(activeDisk);
    const failbackJob = await killMidApply(['item', 'failover', 'vm', '--type', 'planned'], [reprotectJob]);
    expect(show(home).phase).toBe('failing-over');
    const done = yes<{ to: string }>(home, ['item', 'failover', 'vm', '--type', 'planned']);
    expect(done).toMatchObject({ id: failbackJob, status: 'succeeded', result: { to: 'primary' } });
    expect(fs.readFileSync(disk).equals(atShutdown)).toBe(true);
    expect(show(home)).toMatchObject({ phase: 'failed-over', activeSite: 'primary' });
  }, 300_000);
});
