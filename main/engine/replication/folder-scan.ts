/**
 * Changes of a protected folder since its last point: an index of every file and folder (size, mtime in ns, mode) is
 * kept per folder; a file whose size and mtime are unchanged is never read. New and changed files are sent whole,
 * deleted ones named. Symbolic links and special files are not replicated in this slice (counted as skipped).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

export interface IndexEntry {
  t: 'f' | 'd';
  size: number;
  /** mtime in nanoseconds, as text (bigint). */
  m: string;
  mode: number;
  /** Set when the mtime was too close to the scan to trust: the next cycle reads the file whatever its stat says. */
  racy?: boolean;
}

export type FolderIndex = Record<string, IndexEntry>;

/** Filesystems stamp mtimes from a coarse clock: a write this close to a scan may leave the same mtime. */
const RACY_NS = 2_000_000_000n;

export async function walkFolder(root: string): Promise<{ index: FolderIndex; skipped: number }> {
  const index: FolderIndex = {};
  let skipped = 0;
  const now = BigInt(Date.now()) * 1_000_000n;
  const visit = async (dir: string, rel: string): Promise<void> => {
    for (const name of (await fsp.readdir(dir)).sort()) {
      const p = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = await fsp.lstat(p, { bigint: true });
      if (st.isDirectory()) {
        index[r] = { t: 'd', size: 0, m: String(st.mtimeNs), mode: Number(st.mode & 0o7777n) };
        await visit(p, r);
      } else if (st.isFile()) {
        const racy = now - st.mtimeNs < RACY_NS ? { racy: true } : {};
        index[r] = { t: 'f', size: Number(st.size), m: String(st.mtimeNs), mode: Number(st.mode & 0o7777n), ...racy };
      } else skipped++;
    }
  };
  await visit(root, '');
  return { index, skipped };
}

export interface FolderDiff {
  mkdirs: string[];
  writes: string[];
  deletes: string[];
  rmdirs: string[];
  /** Folders whose mode or mtime is new or changed: set after their entries changed. */
  dirs: string[];
}

/** What to send: folders parent first, removed folders deepest first. */
export function diffFolder(old: FolderIndex, now: FolderIndex): FolderDiff {
  const d: FolderDiff = { mkdirs: [], writes: [], deletes: [], rmdirs: [], dirs: [] };
  for (const [rel, e] of Object.entries(now)) {
    const o = old[rel];
    if (e.t === 'd') {
      if (o?.t !== 'd') d.mkdirs.push(rel);
      if (o?.t === 'f') d.deletes.push(rel);
      if (o?.t !== 'd' || o.m !== e.m || o.mode !== e.mode) d.dirs.push(rel);
    } else if (!o || o.t !== 'f' || o.size !== e.size || o.m !== e.m || o.racy || o.mode !== e.mode) {
      d.writes.push(rel);
    }
  }
  for (const [rel, o] of Object.entries(old)) {
    if (now[rel]) continue;
    if (o.t === 'd') d.rmdirs.push(rel);
    else d.deletes.push(rel);
  }
  d.mkdirs.sort((a, b) => a.split('/').length - b.split('/').length);
  d.rmdirs.sort((a, b) => b.split('/').length - a.split('/').length);
  d.dirs.sort((a, b) => b.split('/').length - a.split('/').length);
  return d;
}

/** The same file as the index says (size and mtime), for the check after reading it. */
export async function unchangedSince(file: string, e: IndexEntry): Promise<boolean> {
  const st = await fsp.lstat(file, { bigint: true }).catch(() => null);
  return !!st && st.isFile() && Number(st.size) === e.size && String(st.mtimeNs) === e.m;
}

export async function readIndex(file: string): Promise<FolderIndex> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as FolderIndex;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
}

export function openSource(file: string): fs.ReadStream {
  return fs.createReadStream(file, { highWaterMark: 1 << 20 });
}
