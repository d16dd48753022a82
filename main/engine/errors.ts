/**
 * The engine's side of the typed errors (shared/errors.ts): maps any thrown value, Node's errno codes and SQLite's
 * included, to the wire form, and names a full disk. Kept out of the shared layer because it reads the file system.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LifeboatError, type ErrorInfo } from '../shared/errors';

/**
 * Maps any thrown value to the wire form; unknown errors keep their message but never a stack. `where.dataDir`: the
 * data directory, so that a full disk is named, and an SQLite I/O error on a disk with no room left is called full.
 */
export function toErrorInfo(err: unknown, where: { dataDir?: string } = {}): ErrorInfo {
  if (err instanceof LifeboatError) return err.toInfo();
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string') {
    if (
      FULL.has(e.code) ||
      (e.code.startsWith('SQLITE_IOERR') && where.dataDir && freeBytes(where.dataDir) < LOW_SPACE)
    )
      return diskFull(where.dataDir ?? (e.path ? path.dirname(e.path) : undefined), e.message).toInfo();
    if (e.code === 'EACCES' || e.code === 'EPERM')
      return {
        code: 'io_error',
        message: `Permission denied: ${e.message}.`,
        hint: 'Check the permissions of the folder or file named.',
      };
    if (e.code === 'ENOENT') return { code: 'not_found', message: e.message };
  }
  const hint =
    where.dataDir && freeBytes(where.dataDir) < LOW_SPACE
      ? diskFull(where.dataDir, '').hint
      : 'See the log in the data directory (lifeboat diagnostics).';
  return { code: 'internal', message: e instanceof Error ? e.message : String(err), hint };
}

const FULL = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);
/** Under this, an I/O error is taken for a full disk (SQLite reports some of those as "disk I/O error"). */
const LOW_SPACE = 1 << 20;

/** Free bytes on the disk holding `dir` (Infinity when that cannot be read: no claim of a full disk then). */
export function freeBytes(dir: string): number {
  try {
    const s = fs.statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return Infinity;
  }
}

/** The disk holding `dir` is full: name it and what to free (the log cannot say more, it is on the same disk). */
export function diskFull(dir: string | undefined, detail: string, opts: { retryable?: boolean } = {}): LifeboatError {
  const why = detail ? ` (${detail})` : '';
  return dir
    ? new LifeboatError(
        'disk_full',
        `The disk holding ${dir} is full${why}.`,
        `Free space on that disk: delete files you do not need on it (old restores, other data; Lifeboat's old logs are in ${path.join(dir, 'logs')}), or move the data directory to a larger disk with --home; then try again.`,
        opts,
      )
    : new LifeboatError('disk_full', `The disk is full${why}.`, 'Free space on the disk named and try again.', opts);
}
