/**
 * Azurite stopped in the middle of a backup job and of a restore job, as a user would meet it: the job fails with a
 * clear, resumable "unavailable" error naming the endpoint, nothing partial is listed, and after the service is back
 * the resumed job finishes: the backup checks clean to the last byte, the restore is identical to the source.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallInput, CallName, CallOutput } from '../../main/shared/contract';
import type { Job } from '../../main/shared/schemas';
import { Engine } from '../../main/engine/engine';
import { startAzurite, type Azurite } from '../helpers/azurite';
import { tempHome, until, buildMain } from '../helpers/home';
import { describeTree } from '../helpers/tree';

let az: Azurite;
let engine: Engine | undefined;

beforeAll(async () => {
  buildMain();
  az = await startAzurite();
  // Fail within seconds rather than the default two minutes of retries.
  process.env.LIFEBOAT_STORAGE_RETRY_SECONDS = '3';
}, 120_000);

afterAll(async () => {
  delete process.env.LIFEBOAT_STORAGE_RETRY_SECONDS;
  await engine?.close();
  await az?.dispose();
});

async function call<N extends CallName>(name: N, input: CallInput<N>): Promise<CallOutput<N>> {
  const r = await engine!.call(name, input);
  if (!r.ok) throw new Error(`${name}: ${r.error.code}: ${r.error.message}`);
  return r.value;
}

/** Incompressible files, so every byte has to travel to the account and back. */
function makeData(dir: string, files: number, size: number): void {
  fs.mkdirSync(dir, { recursive: true });
  const key = crypto.randomBytes(32);
  for (let i = 0; i < files; i++)
    fs.writeFileSync(
      path.join(dir, `f${i}.bin`),
      crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16, i)).update(Buffer.alloc(size)),
    );
}

/** Stops Azurite at the job's first progress report that moved bytes, then waits for the job to give up. */
async function outageDuring(job: Job): Promise<Job> {
  let stopped: Promise<void> | undefined;
  const off = engine!.bus.on((e) => {
    // Graceful: a SIGKILLed Azurite loses its unflushed metadata (containers too), which a real outage never does.
    if (!stopped && e.type === 'job.progress' && e.jobId === job.id && e.bytesDone > 0) stopped = az.stop('graceful');
  });
  try {
    await until('the outage', () => stopped !== undefined);
    await stopped;
  } finally {
    off();
  }
  const ended = await engine!.runner.wait(job.id, 90_000);
  if (ended.status === 'succeeded') throw new Error(`the job ended before the outage: ${ended.message}`);
  return ended;
}

async function resumeAfterRestart(job: Job): Promise<Job> {
  await az.start();
  await call('jobs.resume', { id: job.id });
  return engine!.runner.wait(job.id, 120_000);
}

describe('Azurite stopped mid-job', () => {
  it('a backup and a restore fail cleanly, list nothing partial, and resume to a complete, identical result', async () => {
    engine = Engine.open({ dataDir: tempHome(), mode: 'cli', runJobs: true });
    await call('service.init', { name: 'Lab' });
    await call('accounts.add', {
      name: 'az',
      connectionString: az.connectionString,
      container: 'jobs',
      createContainer: true,
    });
    const share = path.join(tempHome('lifeboat-src-'), 'share');
    makeData(share, 48, 4 << 20);

    const backup = await call('backups.create', { account: 'az', source: [share] });
    const failed = await outageDuring(backup);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'unavailable' });
    expect(failed.error!.message).toContain(`127.0.0.1:${az.port}`);
    expect(failed.resumable).toBe(true);
    expect(await call('backups.list', { account: 'az' })).toEqual([]);

    const resumed = await resumeAfterRestart(failed);
    expect(resumed.status, resumed.error?.message).toBe('succeeded');
    expect(resumed.attempts).toBe(2);
    const listed = await call('backups.list', { account: 'az' });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ files: 48, bytes: 48 * (4 << 20) });
    const check = await engine.runner.wait((await call('accounts.check', { name: 'az', readData: true })).id, 120_000);
    expect(check.status, check.error?.message).toBe('succeeded');

    const to = path.join(tempHome('lifeboat-restore-'), 'into');
    const restore = await call('backups.restore', { id: listed[0].id, to });
    const cut = await outageDuring(restore);
    expect(cut.status).toBe('failed');
    expect(cut.error).toMatchObject({ code: 'unavailable' });
    expect(cut.resumable).toBe(true);

    const finished = await resumeAfterRestart(cut);
    expect(finished.status, finished.error?.message).toBe('succeeded');
    expect(describeTree(path.join(to, 'share'))).toEqual(describeTree(share));
  }, 300_000);
});
