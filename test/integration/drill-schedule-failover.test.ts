/**
 * A drill schedule while its item is failed over (docs/failover.md "Scheduled drills"): `item show` and `item drills`
 * still give it, paused, saying why and what comes next; a due tick starts nothing and moves on; after the item is
 * protected again the schedule is no longer paused.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeDisk, MiB, openLab, settle, show, value, type Lab } from '../helpers/protection';

let lab: Lab | null = null;
afterEach(async () => {
  await lab?.close();
  lab = null;
});

const at = (day: number, hours: number, minutes = 0) => new Date(2027, 0, day, hours, minutes).getTime();

describe('a drill schedule of a failed-over item', () => {
  it('is shown paused with the reason while the item is not protected', async () => {
    lab = await openLab();
    const { engine } = lab;
    engine.protection.drills.stop();
    lab.t = at(4, 9);
    const disk = makeDisk(path.join(lab.work, 'db.img'), 4 * MiB, [0, 1, 2]);
    await settle(
      engine,
      value(await engine.call('items.protect', { name: 'db', disk: [disk], recoverySite: 'dr', policy: 'fast' })),
    );
    value(await engine.call('items.drillSchedule', { name: 'db', everyDays: 2, at: '10:00', hold: 30, off: false }));
    expect((await show(engine, 'db')).drillSchedule).toMatchObject({ paused: false, pausedReason: null });

    const failover = value(
      await engine.call('items.failover', {
        name: 'db',
        type: 'unplanned',
        point: 'latest-processed',
        shutdownSource: false,
      }),
    );
    await settle(engine, failover);
    const shown = await show(engine, 'db');
    expect(shown.phase).toBe('failed-over');
    expect(shown.drillSchedule).toMatchObject({ everyDays: 2, at: '10:00', paused: true });
    expect(shown.drillSchedule!.pausedReason).toMatch(
      /^db is failed over \(not committed\), so a test failover is not possible now\. Scheduled drills wait/,
    );
    const drills = value(await engine.call('items.drills', { name: 'db' }));
    expect(drills).toMatchObject({
      item: 'db',
      drills: [],
      schedule: { paused: true, pausedReason: shown.drillSchedule!.pausedReason },
    });

    // Due while failed over: nothing starts, the next one is two days on, and it is still shown.
    lab.t = at(4, 10);
    expect(await engine.protection.drills.tick(new Date(lab.t))).toEqual({ started: [], cleaned: [] });
    expect((await show(engine, 'db')).drillSchedule).toMatchObject({
      paused: true,
      nextAt: new Date(at(6, 10)).toISOString(),
    });

    value(await engine.call('items.commit', { name: 'db' }));
    expect((await show(engine, 'db')).drillSchedule).toMatchObject({
      paused: true,
      pausedReason: expect.stringMatching(/^db is committed/),
    });
  }, 120_000);
});
