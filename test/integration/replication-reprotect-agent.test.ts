/**
 * Reprotect and failback when the item failed over to an agent site (`lifeboat agent serve` as a real child process,
 * paired through the CLI): the failed-over copy is read at the agent (sites/agent-source-calls.ts), so reprotect
 * dr → primary compares block checksums on both sides and sends only what differs into the original disk, reverse
 * delta cycles send one block, and a failback (a planned failover back) → commit → reprotect primary → dr sends only
 * differences again into the agent's replica (adopted from its copy at commit). The disks are byte-identical at each
 * stage. Then the crash paths: kill -9 of the CLI mid-reprotect from the agent site (the next command resumes the job),
 * and an unplanned failback while the agent is killed: it goes to the newest point the primary holds, the result
 * saying the source site was unreachable and what was lost.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  change,
  changeBothSides,
  deltaThenFailback,
  expectReprotectedFromDr,
  job,
  ONE_PERCENT,
  points,
  protectedVm,
  same,
  show,
  SIZE,
  stopAgents,
  yes,
} from '../helpers/agent-failback';
import type { FailoverResult, ReprotectResult } from '../helpers/agent-failback';
import { buildMain, CLI, cli, ok, readDb, until } from '../helpers/home';
import { BLOCK } from '../helpers/replication-lab';

beforeAll(buildMain, 120_000);

const HELD = "SELECT job_id FROM job_events WHERE kind = 'fault-point'";

afterEach(stopAgents);

describe('reprotect and failback with an agent site', () => {
  it('runs the four phases with the agent as the recovery site, sending only differences both ways', async () => {
    const lab = await protectedVm();
    const { home, root, disk, activeDisk } = lab;
    change(disk, 5, 1);
    expect(job(home, ['item', 'replicate', 'vm']).result).toMatchObject({ blocksSent: 1 });
    expect(yes(home, ['item', 'failover', 'vm', '--type', 'planned']).status).toBe('succeeded');
    expect(same(activeDisk, disk)).toBe(true);
    ok(cli(home, ['item', 'commit', 'vm', '--yes', '--json']));

    // 1% of the disk changes on each side: the machine at the agent site, and the original disk after the failover.
    changeBothSides(lab);
    const reprotect = yes<ReprotectResult>(home, ['item', 'reprotect', 'vm']);
    expect(reprotect.title).toBe('Reprotect vm (dr → primary)');
    expect(reprotect.result).toMatchObject({
      direction: 'dr → primary',
      policy: 'failback',
      bytesCompared: SIZE,
      blocksSent: 2 * ONE_PERCENT,
    });
    expect(reprotect.result).toMatchObject({
      filesSent: 1,
      filesDeleted: 1,
      bytesSent: 2 * ONE_PERCENT * BLOCK + 'second'.length,
    });
    expect(reprotect.result.bytesSent).toBeLessThanOrEqual(SIZE * 0.03);
    expectReprotectedFromDr(lab);

    // Delta replication in reverse, one changed block read at the agent and written into the original disk; then the
    // failback, a planned failover back to the primary whose final cycle reads the last change at the agent.
    deltaThenFailback(lab);
    expect(show(home)).toMatchObject({ phase: 'failed-over', activeSite: 'primary' });
    ok(cli(home, ['item', 'commit', 'vm', '--yes', '--json']));
    expect(fs.existsSync(path.join(root, '_active', 'vm'))).toBe(false); // adopted as the base of the agent's replica

    // Reprotect again, primary → dr: only the differences go to the agent, folders compared with its files.
    change(disk, 70, ONE_PERCENT);
    const again = yes<ReprotectResult>(home, ['item', 'reprotect', 'vm']);
    expect(again.result).toMatchObject({
      direction: 'primary → dr',
      policy: 'fast',
      bytesCompared: SIZE,
      blocksSent: ONE_PERCENT,
      filesSent: 0,
    });
    expect(again.result.bytesSent).toBe(ONE_PERCENT * BLOCK);
    const replica = path.join(root, 'vm', 'disks', 'vm.img');
    expect(same(disk, replica)).toBe(true);
    expect(fs.readFileSync(path.join(root, 'vm', 'folders', 'data', 'a.txt'), 'utf8')).toBe('second');
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

  it('kill -9 mid-reprotect resumes; an unplanned failback while the agent is killed goes to the primary’s newest point', async () => {
    const { home, agent, disk, activeDisk } = await protectedVm();
    yes(home, ['item', 'failover', 'vm', '--type', 'planned']);
    ok(cli(home, ['item', 'commit', 'vm', '--yes', '--json']));
    for (let b = 0; b < 60; b += 2) change(activeDisk, b, 1); // scattered blocks: the apply is held with most not yet written

    // kill -9 of the CLI while the reprotect's cycle is applying to the original disk.
    const env = { ...process.env, LIFEBOAT_REPLICATION_FAULT: 'mid-apply' };
    const child = spawn(process.execPath, [CLI, '--home', home, 'item', 'reprotect', 'vm', '--yes', '--json'], {
      env,
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const held = await until(
      'the reprotect held mid-apply',
      () => readDb(home, (db) => db.prepare(HELD).pluck().get() as string | undefined),
      120_000,
    );
    child.kill('SIGKILL');
    await exited;
    expect(show(home).phase).toBe('reprotecting');
    expect(points(home)).toEqual([]);
    expect(same(disk, activeDisk)).toBe(false);
    const resumed = yes<ReprotectResult>(home, ['item', 'reprotect', 'vm']);
    expect(resumed).toMatchObject({
      id: held,
      status: 'succeeded',
      attempts: 2,
      result: { direction: 'dr → primary' },
    });
    expect(resumed.result.bytesSent).toBeLessThanOrEqual(30 * BLOCK);
    expect(same(disk, activeDisk)).toBe(true);
    expect(show(home)).toMatchObject({ phase: 'protected', activeSite: 'dr' });

    // A point at the primary, then a change at the agent site that never reaches it: the agent dies.
    change(activeDisk, 40, 1);
    expect(job(home, ['item', 'replicate', 'vm']).result).toMatchObject({ blocksSent: 1 });
    const atLastPoint = fs.readFileSync(activeDisk);
    const newest = points(home).at(-1)!;
    change(activeDisk, 41, 1);
    await agent.stop('SIGKILL');

    const failback = yes<FailoverResult>(home, ['item', 'failover', 'vm', '--type', 'unplanned', '--point', 'latest']);
    expect(failback.status).toBe('succeeded');
    expect(failback.result).toMatchObject({
      from: 'dr',
      to: 'primary',
      point: { id: newest.id },
      finalCycleBytes: null,
    });
    expect(failback.result).toMatchObject({ sourceUnreachable: true, lossSeconds: expect.any(Number) });
    const [warning, ...others] = failback.result.warnings;
    expect(others).toEqual([]);
    expect(warning).toMatch(/^The pending data could not be processed \(The source site dr is unreachable: /);
    expect(warning).toMatch(/The site agent at \S+ cannot be reached \(ECONNREFUSED\)\): /);
    expect(warning).toMatch(
      /: failed over to the newest processed point, of \S+; what vm wrote at dr after it \(\d+ s\) is lost\.$/,
    );
    expect(fs.readFileSync(disk).equals(atLastPoint)).toBe(true);
    expect(show(home)).toMatchObject({ phase: 'failed-over', activeSite: 'primary' });
  }, 300_000);
});
