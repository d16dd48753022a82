/**
 * Failover you can act on: the backups a source can fail over from (newest by default, or an earlier one with what it
 * loses), the prechecks as a checklist before any job, restore jobs named by share, and the alerts that asked for
 * the failover settled once it succeeded. The engine in process, then the real CLI with --json on the same home.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FailoverBackup, FailoverPlan, FailoverPrechecks } from '../../main/shared/device-schemas';
import type { Job } from '../../main/shared/schemas';
import { Engine } from '../../main/engine/engine';
import { buildMain, cli, ok, tempHome } from '../helpers/home';
import { backup, deactivate, error, fileServer, fileServerWithData, openEngine, value } from './failover-setup';

beforeAll(buildMain, 120_000);

let engine: Engine | null = null;
afterEach(async () => {
  await engine?.close();
  engine = null;
});

describe('failover from a chosen backup', () => {
  it('lists the backups with what each older one loses, refuses another device’s backup, and restores the one chosen', async () => {
    const home = tempHome();
    const o = await openEngine(home);
    engine = o.engine;
    const e = o.engine;
    const fs1 = await fileServer(e, o.key, 'fs1');
    value(await e.call('shares.create', { device: 'fs1', name: 'finance', quota: '100MiB' }));
    const share = path.join(fs1.root, 'shares', 'finance');
    fs.writeFileSync(path.join(share, 'ledger.txt'), 'january\n');
    const first = (await backup(e, 'fs1')).result!.backupId as string;
    fs.writeFileSync(path.join(share, 'ledger.txt'), 'january\nfebruary\n');
    fs.writeFileSync(path.join(share, 'new.bin'), Buffer.alloc(64 * 1024, 7));
    await deactivate(e, 'fs1');
    await fileServer(e, o.key, 'fs2');
    await fileServerWithData(e, o.key, 'other');
    const foreign = (await backup(e, 'other')).result!.backupId as string;

    const backups = value(await e.call('failover.backups', { source: 'fs1' }));
    expect(backups.map((b) => [b.kind, b.latest])).toEqual([
      ['final', true],
      ['manual', false],
    ]);
    expect(backups[1]).toMatchObject({
      id: first,
      device: 'fs1',
      files: 1,
      loses: { laterBackups: 1, filesDifference: 1, bytesNew: expect.any(Number) },
    });
    expect(backups[1].loses!.bytesNew).toBeGreaterThanOrEqual(64 * 1024);
    expect(backups[1].loses!.text).toMatch(
      /older than the newest; 1 later backup read .* of new or changed data, 1 fewer file$/,
    );
    expect(backups[0].loses).toBeNull();

    const plan = value(await e.call('failover.plan', { source: 'fs1', target: 'fs2', backup: first }));
    expect(plan).toMatchObject({
      planned: false,
      backup: { id: first, kind: 'manual', latest: false, loses: { laterBackups: 1 } },
    });
    expect(plan.warnings.map((w) => w.code)).toEqual(['unplanned', 'older-backup']);
    // The default is still the newest.
    expect(value(await e.call('failover.plan', { source: 'fs1', target: 'fs2' })).backup).toMatchObject({
      id: backups[0].id,
      latest: true,
      loses: null,
    });

    // A backup of another device, a plain backup, or none at all: each refused with what to do.
    const refused = error(await e.call('failover.start', { source: 'fs1', target: 'fs2', backup: foreign }));
    expect(refused).toEqual({
      code: 'invalid_input',
      field: 'backup',
      message: `backup: ${foreign} is a backup of the device other, not of fs1; a failover restores only the source's own backups.`,
      hint: expect.stringContaining('`lifeboat failover backups fs1`'),
    });
    expect(error(await e.call('failover.plan', { source: 'fs1', target: 'fs2', backup: 'nope' }))).toMatchObject({
      code: 'not_found',
      message: 'backup: there is no backup nope.',
    });
    expect(e.devices.store.list().filter((d) => d.failover_job_id)).toEqual([]);
    await e.close();
    engine = null;

    // The CLI: the same lists and refusals with --json, the checklist in words without it.
    const listed = ok(cli(home, ['failover', 'backups', 'fs1', '--json'])).json<FailoverBackup[]>();
    expect(listed.map((b) => b.id)).toEqual(backups.map((b) => b.id));
    const table = ok(cli(home, ['failover', 'backups', 'fs1'])).stdout;
    expect(table).toContain(first);
    expect(table).toMatch(/older than the newest/);
    const checks = ok(
      cli(home, ['failover', 'prechecks', 'fs1', '--target', 'fs2', '--backup', first, '--json']),
    ).json<FailoverPrechecks>();
    expect(checks).toMatchObject({ source: 'fs1', target: 'fs2', backupId: first, ok: true });
    expect(checks.checks.find((c) => c.name === 'backup')).toMatchObject({
      status: 'warn',
      message: expect.stringMatching(/^A manual backup of .* is restored, not a final one: .*1 later backup/),
      fix: expect.stringContaining('newest'),
    });
    const words = ok(cli(home, ['failover', 'prechecks', 'fs1', '--target', 'fs2'])).stdout;
    expect(words).toMatch(/^Prechecks of the failover of fs1 to fs2 \(backup \S+\):\n {2}PASS account: /);
    expect(words).toMatch(/PASS backup: The final backup of fs1/);
    expect(words).toMatch(/The failover can start\.\n$/);
    const planned = ok(
      cli(home, ['failover', 'plan', 'fs1', '--target', 'fs2', '--backup', first, '--json']),
    ).json<FailoverPlan>();
    expect(planned.backup).toMatchObject({ id: first, latest: false });
    const bad = cli(home, ['failover', 'start', 'fs1', '--target', 'fs2', '--backup', foreign, '--yes', '--json']);
    expect(bad.code).not.toBe(0);
    expect(bad.json<{ ok: false; error: { code: string; message: string } }>().error).toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('is a backup of the device other'),
    });

    const job = ok(
      cli(home, ['failover', 'start', 'fs1', '--target', 'fs2', '--backup', first, '--yes', '--json']),
    ).json<Job>();
    expect(job).toMatchObject({ status: 'succeeded', result: { backupId: first, planned: false } });
    const target = path.join(
      value(await reopen(home).call('devices.show', { name: 'fs2' })).device.root,
      'shares',
      'finance',
    );
    // What the chosen backup held, not what the newest did.
    expect(fs.readFileSync(path.join(target, 'ledger.txt'), 'utf8')).toBe('january\n');
    expect(fs.existsSync(path.join(target, 'new.bin'))).toBe(false);
  }, 240_000);
});

function reopen(home: string): Engine {
  engine = Engine.open({ dataDir: home, mode: 'cli', runJobs: true });
  return engine;
}

describe('after the failover', () => {
  it('names each restore job by its share and target, and settles the alerts that asked for the failover', async () => {
    const o = await openEngine();
    engine = o.engine;
    const e = o.engine;
    await fileServerWithData(e, o.key, 'fs1');
    await deactivate(e, 'fs1');
    await fileServer(e, o.key, 'fs2');
    const before = value(await e.call('alerts.list', { all: false }));
    expect(before.map((a) => a.title)).toContain('Device fs1 deactivated');

    const job = value(await e.call('failover.start', { source: 'fs1', target: 'fs2' }));
    const done = await e.runner.wait(job.id, 180_000);
    expect(done.status).toBe('succeeded');
    const children = e.runner.store
      .list({ parentId: job.id, limit: 10 })
      .map((r) => r.title)
      .sort();
    expect(children).toEqual(['Restore share docs to fs2', 'Restore share pinned to fs2']);

    const after = value(await e.call('alerts.list', { all: false }));
    expect(after.map((a) => a.title)).not.toContain('Device fs1 deactivated');
    expect(after.map((a) => a.title)).toContain('Failover of fs1 to fs2 succeeded');
    // Kept in the history, acknowledged.
    expect(
      value(await e.call('alerts.list', { all: true })).find((a) => a.title === 'Device fs1 deactivated'),
    ).toMatchObject({ acknowledged: true });
    // The backups of fs1 are listed under the new owner.
    const fs2 = value(await e.call('devices.show', { name: 'fs2' }));
    expect(fs2.backups.map((b) => [b.device, b.kind])).toEqual([['fs1', 'final']]);
  }, 240_000);
});
