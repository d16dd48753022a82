/** The file-system side of a restore: laying out targets, sizing files, metadata, and checking resumed work. */
import fs from 'node:fs';
import path from 'node:path';
import { LifeboatError } from '../../shared/errors';
import { chunkId } from './crypto';
import type { Repository } from './repository';
import type { RestoreItem } from './restore';
import { targetPath } from './restore-paths';
import type { TreeEntry } from './snapshot';

export interface FileTarget {
  source: string;
  full: string;
  entry: TreeEntry;
  /** Chunks still to be written; at zero the file is closed and its metadata applied. */
  remaining: number;
  placed?: boolean;
  /** The shared write handle, memoised as its open so concurrent writers never open it twice. */
  handle?: Promise<fs.promises.FileHandle>;
  damaged?: boolean;
  finished?: boolean;
  /** Settles once the file exists at its size (files are created while the first chunks are being fetched). */
  ready?: Promise<void>;
  /**
   * A small file of a new restore, with at most one chunk: not created ahead, but created, written, given its
   * metadata and closed in one pass of synchronous calls once its data is decoded (writeWhole). `written` once done.
   */
  direct?: boolean;
  written?: boolean;
}

export interface Placement {
  file: FileTarget;
  offset: number;
  item: RestoreItem;
}

/**
 * Where each chunk of a sparse file goes: one after another from offset 0, stepping over the file's holes (a backup
 * never lets a chunk span one). Holes that are out of order, overlap, leave the file or cut through a chunk were not
 * written by a backup: the file is refused as damaged before anything is written.
 */
export function sparseOffsets(
  snapshotId: string,
  source: string,
  entry: TreeEntry,
  rawLength: (chunk: string) => number,
): number[] {
  const holes = entry.holes ?? [];
  const size = entry.size ?? 0;
  const bad = (why: string) =>
    new LifeboatError(
      'damaged',
      `The backup ${snapshotId} records impossible holes for ${source}/${entry.path} (${why}); nothing was restored.`,
      'Run `lifeboat account check`, and restore from another backup.',
      { final: true },
    );
  let end = 0;
  for (const h of holes) {
    if (!Array.isArray(h) || !Number.isSafeInteger(h[0]) || !Number.isSafeInteger(h[1]) || h[1] <= 0 || h[0] < end)
      throw bad('out of order');
    end = h[0] + h[1];
  }
  if (end > size) throw bad('past its end');
  const out: number[] = [];
  let offset = 0;
  let h = 0;
  for (const c of entry.chunks ?? []) {
    while (h < holes.length && holes[h][0] === offset) offset += holes[h++][1];
    out.push(offset);
    offset += rawLength(c);
    if (h < holes.length && offset > holes[h][0]) throw bad('a chunk runs into a hole');
  }
  while (h < holes.length && holes[h][0] === offset) offset += holes[h++][1];
  if (offset !== size) throw bad(`its data and holes make ${offset} bytes, not ${size}`);
  return out;
}

/** Files up to this size may be restored directly (FileTarget.direct); larger ones are written through the pool. */
export const DIRECT_MAX = 128 << 10;

/** Only root may give files away; anyone else restores them as their own, as cp -a does. */
const canChown = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Refuses to write through a symbolic link. Checked names (restore-paths.ts) only say what the path text is, so a
 * link planted in an overwrite target (say share/docs -> /elsewhere) would carry share/docs/x outside the target.
 * Every folder from the source root down to `dir` (inclusive) is lstat'ed: one that is a link stops the restore,
 * naming it; one that does not exist yet is fine (mkdir then creates a real folder). Links the restore itself makes
 * are never parents: no entry may lie below a link entry (checkEntries), and links are made after every file is
 * written (createLinks). Folders found safe are remembered, so a large tree costs one lstat per folder.
 */
async function refuseLinkedParents(root: string, dir: string, safe: Set<string>): Promise<void> {
  const chain: string[] = [];
  for (let d = dir; d !== root && d.startsWith(root + path.sep) && !safe.has(d); d = path.dirname(d)) chain.push(d);
  if (!safe.has(root)) chain.push(root);
  for (const d of chain.reverse()) {
    const st = await fs.promises.lstat(d).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!st) return; // missing from here down: created below as real folders
    if (st.isSymbolicLink())
      throw new LifeboatError(
        'conflict',
        `The restore target ${d} is a symbolic link (to ${await fs.promises.readlink(d).catch(() => '?')}); the restore does not write through links, so nothing was written there.`,
        'Remove or rename the link, or restore into an empty folder.',
      );
    safe.add(d);
  }
}

/** A symbolic link entry, made by createLinks once every file is written. */
export interface LinkTarget {
  full: string;
  entry: TreeEntry;
}

/**
 * Lays out a tree source's checked entries under `root`: folders now, files as targets (created later, in the order
 * they are written), links as targets for createLinks.
 */
export async function prepareTree(
  root: string,
  entries: TreeEntry[],
  dirs: Array<{ full: string; entry: TreeEntry }>,
  files: FileTarget[],
  links: LinkTarget[],
  source: string,
): Promise<void> {
  const safe = new Set<string>();
  // Folders made so far: a thousand files in one folder need one mkdir, not a thousand.
  const made = new Set<string>();
  const mkdir = async (dir: string) => {
    if (made.has(dir)) return;
    await refuseLinkedParents(root, dir, safe);
    await fs.promises.mkdir(dir, { recursive: true });
    made.add(dir);
  };
  await refuseLinkedParents(root, root, safe);
  await fs.promises.mkdir(root, { recursive: true });
  for (const entry of entries) {
    const full = targetPath(root, entry.path);
    if (entry.type === 'dir') {
      await mkdir(full);
      dirs.push({ full, entry });
    } else if (entry.type === 'symlink') {
      await mkdir(path.dirname(full));
      links.push({ full, entry });
    } else {
      await mkdir(path.dirname(full));
      files.push({ source, full, entry, remaining: 0 });
    }
  }
}

/**
 * Makes the link entries, after every file is written and closed: whatever a link points to, nothing the restore
 * writes goes through it. A link already there with the same target is kept (a resumed or repeated restore); anything
 * else in the way is replaced, never followed.
 */
export async function createLinks(links: LinkTarget[]): Promise<void> {
  for (const { full, entry } of links) {
    const existing = await fs.promises.lstat(full).catch(() => undefined);
    if (existing?.isSymbolicLink() && (await fs.promises.readlink(full)) === entry.target) continue;
    if (existing) await fs.promises.rm(full, { recursive: true, force: true });
    await fs.promises.symlink(entry.target ?? '', full);
    await applyMetadata(full, entry);
  }
}

/**
 * Sizes of new files grown in place; larger ones go through the thread pool (FAT and some network file systems write
 * zeros to grow a file, which for a volume image could block this thread for minutes).
 */
const GROW_IN_PLACE = 64 << 20;

/** Grows an empty new file to `size`: in place when small (cheaper than a thread-pool trip), else in the pool. */
async function growNew(fh: fs.promises.FileHandle, size: number): Promise<void> {
  if (size <= 0) return;
  if (size <= GROW_IN_PLACE) fs.ftruncateSync(fh.fd, size);
  else await fh.truncate(size);
}

/**
 * Opening an existing target never follows a link in its last part (one swapped in since the lstat above): the open
 * fails with ELOOP instead. The folders above it are real (refuseLinkedParents).
 */
const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
export const REOPEN = fs.constants.O_RDWR | NOFOLLOW;
const REPLACE = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | NOFOLLOW;

/**
 * Creates (or on resume keeps) a file at its final size and returns it open for writing. ftruncate makes the unwritten
 * parts holes, which is how a volume image or a sparse file comes back sparse. A symlink or folder in the way is removed rather than
 * followed.
 */
export async function openForRestore(f: FileTarget, keep: boolean, resumed = keep): Promise<fs.promises.FileHandle> {
  const size = f.entry.size ?? 0;
  if (!keep) {
    // Usually nothing is in the way (a new restore goes to an empty folder): create exclusively, which never follows a
    // link and saves a look-up per file; anything already there takes the path below.
    const fresh = await fs.promises.open(f.full, 'wx').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') return undefined;
      throw err;
    });
    if (fresh) {
      try {
        await growNew(fresh, size);
      } catch (err) {
        await fresh.close();
        throw err;
      }
      return fresh;
    }
  }
  const existing = await fs.promises.lstat(f.full).catch(() => undefined);
  if (existing && !existing.isFile()) await fs.promises.rm(f.full, { recursive: true, force: true });
  const kept = !!existing?.isFile() && keep;
  const fh = await fs.promises.open(f.full, kept ? REOPEN : REPLACE);
  try {
    // Shrinking a kept file may free many blocks, so that one goes to the pool. A file overwritten (not one an
    // earlier attempt of this restore wrote) that has holes is emptied first: its old bytes must not show through them.
    if (kept && !resumed && f.entry.holes?.length) await fh.truncate(0);
    if (kept) await fh.truncate(size);
    else await growNew(fh, size);
  } catch (err) {
    await fh.close();
    throw err;
  }
  return fh;
}

/** Creating a new file never follows a link and fails if anything is there (a path named twice): see writeWhole. */
const CREATE_NEW = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | NOFOLLOW;

/**
 * A direct file (FileTarget.direct) written whole with synchronous calls: created, sized, its bytes written at
 * `offset` (none for an empty or damaged file), its metadata applied (not for a damaged one) and closed. A few
 * microseconds each from the page cache, where the pool costs a round trip per call and a FileHandle per file; the
 * restore runs in a worker of its own. Something already at the path (only a manifest naming it twice puts one there
 * in a new restore) is replaced as openForRestore does, never followed.
 */
export function writeWhole(f: FileTarget, buffers: readonly Buffer[], offset: number, metadata: boolean): void {
  let fd: number;
  try {
    fd = fs.openSync(f.full, CREATE_NEW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const existing = fs.lstatSync(f.full, { throwIfNoEntry: false });
    if (existing && !existing.isFile()) fs.rmSync(f.full, { recursive: true, force: true });
    fd = fs.openSync(f.full, REPLACE);
  }
  try {
    let end = offset;
    for (const b of buffers) end += b.length;
    const size = f.entry.size ?? 0;
    if (size > end) fs.ftruncateSync(fd, size);
    let position = offset;
    let rest = buffers as Buffer[];
    while (position < end) {
      const n = fs.writevSync(fd, rest, position);
      position += n;
      // A short write: carry on from the first byte not written.
      let skip = n;
      while (rest.length && skip >= rest[0].length) {
        skip -= rest[0].length;
        rest = rest.slice(1);
      }
      if (rest.length && skip) rest = [rest[0].subarray(skip), ...rest.slice(1)];
    }
    if (metadata) applyFileMetadataSync(f.full, f.entry, fd);
  } finally {
    fs.closeSync(fd);
  }
  f.written = true;
}

/**
 * A time for utimes(): libuv keeps microseconds and truncates, and seconds since 1970 as a double are only good to
 * about 0.2 µs, so a time just past a millisecond (as most are) could come back a microsecond early, in the millisecond
 * before. Half a microsecond more makes the truncation land on the microsecond meant. Manifests hold whole
 * microseconds (backup.ts: fileTimeMs), which the rounding gives back exactly.
 */
const utimeSeconds = (mtimeMs: number) => (Math.round(mtimeMs * 1000) + 0.5) / 1e6;

export async function applyMetadata(full: string, entry: TreeEntry): Promise<void> {
  const seconds = utimeSeconds(entry.mtimeMs);
  if (entry.type === 'symlink') {
    if (canChown && entry.uid !== undefined)
      await fs.promises.lchown(full, entry.uid, entry.gid ?? -1).catch(() => undefined);
    await fs.promises.lutimes(full, seconds, seconds).catch(() => undefined);
    return;
  }
  // A folder that has since become a link (a manifest naming one path twice) is not followed.
  if (entry.type === 'dir' && (await fs.promises.lstat(full)).isSymbolicLink()) return;
  // chown first: it clears set-user-id bits that chmod then puts back.
  if (canChown && entry.uid !== undefined)
    await fs.promises.chown(full, entry.uid, entry.gid ?? -1).catch(() => undefined);
  await fs.promises.chmod(full, entry.mode);
  await fs.promises.utimes(full, seconds, seconds);
}

/**
 * applyMetadata() for a restored file: through its open descriptor when there is one, and synchronously, as each call
 * costs the kernel a few microseconds where a trip through the thread pool costs the restore more (three per file).
 */
export function applyFileMetadataSync(full: string, entry: TreeEntry, fd?: number): void {
  const seconds = utimeSeconds(entry.mtimeMs);
  // chown first: it clears set-user-id bits that chmod then puts back.
  if (canChown && entry.uid !== undefined) {
    try {
      if (fd === undefined) fs.chownSync(full, entry.uid, entry.gid ?? -1);
      else fs.fchownSync(fd, entry.uid, entry.gid ?? -1);
    } catch {
      // as applyMetadata: a file we may not give away stays ours
    }
  }
  if (fd === undefined) {
    fs.chmodSync(full, entry.mode);
    fs.utimesSync(full, seconds, seconds);
  } else {
    fs.fchmodSync(fd, entry.mode);
    fs.futimesSync(fd, seconds, seconds);
  }
}

/** The chunks of a resume state that really are on disk: each placement is read back and its id recomputed. */
export async function verifyDone(
  repo: Repository,
  doneChunks: string[],
  placements: Map<string, Placement[]>,
): Promise<string[]> {
  const good: string[] = [];
  for (const chunk of doneChunks) {
    const list = placements.get(chunk);
    if (!list) continue;
    const length = repo.locate(chunk).rawLength;
    let ok = true;
    for (const p of list) {
      const buf = Buffer.alloc(length);
      const fh = await fs.promises.open(p.file.full, fs.constants.O_RDONLY | NOFOLLOW).catch(() => undefined);
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

/**
 * A file left incomplete by damaged backup data must not pass for a restored one (full size, zeros where the damaged
 * chunks go, the restore's time): it is renamed NAME.damaged, keeping what could be restored of it, or removed when
 * that name is another target of the restore (`taken`) or is a folder. Returns the name it is kept under, if any.
 */
export async function setAsideDamaged(full: string, taken: (p: string) => boolean): Promise<string | undefined> {
  const aside = `${full}.damaged`;
  if (!taken(aside)) {
    // rename() replaces a file or link of that name (never following it) and fails on a folder.
    const moved = await fs.promises.rename(full, aside).then(
      () => true,
      (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : false),
    );
    if (moved) return aside;
    if (moved === undefined) return undefined; // never created: nothing to hide
  }
  await fs.promises.rm(full, { force: true });
  return undefined;
}

/** A resumed restore that wrote a file whole removes the NAME.damaged an earlier attempt left of it. */
export function dropStaleDamaged(full: string): void {
  try {
    fs.unlinkSync(`${full}.damaged`);
  } catch {
    // none: the usual case
  }
}
