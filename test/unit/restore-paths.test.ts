import { describe, expect, it } from 'vitest';
import { LifeboatError } from '../../main/shared/errors';
import { checkEntries, checkSourceName, unsafeEntryPath, unsafeSourceName } from '../../main/engine/repo/restore-paths';
import type { TreeEntry } from '../../main/engine/repo/snapshot';

const file = (path: string): TreeEntry => ({ path, type: 'file', mode: 0o644, mtimeMs: 0, size: 0, chunks: [] });
const link = (path: string, target: string): TreeEntry => ({ path, type: 'symlink', mode: 0o777, mtimeMs: 0, target });
const thrown = (f: () => void) => {
  try {
    f();
  } catch (err) {
    return err as LifeboatError;
  }
  throw new Error('nothing thrown');
};

describe('the names a restore trusts', () => {
  it('entry paths: relative, "/"-separated, without empty, "." or ".." parts', () => {
    for (const ok of ['a', 'a/b.txt', '..a', 'a..', 'a/.hidden', '...', 'a/b c/ü.txt', 'a\\b'])
      expect(unsafeEntryPath(ok), ok).toBeUndefined();
    expect(unsafeEntryPath('/etc/passwd')).toBe('it is absolute');
    expect(unsafeEntryPath('')).toBe('it is empty');
    expect(unsafeEntryPath(undefined)).toBe('it is empty');
    expect(unsafeEntryPath('a\0b')).toBe('it holds a NUL byte');
    for (const bad of ['..', '../x', 'a/../../x', 'a/..', '.', './x', 'a/./b', 'a//b', 'a/'])
      expect(unsafeEntryPath(bad), bad).toBe('it has an empty, "." or ".." part');
  });

  it('source names: one plain name', () => {
    for (const ok of ['share', 'disk.img', 'Ünïcødé', '..share']) expect(unsafeSourceName(ok), ok).toBeUndefined();
    for (const bad of ['../../x', '..', '.', '', 'a/b', '/abs', 'x/']) expect(unsafeSourceName(bad), bad).toBeDefined();
    const err = thrown(() => checkSourceName('b1', '../../x'));
    expect(err).toBeInstanceOf(LifeboatError);
    expect(err).toMatchObject({
      code: 'damaged',
      final: true,
      message:
        'Backup b1 holds an unsafe source name "../../x" (it holds a slash); a restore never writes outside its target, so nothing was restored.',
    });
    expect(err.hint).not.toMatch(/resume/i);
  });

  it('refuses a manifest whose first bad entry comes after good ones, naming it', () => {
    expect(thrown(() => checkEntries('b1', 'share', [file('a'), file('b/../../x')]))).toMatchObject({
      final: true,
      message: expect.stringContaining('unsafe path "b/../../x" in share'),
    });
  });

  it('refuses an entry below a link entry, in either order, at any depth; a link beside a folder of a longer name is fine', () => {
    for (const entries of [
      [link('evil', '/tmp'), file('evil/pwned.txt')],
      [file('evil/pwned.txt'), link('evil', '/tmp')],
      [link('a/evil', '/'), file('a/evil/b/c/pwned.txt')],
    ])
      expect(thrown(() => checkEntries('b1', 'share', entries))).toMatchObject({
        code: 'damaged',
        final: true,
        message: expect.stringContaining('lies below the symbolic link'),
      });
    expect(() =>
      checkEntries('b1', 'share', [
        link('evil', '/tmp'),
        file('evil2/x'),
        file('evil.txt'),
        link('a/b', 'c'),
        file('a/bc'),
      ]),
    ).not.toThrow();
  });
});
