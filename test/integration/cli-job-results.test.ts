/**
 * Scripts: a command that runs a job prints, with --json, the job and its result (the backup it made, the final
 * backup of a deactivation, the target and bytes of a failover), so a script uses the id without listing backups.
 * Through real CLI child processes on one data directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../main/shared/schemas';
import { buildMain, cli, ok, tempHome } from '../helpers/home';

beforeAll(buildMain, 120_000);

const job = (r: ReturnType<typeof cli>) => ok(r).json<Job>();

describe('job commands with --json', () => {
  it('print the job with its result: backup create, device backup, device deactivate, failover start', () => {
    const home = tempHome();
    const key = ok(cli(home, ['service', 'init', '--name', 'Lab', '--json'])).json<{ registrationKey: string }>()
      .registrationKey;
    const data = path.join(tempHome('lifeboat-src-'), 'data');
    fs.mkdirSync(data, { recursive: true });
    fs.writeFileSync(path.join(data, 'a.txt'), 'hello\n');
    ok(cli(home, ['account', 'add', 'lab', '--local', path.join(tempHome('lifeboat-acct-'), 'acct')]));

    const created = job(cli(home, ['backup', 'create', '--account', 'lab', '--source', data, '--json']));
    expect(created).toMatchObject({
      type: 'backup.create',
      status: 'succeeded',
      result: { backupId: expect.any(String), account: 'lab', files: 1, bytes: 6 },
    });
    const listed = ok(cli(home, ['backup', 'list', '--account', 'lab', '--json'])).json<Array<{ id: string }>>();
    expect(listed.map((b) => b.id)).toEqual([created.result!.backupId]);

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
      ]),
    );
    ok(cli(home, ['share', 'create', 'fs1', 'docs', '--quota', '100MiB']));
    fs.writeFileSync(path.join(root, 'shares', 'docs', 'b.txt'), 'device data\n');
    const backedUp = job(cli(home, ['device', 'backup', 'fs1', '--json']));
    expect(backedUp).toMatchObject({
      type: 'device.backup',
      status: 'succeeded',
      result: { backupId: expect.any(String), device: 'fs1', kind: 'manual', files: 1 },
    });

    const deactivated = job(cli(home, ['device', 'deactivate', 'fs1', '--confirm', 'fs1', '--json']));
    expect(deactivated).toMatchObject({
      type: 'device.deactivate',
      status: 'succeeded',
      result: { device: 'fs1', finalBackupId: expect.any(String) },
    });
    const finalId = deactivated.result!.finalBackupId as string;
    expect(finalId).not.toBe(backedUp.result!.backupId);
    const shown = ok(cli(home, ['device', 'show', 'fs1', '--json'])).json<{
      backups: Array<{ id: string; kind: string }>;
    }>();
    expect(shown.backups.find((b) => b.id === finalId)?.kind).toBe('final');

    ok(
      cli(home, [
        'device',
        'create',
        'fs2',
        '--type',
        'file',
        '--root',
        path.join(tempHome('lifeboat-root-'), 'fs2'),
        '--capacity',
        '1GiB',
        '--account',
        'lab',
        '--registration-key',
        key,
      ]),
    );
    const failedOver = job(cli(home, ['failover', 'start', 'fs1', '--target', 'fs2', '--yes', '--json']));
    expect(failedOver).toMatchObject({
      type: 'device.failover',
      status: 'succeeded',
      result: {
        source: 'fs1',
        target: 'fs2',
        backupId: finalId,
        planned: true,
        items: 1,
        restoreJobs: 1,
        bytesRestored: 'device data\n'.length,
      },
    });

    // People see the result too, under the job's summary.
    const human = ok(cli(home, ['device', 'backup', 'fs2'])).stdout;
    expect(human).toMatch(/result:\n {2}backupId: \S+\n/);
  });
});
