/**
 * Small files of a new restore are created, written, given their metadata and closed in one pass of synchronous
 * calls (writeWhole): the same bytes, mode and time as the pooled path, and never through a link in the way.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeWhole, type FileTarget } from '../../main/engine/repo/restore-files';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-restore-direct-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const mtimeMs = Date.UTC(2024, 4, 1, 12, 0, 0, 123);
const target = (name: string, size: number, mode = 0o640): FileTarget => ({
  source: 's',
  full: path.join(tmp, name),
  entry: { path: name, type: 'file', mode, mtimeMs, size },
  remaining: 0,
  direct: true,
});

describe('writeWhole', () => {
  it('creates the file with its bytes, mode and time in one pass', () => {
    const f = target('a.txt', 11);
    writeWhole(f, [Buffer.from('hello '), Buffer.from('world')], 0, true);
    const st = fs.statSync(f.full);
    expect(fs.readFileSync(f.full, 'utf8')).toBe('hello world');
    expect(st.mode & 0o7777).toBe(0o640);
    expect(st.mtimeMs).toBe(mtimeMs);
    expect(f.written).toBe(true);
  });

  it('makes an empty file, and sizes one whose data is damaged without giving it the backup time', () => {
    const empty = target('empty', 0, 0o600);
    writeWhole(empty, [], 0, true);
    expect(fs.statSync(empty.full).size).toBe(0);
    expect(fs.statSync(empty.full).mode & 0o7777).toBe(0o600);
    const damaged = target('damaged', 4096);
    writeWhole(damaged, [], 0, false);
    expect(fs.readFileSync(damaged.full).equals(Buffer.alloc(4096))).toBe(true);
    expect(fs.statSync(damaged.full).mtimeMs).not.toBe(mtimeMs);
  });

  it('replaces a link or folder in the way rather than writing through it', () => {
    const outside = path.join(tmp, 'outside.txt');
    fs.writeFileSync(outside, 'untouched');
    fs.symlinkSync(outside, path.join(tmp, 'link'));
    const viaLink = target('link', 3);
    writeWhole(viaLink, [Buffer.from('new')], 0, true);
    expect(fs.lstatSync(viaLink.full).isFile()).toBe(true);
    expect(fs.readFileSync(viaLink.full, 'utf8')).toBe('new');
    expect(fs.readFileSync(outside, 'utf8')).toBe('untouched');
    fs.mkdirSync(path.join(tmp, 'dir'));
    fs.writeFileSync(path.join(tmp, 'dir', 'inner'), 'x');
    const overDir = target('dir', 2);
    writeWhole(overDir, [Buffer.from('ok')], 0, true);
    expect(fs.readFileSync(overDir.full, 'utf8')).toBe('ok');
  });
});
