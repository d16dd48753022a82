/**
 * The names a restore writes, checked before anything is written. A manifest is sealed with a key derived from the
 * SDEK, but whoever holds the SDEK and write access to the account can forge one, and a damaged writer could record
 * anything: no source name or entry path is trusted. A source name is one plain folder or file name; an entry path is
 * relative, `/`-separated, with no empty, `.` or `..` component; and no entry lies below a symbolic link entry of its
 * source (the backup scan never follows links, so a real backup has none there). A restore laid out from names that
 * pass can only write below its target, and never through a link it restores (links are created after every file
 * is written: restore.ts).
 */
import path from 'node:path';
import { LifeboatError } from '../../shared/errors';
import type { TreeEntry } from './snapshot';

/** An absolute path, an empty, `.` or `..` component, a trailing slash or a NUL. */
const UNSAFE = /^\/|(?:^|\/)\.{1,2}(?:\/|$)|\/\/|\/$|\0/;
/** Windows also splits on backslashes and reads `C:` as a drive. */
const UNSAFE_WIN = /[\\:]/;

/** Why a relative entry path is unsafe, or undefined when it is fine. */
export function unsafeEntryPath(rel: unknown): string | undefined {
  if (typeof rel !== 'string' || rel === '') return 'it is empty';
  if (UNSAFE.test(rel))
    return rel.startsWith('/')
      ? 'it is absolute'
      : rel.includes('\0')
        ? 'it holds a NUL byte'
        : 'it has an empty, "." or ".." part';
  if (path.sep === '\\' && UNSAFE_WIN.test(rel)) return 'it holds a backslash or a colon';
  return undefined;
}

/** Why a source name is unsafe as the one name the source is restored under (`to/<name>`), or undefined. */
export function unsafeSourceName(name: unknown): string | undefined {
  if (typeof name === 'string' && name.includes('/')) return 'it holds a slash';
  return unsafeEntryPath(name);
}

/**
 * Final: a backup never changes, so resuming would only refuse it again. Nothing was written when this is thrown
 * before the layout (restore.ts checks every name first).
 */
export function unsafePathError(snapshotId: string, what: string, why: string): LifeboatError {
  return new LifeboatError(
    'damaged',
    `Backup ${snapshotId} holds an unsafe ${what} (${why}); a restore never writes outside its target, so nothing was restored.`,
    'The backup was damaged or altered by someone with the service key and write access to the account: run `lifeboat account check`, and restore from another backup.',
    { final: true },
  );
}

/** Throws unsafePathError for a source name that is not one plain name. */
export function checkSourceName(snapshotId: string, name: unknown): void {
  const why = unsafeSourceName(name);
  if (why) throw unsafePathError(snapshotId, `source name ${JSON.stringify(name)}`, why);
}

/**
 * Throws unsafePathError for the first entry whose path is unsafe or lies below a link entry. One regular
 * expression per entry; the walk up a path's parents runs only for sources that hold links.
 */
export function checkEntries(snapshotId: string, source: string, entries: readonly TreeEntry[]): void {
  const links = new Set<string>();
  for (const e of entries) {
    const why = unsafeEntryPath(e.path);
    if (why) throw unsafePathError(snapshotId, `path ${JSON.stringify(e.path)} in ${source}`, why);
    if (e.type === 'symlink') links.add(e.path);
  }
  if (!links.size) return;
  for (const e of entries)
    for (let i = e.path.indexOf('/'); i > 0; i = e.path.indexOf('/', i + 1)) {
      const parent = e.path.slice(0, i);
      if (links.has(parent))
        throw unsafePathError(
          snapshotId,
          `path "${e.path}" in ${source}`,
          `it lies below the symbolic link "${parent}"`,
        );
    }
}

/** The full path of a checked entry path under `root`. */
export const targetPath = (root: string, rel: string): string => path.join(root, ...rel.split('/'));

/** What to try when a path is not in the sources: one that starts with a source's name means a path inside it. */
export function pathHint(id: string, wanted: string, sources: Array<{ name: string }>): string {
  const source = sources.find((s) => wanted.startsWith(`${s.name}/`));
  return source
    ? `A path is inside the sources, without a source's name: try --source ${source.name} --path ${wanted.slice(source.name.length + 1)}.`
    : `A path is inside the sources (e.g. docs/2024); \`lifeboat backup files ${id}\` lists what the backup holds, a folder at a time.`;
}
