/**
 * A replication group of two items, in process with real files and SQLite and a real writer process: the writer
 * writes sequence number n to disk A, fsyncs, then n to disk B, fsyncs, pauses and goes on. Every group cycle reads
 * both items' disks at one instant, so no multi-item point may show B's write without A's: for every group point,
 * materialized, seq(B) ≤ seq(A) ≤ seq(B) + 1. The items are named so that a member-by-member read (A first, B
 * later) would break this. The writer pauses 25-125 ms between rounds: sources are read live and a read that saw a
 * write is read again (detect and retry, docs/replication.md), so a writer much faster than one read of both disks
 * (tens of ms on a loaded machine) tears most attempts, and the torn-read check compares mtimes, which the kernel
 * stamps from a clock of 4-10 ms ticks. A member whose disk is gone makes no group point; bad input for a group.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
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
  type Lab,
} from '../helpers/protection';

let lab: Lab | null = null;
let writer: ChildProcess | null = null;
afterEach(async () => {
  writer?.kill('SIGKILL');
  writer = null;
  await lab?.close();
  lab = null;
});

describe('replication groups', () => {
  it('multi-item points are taken at one instant for every member: never B’s write without A’s', async () => {
    lab = await openLab({ appConsistent: '0' });
    const { engine, work } = lab;
    const diskA = makeDisk(path.join(work, 'a.img'), MiB, [0, 4]);
    const diskB = makeDisk(path.join(work, 'b.img'), MiB, [0, 9]);
    for (const [name, disk] of [
      ['app-a', diskA],
      ['app-b', diskB],
    ])
      await settle(
        engine,
        value(
          await engine.call('items.protect', { name, disk: [disk], recoverySite: 'dr', policy: 'fast', group: 'g' }),
        ),
      );
    value(await engine.call('policies.create', { name: 'slow', frequency: '15m' }));
    expect(
      error(
        await engine.call('items.protect', {
          name: 'c',
          disk: [diskA],
          recoverySite: 'dr',
          policy: 'slow',
          group: 'g',
        }),
      ),
    ).toMatchObject({
      code: 'invalid_input',
      message: "--group: the items of g replicate to dr with the policy fast; a group's items share both.",
    });
    expect(
      error(
        await engine.call('items.protect', {
          name: 'c',
          disk: [diskA],
          recoverySite: 'dr',
          policy: 'fast',
          group: 'no group!',
        }),
      ),
    ).toMatchObject({ code: 'invalid_input' });

    writer = await startWriter(ORDERED_WRITER, [diskA, diskB]);

    // Group cycles while the writer runs; one that kept seeing writes (5 torn reads) fails and is simply retried.
    let made = 0;
    for (let i = 0; i < 12 && made < 5; i++) {
      lab.t += 30_000;
      const job = value(await engine.call('items.replicate', { name: 'app-a' }));
      expect(job).toMatchObject({ type: 'replication.cycle', objectKind: 'replication-group', objectName: 'g' });
      const done = await engine.runner.wait(job.id, 120_000);
      if (done.status === 'succeeded') made++;
      else expect(done.error?.code, done.error?.message).toBe('busy');
    }
    writer.kill('SIGKILL');
    expect(made, 'group points made while the writer ran').toBeGreaterThanOrEqual(3);

    const [pa, pb] = [await points(engine, 'app-a'), await points(engine, 'app-b')];
    const groupPoints = pa.filter((p) => p.groupPoint).map((p) => p.groupPoint);
    expect(groupPoints).toHaveLength(made);
    expect(pb.filter((p) => p.groupPoint).map((p) => p.groupPoint)).toEqual(groupPoints);
    for (const gp of groupPoints) {
      const [a, b] = [pa.find((p) => p.groupPoint === gp)!, pb.find((p) => p.groupPoint === gp)!];
      expect(a.createdAt).toBe(b.createdAt);
      const [sa, sb] = [seq(await diskAt(lab, 'app-a', a.id, 'a.img')), seq(await diskAt(lab, 'app-b', b.id, 'b.img'))];
      expect(sb, `group point ${gp}: B ${sb}, A ${sa}`).toBeLessThanOrEqual(sa);
      expect(sa - sb, `group point ${gp}: one instant`).toBeLessThanOrEqual(1);
      expect(sa).toBeGreaterThan(0);
    }
    expect((await show(engine, 'app-b')).groupMembers).toEqual(['app-a', 'app-b']);

    // A member whose disk is gone: the group cycle fails, no group point; that member is Critical, the other retries.
    fs.rmSync(diskB);
    lab.t += 30_000;
    const failed = await engine.runner.wait(value(await engine.call('items.replicate', { name: 'app-a' })).id, 120_000);
    expect(failed.status).toBe('failed');
    expect((await points(engine, 'app-a')).length).toBe(pa.length);
    expect((await points(engine, 'app-b')).length).toBe(pb.length);
    expect((await show(engine, 'app-b')).health).toBe('critical');
    const a = await show(engine, 'app-a');
    expect(a.retry?.error.message).toBe(`The cycle of its group stopped: The disk ${diskB} of app-b is gone.`);
    expect(a.health).toBe('warning');
  }, 180_000);
});
