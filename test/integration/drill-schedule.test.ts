/**
 * Scheduled drills (docs/failover.md) on an in-process engine whose clock the test moves: a schedule every 2 days at
 * 10:00 starts a test failover when due, cleans it up after its 30-minute hold with the notes "scheduled drill", and
 * keeps the report; drills missed while the app was away run once, not once per missed day; a drill up when the app
 * stops is cleaned up by the next process; --off and bad input.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../main/engine/engine';
import type { Job } from '../../main/shared/schemas';
import { error, makeDisk, MiB, openLab, settle, show, value, type Lab } from '../helpers/protection';

let lab: Lab | null = null;
afterEach(async () => {
  await lab?.close();
  lab = null;
});

const at = (day: number, hours: number, minutes = 0) => new Date(2027, 0, day, hours, minutes).getTime();
const iso = (t: number) => new Date(t).toISOString();

async function testJobs(engine: Engine): Promise<Job[]> {
  return value(await engine.call('jobs.list', { limit: 100 })).filter((j) => j.type === 'replication.failover');
}

describe('scheduled drills', () => {
  it('run a test failover when due, clean it up after the hold, once for missed days, and survive a restart', async () => {
    lab = await openLab();
    let { engine } = lab;
    engine.protection.drills.stop();
    lab.t = at(4, 9);
    const disk = makeDisk(path.join(lab.work, 'db.img'), 4 * MiB, [0, 1, 2]);
    await settle(
      engine,
      value(await engine.call('items.protect', { name: 'db', disk: [disk], recoverySite: 'dr', policy: 'fast' })),
    );

    // Bad input first: no schedule yet needs --every-days; a time of day must be one; --off takes nothing else.
    expect(error(await engine.call('items.drillSchedule', { name: 'db', at: '10:00', off: false }))).toMatchObject({
      code: 'invalid_input',
    });
    expect(
      error(await engine.call('items.drillSchedule', { name: 'db', everyDays: 2, at: '25:00', off: false })),
    ).toMatchObject({
      code: 'invalid_input',
      message: '--at: "25:00" is not a time of day.',
    });
    expect(
      error(await engine.call('items.drillSchedule', { name: 'db', everyDays: 2, point: 'nope', off: false })),
    ).toMatchObject({ code: 'not_found' });

    const set = value(
      await engine.call('items.drillSchedule', { name: 'db', everyDays: 2, at: '10:00', hold: 30, off: false }),
    );
    const schedule = {
      everyDays: 2,
      at: '10:00',
      point: 'latest-processed',
      holdMinutes: 30,
      nextAt: iso(at(4, 10)),
      lastRunAt: null,
      cleanupAt: null,
    };
    expect(set).toMatchObject({ item: 'db', schedule });
    expect((await show(engine, 'db')).drillSchedule).toMatchObject(schedule);

    // Not before its time; at 10:00 a test failover starts, and the next drill is two days on.
    expect(await engine.protection.drills.tick(new Date(at(4, 9, 59)))).toEqual({ started: [], cleaned: [] });
    lab.t = at(4, 10);
    expect(await engine.protection.drills.tick(new Date(lab.t))).toEqual({ started: ['db'], cleaned: [] });
    await settle(engine, (await testJobs(engine))[0]);
    const shown = await show(engine, 'db');
    expect(shown.testFailover).not.toBeNull();
    const testCopy = shown.disks[0].testPath!;
    expect(fs.readFileSync(testCopy).equals(fs.readFileSync(disk))).toBe(true);
    expect(shown.drillSchedule).toMatchObject({
      nextAt: iso(at(6, 10)),
      lastRunAt: iso(at(4, 10)),
      cleanupAt: iso(at(4, 10, 30)),
    });
    expect(value(await engine.call('items.drills', { name: 'db' })).drills).toMatchObject([
      { scheduled: true, cleanedUpAt: null },
    ]);

    // The hold: still up at 10:29, cleaned up at 10:30 with the notes, the report kept, the copy gone.
    expect(await engine.protection.drills.tick(new Date(at(4, 10, 29)))).toEqual({ started: [], cleaned: [] });
    lab.t = at(4, 10, 30);
    expect(await engine.protection.drills.tick(new Date(lab.t))).toEqual({ started: [], cleaned: ['db'] });
    expect((await show(engine, 'db')).testFailover).toBeNull();
    expect(fs.existsSync(testCopy)).toBe(false);
    const first = value(await engine.call('items.drills', { name: 'db' })).drills;
    expect(first).toMatchObject([{ scheduled: true, notes: 'scheduled drill', cleanedUpAt: iso(at(4, 10, 30)) }]);

    // Away from the 6th to the 12th: four drills missed, one runs now, and the next is the 14th.
    lab.t = at(12, 11);
    expect(await engine.protection.drills.tick(new Date(lab.t))).toEqual({ started: ['db'], cleaned: [] });
    expect(await engine.protection.drills.tick(new Date(lab.t))).toEqual({ started: [], cleaned: [] });
    expect((await show(engine, 'db')).drillSchedule).toMatchObject({
      nextAt: iso(at(14, 10)),
      cleanupAt: iso(at(12, 11, 30)),
    });
    expect(await testJobs(engine)).toHaveLength(2);
    await settle(engine, (await testJobs(engine))[0]);

    // The app stops with the drill up; the next process cleans it up once its hold is over, and starts nothing twice.
    await engine.close();
    engine = Engine.open({ dataDir: lab.home, mode: 'cli', runJobs: true });
    engine.protection.scheduler.stop();
    engine.protection.drills.stop();
    lab.engine = engine;
    lab.close = () => engine.close();
    engine.protection.setClock(() => new Date(lab!.t));
    lab.t = at(12, 12);
    expect(await engine.protection.drills.tick(new Date(lab.t))).toEqual({ started: [], cleaned: ['db'] });
    expect(value(await engine.call('items.drills', { name: 'db' })).drills).toMatchObject([
      { scheduled: true, notes: 'scheduled drill' },
      { scheduled: true, notes: 'scheduled drill', cleanedUpAt: iso(at(12, 12)) },
    ]);

    // A test failover by hand is not scheduled; --off ends the schedule.
    expect(value(await engine.call('items.drillSchedule', { name: 'db', off: false }))).toMatchObject({
      schedule: { nextAt: iso(at(14, 10)) },
    });
    expect(value(await engine.call('items.drillSchedule', { name: 'db', off: true }))).toEqual({
      item: 'db',
      schedule: null,
    });
    expect((await show(engine, 'db')).drillSchedule).toBeNull();
    lab.t = at(14, 10);
    expect(await engine.protection.drills.tick(new Date(lab.t))).toEqual({ started: [], cleaned: [] });
  }, 120_000);
});
