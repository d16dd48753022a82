/**
 * kill -9 of web mode during each step of a failover (prechecks, restore, ownership transfer), driven by the CLI
 * through the running app. A fault point (LIFEBOAT_FAILOVER_FAULT) holds the job at a named place so the kill lands
 * exactly there; the next start resumes the job at its first unfinished step and it ends consistent: the target
 * byte-identical and the only owner, the source deleted, and at no moment two owners.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli, startWeb, tempHome, until, type WebApp, buildApp, ok, readDb } from '../helpers/home';
import { describeTree } from '../helpers/tree';

const apps: WebApp[] = [];
afterEach(async () => {
  delete process.env.LIFEBOAT_FAILOVER_FAULT;
  for (const a of apps.splice(0)) await a.stop('SIGKILL');
});

beforeAll(buildApp, 180_000);

interface DeviceRow {
  id: string;
  name: string;
  status: string;
  lineage: string;
  failover_job_id: string | null;
}

const device = (home: string, name: string) =>
  readDb(
    home,
    (db) => db.prepare('SELECT * FROM devices WHERE name = ? ORDER BY created_at DESC').get(name) as DeviceRow,
  );

/** The lease objects of a lineage in the default (local) account: epoch → owning device id. */
function leases(home: string, lineage: string): Array<{ epoch: number; deviceId: string }> {
  const dir = path.join(home, 'accounts', 'default', 'owners', lineage.toLowerCase());
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .sort()
    .map((f) => ({
      epoch: Number(f),
      deviceId: (JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { deviceId: string }).deviceId,
    }));
}

async function prepare(point: 'prechecks' | 'restore' | 'transfer') {
  const home = tempHome();
  process.env.LIFEBOAT_FAILOVER_FAULT = point;
  apps.push(await startWeb(home));
  const key = ok(cli(home, ['service', 'init', '--name', 'Lab', '--json'])).json<{ registrationKey: string }>()
    .registrationKey;
  const root = (n: string) => path.join(tempHome('lifeboat-root-'), n);
  ok(
    cli(home, [
      'device',
      'create',
      'fs1',
      '--type',
      'file',
      '--root',
      root('fs1'),
      '--capacity',
      '1GiB',
      '--registration-key',
      key,
      '--json',
    ]),
  );
  ok(cli(home, ['share', 'create', 'fs1', 'docs', '--quota', '100MiB', '--json']));
  ok(cli(home, ['share', 'create', 'fs1', 'pinned', '--quota', '50MiB', '--pinned', '--json']));
  const src = device(home, 'fs1');
  const shares = readDb(
    home,
    (db) => db.prepare('SELECT root FROM devices WHERE id = ?').get(src.id) as { root: string },
  ).root;
  const docs = path.join(shares, 'shares', 'docs');
  fs.mkdirSync(path.join(docs, 'a', 'b'), { recursive: true });
  fs.writeFileSync(path.join(docs, 'a', 'b', 'data.bin'), crypto.randomBytes(3 << 20));
  fs.writeFileSync(path.join(docs, 'naïve café.txt'), 'unicode\n');
  fs.symlinkSync('naïve café.txt', path.join(docs, 'link'));
  fs.writeFileSync(path.join(shares, 'shares', 'pinned', 'db.bin'), crypto.randomBytes(1 << 20));
  const before = { docs: describeTree(docs), pinned: describeTree(path.join(shares, 'shares', 'pinned')) };
  ok(cli(home, ['device', 'deactivate', 'fs1', '--confirm', 'fs1', '--json']));
  ok(
    cli(home, [
      'device',
      'create',
      'fs2',
      '--type',
      'file',
      '--root',
      root('fs2'),
      '--capacity',
      '1GiB',
      '--registration-key',
      key,
      '--json',
    ]),
  );
  return { home, before, src };
}

async function crashAt(point: 'prechecks' | 'restore' | 'transfer') {
  const { home, before, src } = await prepare(point);
  const job = ok(cli(home, ['failover', 'start', 'fs1', '--target', 'fs2', '--yes', '--detach', '--json'])).json<{
    id: string;
    type: string;
  }>();
  expect(job.type).toBe('device.failover');
  await until(
    `the ${point} fault point`,
    () =>
      readDb(home, (db) =>
        db.prepare("SELECT 1 FROM job_events WHERE job_id = ? AND kind = 'fault-point'").get(job.id),
      ),
    60_000,
  );
  await apps.pop()!.stop('SIGKILL');
  delete process.env.LIFEBOAT_FAILOVER_FAULT;
  const target = device(home, 'fs2');
  const atCrash = {
    job: readDb(home, (db) => db.prepare('SELECT status FROM jobs WHERE id = ?').get(job.id) as { status: string }),
    steps: readDb(home, (db) =>
      (
        db.prepare('SELECT name, status FROM job_steps WHERE job_id = ? ORDER BY idx').all(job.id) as Array<{
          name: string;
          status: string;
        }>
      ).map((s) => `${s.name}:${s.status}`),
    ),
    children: readDb(
      home,
      (db) => db.prepare('SELECT COUNT(*) AS n FROM jobs WHERE parent_id = ?').get(job.id) as { n: number },
    ).n,
    state: readDb(
      home,
      (db) =>
        JSON.parse((db.prepare('SELECT state FROM jobs WHERE id = ?').get(job.id) as { state: string }).state) as {
          children?: Record<string, string>;
        },
    ),
    source: device(home, 'fs1'),
    target,
    leases: leases(home, src.lineage),
  };
  expect(atCrash.job.status).toBe('running');

  apps.push(await startWeb(home));
  const waited = ok(cli(home, ['jobs', 'wait', job.id, '--timeout-seconds', '120', '--json'])).json<{
    status: string;
    attempts: number;
    error: unknown;
  }>();
  expect(waited.status, JSON.stringify(waited.error)).toBe('succeeded');
  expect(waited.attempts).toBe(2);
  const shown = ok(cli(home, ['jobs', 'show', job.id, '--json'])).json<{ children: Array<{ status: string }> }>();
  // Resumed, not repeated: still one restore job per share.
  expect(shown.children.map((c) => c.status)).toEqual(['succeeded', 'succeeded']);

  const after = {
    source: readDb(home, (db) => db.prepare('SELECT * FROM devices WHERE id = ?').get(src.id) as DeviceRow),
    target: device(home, 'fs2'),
  };
  expect(after.source).toMatchObject({ status: 'deleted', failover_job_id: null });
  expect(after.target).toMatchObject({ status: 'online', lineage: src.lineage, failover_job_id: null });
  const root = readDb(
    home,
    (db) => (db.prepare('SELECT root FROM devices WHERE id = ?').get(target.id) as { root: string }).root,
  );
  expect(describeTree(path.join(root, 'shares', 'docs'))).toEqual(before.docs);
  expect(describeTree(path.join(root, 'shares', 'pinned'))).toEqual(before.pinned);
  // The source claimed the lineage with its backups (epoch 1); the failover handed it to the target once (epoch 2).
  expect(leases(home, src.lineage)).toEqual([
    { epoch: 1, deviceId: src.id },
    { epoch: 2, deviceId: target.id },
  ]);
  const checklist = ok(cli(home, ['failover', 'checklist', job.id, '--json'])).json<{ records: unknown[] }>();
  expect(checklist.records).toEqual([{ type: 'CNAME', name: 'fs1', value: 'fs2' }]);
  return atCrash;
}

describe('kill -9 during a failover', () => {
  it('during the prechecks: both devices stay held, nothing restored; the restart runs them again and finishes', async () => {
    const at = await crashAt('prechecks');
    expect(at.steps).toEqual(['prechecks:running', 'restore:pending', 'transfer:pending', 'finish:pending']);
    expect(at.children).toBe(0);
    expect(at.source.failover_job_id).not.toBeNull();
    expect(at.target.failover_job_id).toBe(at.source.failover_job_id);
    expect(at.leases.map((l) => l.epoch)).toEqual([1]);
  }, 180_000);

  it('during the restore, between creating a restore job and checkpointing it: it is adopted, none created twice', async () => {
    const at = await crashAt('restore');
    expect(at.steps).toEqual(['prechecks:succeeded', 'restore:running', 'transfer:pending', 'finish:pending']);
    // The first restore job (the pinned share) exists, but the job's state does not name it yet.
    expect(at.children).toBe(1);
    expect(at.state.children).toBeUndefined();
    expect(at.leases.map((l) => l.deviceId)).toEqual([at.source.id]);
  }, 180_000);

  it('between the cloud lease and the database transaction: never two owners', async () => {
    const at = await crashAt('transfer');
    expect(at.steps).toEqual(['prechecks:succeeded', 'restore:succeeded', 'transfer:running', 'finish:pending']);
    // The lease names the target: the source is fenced in the cloud ...
    expect(at.leases.at(-1)!.deviceId).toBe(at.target.id);
    // ... and the database has not given the target the lineage yet: the only device that holds it there is the
    // deactivated (read-only, fenced) source. Exactly one device may write the lineage: the target, once resumed.
    expect(at.source).toMatchObject({ status: 'deactivated' });
    expect(at.target.lineage).not.toBe(at.source.lineage);
  }, 180_000);
});
