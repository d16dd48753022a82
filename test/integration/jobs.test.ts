import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvent, Job } from '../../main/shared/schemas';
import { Engine } from '../../main/engine/engine';
import { tempHome, until } from '../helpers/home';

let engine: Engine | null = null;
afterEach(async () => {
  await engine?.close();
  engine = null;
});

function start(home = tempHome()): Engine {
  engine = Engine.open({ dataDir: home, mode: 'cli', runJobs: true });
  return engine;
}

async function selftest(e: Engine, sizeMiB: number, seconds: number): Promise<Job> {
  const r = await e.call('jobs.selftest', { sizeMiB, seconds });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe('durable jobs', () => {
  it('runs a job through its steps with throttled live progress and succeeds once', async () => {
    const e = start();
    const events: EngineEvent[] = [];
    e.bus.on((ev) => events.push(ev));
    const job = await selftest(e, 24, 1);
    expect(job.status).toBe('queued');
    expect(job.steps.map((s) => s.name)).toEqual(['write', 'hash', 'verify']);
    const done = await e.runner.wait(job.id, 30_000);
    expect(done.status).toBe('succeeded');
    expect(done.progress).toBe(1);
    expect(done.steps.every((s) => s.status === 'succeeded')).toBe(true);
    expect(done.message).toMatch(/^Verified 24 MiB, digest [0-9a-f]{16}$/);
    const progress = events.filter(
      (ev): ev is Extract<EngineEvent, { type: 'job.progress' }> => ev.type === 'job.progress' && ev.jobId === job.id,
    );
    expect(progress.length).toBeGreaterThan(3);
    const values = progress.map((p) => p.progress);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(new Set(values).size).toBeGreaterThan(3);
    expect(e.runner.store.events(job.id).filter((x) => x.kind === 'succeeded')).toHaveLength(1);
    // Progress is written without waiting for the disk, but every other commit still is.
    expect(e.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(fs.readdirSync(path.join(e.dataDir, 'tmp'))).toEqual([]);
  });

  it('cancels a running job cleanly: status cancelled, temp data removed, later steps cancelled', async () => {
    const e = start();
    const job = await selftest(e, 64, 20);
    await until('hashing', () => e.runner.get(job.id).steps[1].status === 'running');
    const r = await e.call('jobs.cancel', { id: job.id });
    expect(r.ok).toBe(true);
    const done = await e.runner.wait(job.id, 10_000);
    expect(done.status).toBe('cancelled');
    expect(done.steps.map((s) => s.status)).toEqual(['succeeded', 'cancelled', 'cancelled']);
    expect(fs.existsSync(path.join(e.dataDir, 'tmp', `selftest-${job.id}.bin`))).toBe(false);
    expect(await e.call('jobs.cancel', { id: job.id })).toMatchObject({ ok: false, error: { code: 'not_allowed' } });
    expect(await e.call('jobs.resume', { id: job.id })).toMatchObject({ ok: false, error: { code: 'not_allowed' } });
  });

  it('a cancel asked just before Lifeboat stopped is finished on the next start, cleanup included', async () => {
    const home = tempHome();
    const first = Engine.open({ dataDir: home, mode: 'cli' });
    const r = await first.call('jobs.selftest', { sizeMiB: 1, seconds: 0 });
    if (!r.ok) throw new Error(r.error.message);
    // As a kill -9 leaves it: running, with the cancel asked but not yet carried out, and its temporary file there.
    first.db
      .prepare("UPDATE jobs SET status = 'running', control = 'cancel', attempts = 1 WHERE id = ?")
      .run(r.value.id);
    const temp = path.join(home, 'tmp', `selftest-${r.value.id}.bin`);
    fs.mkdirSync(path.dirname(temp), { recursive: true });
    fs.writeFileSync(temp, 'partial');
    await first.close();

    const e = start(home);
    const done = await e.runner.wait(r.value.id, 10_000);
    expect(done.status).toBe('cancelled');
    expect(fs.existsSync(temp)).toBe(false);
    expect(e.runner.store.events(done.id).map((x) => x.kind)).toContain('cancelled');
  });

  it('pauses at a checkpoint and resumes from it without redoing committed work', async () => {
    const e = start();
    const job = await selftest(e, 64, 8);
    await until('some hashing', () => (JSON.parse(e.runner.store.row(job.id)!.state).pieceHashes?.length ?? 0) >= 2);
    expect((await e.call('jobs.pause', { id: job.id })).ok).toBe(true);
    const paused = await e.runner.wait(job.id, 10_000);
    expect(paused.status).toBe('paused');
    expect(paused.resumable).toBe(true);
    const hashedAtPause = JSON.parse(e.runner.store.row(job.id)!.state).pieceHashes.length;
    expect(hashedAtPause).toBeGreaterThanOrEqual(2);
    const resumed = await e.call('jobs.resume', { id: job.id });
    expect(resumed).toMatchObject({ ok: true });
    const done = await e.runner.wait(job.id, 30_000);
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBe(2);
    const kinds = e.runner.store.events(job.id).map((x) => x.kind);
    expect(kinds).toEqual(['created', 'started', 'pause-requested', 'paused', 'resumed', 'resumed', 'succeeded']);
  });

  it('a failed job raises a critical alert and can be resumed once the cause is fixed', async () => {
    const home = tempHome();
    const e = start(home);
    const raised: EngineEvent[] = [];
    e.bus.on((ev) => ev.type === 'alert.raised' && raised.push(ev));
    // Make the job's temp folder unusable: a file where the folder (made when the engine opened) should be.
    fs.rmSync(path.join(home, 'tmp'), { recursive: true });
    fs.writeFileSync(path.join(home, 'tmp'), 'not a folder');
    const job = await selftest(e, 4, 0);
    const failed = await e.runner.wait(job.id, 10_000);
    expect(failed.status).toBe('failed');
    expect(failed.error?.code).toBeTruthy();
    expect(failed.resumable).toBe(true);
    expect(failed.steps[0].status).toBe('failed');
    expect(raised).toHaveLength(1);
    const alerts = await e.call('alerts.list', { all: false });
    expect(alerts).toMatchObject({
      ok: true,
      value: [{ severity: 'critical', jobId: job.id, title: 'Self-test (4 MiB) failed' }],
    });
    fs.rmSync(path.join(home, 'tmp'));
    expect((await e.call('jobs.resume', { id: job.id })).ok).toBe(true);
    expect((await e.runner.wait(job.id, 10_000)).status).toBe('succeeded');
    const acked = await e.call('alerts.ack', { all: true });
    expect(acked).toMatchObject({ ok: true, value: { acknowledged: 1 } });
    expect(e.alerts.unacknowledged()).toBe(0);
  });

  it('runs at most three jobs at once and queues the rest', async () => {
    const e = start();
    let most = 0;
    e.bus.on(() => {
      most = Math.max(most, e.runner.store.countByStatus().running);
    });
    const jobs = await Promise.all([1, 2, 3, 4, 5].map(() => selftest(e, 4, 1)));
    await until('all five done', () => jobs.every((j) => e.runner.get(j.id).status === 'succeeded'), 30_000);
    expect(most).toBe(3);
  });
  // How long the main event loop stalls while workers hash is a figure of `npm run bench` (test/bench/event-loop.ts).
});
