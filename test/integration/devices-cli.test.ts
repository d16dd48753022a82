import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { contract } from '../../main/shared/contract';
import { cli, tempHome, buildMain, ok } from '../helpers/home';

const output = <N extends keyof typeof contract>(name: N, text: string) =>
  contract[name].output.parse(JSON.parse(text)) as z.output<(typeof contract)[N]['output']>;
const MiB = 2 ** 20;

beforeAll(buildMain, 120_000);

function failed(r: ReturnType<typeof cli>): string {
  expect(r.code, r.stdout).not.toBe(0);
  return r.stderr + r.stdout;
}

describe('devices, shares and volumes through the CLI', () => {
  it('a file server with a pinned share, an iSCSI server with a sparse volume, and the errors people hit', () => {
    const home = tempHome();
    const key = output(
      'service.init',
      ok(cli(home, ['service', 'init', '--name', 'Lab', '--json'])).stdout,
    ).registrationKey;
    const fsRoot = path.join(tempHome('lifeboat-root-'), 'fs1');

    expect(
      failed(
        cli(home, [
          'device',
          'create',
          'fs1',
          '--type',
          'file',
          '--root',
          fsRoot,
          '--capacity',
          '1GiB',
          '--registration-key',
          'wrong',
        ]),
      ),
    ).toMatch(
      /^error \(invalid_input\): --registration-key: this is not the service registration key\.\nhint: Get the key with `lifeboat service registration-key`/,
    );
    const created = output(
      'devices.create',
      ok(
        cli(home, [
          'device',
          'create',
          'fs1',
          '--type',
          'file',
          '--root',
          fsRoot,
          '--capacity',
          '1GiB',
          '--registration-key',
          key,
          '--domain',
          'corp.contoso.com',
          '--json',
        ]),
      ).stdout,
    );
    expect(created).toMatchObject({
      name: 'fs1',
      status: 'online',
      capacity: 2 ** 30,
      domain: 'corp.contoso.com',
      account: 'default',
    });
    expect(
      failed(
        cli(home, [
          'device',
          'create',
          'bad_name',
          '--type',
          'file',
          '--root',
          path.join(fsRoot, '..', 'x'),
          '--capacity',
          '1GiB',
        ]),
      ),
    ).toContain('NAME: "bad_name" contains "_"');

    const share = output(
      'shares.create',
      ok(
        cli(home, [
          'share',
          'create',
          'fs1',
          'docs',
          '--quota',
          '100MiB',
          '--pinned',
          '--user',
          'CORP\\alice',
          '--json',
        ]),
      ).stdout,
    );
    expect(share).toMatchObject({
      name: 'docs',
      quota: 100 * MiB,
      tier: 'locally-pinned',
      users: ['CORP\\alice'],
      path: path.join(fsRoot, 'shares', 'docs'),
    });
    expect(failed(cli(home, ['share', 'create', 'fs1', 'big', '--quota', '2GiB']))).toContain(
      '--quota: 2.0 GiB does not fit: only 924 MiB of the 1.0 GiB capacity of fs1 is not provisioned.',
    );

    const shown = output('devices.show', ok(cli(home, ['device', 'show', 'fs1', '--json'])).stdout);
    expect(shown.device).toMatchObject({ provisioned: 100 * MiB, shares: 1 });
    expect(shown.shares).toEqual([
      expect.objectContaining({ name: 'docs', path: path.join(fsRoot, 'shares', 'docs'), online: true }),
    ]);

    // Offline asks for confirmation; --yes gives it.
    ok(cli(home, ['share', 'offline', 'fs1', 'docs', '--yes']));
    expect(fs.statSync(share.path).mode & 0o222).toBe(0);
    ok(cli(home, ['share', 'online', 'fs1', 'docs']));
    expect(fs.statSync(share.path).mode & 0o200).toBe(0o200);

    const isRoot = path.join(tempHome('lifeboat-root-'), 'is1');
    ok(
      cli(home, [
        'device',
        'create',
        'is1',
        '--type',
        'iscsi',
        '--root',
        isRoot,
        '--capacity',
        '1GiB',
        '--registration-key',
        key,
      ]),
    );
    expect(failed(cli(home, ['share', 'create', 'is1', 'docs']))).toContain(
      'DEVICE: is1 is an iSCSI server; shares belong to file servers.',
    );
    const vol = output(
      'volumes.create',
      ok(
        cli(home, [
          'volume',
          'create',
          'is1',
          'vol1',
          '--size',
          '64MiB',
          '--acr',
          'iqn.1991-05.com.microsoft:host1',
          '--chap-user',
          'u',
          '--chap-secret',
          '123456789012',
          '--json',
        ]),
      ).stdout,
    );
    expect(vol).toMatchObject({
      size: 64 * MiB,
      chapUser: 'u',
      acrs: [{ iqn: 'iqn.1991-05.com.microsoft:host1' }],
      path: path.join(isRoot, 'volumes', 'vol1'),
    });
    const st = fs.statSync(vol.path);
    expect(st.size).toBe(64 * MiB);
    expect(st.blocks * 512).toBeLessThan(64 * MiB);
    const shownVol = ok(cli(home, ['device', 'show', 'is1', '--json'])).stdout;
    expect(shownVol).not.toContain('123456789012');
    expect(failed(cli(home, ['volume', 'create', 'is1', 'vol2', '--size', '1MiB', '--acr', 'host1']))).toContain(
      '--acr: "host1" is not a valid initiator name (IQN).',
    );

    ok(cli(home, ['volume', 'delete', 'is1', 'vol1', '--yes']));
    expect(fs.existsSync(vol.path)).toBe(false);
    const list = output('devices.list', ok(cli(home, ['device', 'list', '--json'])).stdout);
    expect(list.map((d) => [d.name, d.volumes, d.shares])).toEqual([
      ['fs1', 0, 1],
      ['is1', 0, 0],
    ]);
    ok(cli(home, ['device', 'remove', 'is1', '--yes']));
    expect(output('devices.list', ok(cli(home, ['device', 'list', '--json'])).stdout).map((d) => d.name)).toEqual([
      'fs1',
    ]);
  });

  it('backs a device up, and deactivates it only with its name typed exactly', () => {
    const home = tempHome();
    const key = output(
      'service.init',
      ok(cli(home, ['service', 'init', '--name', 'Lab', '--json'])).stdout,
    ).registrationKey;
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
        '--registration-key',
        key,
      ]),
    );
    const share = output(
      'shares.create',
      ok(cli(home, ['share', 'create', 'fs1', 'docs', '--quota', '10MiB', '--json'])).stdout,
    );
    fs.writeFileSync(path.join(share.path, 'a.txt'), 'backed up');

    const backup = output('devices.backup', ok(cli(home, ['device', 'backup', 'fs1', '--json'])).stdout);
    expect(backup).toMatchObject({ type: 'device.backup', status: 'succeeded' });
    const afterBackup = output('devices.show', ok(cli(home, ['device', 'show', 'fs1', '--json'])).stdout);
    expect(afterBackup.backups).toEqual([expect.objectContaining({ kind: 'manual' })]);
    expect(afterBackup.device.lastBackupId).toBe(afterBackup.backups[0].id);

    // A wrong name (here: another case) is refused before anything starts.
    expect(failed(cli(home, ['device', 'deactivate', 'fs1', '--confirm', 'FS1']))).toContain(
      '--confirm: type the device name "fs1" exactly to deactivate it.',
    );
    expect(failed(cli(home, ['device', 'deactivate', 'fs1', '--confirm', 'fs2']))).toContain(
      '--confirm: type the device name "fs1" exactly',
    );
    expect(output('devices.show', ok(cli(home, ['device', 'show', 'fs1', '--json'])).stdout).device.status).toBe(
      'online',
    );

    const job = output(
      'devices.deactivate',
      ok(cli(home, ['device', 'deactivate', 'fs1', '--confirm', 'fs1', '--no-final-backup', '--json'])).stdout,
    );
    expect(job).toMatchObject({ type: 'device.deactivate', status: 'succeeded' });
    const shown = output('devices.show', ok(cli(home, ['device', 'show', 'fs1', '--json'])).stdout);
    expect(shown.device.status).toBe('deactivated');
    expect(shown.backups.map((b) => b.kind)).toEqual(['manual']); // --no-final-backup: no final backup was taken
    expect(shown.shares).toEqual([expect.objectContaining({ name: 'docs', online: false })]);
    expect(fs.statSync(share.path).mode & 0o222).toBe(0);
    expect(failed(cli(home, ['share', 'create', 'fs1', 'more']))).toContain('The device fs1 is deactivated');
  });
});
