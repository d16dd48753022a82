/**
 * Resynchronization, in process with real files and SQLite, the protection clock set to chosen local times: the 50%
 * rule stops a delta cycle and asks for a resync; the resync runs by itself only inside its window (the global one,
 * then the item's own), or at once by hand; it compares block checksums at both sides and sends only the blocks that
 * differ (counted); a block damaged at the site is found and sent again; a block map that is not the one recorded
 * with the last point (an unclean stop of the engine) also asks for a resync.
 */
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

const at = (hours: number, minutes = 0) => new Date(2027, 0, 4, hours, minutes).getTime();
const BLOCKS = 64; // a 4 MiB disk

describe('resync', () => {
  it('the 50% rule asks for a resync, which runs in its window or by hand and sends only the differences', async () => {
    lab = await openLab();
    const { engine, work, siteRoot } = lab;
    lab.t = at(9);
    const disk = makeDisk(path.join(work, 'db.img'), 4 * MiB, [...Array(BLOCKS).keys()]);
    await settle(
      engine,
      value(await engine.call('items.protect', { name: 'db', disk: [disk], recoverySite: 'dr', policy: 'fast' })),
    );
    const alerts = () => engine.alerts.list(true).filter((a) => a.objectName === 'db');

    // 40 of 64 blocks change: more than half of the disk. No point, no delta sent beyond the half; resync required.
    const change = (blocks: number[]) => blocks.forEach((b) => writeAt(disk, b * BLOCK, BLOCK));
    change([...Array(40).keys()].map((i) => i + 10));
    const before = (await points(engine, 'db')).length;
    lab.t = at(10);
    const job = await settle(engine, value(await engine.call('items.replicate', { name: 'db' })), 'failed');
    expect(job.error).toMatchObject({
      code: 'conflict',
      message: `db needs a resynchronization: more than half of the disk db.img changed since the last point (over ${2 * MiB} of ${4 * MiB} bytes).`,
    });
    let shown = await show(engine, 'db');
    expect(shown).toMatchObject({
      phase: 'resync-required',
      health: 'warning',
      points: before,
      resync: { required: true, window: '18:00-06:00', windowIsItemOwn: false },
    });
    expect(shown.pendingBytes).toBeGreaterThan(2 * MiB);
    expect(shown.resync.nextRunAt).toBe(new Date(at(18)).toISOString());
    expect(alerts()).toMatchObject([{ severity: 'warning', title: 'db needs a resynchronization' }]);
    expect(error(await engine.call('items.replicate', { name: 'db' }))).toMatchObject({
      code: 'not_allowed',
      message: 'db needs a resynchronization before it replicates again.',
    });

    // Not outside the window (office hours), by itself inside it.
    lab.t = at(12);
    expect(engine.protection.scheduler.tick(new Date(lab.t))).toEqual([]);
    lab.t = at(19);
    expect(engine.protection.scheduler.tick(new Date(lab.t))).toEqual(['db']);
    const resync = await settle(engine, (await show(engine, 'db')).jobId!);
    expect(resync.type).toBe('replication.resync');
    // Every byte compared; only the 40 changed blocks sent.
    expect(resync.result).toMatchObject({ bytesCompared: 4 * MiB, blocksSent: 40, bytesSent: 40 * BLOCK });
    shown = await show(engine, 'db');
    expect(shown).toMatchObject({
      phase: 'protected',
      health: 'normal',
      pendingBytes: 0,
      resync: { required: false },
      points: before + 1,
    });
    expect((await diskAt(lab, 'db', shown.lastPoints.at(-1)!.id, 'db.img')).equals(fs.readFileSync(disk))).toBe(true);
    expect(value(await engine.call('items.history', { name: 'db' })).at(-1)).toMatchObject({
      kind: 'resync',
      ok: true,
      bytesSent: 40 * BLOCK,
    });

    // The item's own window wins over the global one.
    value(await engine.call('items.edit', { name: 'db', resyncWindow: '13:00-14:00' }));
    change([...Array(33).keys()]);
    lab.t = at(20);
    await settle(engine, value(await engine.call('items.replicate', { name: 'db' })), 'failed');
    expect(engine.protection.scheduler.tick(new Date(at(21)))).toEqual([]);
    lab.t = at(13, 30) + 24 * 3600_000;
    expect((await show(engine, 'db')).resync).toMatchObject({
      required: true,
      window: '13:00-14:00',
      windowIsItemOwn: true,
      nextRunAt: new Date(lab.t).toISOString(),
    });
    expect(engine.protection.scheduler.tick(new Date(lab.t))).toEqual(['db']);
    expect((await settle(engine, (await show(engine, 'db')).jobId!)).result).toMatchObject({
      blocksSent: 33,
      bytesSent: 33 * BLOCK,
    });

    // By hand, any time: a block damaged at the site is found by its checksum and is the only one sent.
    const replica = path.join(siteRoot, 'db', 'disks', 'db.img');
    writeAt(replica, 7 * BLOCK + 100, 10);
    const manual = await settle(engine, value(await engine.call('items.resync', { name: 'db' })));
    expect(manual.result).toMatchObject({ bytesCompared: 4 * MiB, blocksSent: 1, bytesSent: BLOCK });
    expect(fs.readFileSync(replica).equals(fs.readFileSync(disk))).toBe(true);

    // Bad input.
    expect(error(await engine.call('items.resync', { name: 'nope' }))).toMatchObject({
      code: 'not_found',
      message: 'There is no protected item nope.',
    });
    expect(error(await engine.call('items.edit', { name: 'db', resyncWindow: '25:00-06:00' }))).toMatchObject({
      code: 'invalid_input',
      message: '--resync-window: "25:00-06:00" is not a time window.',
    });
    expect(value(await engine.call('items.settings', { resyncWindow: '22:00-05:30' }))).toEqual({
      resyncWindow: '22:00-05:30',
      defaultResyncWindow: '18:00-06:00',
    });
    expect(value(await engine.call('items.settings', { resyncWindow: 'default' })).resyncWindow).toBe('18:00-06:00');
  }, 120_000);

  it('a block map that is not the one recorded with the last point (an unclean stop) asks for a resync', async () => {
    lab = await openLab();
    const { engine, work, home } = lab;
    const disk = makeDisk(path.join(work, 'vm.img'), MiB, [0, 1, 2]);
    await settle(
      engine,
      value(await engine.call('items.protect', { name: 'vm', disk: [disk], recoverySite: 'dr', policy: 'fast' })),
    );
    const itemId = engine.protection.items.store.requireItem('vm').id;
    // As a power cut can leave it: the map file empty.
    fs.writeFileSync(path.join(home, 'replication', itemId, '0.map'), '');
    writeAt(disk, 5 * BLOCK, BLOCK);
    const job = await settle(engine, value(await engine.call('items.replicate', { name: 'vm' })), 'failed');
    expect(job.error?.message).toBe(
      'vm needs a resynchronization: the block map of vm.img is not the one recorded with the last point (Lifeboat stopped uncleanly).',
    );
    expect((await show(engine, 'vm')).phase).toBe('resync-required');
    const resync = await settle(engine, value(await engine.call('items.resync', { name: 'vm' })));
    expect(resync.result).toMatchObject({ bytesCompared: MiB, blocksSent: 1, bytesSent: BLOCK });
    expect((await show(engine, 'vm')).phase).toBe('protected');
  }, 60_000);
});
