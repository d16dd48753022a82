/**
 * A job whose owner died: the CLI runs a job itself (no app), is killed with SIGKILL, and the next Lifeboat to open
 * the data directory (here another CLI command, which runs no jobs) sees that the process that ran it is gone, marks
 * the job interrupted instead of showing it running forever, and `jobs resume` then runs it to the end.
 */
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, buildMain, cli, ok, readDb, tempHome, until } from '../helpers/home';

beforeAll(buildMain, 120_000);

interface JobJson {
  id: string;
  status: string;
  attempts: number;
  resumable: boolean;
}

describe('a job whose owner process died', () => {
  it('is marked interrupted by the next CLI command, and jobs resume finishes it', async () => {
    const home = tempHome();
    // The CLI's own engine runs the job (no app is running), paced to last ~20 s.
    const owner = spawn(
      process.execPath,
      [CLI, '--home', home, 'selftest', '--size-mib', '32', '--seconds', '20', '--json'],
      { stdio: 'ignore' },
    );
    const exited = new Promise<void>((r) => owner.once('exit', () => r()));
    const row = await until(
      'the self-test hashing',
      () => {
        try {
          return readDb(
            home,
            (db) =>
              db
                .prepare(
                  "SELECT j.id FROM jobs j JOIN job_steps s ON s.job_id = j.id WHERE j.status = 'running' AND s.name = 'hash' AND s.progress > 0",
                )
                .get() as { id: string } | undefined,
          );
        } catch {
          return undefined; // the database is not created yet
        }
      },
      60_000,
    );
    owner.kill('SIGKILL');
    await exited;
    expect(readDb(home, (db) => db.prepare('SELECT status FROM jobs WHERE id = ?').pluck().get(row.id))).toBe(
      'running',
    );

    // Any command opens the engine: the dead owner is noticed and the job no longer claims to run.
    const listed = ok(cli(home, ['jobs', 'list', '--json'])).json<JobJson[]>();
    const job = listed.find((j) => j.id === row.id)!;
    expect(job.status).toBe('queued');
    expect(job.resumable).toBe(true);
    const events = readDb(
      home,
      (db) =>
        db.prepare('SELECT kind, message FROM job_events WHERE job_id = ? ORDER BY seq').all(row.id) as {
          kind: string;
          message: string;
        }[],
    );
    expect(events.map((e) => e.kind)).toEqual(['created', 'started', 'interrupted']);
    expect(events[2].message).toContain(`pid ${owner.pid}`);
    // The row named its owner, which is how the dead one was told from a live one.
    expect(readDb(home, (db) => db.prepare('SELECT owner_pid FROM jobs WHERE id = ?').pluck().get(row.id))).toBe(
      owner.pid,
    );

    // Resumed from the CLI, it runs here from its last checkpoint to the end.
    const resumed = cli(home, ['jobs', 'resume', row.id, '--json']);
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    expect(resumed.json<JobJson>()).toMatchObject({ id: row.id, status: 'succeeded', attempts: 2 });
    expect(
      readDb(home, (db) =>
        db.prepare("SELECT COUNT(*) FROM job_events WHERE job_id = ? AND kind = 'succeeded'").pluck().get(row.id),
      ),
    ).toBe(1);
  }, 120_000);
});
