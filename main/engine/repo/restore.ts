/**
 * Restoring a snapshot into a folder: sources/<name> becomes targetDir/<name> (a folder for a share, a file for a
 * volume). Each distinct chunk is fetched once, verified against its id, and written to every place it occurs.
 * Chunks are fetched in priority order (the caller's `order`, else pack order), adjacent blobs of a pack in one
 * ranged read. Volumes come back sparse: the file is sized with ftruncate and only data extents are written.
 *
 * Resuming: the progress callback hands out a RestoreState, a bitmap of the chunks already written over the restore's
 * fixed chunk order (restore-state.ts). Writes are not flushed one by one (that would make restores several times
 * slower than cp); instead a resumed restore reads each "done" chunk back from the target and re-checks its id, so
 * anything the OS lost in a crash is fetched again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LifeboatError } from '../errors';
import { BlobDamagedError, decodeBlob } from './blob';
import type { Repository } from './repository';
import { noteGarbage } from './memory';
import { loadSnapshot, type TreeEntry } from './snapshot';
import { applyMetadata, openForRestore, prepareTree, verifyDone, type FileTarget, type Placement } from './restore-files';
import { DoneSet, type AnyRestoreState, type RestoreState } from './restore-state';

export type { AnyRestoreState, LegacyRestoreState, RestoreState } from './restore-state';

export interface RestoreItem {
  source: string;
  kind: 'file' | 'image';
  /** Path within the source ("" for a volume image). */
  path: string;
  /** Byte offset within the file or image. */
  offset: number;
}

export interface RestoreProgress {
  filesTotal: number;
  filesDone: number;
  bytesTotal: number;
  bytesWritten: number;
  chunksTotal: number;
  chunksDone: number;
  bytesFetched: number;
  damagedFiles: number;
}

export interface RestoreOptions {
  sources?: string[];
  /** Restore only this path (a file or folder) of tree sources, e.g. "projects/2024". */
  path?: string;
  /** Lower numbers come first: hot files and hot volume blocks by the device's heat map. */
  order?: (item: RestoreItem) => number;
  onProgress?: (p: RestoreProgress, state: RestoreState) => void;
  signal?: AbortSignal;
  /** A state from onProgress, or the chunk-id list of earlier versions. */
  resumeState?: AnyRestoreState;
  overwrite?: boolean;
  /** Parallel ranged reads from the account. */
  concurrency?: number;
  /** Stored bytes fetched between two progress reports (resume points); default 32 MiB. */
  batchBytes?: number;
}

export interface DamagedFile {
  source: string;
  path: string;
  chunk: string;
  reason: string;
}

export interface RestoreResult {
  files: number;
  bytes: number;
  chunks: number;
  bytesFetched: number;
  damaged: DamagedFile[];
}

const BATCH_BYTES = 32 << 20;
const MERGE_GAP = 1 << 20;
/** Longest merged read: several reads per batch keep the loops busy and decode overlapping the disk. */
const MAX_READ = 4 << 20;
/** Runs written at once by one read loop while it decodes the next. */
const WRITES_IN_FLIGHT = 2;

export async function restoreSnapshot(repo: Repository, snapshotId: string, targetDir: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
  const manifest = await loadSnapshot(repo, snapshotId);
  const resume = opts.resumeState?.snapshotId === snapshotId ? opts.resumeState : undefined;
  await fs.promises.mkdir(targetDir, { recursive: true });
  if (!resume && !opts.overwrite && (await fs.promises.readdir(targetDir)).length > 0)
    throw new LifeboatError('conflict', `The folder ${targetDir} is not empty.`, 'Choose an empty folder, or restore with --overwrite.');

  const chosen = manifest.sources.filter((s) => !opts.sources || opts.sources.includes(s.name));
  if (opts.sources) for (const n of opts.sources) if (!chosen.some((s) => s.name === n)) throw new LifeboatError('not_found', `Backup ${snapshotId} has no source named "${n}".`);
  const within = (p: string) => !opts.path || p === opts.path || p.startsWith(`${opts.path.replace(/\/+$/, '')}/`);

  // Lay out every target: folders and links now, files sized now, chunk placements for later.
  const files: FileTarget[] = [];
  const placements = new Map<string, Placement[]>();
  const place = (chunk: string, p: Placement) => (placements.get(chunk) ?? placements.set(chunk, []).get(chunk)!).push(p);
  const dirs: Array<{ full: string; entry: TreeEntry }> = [];
  for (const source of chosen) {
    const root = path.join(targetDir, source.name);
    if (source.kind === 'tree') {
      const entries = source.entries.filter((e) => within(e.path));
      if (opts.path && !entries.length) throw new LifeboatError('not_found', `Backup ${snapshotId} has no path "${opts.path}" in ${source.name}.`);
      await prepareTree(root, entries, dirs, files, source.name);
      for (const f of files) {
        if (f.source !== source.name || f.placed) continue;
        f.placed = true;
        let offset = 0;
        for (const c of f.entry.chunks ?? []) {
          place(c, { file: f, offset, item: { source: source.name, kind: 'file', path: f.entry.path, offset } });
          offset += repo.locate(c).rawLength;
        }
      }
    } else {
      const entry: TreeEntry = { path: '', type: 'file', mode: source.mode, mtimeMs: source.mtimeMs, size: source.size };
      const f: FileTarget = { source: source.name, full: root, entry, remaining: 0, placed: true };
      files.push(f);
      for (const e of source.extents) if (e.chunk) place(e.chunk, { file: f, offset: e.offset, item: { source: source.name, kind: 'image', path: '', offset: e.offset } });
    }
  }
  for (const f of files) await openForRestore(f, !!resume || !!opts.overwrite);
  for (const list of placements.values()) for (const p of list) p.file.remaining++;

  const progress: RestoreProgress = { filesTotal: files.length, filesDone: 0, bytesTotal: files.reduce((n, f) => n + (f.entry.size ?? 0), 0), bytesWritten: 0, chunksTotal: placements.size, chunksDone: 0, bytesFetched: 0, damagedFiles: 0 };
  // Placement order is the manifest's order over the selection: the same on every attempt, so bits keep their meaning.
  const done = new DoneSet([...placements.keys()]);
  const damaged: DamagedFile[] = [];
  const finishFile = async (f: FileTarget) => {
    if (f.finished) return;
    f.finished = true;
    await closeHandle(f);
    if (!f.damaged) await applyMetadata(f.full, f.entry);
    progress.filesDone++;
  };
  const chunkDone = async (chunk: string) => {
    done.add(chunk);
    progress.chunksDone++;
    for (const p of placements.get(chunk)!) if (--p.file.remaining === 0) await finishFile(p.file);
  };

  // Resume: chunks the state calls done are checked against the target rather than trusted.
  if (resume) for (const chunk of await verifyDone(repo, done.claimed(resume, snapshotId), placements)) await chunkDone(chunk);
  for (const f of files) if (f.remaining === 0) await finishFile(f);

  const priority = (c: string) => (opts.order ? minOf(placements.get(c)!, (p) => opts.order!(p.item)) : 0);
  const todo = done.ids.filter((c) => !done.has(c)).map((c) => ({ c, prio: priority(c), loc: repo.locate(c) }));
  todo.sort((a, b) => a.prio - b.prio || (a.loc.pack < b.loc.pack ? -1 : a.loc.pack > b.loc.pack ? 1 : a.loc.offset - b.loc.offset));

  const report = () => opts.onProgress?.({ ...progress }, done.state(snapshotId));
  const markDamaged = async (chunk: string, reason: string) => {
    for (const p of placements.get(chunk)!) {
      if (!p.file.damaged) progress.damagedFiles++;
      p.file.damaged = true;
      damaged.push({ source: p.file.source, path: p.file.entry.path || p.file.source, chunk, reason });
      if (--p.file.remaining === 0) await finishFile(p.file);
    }
  };

  try {
    for (let i = 0; i < todo.length; ) {
      opts.signal?.throwIfAborted();
      let bytes = 0;
      const batch: typeof todo = [];
      while (i < todo.length && (bytes < (opts.batchBytes ?? BATCH_BYTES) || !batch.length)) {
        bytes += todo[i].loc.length;
        batch.push(todo[i++]);
      }
      const reads = coalesce(batch);
      let next = 0;
      const worker = async () => {
        while (next < reads.length) {
          const read = reads[next++];
          let buf: Buffer;
          try {
            buf = await repo.backend.get(read.pack, { offset: read.offset, length: read.length }, opts.signal);
          } catch (err) {
            if (!(err instanceof LifeboatError) || (err.code !== 'not_found' && err.code !== 'io_error') || err.retryable) throw err;
            for (const m of read.members) await markDamaged(m.c, err.message);
            continue;
          }
          progress.bytesFetched += buf.length;
          // Decoded chunks are written in runs: consecutive chunks of one file (the usual layout of a pack) go out
          // as one vectored write, a few MiB at most, instead of one write per chunk.
          let run: Run | undefined;
          const writing: Array<Promise<void>> = [];
          let writeError: unknown; // kept, not left as a rejection nobody listens to, and thrown below
          // Starts the current run's write; decoding goes on while up to WRITES_IN_FLIGHT runs are being written.
          const flush = async () => {
            if (!run) return;
            const r = run;
            run = undefined;
            while (writing.length >= WRITES_IN_FLIGHT) await writing.shift();
            if (writeError) throw writeError;
            writing.push(
              writeRun(r).then(
                async () => {
                  progress.bytesWritten += r.bytes;
                  for (const c of r.chunks) await chunkDone(c);
                },
                (err) => void (writeError ??= err),
              ),
            );
          };
          for (const m of read.members) {
            let plain: Buffer;
            try {
              plain = decodeBlob(repo.keys, m.c, buf.subarray(m.loc.offset - read.offset, m.loc.offset - read.offset + m.loc.length), m.loc.codec, m.loc.rawLength);
            } catch (err) {
              if (!(err instanceof BlobDamagedError)) throw err;
              await markDamaged(m.c, `${err.message} (pack ${read.pack})`);
              continue;
            }
            noteGarbage(plain.length + m.loc.length);
            const list = placements.get(m.c)!;
            if (list.length === 1 && run && run.file === list[0].file && run.end === list[0].offset && run.bytes < RUN_BYTES && run.buffers.length < RUN_BUFFERS) {
              run.buffers.push(plain);
              run.chunks.push(m.c);
              run.bytes += plain.length;
              run.end += plain.length;
              continue;
            }
            await flush();
            if (list.length === 1) {
              run = { file: list[0].file, offset: list[0].offset, end: list[0].offset + plain.length, buffers: [plain], chunks: [m.c], bytes: plain.length };
              continue;
            }
            // A chunk found in several places (duplicate data) is written to each, then counted once.
            await Promise.all(writing.splice(0));
            if (writeError) throw writeError;
            for (const p of list) {
              await writeRun({ file: p.file, offset: p.offset, end: p.offset + plain.length, buffers: [plain], chunks: [], bytes: plain.length });
              progress.bytesWritten += plain.length;
            }
            await chunkDone(m.c);
          }
          await flush();
          await Promise.all(writing.splice(0));
          if (writeError) throw writeError;
        }
      };
      await Promise.all(Array.from({ length: opts.concurrency ?? 4 }, worker));
      report();
    }
  } finally {
    for (const f of files) await closeHandle(f);
  }
  // Folder times last: creating entries inside a folder changes its mtime. Deepest first.
  for (const d of dirs.sort((a, b) => b.full.length - a.full.length)) await applyMetadata(d.full, d.entry);
  report();

  if (damaged.length) {
    const names = [...new Set(damaged.map((d) => `${d.source}/${d.path}`))];
    const err = new LifeboatError(
      'io_error',
      `${names.length} file(s) could not be restored because their backup data is damaged: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}.`,
      'Everything else was restored. Run `lifeboat account check --read-data` and restore these files from another backup.',
    );
    throw Object.assign(err, { damaged });
  }
  return { files: files.length, bytes: progress.bytesWritten, chunks: placements.size, bytesFetched: progress.bytesFetched, damaged };
}

/** Handles stay open while a file still has chunks to come, up to a limit so huge trees do not run out of fds. */
const MAX_OPEN = 256;
let openHandles = 0;
/** Shared handles open now, across restores in this thread (for tests: it must come back to zero). */
export const restoreHandlesOpen = () => openHandles;

/** Consecutive decoded chunks of one file, written with one vectored write. */
interface Run {
  file: FileTarget;
  offset: number;
  end: number;
  buffers: Buffer[];
  chunks: string[];
  bytes: number;
}
const RUN_BYTES = 4 << 20;
const RUN_BUFFERS = 512; // well under IOV_MAX (1024)

async function writeRun(r: Run): Promise<void> {
  const f = r.file;
  // The open is memoised as a promise, set before any await: two read loops writing chunks of the same file at once
  // share one handle (and one count) rather than both opening it and leaking the loser's.
  if (!f.handle && openHandles < MAX_OPEN) {
    openHandles++;
    f.handle = fs.promises.open(f.full, 'r+');
  }
  const shared = f.handle;
  const fh = shared ? await shared : await fs.promises.open(f.full, 'r+');
  try {
    let buffers = r.buffers;
    let position = r.offset;
    for (;;) {
      const { bytesWritten } = await fh.writev(buffers, position);
      position += bytesWritten;
      if (position >= r.end) break;
      // A short write: carry on from the first byte not written.
      let skip = bytesWritten;
      while (skip >= buffers[0].length) skip -= buffers.shift()!.length;
      buffers = [buffers[0].subarray(skip), ...buffers.slice(1)];
    }
  } finally {
    if (!shared) await fh.close();
  }
}

/** Closes a file's shared handle exactly once, even one whose open failed or is still in flight. */
async function closeHandle(f: FileTarget): Promise<void> {
  const pending = f.handle;
  if (!pending) return;
  f.handle = undefined;
  openHandles--;
  const fh = await pending.catch(() => undefined);
  await fh?.close();
}

/** The smallest key of a list; a loop, as Math.min(...list) overflows the stack with hundreds of thousands of items. */
export function minOf<T>(list: readonly T[], key: (item: T) => number): number {
  let min = Infinity;
  for (const item of list) {
    const k = key(item);
    if (k < min) min = k;
  }
  return min;
}

interface Read {
  pack: string;
  offset: number;
  length: number;
  members: Array<{ c: string; loc: ReturnType<Repository['locate']> }>;
}

/** Blobs of one pack that lie close together are fetched with one ranged read. */
function coalesce(batch: Array<{ c: string; loc: ReturnType<Repository['locate']> }>): Read[] {
  const byPack = new Map<string, typeof batch>();
  for (const b of batch) (byPack.get(b.loc.pack) ?? byPack.set(b.loc.pack, []).get(b.loc.pack)!).push(b);
  const reads: Read[] = [];
  for (const [pack, members] of byPack) {
    members.sort((a, b) => a.loc.offset - b.loc.offset);
    let cur: Read | undefined;
    for (const m of members) {
      const end = m.loc.offset + m.loc.length;
      if (cur && m.loc.offset <= cur.offset + cur.length + MERGE_GAP && end - cur.offset <= MAX_READ) {
        cur.length = Math.max(cur.length, end - cur.offset);
        cur.members.push(m);
      } else reads.push((cur = { pack, offset: m.loc.offset, length: m.loc.length, members: [m] }));
    }
  }
  return reads;
}
