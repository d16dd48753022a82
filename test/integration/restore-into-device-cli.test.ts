/**
 * `lifeboat backup restore` into a device's share, through the real bin as child processes on one data directory: an
 * online share is refused without --overwrite (naming the device and share) and replaced with it; a share taken
 * offline is refused even with --overwrite, naming it and how to bring it back online. Engine side:
 * restore-into-device.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../main/shared/schemas';
import { buildMain, cli, ok, tempHome } from '../helpers/home';

beforeAll(buildMain, 120_000);

function failed(r: ReturnType<typeof cli>): string {
  expect(r.code, r.stdout).not.toBe(0);
  return r.stderr + r.stdout;
}

/** A service, a storage account "lab", a backup of one folder "docs" holding a.txt, and a file server fs1 with an empty share docs. */
function setUp() {
  const home = tempHome();
  const key = ok(cli(home, ['service', 'init', '--name', 'Lab', '--json'])).json<{ registrationKey: string }>()
    .registrationKey;
  ok(cli(home, ['account', 'add', 'lab', '--local', path.join(tempHome('lifeboat-acct-'), 'acct')]));
  const src = path.join(tempHome('lifeboat-src-'), 'docs');
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(path.join(src, 'a.txt'), 'from the backup');
  const created = ok(cli(home, ['backup', 'create', '--account', 'lab', '--source', src, '--json'])).json<Job>();
  expect(created.status).toBe('succeeded');
  const id = String(created.result!.backupId);
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
  return { home, id, root, share: path.join(root, 'shares', 'docs') };
}

const restores = (home: string) =>
  ok(cli(home, ['jobs', 'list', '--json']))
    .json<Job[]>()
    .filter((j) => j.type === 'backup.restore');

describe('backup restore into a device share through the CLI', () => {
  it('is refused without --overwrite for an online share, naming the device and share, and replaces the files with it', () => {
    const { home, id, root, share } = setUp();
    for (const to of [share, path.join(root, 'shares')]) {
      const out = failed(cli(home, ['backup', 'restore', id, '--to', to]));
      expect(out).toMatch(/^error \(conflict\): /);
      expect(out).toContain('the share docs of the device fs1 (online)');
      expect(out).toContain('--overwrite');
    }
    expect(fs.readdirSync(share)).toEqual([]);
    expect(restores(home)).toEqual([]);

    const done = ok(
      cli(home, ['backup', 'restore', id, '--to', path.join(root, 'shares'), '--overwrite', '--json']),
    ).json<Job>();
    expect(done).toMatchObject({ type: 'backup.restore', status: 'succeeded' });
    expect(fs.readFileSync(path.join(share, 'a.txt'), 'utf8')).toBe('from the backup');
  });

  it('is refused for a share taken offline, with --overwrite or not, and goes ahead once it is online again', () => {
    const { home, id, root, share } = setUp();
    ok(cli(home, ['share', 'offline', 'fs1', 'docs', '--yes']));
    for (const extra of [[], ['--overwrite']])
      for (const to of [share, path.join(root, 'shares')]) {
        const out = failed(cli(home, ['backup', 'restore', id, '--to', to, ...extra]));
        expect(out).toMatch(
          /^error \(not_allowed\): The share docs on fs1 is offline and read-only\.\nhint: .*lifeboat share online fs1 docs/,
        );
      }
    expect(fs.readdirSync(share)).toEqual([]);
    expect(restores(home)).toEqual([]);

    ok(cli(home, ['share', 'online', 'fs1', 'docs']));
    const done = ok(cli(home, ['backup', 'restore', id, '--to', share, '--overwrite', '--json'])).json<Job>();
    expect(done).toMatchObject({ type: 'backup.restore', status: 'succeeded' });
    expect(fs.readFileSync(path.join(share, 'docs', 'a.txt'), 'utf8')).toBe('from the backup');
  });
});
