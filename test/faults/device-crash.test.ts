/**
 * kill -9 of web mode during a device backup (mid-upload, and between the upload and recording it) and during a
 * deactivation (after its shares went offline, before the status change), driven by the CLI through the running
 * app. LIFEBOAT_DEVICE_FAULT holds a job at a named point so the kill lands exactly there. The next start resumes
 * the job at its first unfinished step: one backup recorded, nothing half-done left in the account or in tmp.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli, startWeb, tempHome, until, type WebApp, buildApp, ok, readDb } from '../helpers/home';
import { describeTree } from '../helpers/tree';

const apps: WebApp[] = [];
afterEach(async () => {
  delete process.env.LIFEBOAT_DEVICE_FAULT;
  delete process.env.LIFEBOAT_BACKUP_FAULT;
  for (const a of apps.splice(0)) await a.stop('SIGKILL');
});

beforeAll(buildApp, 180_000);

interface JobJson {
  id: string;
  status: string;
  attempts: number;
  error: { code: string; message: string } | null;
}

const steps = (home: string, jobId: string) =>
  readDb(home, (db) =>
    (
      db.prepare('SELECT name, status FROM job_steps WHERE job_id = ? ORDER BY idx').all(jobId) as Array<{
        name: string;
        status: string;
      }>
    ).map((s) => `${s.name}:${s.status}`),
  );
const jobStatus = (home: string, jobId: string) =>
  readDb(home, (db) => db.prepare('SELECT status FROM jobs WHERE id = ?').pluck().get(jobId) as string);
const deviceBackups = (home: string) =>
  readDb(
    home,
    (db) =>
      db.prepare('SELECT backup_id, kind FROM device_backups ORDER BY created_at').all() as Array<{
        backup_id: string;
        kind: string;
      }>,
  );
const faultReached = (home: string, jobId: string) =>
  readDb(home, (db) => db.prepare("SELECT 1 FROM job_events WHERE job_id = ? AND kind = 'fault-point'").get(jobId));
const snapshots = (account: string) =>
  fs.existsSync(path.join(account, 'snapshots')) ? fs.readdirSync(path.join(account, 'snapshots')) : [];
const prepared = (home: string) =>
  fs.existsSync(path.join(home, 'tmp'))
    ? fs.readdirSync(path.join(home, 'tmp')).filter((f) => f.startsWith('device-backup-'))
    : [];

/** A service, a local account "lab", and a file server fs1 with a share "docs" of `files` random files of `size` bytes. */
async function setup(fault: 'catalog' | 'deactivate' | null, files: number, size: number) {
  const home = tempHome();
  const account = path.join(tempHome('lifeboat-acct-'), 'acct');
  if (fault) process.env.LIFEBOAT_DEVICE_FAULT = fault;
  apps.push(await startWeb(home));
  const key = ok(cli(home, ['service', 'init', '--name', 'Lab', '--json'])).json<{ registrationKey: string }>()
    .registrationKey;
  ok(cli(home, ['account', 'add', 'lab', '--local', account]));
  const root = path.join(tempHome('lifeboat-root-'), 'fs1');
  ok(
    cli(home, [
      'device',
      'create',
      'fs1',
      '--type',
      'file',
      '--root',
      root,
      '--capacity',
      '1GiB',
      '--account',
      'lab',
      '--registration-key',
      key,
      '--json',
    ]),
  );
  const docs = ok(cli(home, ['share', 'create', 'fs1', 'docs', '--quota', '500MiB', '--json'])).json<{ path: string }>()
    .path;
  fs.mkdirSync(path.join(docs, 'sub'), { recursive: true });
  for (let i = 0; i < files; i++)
    fs.writeFileSync(path.join(docs, i % 2 ? 'sub' : '', `f${i}.bin`), crypto.randomBytes(size));
  fs.writeFileSync(path.join(docs, 'readme.txt'), 'lifeboat\n');
  return { home, account, docs };
}

/** Restarts web mode (without a fault point) and waits for the job to end. */
async function restartAndWait(home: string, jobId: string): Promise<JobJson> {
  delete process.env.LIFEBOAT_DEVICE_FAULT;
  delete process.env.LIFEBOAT_BACKUP_FAULT;
  apps.push(await startWeb(home));
  return ok(cli(home, ['jobs', 'wait', jobId, '--timeout-seconds', '120', '--json'])).json<JobJson>();
}

/** The backup restored into a fresh folder equals the share as it was backed up. */
function expectRestoredEqual(home: string, backupId: string, tree: ReturnType<typeof describeTree>) {
  const out = path.join(tempHome('lifeboat-out-'), 'restore');
  ok(cli(home, ['backup', 'restore', backupId, '--to', out, '--json']));
  expect(describeTree(path.join(out, 'docs'))).toEqual(tree);
}

describe('kill -9 during a device backup', () => {
  it('mid-upload: nothing is recorded or listed; the restart finishes one backup, identical, with its heat and no leftovers', async () => {
    // Held once its first pack is stored, so the kill lands mid-upload however fast the backup runs.
    process.env.LIFEBOAT_BACKUP_FAULT = 'uploaded';
    const { home, account, docs } = await setup(null, 32, 8 << 20);
    const job = ok(cli(home, ['device', 'backup', 'fs1', '--detach', '--json'])).json<JobJson>();
    await until(
      'a pack stored',
      () => fs.existsSync(path.join(account, 'data')) && fs.readdirSync(path.join(account, 'data')).length > 0,
      60_000,
    );
    await apps.pop()!.stop('SIGKILL');

    expect(jobStatus(home, job.id)).toBe('running');
    expect(steps(home, job.id)).toEqual(['heat:succeeded', 'backup:running', 'catalog:pending', 'retention:pending']);
    expect(deviceBackups(home)).toEqual([]);
    expect(snapshots(account)).toEqual([]);
    // The heat step's files are there for the resumed job.
    expect(prepared(home).length).toBeGreaterThan(0);

    const done = await restartAndWait(home, job.id);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.attempts).toBe(2);
    const rows = deviceBackups(home);
    expect(rows.map((r) => r.kind)).toEqual(['manual']);
    expect(snapshots(account)).toEqual([rows[0].backup_id]);
    expect(fs.existsSync(path.join(home, 'heat', `${rows[0].backup_id}.ndjson.gz`))).toBe(true);
    expect(prepared(home)).toEqual([]);
    const heat = ok(cli(home, ['device', 'heat', 'fs1', '--json'])).json<{
      backupId: string;
      items: Array<{ name: string; hottest: unknown[] }>;
    }>();
    expect(heat.backupId).toBe(rows[0].backup_id);
    expect(heat.items[0].hottest).toHaveLength(20);
    expectRestoredEqual(home, rows[0].backup_id, describeTree(docs));
  }, 300_000);

  it('between the upload and recording it: the restart records that backup once, not a second one', async () => {
    const { home, account, docs } = await setup('catalog', 4, 256 << 10);
    const job = ok(cli(home, ['device', 'backup', 'fs1', '--detach', '--json'])).json<JobJson>();
    await until('the catalog fault point', () => faultReached(home, job.id), 60_000);
    await apps.pop()!.stop('SIGKILL');

    expect(steps(home, job.id)).toEqual(['heat:succeeded', 'backup:succeeded', 'catalog:running', 'retention:pending']);
    const written = snapshots(account);
    expect(written).toHaveLength(1);
    expect(deviceBackups(home)).toEqual([]);
    expect(ok(cli(home, ['backup', 'list', '--json'])).json()).toEqual([]);

    const done = await restartAndWait(home, job.id);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(deviceBackups(home)).toEqual([{ backup_id: written[0], kind: 'manual' }]);
    expect(snapshots(account)).toEqual(written);
    expect(prepared(home)).toEqual([]);
    expectRestoredEqual(home, written[0], describeTree(docs));
  }, 300_000);
});

describe('kill -9 during a deactivation', () => {
  it("between 'offline' and 'deactivate': the device is not yet deactivated and its final backup not yet final; the restart completes both", async () => {
    const { home, account, docs } = await setup('deactivate', 4, 256 << 10);
    const before = describeTree(docs);
    const job = ok(
      cli(home, ['device', 'deactivate', 'fs1', '--confirm', 'fs1', '--detach', '--json']),
    ).json<JobJson>();
    await until('the deactivate fault point', () => faultReached(home, job.id), 60_000);
    await apps.pop()!.stop('SIGKILL');

    expect(steps(home, job.id)).toEqual([
      'final-backup:succeeded',
      'offline:succeeded',
      'stop-backups:succeeded',
      'deactivate:running',
    ]);
    const dev = () =>
      readDb(
        home,
        (db) =>
          db.prepare("SELECT status, next_backup_at FROM devices WHERE name = 'fs1'").get() as {
            status: string;
            next_backup_at: string | null;
          },
      );
    expect(dev().status).toBe('online');
    expect(readDb(home, (db) => db.prepare('SELECT online FROM shares').pluck().all())).toEqual([0]);
    // Recorded, but as a manual backup: had the job failed here for good, no failover would call it planned.
    const [final] = deviceBackups(home);
    expect(final.kind).toBe('manual');
    expect(snapshots(account)).toEqual([final.backup_id]);

    const done = await restartAndWait(home, job.id);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.attempts).toBe(2);
    expect(dev()).toEqual({ status: 'deactivated', next_backup_at: null });
    expect(deviceBackups(home)).toEqual([{ backup_id: final.backup_id, kind: 'final' }]);
    expect(snapshots(account)).toEqual([final.backup_id]);
    expect(
      readDb(home, (db) =>
        db.prepare("SELECT COUNT(*) FROM alerts WHERE title = 'Device fs1 deactivated'").pluck().get(),
      ),
    ).toBe(1);
    // Offline means read-only on disk: the share's modes changed, its content did not.
    expect(Object.values(describeTree(docs)).map((e) => e.split(' ').slice(3).join(' '))).toEqual(
      Object.values(before).map((e) => e.split(' ').slice(3).join(' ')),
    );
    const refused = cli(home, ['device', 'backup', 'fs1', '--json']);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain('deactivated');
    expectRestoredEqual(home, final.backup_id, before);
  }, 300_000);
});
