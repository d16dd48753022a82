/**
 * Where data may live: device data roots and local account folders stay clear of the data directory, of each other
 * and of other devices (links included); a restore never goes into a source of its backup that still exists; a
 * device's capacity has a floor.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../main/engine/engine';
import type { Result } from '../../main/shared/errors';
import { tempHome } from '../helpers/home';

let engine: Engine | null = null;
afterEach(async () => {
  await engine?.close();
  engine = null;
});

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

function error<T>(r: Result<T>) {
  if (r.ok) throw new Error(`expected a refusal, got ${JSON.stringify(r.value).slice(0, 200)}`);
  return r.error;
}

async function lab() {
  const home = tempHome();
  engine = Engine.open({ dataDir: home, mode: 'cli', runJobs: true });
  const { registrationKey: key } = value(await engine.call('service.init', { name: 'Lab' }));
  return { e: engine, home, key };
}

const device = (key: string, name: string, root: string, capacity = '10MiB') => ({
  name,
  type: 'file' as const,
  root,
  capacity,
  registrationKey: key,
});

describe('device data roots', () => {
  it('are refused inside the data directory, an account folder or another device (through a link too), and around them', async () => {
    const { e, home, key } = await lab();
    const acct = path.join(tempHome('lifeboat-acct-'), 'lab');
    value(await e.call('accounts.add', { name: 'lab', local: acct }));
    const fs1 = path.join(tempHome('lifeboat-root-'), 'fs1');
    value(await e.call('devices.create', device(key, 'fs1', fs1)));

    const inHome = error(await e.call('devices.create', device(key, 'fs2', path.join(home, 'arrays', 'fs2'))));
    expect(inHome).toMatchObject({
      code: 'conflict',
      message: `root: ${path.join(home, 'arrays', 'fs2')} is inside Lifeboat's data directory (${home}).`,
    });
    expect(inHome.hint).toContain("outside Lifeboat's data directory");
    const inAccount = error(await e.call('devices.create', device(key, 'fs2', path.join(acct, 'fs2'))));
    expect(inAccount).toMatchObject({
      code: 'conflict',
      message: `root: ${path.join(acct, 'fs2')} is inside the folder of the storage account lab (${acct}).`,
    });
    const aroundAccount = error(await e.call('devices.create', device(key, 'fs2', path.dirname(acct))));
    expect(aroundAccount.message).toContain(`contains the folder of the storage account lab`);

    // A link into another device's root is that root.
    const link = path.join(tempHome('lifeboat-link-'), 'to-fs1');
    fs.symlinkSync(fs1, link);
    const viaLink = error(await e.call('devices.create', device(key, 'fs2', path.join(link, 'shares', 'x'))));
    expect(viaLink).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining(`is inside the data root of the device fs1 (${fs1})`),
    });
    // What devices.checkRoot shows the wizard says the same.
    const check = value(await e.call('devices.checkRoot', { root: path.join(home, 'x') }));
    expect(check).toMatchObject({
      usable: false,
      state: 'in-use',
      message: expect.stringContaining("inside Lifeboat's data directory"),
    });
    expect(value(await e.call('devices.list', {})).map((d) => d.name)).toEqual(['fs1']);
  });

  it('refuse a capacity below 1 MiB', async () => {
    const { e, key } = await lab();
    const root = path.join(tempHome('lifeboat-root-'), 'fs1');
    const small = error(await e.call('devices.create', device(key, 'fs1', root, '500')));
    expect(small).toMatchObject({
      code: 'invalid_input',
      message: 'capacity: 500 B is below the smallest capacity a device can have, 1.0 MiB.',
      hint: expect.stringContaining('500GiB'),
    });
    expect(fs.existsSync(root)).toBe(false);
    expect(value(await e.call('devices.create', device(key, 'fs1', root, '1MiB'))).capacity).toBe(2 ** 20);
  });
});

describe('local account folders', () => {
  it('are refused inside the data directory, a device root or another account; the default account stays in the data directory', async () => {
    const { e, home, key } = await lab();
    const fs1 = path.join(tempHome('lifeboat-root-'), 'fs1');
    value(await e.call('devices.create', device(key, 'fs1', fs1)));
    const lab1 = path.join(tempHome('lifeboat-acct-'), 'lab1');
    value(await e.call('accounts.add', { name: 'lab1', local: lab1 }));

    const inHome = error(await e.call('accounts.add', { name: 'a', local: path.join(home, 'mine') }));
    expect(inHome).toMatchObject({
      code: 'conflict',
      message: `local: ${path.join(home, 'mine')} is inside Lifeboat's data directory (${home}).`,
    });
    expect(inHome.hint).toContain('a folder of its own');
    expect(
      error(await e.call('accounts.add', { name: 'b', local: path.join(fs1, 'shares', 'backups') })).message,
    ).toContain('is inside the data root of the device fs1');
    expect(error(await e.call('accounts.add', { name: 'c', local: path.join(lab1, 'nested') })).message).toContain(
      'is inside the folder of the storage account lab1',
    );
    expect(error(await e.call('accounts.add', { name: 'd', local: path.dirname(lab1) })).message).toContain(
      'contains the folder of the storage account lab1',
    );
    expect(fs.existsSync(path.join(home, 'mine'))).toBe(false);
    expect(fs.existsSync(path.join(fs1, 'shares', 'backups'))).toBe(false);

    // Moving an account is checked the same way; keeping its folder is not a clash with itself.
    expect(error(await e.call('accounts.edit', { name: 'lab1', local: path.join(fs1, 'moved') })).code).toBe(
      'conflict',
    );
    expect(value(await e.call('accounts.edit', { name: 'lab1' })).name).toBe('lab1');
    // The embedded default account (made with the first device) lives in the data directory by design.
    expect(value(await e.call('accounts.show', { name: 'default' })).location).toBe(
      path.join(home, 'accounts', 'default'),
    );
  });
});

describe('restores', () => {
  it('are refused into a source of the backup that still exists, and allowed there once it is gone', async () => {
    const { e } = await lab();
    const src = path.join(tempHome('lifeboat-src-'), 'docs');
    fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(src, 'sub', 'a.txt'), 'kept');
    const job = await e.runner.wait(value(await e.call('backups.create', { source: [src] })).id, 60_000);
    expect(job.status).toBe('succeeded');
    const id = value(await e.call('backups.list', {}))[0].id;

    for (const to of [src, path.join(src, 'sub'), path.join(src, 'new-folder')]) {
      const r = error(await e.call('backups.restore', { id, to, overwrite: true }));
      expect(r, to).toMatchObject({
        code: 'not_allowed',
        message: expect.stringMatching(
          new RegExp(
            `^to: ${to} is (inside )?the source docs of the backup ${id} \\(${src}\\), which still exists\\.$`,
          ),
        ),
      });
    }
    expect(fs.readdirSync(src)).toEqual(['sub']);
    expect(e.runner.store.list({ limit: 100 }).filter((j) => j.type === 'backup.restore')).toEqual([]);

    // Gone (the disaster a restore is for): the restore puts it back.
    fs.rmSync(src, { recursive: true });
    const back = await e.runner.wait(value(await e.call('backups.restore', { id, to: src })).id, 60_000);
    expect(back.status).toBe('succeeded');
    expect(fs.readFileSync(path.join(src, 'docs', 'sub', 'a.txt'), 'utf8')).toBe('kept');
  });
});
