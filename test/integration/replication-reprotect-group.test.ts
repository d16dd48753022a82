/**
 * Reprotect of a replication group, in process with real files and SQLite, the protection clock in the test's hand:
 * the members reprotect together (refused while one is not committed yet), in one cycle, to one target, under one
 * group point; then the schedule takes the reversed items like any other, at the failback policy's frequency, and
 * replicates the recovery-site copies back into the original disks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BLOCK,
  error,
  makeDisk,
  MiB,
  openLab,
  points,
  settle,
  show,
  value,
  writeAt,
  type Lab,
} from '../helpers/protection';

let lab: Lab | null = null;
afterEach(async () => {
  await lab?.close();
  lab = null;
});

describe('reprotect of a group', () => {
  it('reprotects the members together under one group point; the schedule then replicates them in reverse', async () => {
    lab = await openLab();
    const { engine, work, siteRoot } = lab;
    const disks = ['a', 'b'].map((n) => makeDisk(path.join(work, `${n}.img`), 2 * MiB, [0, 1, 2, 3]));
    for (const [i, n] of ['a', 'b'].entries()) {
      await settle(
        engine,
        value(
          await engine.call('items.protect', {
            name: n,
            disk: [disks[i]],
            recoverySite: 'dr',
            policy: 'fast',
            group: 'g',
          }),
        ),
      );
    }
    for (const n of ['a', 'b']) {
      await settle(
        engine,
        value(
          await engine.call('items.failover', { name: n, type: 'planned', point: 'latest', shutdownSource: false }),
        ),
      );
    }
    value(await engine.call('items.commit', { name: 'a' }));

    // One member committed, the other not yet: refused, naming what to do.
    expect(error(await engine.call('items.reprotect', { name: 'a' }))).toMatchObject({
      code: 'not_allowed',
      message: 'The items of the group g reprotect together, to one target, and b is failed over (not committed).',
      hint: 'Fail over and commit b too, then reprotect.',
    });
    value(await engine.call('items.commit', { name: 'b' }));
    const active = (n: string) => path.join(siteRoot, '_active', n, 'disks', `${n}.img`);
    writeAt(active('a'), 5 * BLOCK, BLOCK);
    writeAt(active('b'), 6 * BLOCK, BLOCK);

    const job = await settle(engine, value(await engine.call('items.reprotect', { name: 'a' })));
    expect(job.result).toMatchObject({
      direction: 'dr → primary',
      policy: 'failback',
      members: ['a', 'b'],
      bytesCompared: 2 * MiB,
    });
    const [pa, pb] = [await points(engine, 'a'), await points(engine, 'b')];
    expect(pa).toHaveLength(1);
    expect(pb).toHaveLength(1);
    expect(pa[0].groupPoint).toBeTruthy();
    expect(pb[0].groupPoint).toBe(pa[0].groupPoint);
    for (const [i, n] of ['a', 'b'].entries()) {
      expect(fs.readFileSync(disks[i]).equals(fs.readFileSync(active(n)))).toBe(true);
      expect(await show(engine, n)).toMatchObject({
        phase: 'protected',
        activeSite: 'dr',
        direction: 'dr → primary',
        policy: 'failback',
      });
    }

    // The schedule: not before the failback policy's frequency (5 min), then one cycle of the group, in reverse.
    writeAt(active('b'), 9 * BLOCK, BLOCK);
    expect(engine.protection.scheduler.tick(new Date(lab.t + 60_000))).toEqual([]);
    lab.t += 301_000;
    const started = engine.protection.scheduler.tick(new Date(lab.t));
    expect(started).toHaveLength(1);
    await settle(engine, (await show(engine, 'b')).jobId!);
    expect(fs.readFileSync(disks[1]).equals(fs.readFileSync(active('b')))).toBe(true);
    const [qa, qb] = [await points(engine, 'a'), await points(engine, 'b')];
    expect(qb).toHaveLength(2);
    expect(qa.at(-1)!.groupPoint).toBe(qb.at(-1)!.groupPoint);
  }, 180_000);
});
