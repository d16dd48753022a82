/**
 * Consistency and health of a protected item, in process with real files, SQLite and child processes, the protection
 * clock moved instead of waited for: app-consistent points (quiesce → read → thaw, the order proved by what the
 * commands write into the log and into the disk itself), a failing and a timing-out quiesce (a crash-consistent point
 * and a Warning), the retry schedule of a recoverable error (the site's root gone, as an unmounted disk), and Critical
 * with an alert and no retry for a deleted disk.
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

const MIN = 60_000;

describe('app-consistent points', () => {
  it('quiesces before the read and thaws after it, at the policy frequency; a failing or hung quiesce gives a crash point and a Warning', async () => {
    lab = await openLab({ appConsistent: '1h' });
    const { engine, work } = lab;
    const disk = makeDisk(path.join(work, 'db.img'), 2 * MiB, [1, 5]);
    const log = path.join(work, 'commands.log');
    // Each command logs itself and stamps byte 0 of the disk: Q by quiesce, T by thaw.
    const stamp = (word: string, byte: string) =>
      `echo ${word} >> '${log}' && printf ${byte} | dd of='${disk}' bs=1 count=1 conv=notrunc status=none`;
    const job = value(
      await engine.call('items.protect', {
        name: 'db',
        disk: [disk],
        recoverySite: 'dr',
        policy: 'fast',
        quiesce: stamp('quiesce', 'Q'),
        thaw: stamp('thaw', 'T'),
      }),
    );
    await settle(engine, job);

    // Initial copy crash-consistent (never frozen for a whole first copy); finalize app-consistent.
    let list = await points(engine, 'db');
    expect(list.map((p) => p.kind)).toEqual(['crash', 'app']);
    expect(fs.readFileSync(log, 'utf8')).toBe('quiesce\nthaw\n');
    // The app point holds quiesce's Q, not thaw's T: it was read between the two.
    expect((await diskAt(lab, 'db', list[1].id, 'db.img')).subarray(0, 1).toString()).toBe('Q');
    expect(fs.readFileSync(disk).subarray(0, 1).toString()).toBe('T');
    let shown = await show(engine, 'db');
    expect(shown.commandRuns.quiesce).toMatchObject({ exitCode: 0, timedOut: false, command: stamp('quiesce', 'Q') });
    expect(shown.appConsistent).toMatchObject({
      frequencySeconds: 3600,
      lastAppPointAt: list[1].createdAt,
      warning: null,
    });

    // Within the hour: a crash-consistent point, no commands run; it carries thaw's T.
    lab.t += 5 * MIN;
    await settle(engine, value(await engine.call('items.replicate', { name: 'db' })));
    list = await points(engine, 'db');
    expect(list.at(-1)!.kind).toBe('crash');
    expect(fs.readFileSync(log, 'utf8')).toBe('quiesce\nthaw\n');
    expect((await diskAt(lab, 'db', list.at(-1)!.id, 'db.img')).subarray(0, 1).toString()).toBe('T');

    // An hour on: app-consistent again.
    lab.t += 60 * MIN;
    await settle(engine, value(await engine.call('items.replicate', { name: 'db' })));
    list = await points(engine, 'db');
    expect(list.at(-1)!.kind).toBe('app');
    expect(fs.readFileSync(log, 'utf8')).toBe('quiesce\nthaw\n'.repeat(2));
    expect((await diskAt(lab, 'db', list.at(-1)!.id, 'db.img')).subarray(0, 1).toString()).toBe('Q');
    expect((await show(engine, 'db')).health).toBe('normal');

    // A failing quiesce: a crash-consistent point, thaw still runs (to undo a half-done freeze), a Warning.
    value(
      await engine.call('items.edit', {
        name: 'db',
        quiesce: `echo quiesce-failed >> '${log}'; echo cannot freeze >&2; exit 3`,
      }),
    );
    lab.t += 61 * MIN;
    writeAt(disk, 9 * BLOCK, BLOCK);
    await settle(engine, value(await engine.call('items.replicate', { name: 'db' })));
    list = await points(engine, 'db');
    expect(list.at(-1)!.kind).toBe('crash');
    expect(fs.readFileSync(log, 'utf8').split('\n').slice(-3)).toEqual(['quiesce-failed', 'thaw', '']);
    shown = await show(engine, 'db');
    expect(shown.health).toBe('warning');
    expect(shown.healthReasons.join(' ')).toContain(
      'A point is missing its app-consistent part: the quiesce command exited with 3: cannot freeze',
    );
    expect(shown.commandRuns.quiesce).toMatchObject({ exitCode: 3, output: 'cannot freeze\n' });

    // A quiesce that hangs is killed at the timeout (with what it started): a crash point again.
    value(await engine.call('items.edit', { name: 'db', quiesce: 'sleep 60', commandTimeout: '1s' }));
    lab.t += 61 * MIN;
    await settle(engine, value(await engine.call('items.replicate', { name: 'db' })));
    expect((await points(engine, 'db')).at(-1)!.kind).toBe('crash');
    shown = await show(engine, 'db');
    expect(shown.commandRuns.quiesce).toMatchObject({ timedOut: true, exitCode: null, signal: 'SIGKILL' });
    expect(shown.appConsistent.warning).toContain('the quiesce command timed out after 1 s');

    // Fixed: the next app-consistent point clears the warning.
    value(await engine.call('items.edit', { name: 'db', quiesce: stamp('quiesce', 'Q') }));
    lab.t += 61 * MIN;
    await settle(engine, value(await engine.call('items.replicate', { name: 'db' })));
    expect((await points(engine, 'db')).at(-1)!.kind).toBe('app');
    shown = await show(engine, 'db');
    expect(shown.appConsistent.warning).toBeNull();
    expect(shown.health).toBe('normal');

    // Bad input.
    expect(error(await engine.call('items.edit', { name: 'db', quiesce: 'a\nb' }))).toMatchObject({
      code: 'invalid_input',
      message: '--quiesce: give the command on one line.',
    });
    expect(error(await engine.call('items.edit', { name: 'nope', thaw: 'true' }))).toMatchObject({
      code: 'not_found',
      message: 'There is no protected item nope.',
    });
    expect(error(await engine.call('items.edit', { name: 'db', commandTimeout: 'soon' }))).toMatchObject({
      code: 'invalid_input',
    });
  }, 120_000);
});

describe('retry and Critical', () => {
  it('retries a recoverable error after 1, 2, 4, 8, 10, then every 30 minutes, visible on the item; recovers when the site is back', async () => {
    lab = await openLab();
    const { engine, work, siteRoot } = lab;
    const disk = makeDisk(path.join(work, 'vm.img'), MiB, [0, 3]);
    await settle(
      engine,
      value(await engine.call('items.protect', { name: 'vm', disk: [disk], recoverySite: 'dr', policy: 'fast' })),
    );
    const before = (await points(engine, 'vm')).length;
    const alertsBefore = engine.alerts.list(true).length;

    // The site's disk "unmounted": its root is gone. Nothing may be written there meanwhile.
    fs.renameSync(siteRoot, `${siteRoot}.away`);
    const start = lab.t;
    const failedJob = await settle(engine, value(await engine.call('items.replicate', { name: 'vm' })), 'failed');
    expect(failedJob.error).toMatchObject({ code: 'unavailable' });
    let shown = await show(engine, 'vm');
    expect(shown.retry).toMatchObject({
      attempt: 1,
      lastAttemptAt: new Date(start).toISOString(),
      nextAttemptAt: new Date(start + MIN).toISOString(),
    });
    expect(shown.nextCycleAt).toBe(shown.retry!.nextAttemptAt);
    expect(shown.health).toBe('warning');
    expect(shown.healthReasons[0]).toMatch(
      /^Attempt 1 failed \(The recovery site dr cannot be reached: .* is not there\.\); the next one is at /,
    );

    const delays = [2, 4, 8, 10, 30, 30].map((m) => m * MIN);
    let at = start + MIN;
    for (const [i, delay] of delays.entries()) {
      lab.t = at - 1000;
      expect(engine.protection.scheduler.tick(new Date(lab.t)), `not before attempt ${i + 2}`).toEqual([]);
      lab.t = at;
      expect(engine.protection.scheduler.tick(new Date(lab.t))).toEqual(['vm']);
      await settle(engine, (await show(engine, 'vm')).jobId!, 'failed');
      shown = await show(engine, 'vm');
      expect(shown.retry, `attempt ${i + 2}`).toMatchObject({
        attempt: i + 2,
        lastAttemptAt: new Date(at).toISOString(),
        nextAttemptAt: new Date(at + delay).toISOString(),
      });
      at += delay;
    }
    expect(fs.existsSync(siteRoot)).toBe(false);
    // Retries are no alerts: only a stop is.
    expect(engine.alerts.list(true).length).toBe(alertsBefore);

    // Back: the next attempt succeeds, the retries end, health is Normal, the history shows it all.
    fs.renameSync(`${siteRoot}.away`, siteRoot);
    lab.t = at;
    expect(engine.protection.scheduler.tick(new Date(lab.t))).toEqual(['vm']);
    await settle(engine, (await show(engine, 'vm')).jobId!);
    shown = await show(engine, 'vm');
    expect(shown).toMatchObject({ retry: null, health: 'normal', lastError: null, points: before + 1, rpoSeconds: 0 });
    expect(shown.nextCycleAt).toBe(new Date(at + 30_000).toISOString());
    const history = value(await engine.call('items.history', { name: 'vm' }));
    expect(history.filter((h) => !h.ok)).toHaveLength(7);
    expect(history.at(-1)).toMatchObject({ ok: true, kind: 'crash' });
  }, 120_000);

  it('a deleted disk makes the item Critical with an alert, and it is not retried until someone acts', async () => {
    lab = await openLab();
    const { engine, work } = lab;
    const disk = makeDisk(path.join(work, 'vm.img'), MiB, [0]);
    const kept = fs.readFileSync(disk);
    await settle(
      engine,
      value(await engine.call('items.protect', { name: 'vm', disk: [disk], recoverySite: 'dr', policy: 'fast' })),
    );
    fs.rmSync(disk);
    const job = await settle(engine, value(await engine.call('items.replicate', { name: 'vm' })), 'failed');
    expect(job).toMatchObject({ resumable: false, error: { code: 'not_found' } });
    const shown = await show(engine, 'vm');
    expect(shown).toMatchObject({ health: 'critical', retry: null, nextCycleAt: null });
    expect(shown.healthReasons[0]).toContain(`Replication stopped: The disk ${disk} of vm is gone.`);
    const alert = engine.alerts.list(false).find((a) => a.objectName === 'vm');
    expect(alert).toMatchObject({
      severity: 'critical',
      title: 'Replication of vm stopped',
      objectKind: 'protected-item',
      jobId: job.id,
    });
    // A day later: no attempt was made.
    lab.t += 24 * 60 * MIN;
    expect(engine.protection.scheduler.tick(new Date(lab.t))).toEqual([]);

    // Put back and replicated by hand: Normal, and the schedule runs again.
    fs.writeFileSync(disk, kept);
    await settle(engine, value(await engine.call('items.replicate', { name: 'vm' })));
    expect(await show(engine, 'vm')).toMatchObject({
      health: 'normal',
      nextCycleAt: new Date(lab.t + 30_000).toISOString(),
    });
  }, 60_000);
});
