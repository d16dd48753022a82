/** The file-system side of a restore: laying out targets, sizing files, metadata, and checking resumed work. */
import fs from 'node:fs';
import path from 'node:path';
import { chunkId } from './crypto';
import type { Repository } from './repository';
import type { RestoreItem } from './restore';
import type { TreeEntry } from './snapshot';

export interface FileTarget {
  source: string;
  full: string;
  entry: TreeEntry;
  /** Chunks still to be written; at zero the file is closed and its metadata applied. */
  remaining: number;
  placed?: boolean;
  handle?: fs.promises.FileHandle;
  damaged?: boolean;
  finished?: boolean;
}

export interface Placement {
  file: FileTarget;
  offset: number;
  item: RestoreItem;
}

/** Only root may give files away; anyone else restores them as their own, as cp -a does. */
const canChown = typeof process.getuid === 'function' && process.getuid() === 0;

/** Refuses entry paths that would escape the target (a damaged or hostile manifest). */
function inside(root: string, rel: string): string {
  const full = path.join(root, ...rel.split('/'));
  if (rel.split('/').includes('..') || path.isAbsolute(rel) || !full.startsWith(root + path.sep)) throw new Error(`The backup holds an unsafe path "${rel}".`);
  return full;
}

export async function prepareTree(root: string, entries: TreeEntry[], dirs: Array<{ full: string; entry: TreeEntry }>, files: FileTarget[], source: string): Promise<void> {
  await fs.promises.mkdir(root, { recursive: true });
  for (const entry of entries) {
    const full = inside(root, entry.path);
    if (entry.type === 'dir') {
      await fs.promises.mkdir(full, { recursive: true });
      dirs.push({ full, entry });
    } else if (entry.type === 'symlink') {
      await fs.promises.mkdir(path.dirname(full), { recursive: true });
      const existing = await fs.promises.lstat(full).catch(() => undefined);
      if (existing?.isSymbolicLink() && (await fs.promises.readlink(full)) === entry.target) continue;
      if (existing) await fs.promises.rm(full, { recursive: true, force: true });
      await fs.promises.symlink(entry.target ?? '', full);
      await applyMetadata(full, entry);
    } else {
      await fs.promises.mkdir(path.dirname(full), { recursive: true });
      files.push({ source, full, entry, remaining: 0 });
    }
  }
}

/**
 * Creates (or on resume keeps) a file at its final size. ftruncate makes the unwritten parts holes, which is how a
 * volume image comes back sparse. A symlink or folder in the way is removed rather than followed.
 */
export async function openForRestore(f: FileTarget, keep: boolean): Promise<void> {
  const existing = await fs.promises.lstat(f.full).catch(() => undefined);
  if (existing && !existing.isFile()) await fs.promises.rm(f.full, { recursive: true, force: true });
  const fh = await fs.promises.open(f.full, existing?.isFile() && keep ? 'r+' : 'w');
  try {
    await fh.truncate(f.entry.size ?? 0);
  } finally {
    await fh.close();
  }
}

export async function applyMetadata(full: string, entry: TreeEntry): Promise<void> {
  const seconds = entry.mtimeMs / 1000;
  if (entry.type === 'symlink') {
    if (canChown && entry.uid !== undefined) await fs.promises.lchown(full, entry.uid, entry.gid ?? -1).catch(() => undefined);
    await fs.promises.lutimes(full, seconds, seconds).catch(() => undefined);
    return;
  }
  // chown first: it clears set-user-id bits that chmod then puts back.
  if (canChown && entry.uid !== undefined) await fs.promises.chown(full, entry.uid, entry.gid ?? -1).catch(() => undefined);
  await fs.promises.chmod(full, entry.mode);
  await fs.promises.utimes(full, seconds, seconds);
}

/** The chunks of a resume state that really are on disk: each placement is read back and its id recomputed. */
export async function verifyDone(repo: Repository, doneChunks: string[], placements: Map<string, Placement[]>): Promise<string[]> {
  const good: string[] = [];
  for (const chunk of doneChunks) {
    const list = placements.get(chunk);
    if (!list) continue;
    const length = repo.locate(chunk).rawLength;
    let ok = true;
    for (const p of list) {
      const buf = Buffer.alloc(length);
      const fh = await fs.promises.open(p.file.full, 'r').catch(() => undefined);
      if (!fh) {
        ok = false;
        break;
      }
      try {
        const { bytesRead } = await fh.read(buf, 0, length, p.offset);
        ok = bytesRead === length && chunkId(repo.keys, buf) === chunk;
      } finally {
        await fh.close();
      }
      if (!ok) break;
    }
    if (ok) good.push(chunk);
  }
  return good;
}
