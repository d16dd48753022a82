import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { toErrorInfo } from '../../main/engine/errors';
import { Logger } from '../../main/engine/log';
import { tempHome } from '../helpers/home';

describe('log', () => {
  it('writes JSON lines, honours the level, redacts secret fields and rotates by size', () => {
    const dir = tempHome();
    const log = new Logger(dir, 2000, 3);
    log.debug('hidden at info level');
    log.info('account added', { account: 'lab', accountKey: 'AAAA-secret', nested: { chapSecret: 'x'.repeat(14) } });
    const first = JSON.parse(fs.readFileSync(log.file, 'utf8').trim());
    expect(first).toMatchObject({
      level: 'info',
      msg: 'account added',
      account: 'lab',
      accountKey: '[redacted]',
      nested: { chapSecret: '[redacted]' },
    });
    for (let i = 0; i < 100; i++) log.warn(`line ${i}`, { i });
    log.close();
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual(['lifeboat.1.log', 'lifeboat.2.log', 'lifeboat.log']);
    for (const f of files) expect(fs.statSync(path.join(dir, f)).size).toBeLessThanOrEqual(2000);
    const last = fs
      .readFileSync(log.file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(last.at(-1)).toMatchObject({ level: 'warn', msg: 'line 99', i: 99 });
    expect(fs.readFileSync(log.file, 'utf8')).not.toContain('hidden at info level');
  });

  it('an error that points to the log says so when the log cannot be written, and why', () => {
    const home = tempHome();
    const blocked = path.join(home, 'logs');
    fs.writeFileSync(blocked, 'a file where the log folder should be');
    const log = new Logger(blocked);
    const internal = toErrorInfo(new Error('boom'));
    expect(log.explain(internal)).toEqual(internal); // nothing failed yet
    log.error('call failed');
    expect(log.failure).toMatch(/EEXIST|ENOTDIR/);
    expect(log.explain(internal)).toMatchObject({
      code: 'internal',
      message: 'boom',
      hint: expect.stringContaining(`The log in ${blocked} cannot be written either`),
    });
    // An error that does not send the user to the log keeps its hint.
    const notFound = { code: 'not_found' as const, message: 'x', hint: 'List them.' };
    expect(log.explain(notFound)).toEqual(notFound);
  });

  it('a full disk is disk_full naming the data directory, whatever layer reports it', () => {
    const full = toErrorInfo(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }), {
      dataDir: '/srv/lifeboat',
    });
    expect(full).toMatchObject({
      code: 'disk_full',
      message: 'The disk holding /srv/lifeboat is full (database or disk is full).',
      hint: expect.stringContaining('/srv/lifeboat/logs'),
    });
    const enospc = toErrorInfo(
      Object.assign(new Error('ENOSPC: no space left on device, write'), {
        code: 'ENOSPC',
        path: '/srv/x/lifeboat.lock',
      }),
    );
    expect(enospc).toMatchObject({
      code: 'disk_full',
      message: expect.stringContaining('The disk holding /srv/x is full'),
    });
    // An SQLite I/O error is only called a full disk when the disk has no room: here it has.
    expect(
      toErrorInfo(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' }), { dataDir: tempHome() })
        .code,
    ).toBe('internal');
  });
});
