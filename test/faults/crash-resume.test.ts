import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { runTask } from '../../main/engine/workers/tasks';
import { cli, startWeb, tempHome, until, type WebApp } from '../helpers/home';

const apps: WebApp[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.stop('SIGKILL');
});

interface JobJson {
  id: string;
  status: string;
  attempts: number;
  progress: number;
}

/** What the self-test's digest must be: the same deterministic bytes, hashed piece by piece here. */
function expectedDigest(sizeMiB: number, seed: number): string {
  const file = path.join(tempHome(), 'expected.bin');
  const piece = 4 << 20;
  const hashes: string[] = [];
  for (let off = 0; off < sizeMiB << 20; off += piece) {
    runTask({ op: 'write-pattern', path: file, offset: off, length: piece, seed });
    hashes.push((runTask({ op: 'hash-range', path: file, offset: off, length: piece }) as { sha256: string }).sha256);
  }
  return crypto.createHash('sha256').update(hashes.join('')).digest('hex');
}

describe('crash recovery', () => {
  it('kill -9 of the engine mid-job: the next start resumes the job from its last checkpoint and it finishes once', async () => {
    const home = tempHome();
    apps.push(await startWeb(home));
    // The CLI goes through the running app's local socket.
    const started = cli(home, ['selftest', '--size-mib', '64', '--seconds', '12', '--detach', '--json']);
    expect(started.code, started.stderr).toBe(0);
    const job = started.json<JobJson>();
    expect(job.status).toBe('queued');

    await until('a third of the hashing', () => {
      const shown = cli(home, ['jobs', 'show', job.id, '--json']).json<{
        job: JobJson & { steps: { name: string; progress: number; status: string }[] };
      }>();
      const hash = shown.job.steps[1];
      return hash.status === 'running' && hash.progress >= 0.3;
    });
    await apps.pop()!.stop('SIGKILL');

    // What was committed before the crash: the job is "running" and has some hashed pieces.
    const db = new Database(path.join(home, 'lifeboat.db'), { readonly: true });
    const row = db.prepare('SELECT status, state, params FROM jobs WHERE id = ?').get(job.id) as {
      status: string;
      state: string;
      params: string;
    };
    db.close();
    expect(row.status).toBe('running');
    const hashedBefore: number = JSON.parse(row.state).pieceHashes.length;
    expect(hashedBefore).toBeGreaterThanOrEqual(4);
    expect(hashedBefore).toBeLessThan(16);

    // The stale lock does not stop the next start.
    expect(fs.existsSync(path.join(home, 'lifeboat.lock'))).toBe(true);
    apps.push(await startWeb(home));
    const waited = cli(home, ['jobs', 'wait', job.id, '--json']);
    expect(waited.code, waited.stderr).toBe(0);
    const done = waited.json<JobJson & { message: string }>();
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBe(2);

    const db2 = new Database(path.join(home, 'lifeboat.db'), { readonly: true });
    const events = db2
      .prepare('SELECT kind FROM job_events WHERE job_id = ? ORDER BY seq')
      .pluck()
      .all(job.id) as string[];
    const final = db2.prepare('SELECT state FROM jobs WHERE id = ?').pluck().get(job.id) as string;
    db2.close();
    expect(events).toEqual(['created', 'started', 'interrupted', 'resumed', 'succeeded']);
    const state = JSON.parse(final);
    // Every piece hashed exactly once across the two runs, and the result is right.
    expect(state.pieceHashes).toHaveLength(16);
    expect(state.digest).toBe(expectedDigest(64, JSON.parse(row.params).seed));
    expect(fs.readdirSync(path.join(home, 'tmp'))).toEqual([]);
  });
});
