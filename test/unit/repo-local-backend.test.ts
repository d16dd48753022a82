import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectList } from '../../main/engine/storage/backend';
import { LocalBackend, storageError } from '../../main/engine/storage/local';
import { importFrom, unprivileged } from '../helpers/as-nobody';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-local-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('local storage backend', () => {
  it('puts, gets (whole and ranged), heads, lists and deletes objects', async () => {
    const b = await LocalBackend.open(path.join(dir, 'acct'), { create: true });
    await b.put('data/ab/abcdef', Buffer.from('0123456789'));
    await b.put(
      'index/one',
      (async function* () {
        yield Buffer.from('stream');
        yield Buffer.from('ed');
      })(),
    );
    expect((await b.get('data/ab/abcdef')).toString()).toBe('0123456789');
    expect((await b.get('data/ab/abcdef', { offset: 3, length: 4 })).toString()).toBe('3456');
    expect((await b.get('index/one')).toString()).toBe('streamed');
    expect(await b.head('index/one')).toEqual({ name: 'index/one', size: 8 });
    expect(await b.head('index/two')).toBeUndefined();
    expect((await collectList(b, 'data/')).map((o) => o.name)).toEqual(['data/ab/abcdef']);
    expect((await collectList(b, '')).map((o) => o.name).sort()).toEqual(['data/ab/abcdef', 'index/one']);
    await b.delete('index/one');
    await b.delete('index/one');
    await expect(b.get('index/one')).rejects.toMatchObject({ code: 'not_found' });
    await expect(b.get('data/ab/abcdef', { offset: 8, length: 4 })).rejects.toMatchObject({ code: 'io_error' });
  });

  it('reads a range into the buffer it is given when that is large enough, else into a new one', async () => {
    const b = await LocalBackend.open(path.join(dir, 'acct'), { create: true });
    await b.put('data/ab/abcdef', Buffer.from('0123456789'));
    const into = Buffer.alloc(8, '.');
    const got = await b.get('data/ab/abcdef', { offset: 2, length: 5, into });
    expect(got.toString()).toBe('23456');
    expect(got.buffer).toBe(into.buffer); // a view of the caller's buffer, from its start
    expect(into.toString()).toBe('23456...');
    const small = Buffer.alloc(3, '.');
    const fresh = await b.get('data/ab/abcdef', { offset: 2, length: 5, into: small });
    expect(fresh.toString()).toBe('23456');
    expect(fresh.buffer).not.toBe(small.buffer);
    expect(small.toString()).toBe('...');
  });

  it('never replaces an object and leaves no temporary file behind', async () => {
    const b = await LocalBackend.open(path.join(dir, 'acct'), { create: true });
    await b.put('snapshots/x', Buffer.from('first'));
    await expect(b.put('snapshots/x', Buffer.from('second'))).rejects.toMatchObject({ code: 'already_exists' });
    expect((await b.get('snapshots/x')).toString()).toBe('first');
    expect(fs.readdirSync(path.join(dir, 'acct/.tmp'))).toEqual([]);
    await expect(b.put('../escape', Buffer.from('x'))).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('passes its own probe', async () => {
    const b = await LocalBackend.open(path.join(dir, 'acct'), { create: true });
    const r = await b.probe();
    expect(r.ok).toBe(true);
    expect(r.writeBytesPerSecond).toBeGreaterThan(0);
    expect(await collectList(b, 'probe/')).toEqual([]);
  });

  it('explains a missing folder, a file where a folder should be, a full disk and missing permissions', async () => {
    await expect(LocalBackend.open(path.join(dir, 'nope'))).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('does not exist'),
    });
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    for (const create of [false, true])
      await expect(LocalBackend.open(path.join(dir, 'file'), { create })).rejects.toMatchObject({
        code: 'invalid_input',
        message: `${path.join(dir, 'file')} is not a folder.`,
      });
    const full = storageError(
      Object.assign(new Error('no space'), { code: 'ENOSPC' }),
      '/mnt/backups',
      'write',
      'data/aa/bb',
    );
    expect(full.message).toMatch(/^The storage account's disk is full/);
    expect(full.hint).toMatch(/Free space/);
    expect(full.retryable).toBe(true);
    const denied = storageError(Object.assign(new Error('denied'), { code: 'EACCES' }), '/mnt/backups', 'write');
    expect(denied).toMatchObject({ code: 'forbidden', message: 'The folder /mnt/backups is not writable (EACCES).' });
  });

  // Root writes anywhere, and CI runs as root: there the open runs in a child process as the user nobody.
  it.skipIf(process.platform === 'win32')('refuses a folder the user cannot write to', () => {
    const user = unprivileged('lifeboat-ro-');
    try {
      const ro = path.join(user.dir, 'ro');
      fs.mkdirSync(ro);
      fs.chmodSync(ro, 0o555);
      // The backend bundled whole (it needs no package), with a line that prints what open() gave.
      const r = user.run(
        importFrom('LocalBackend', 'main/engine/storage/local') +
          'LocalBackend.open(process.argv[2]).then(() => console.log(JSON.stringify({ opened: true })), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })));\n',
        [ro],
      );
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({
        code: 'forbidden',
        message: `The folder ${ro} is not writable (EACCES).`,
      });
    } finally {
      user.done();
    }
  });
});
