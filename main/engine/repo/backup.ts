/**
 * Backing up sources into a repository. Trees are walked and their files chunked by content; image files are
 * read block by block where the file system says there is data. A file whose size, mtime and inode equal the
 * previous backup's entry keeps its chunk list without being read. Order of durability: packs, then index
 * objects, then the snapshot manifest, so a crash at any point leaves no partial backup listed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LifeboatError } from '../../shared/errors';
import { fault, untilAborted } from '../faults';
import { contentChunks, isZero, newWindow, type ChunkSource } from './chunker';
import { CompressionProbe } from './compress';
import { EncoderThread } from './encoder';
import type { Repository, RepoWriter } from './repository';
import { hostName } from './repository';
import {
  blocksTouched,
  extentsOf,
  findDataExtents,
  holesOf,
  type DataExtent,
  type FileExtents,
  type SparseMethod,
} from './sparse';
import {
  loadSnapshot,
  newSnapshotId,
  saveSnapshot,
  type ImageExtent,
  type ImageSource,
  type SnapshotManifest,
  type SnapshotStats,
  type TreeEntry,
  type TreeSource,
} from './snapshot';

export interface BackupSource {
  /** Name in the backup (the share or volume name); unique within one backup. */
  name: string;
  path: string;
  kind: 'tree' | 'image';
  /**
   * Modes to record instead of the disk's, by entry path ('' for an image): an offline share or volume was made
   * read-only by Lifeboat, and its backup must keep the modes it has online.
   */
  modes?: Record<string, number>;
}

export interface BackupProgress {
  phase: 'scanning' | 'reading' | 'finishing' | 'done';
  filesTotal: number;
  filesDone: number;
  bytesTotal: number;
  bytesRead: number;
  bytesReused: number;
  chunksNew: number;
  bytesNew: number;
  bytesUploaded: number;
  currentPath?: string;
}

export interface BackupOptions {
  previous?: SnapshotManifest | string;
  label?: string;
  onProgress?: (p: BackupProgress) => void;
  signal?: AbortSignal;
  /** Files read at once: with four, one is nearly always ready to chunk while the others wait on the disk. */
  concurrency?: number;
  sparseMethod?: SparseMethod;
  /**
   * The id the manifest is saved under (default: a new random id). A job chooses and checkpoints it before the
   * backup starts: if snapshots/<id> already exists, an earlier run finished and crashed before recording that, and
   * this run returns that manifest instead of writing a second backup.
   */
  snapshotId?: string;
  /**
   * The bundled worker script (dist/main/worker.cjs). Given, files are shared between this thread and an encoder
   * thread started from it (repo/encoder.ts), so both cores work; without it everything runs on this thread.
   */
  encoderScript?: string;
  /** When to use the encoder thread (with `encoderScript`): see useEncoder. Default 'incremental'. */
  encoderWhen?: 'always' | 'incremental' | 'never';
}

export interface BackupResult {
  snapshot: SnapshotManifest;
  /** Entries that could not be read (permission denied, vanished): the backup still completes without them. */
  warnings: string[];
}

export async function backupSources(
  repo: Repository,
  sources: BackupSource[],
  opts: BackupOptions = {},
): Promise<BackupResult> {
  const started = Date.now();
  if (opts.snapshotId && (await repo.backend.head(`snapshots/${opts.snapshotId}`)))
    return { snapshot: await loadSnapshot(repo, opts.snapshotId), warnings: [] };
  checkNames(sources);
  const previous = typeof opts.previous === 'string' ? await loadSnapshot(repo, opts.previous) : opts.previous;
  const progress: BackupProgress = {
    phase: 'scanning',
    filesTotal: 0,
    filesDone: 0,
    bytesTotal: 0,
    bytesRead: 0,
    bytesReused: 0,
    chunksNew: 0,
    bytesNew: 0,
    bytesUploaded: 0,
  };
  let lastReport = 0;
  const report = (force = false) => {
    const now = Date.now();
    if (force || now - lastReport >= 250) {
      lastReport = now;
      opts.onProgress?.({ ...progress });
    }
  };
  // One stop for every reader: the caller's cancel, or the first reader that fails (the others then end promptly
  // instead of reading on into a writer that is being abandoned).
  const stop = new AbortController();
  const onCancel = () => stop.abort(opts.signal!.reason);
  if (opts.signal?.aborted) onCancel();
  else opts.signal?.addEventListener('abort', onCancel, { once: true });
  let held: Promise<void> | undefined;
  const writer = repo.writer({
    onPackUploaded: (n) => {
      progress.bytesUploaded += n;
      report(true);
      // Crash tests hold the backup once a pack is stored (LIFEBOAT_BACKUP_FAULT=uploaded) and kill the app
      // meanwhile, so the kill lands mid-upload however fast the machine is. A cancel still ends the hold.
      if (fault('backup', 'uploaded')) held ??= untilAborted(stop.signal);
    },
  });
  const ctx: Ctx = {
    ...{
      repo,
      writer,
      progress,
      report,
      signal: stop.signal,
      stop,
      warnings: [],
      sparseMethod: opts.sparseMethod,
      concurrency: opts.concurrency ?? 4,
    },
    ...{
      encoderScript: opts.encoderScript,
      encoderWhen: opts.encoderWhen ?? 'incremental',
      incremental: !!previous,
      held: () => held,
      sparse: new Set(),
    },
  };

  // An incremental backup of sources as large as would start the encoder thread (useEncoder) starts it now: loading
  // it takes about as long as walking the trees, so it is ready when the changed files are. If little changed it is
  // closed unused.
  if (previous && useEncoder(ctx, previous.stats.bytes))
    ctx.encoder = new EncoderThread(ctx.encoderScript!, repo.keys, repo.config.chunker);
  // A stop also releases the readers waiting on the encoder thread, whatever it is doing.
  stop.signal.addEventListener('abort', () => ctx.encoder?.stop(), { once: true });

  let manifests: Array<TreeSource | ImageSource>;
  try {
    const scanned = await scanSources(ctx, sources);
    progress.phase = 'reading';
    report(true);

    manifests = await readSources(ctx, scanned, previous);
    progress.phase = 'finishing';
    report(true);
    await writer.flush(stop.signal);
  } catch (err) {
    await writer.abandon();
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onCancel);
    await ctx.encoder?.close();
  }
  const { files, bytes } = manifestTotals(manifests);
  const stats: SnapshotStats = {
    files,
    bytes,
    bytesRead: progress.bytesRead,
    chunksNew: progress.chunksNew,
    bytesNew: progress.bytesNew,
    storedNew: writer.bytesUploaded,
    durationMs: 0,
  };
  const snapshot: SnapshotManifest = {
    format: 1,
    id: opts.snapshotId ?? newSnapshotId(),
    time: new Date().toISOString(),
    label: opts.label,
    hostname: hostName(),
    parent: previous?.id,
    sources: manifests,
    stats,
  };
  stats.durationMs = Date.now() - started;
  opts.signal?.throwIfAborted();
  await saveSnapshot(repo, snapshot);
  progress.phase = 'done';
  report(true);
  return { snapshot, warnings: ctx.warnings };
}

/** Refuses two sources of one name: each is one share or volume of the backup. */
function checkNames(sources: BackupSource[]): void {
  const names = new Set<string>();
  for (const s of sources) {
    if (names.has(s.name))
      throw new LifeboatError(
        'invalid_input',
        `Two sources are named "${s.name}"; names must be unique within a backup.`,
      );
    names.add(s.name);
  }
}

type Scanned = { source: BackupSource; entries?: TreeEntry[]; stat?: ImageStat };

/** The scanning stage: each tree walked and each image stat-ed, the totals counted for progress. */
async function scanSources(ctx: Ctx, sources: BackupSource[]): Promise<Scanned[]> {
  const { progress } = ctx;
  const scanned: Scanned[] = [];
  for (const source of sources) {
    const st = await fs.promises.stat(source.path, { bigint: true }).catch((err) => {
      throw new LifeboatError(
        'not_found',
        `The source ${source.path} cannot be read: ${(err as Error).message}.`,
        'Check the path of the share or volume.',
      );
    });
    if (source.kind === 'tree') {
      if (!st.isDirectory())
        throw new LifeboatError('invalid_input', `The share source ${source.path} is not a folder.`);
      const entries = await scanTree(source.path, ctx);
      for (const e of entries) {
        if (source.modes?.[e.path] !== undefined && e.type !== 'symlink') e.mode = source.modes[e.path];
        if (e.type === 'file') {
          progress.filesTotal++;
          progress.bytesTotal += e.size ?? 0;
        }
      }
      scanned.push({ source, entries });
    } else {
      if (!st.isFile())
        throw new LifeboatError('invalid_input', `The volume source ${source.path} is not an image file.`);
      progress.filesTotal++;
      progress.bytesTotal += Number(st.size);
      scanned.push({
        source,
        stat: {
          size: Number(st.size),
          mode: source.modes?.[''] ?? Number(st.mode & 0o7777n),
          mtimeMs: fileTimeMs(st.mtimeNs),
        },
      });
    }
  }
  return scanned;
}

/** The reading stage: sources are read at once, so a volume image is read while the encoder thread still has a share's files to do. */
function readSources(
  ctx: Ctx,
  scanned: Scanned[],
  previous: SnapshotManifest | undefined,
): Promise<Array<TreeSource | ImageSource>> {
  return settleAll<TreeSource | ImageSource>(
    ctx,
    scanned.map(({ source, entries, stat }) => {
      const before = previous?.sources.find((s) => s.name === source.name && s.kind === source.kind);
      return source.kind === 'tree'
        ? backupTree(ctx, source, entries!, before as TreeSource | undefined)
        : backupImage(ctx, source, stat!, before as ImageSource | undefined);
    }),
  );
}

/** Files and bytes the manifests really hold: entries skipped with a warning (unreadable, vanished) are not counted. */
function manifestTotals(manifests: Array<TreeSource | ImageSource>): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const m of manifests) {
    if (m.kind === 'image') {
      files++;
      bytes += m.size;
    } else
      for (const e of m.entries)
        if (e.type === 'file') {
          files++;
          bytes += e.size ?? 0;
        }
  }
  return { files, bytes };
}

/**
 * Waits for every reader to end, whatever happens: the first failure stops the others (ctx.stop) and is thrown once
 * all have ended, so nothing still reads or writes when the caller abandons the writer.
 */
async function settleAll<T>(ctx: Ctx, work: Array<Promise<T>>): Promise<T[]> {
  let first: { err: unknown } | undefined;
  const results = await Promise.all(
    work.map((p) =>
      p.catch((err: unknown) => {
        first ??= { err };
        ctx.stop.abort(err);
        return undefined as T;
      }),
    ),
  );
  if (first) throw first.err;
  return results;
}

interface Ctx {
  repo: Repository;
  /** Aborted by the caller's cancel or the first failing reader; `signal` is its signal. */
  stop: AbortController;
  writer: RepoWriter;
  progress: BackupProgress;
  report: (force?: boolean) => void;
  signal?: AbortSignal;
  warnings: string[];
  sparseMethod?: SparseMethod;
  concurrency: number;
  encoderScript?: string;
  encoderWhen: 'always' | 'incremental' | 'never';
  /** A previous backup of these sources is given. */
  incremental: boolean;
  /** Readers wait on this before each file: set only by the crash tests' fault point. */
  held: () => Promise<void> | undefined;
  /** Started on first use (a backup with nothing to read starts no thread), or before the walk (see backupSources). */
  encoder?: EncoderThread;
  /** Files whose allocated blocks are fewer than their size (scanTree): the only ones whose holes are looked for. */
  sparse: Set<TreeEntry>;
}

const toPosix = (rel: string) => rel.split(path.sep).join('/');

/**
 * Walks a tree with lstat (symlinks are recorded, never followed); entries sorted so manifests are stable. Backups run
 * in a worker thread, so the walk uses synchronous calls (a thread-pool round trip per entry cost ten times more) and
 * yields every few hundred entries, so a stop request is still heard during a walk of millions of files.
 */
/**
 * A file time as a manifest keeps it: whole microseconds (all utimes() can set back), in milliseconds, from the exact
 * nanoseconds. Node's mtimeMs has lost the nanoseconds' last digits, so a time in the last microsecond of a
 * millisecond could not be told from one in the next: restored, it crossed into that millisecond. The restore rounds
 * to the microsecond, which gives back exactly this one.
 */
export const fileTimeMs = (ns: bigint) => Number(ns / 1000n) / 1000;

async function scanTree(root: string, ctx: Ctx): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const stack = [root];
  let sinceYield = 0;
  while (stack.length) {
    const dir = stack.pop()!;
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch (err) {
      ctx.warnings.push(`${dir}: ${(err as Error).message}`);
      continue;
    }
    for (const name of names) {
      if (++sinceYield >= 256) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
        ctx.signal?.throwIfAborted();
      }
      const full = path.join(dir, name);
      let st: fs.BigIntStats;
      try {
        st = fs.lstatSync(full, { bigint: true });
      } catch (err) {
        ctx.warnings.push(`${full}: ${(err as Error).message}`);
        continue;
      }
      const base = {
        path: toPosix(path.relative(root, full)),
        mode: Number(st.mode & 0o7777n),
        mtimeMs: fileTimeMs(st.mtimeNs),
        uid: Number(st.uid),
        gid: Number(st.gid),
      };
      if (st.isDirectory()) {
        out.push({ ...base, type: 'dir' });
        stack.push(full);
      } else if (st.isFile()) {
        const entry: TreeEntry = { ...base, type: 'file', size: Number(st.size), ino: Number(st.ino) };
        // Fewer blocks than bytes: it may have holes. Every other file costs nothing more than the lstat it had.
        if (st.blocks * 512n < st.size) ctx.sparse.add(entry);
        out.push(entry);
      } else if (st.isSymbolicLink()) out.push({ ...base, type: 'symlink', target: fs.readlinkSync(full) });
      else ctx.warnings.push(`${full}: skipped (not a file, folder or symbolic link)`);
    }
  }
  ctx.signal?.throwIfAborted();
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out;
}

async function backupTree(
  ctx: Ctx,
  source: BackupSource,
  entries: TreeEntry[],
  before?: TreeSource,
): Promise<TreeSource> {
  const old = new Map(before?.entries.map((e) => [e.path, e]));
  // Unchanged files keep their chunks without being read; the others are read, after one pass that tells how much.
  const toRead: Array<{ entry: TreeEntry; prev?: TreeEntry }> = [];
  let bytesToRead = 0;
  for (const entry of entries) {
    if (entry.type !== 'file') continue;
    const prev = old.get(entry.path);
    // A sparse file recorded without holes (by a Lifeboat before hole tracking) is read once more, to find them.
    const holesKnown = !ctx.sparse.has(entry) || prev?.holes !== undefined;
    const same =
      prev?.type === 'file' && prev.size === entry.size && prev.mtimeMs === entry.mtimeMs && prev.ino === entry.ino;
    if (same && holesKnown && prev.chunks?.every((c) => ctx.repo.index.has(c))) {
      entry.chunks = prev.chunks;
      if (prev.holes) entry.holes = prev.holes;
      ctx.progress.bytesReused += entry.size ?? 0;
      ctx.progress.filesDone++;
    } else {
      toRead.push({ entry, prev: prev?.type === 'file' ? prev : undefined });
      bytesToRead += entry.size ?? 0;
    }
  }
  // Where the files that may have holes have data (one perl for all); a file not found there is read whole.
  const candidates =
    ctx.sparseMethod === 'zero-scan' ? [] : toRead.filter((t) => ctx.sparse.has(t.entry)).map((t) => t.entry);
  const layout = await extentsOf(candidates, (e) => path.join(source.path, ...e.path.split('/')));
  ctx.signal?.throwIfAborted();
  let next = 0;
  const work = async (viaEncoder: boolean) => {
    let scratch: Buffer | undefined; // this reader's window, reused for every file it reads
    while (next < toRead.length) {
      ctx.signal?.throwIfAborted();
      const hold = ctx.held();
      if (hold) {
        await hold;
        ctx.signal?.throwIfAborted();
        if (next >= toRead.length) break; // other readers took the rest meanwhile
      }
      const { entry, prev } = toRead[next++];
      const file = path.join(source.path, ...entry.path.split('/'));
      const sparse = layout.get(entry);
      // A sparse file is read here, extent by extent; the encoder thread reads whole files.
      if (viaEncoder && !sparse) {
        ctx.encoder ??= new EncoderThread(ctx.encoderScript!, ctx.repo.keys, ctx.repo.config.chunker);
        // The previous version's chunks that the account holds: the encoder skips sealing those (the index only
        // grows during a backup, so they stay there).
        await encodeFile(
          ctx,
          ctx.encoder,
          file,
          entry,
          prev?.chunks?.filter((c) => ctx.repo.index.has(c)),
        );
      } else {
        scratch ??= newWindow(ctx.repo.gear);
        await readFile(ctx, file, entry, scratch, sparse);
      }
      ctx.progress.filesDone++;
      ctx.report();
    }
  };
  // Files go to whichever reader asks first. With the encoder thread, two readers feed it (one file encoding, the
  // next queued, so it never waits for this thread), and it takes files as fast as it encodes them; the others read
  // here. This thread packs every blob either way.
  const readers = Array.from({ length: Math.max(1, ctx.concurrency) }, () => work(false));
  if (useEncoder(ctx, bytesToRead)) readers.push(work(true), work(true));
  await settleAll(ctx, readers);
  return {
    name: source.name,
    kind: 'tree',
    path: source.path,
    entries: entries.filter((e) => e.type !== 'file' || e.chunks),
  };
}

/** Reading at least this much of changed files makes an incremental backup start the encoder thread. */
const ENCODER_MIN_BYTES = 64 << 20;

/**
 * Whether a tree's files are shared with the encoder thread. 'always' when asked; by default ('incremental') only for
 * an incremental backup with much to re-read: its changed files are mostly chunks the account has, so both threads
 * mostly hash and the second core is free, while a full backup's second core is busy with the kernel's writes (the
 * thread gained under 10% there for 30% more CPU).
 */
function useEncoder(ctx: Ctx, bytesToRead: number): boolean {
  if (!ctx.encoderScript || ctx.encoderWhen === 'never') return false;
  return ctx.encoderWhen === 'always' || (ctx.incremental && bytesToRead >= ENCODER_MIN_BYTES);
}

/**
 * Dense files up to this size (by the walk's lstat) are opened, read and closed with synchronous calls: a few
 * microseconds each from the page cache, where the thread pool's round trips (open, read, close: about 16 futex calls
 * a file under strace) were most of a small file's time. The backup runs in a worker thread of its own, which the
 * walk already blocks the same way; larger files keep the pool, so a slow disk never holds this thread for long.
 */
const SYNC_READ_MAX = 128 << 10;

type OpenFile = ChunkSource & { close(): Promise<void> | void };

async function openFile(file: string, entry: TreeEntry, sparse?: FileExtents): Promise<OpenFile> {
  if (sparse || (entry.size ?? Infinity) > SYNC_READ_MAX) return fs.promises.open(file, 'r');
  const fd = fs.openSync(file, 'r');
  return {
    read: async (buffer, offset, length, position) => ({
      bytesRead: fs.readSync(fd, buffer, offset, length, position),
    }),
    close: () => fs.closeSync(fd),
  };
}

async function readFile(
  ctx: Ctx,
  file: string,
  entry: TreeEntry,
  scratch: Buffer,
  sparse?: FileExtents,
): Promise<void> {
  ctx.progress.currentPath = entry.path;
  let fh: OpenFile;
  try {
    fh = await openFile(file, entry, sparse);
  } catch (err) {
    ctx.warnings.push(`${file}: ${(err as Error).message}`);
    return;
  }
  try {
    const chunks: string[] = [];
    const probe = new CompressionProbe();
    // A dense file is one extent to its end. A sparse file's extents are chunked one by one (no chunk spans a hole),
    // and its holes are what was not read: an extent that read short (the file shrank) leaves a hole for its rest.
    const extents = sparse?.extents ?? [{ offset: 0, length: Infinity }];
    const read: DataExtent[] = [];
    for (const extent of extents) {
      let got = 0;
      for await (const piece of contentChunks(
        fh,
        ctx.repo.gear,
        ctx.signal,
        scratch,
        extent.offset,
        extent.offset + extent.length,
      )) {
        const r = await ctx.writer.addChunk(piece, ctx.signal, probe);
        chunks.push(r.id);
        got += piece.length;
        ctx.progress.bytesRead += piece.length;
        if (r.isNew) {
          ctx.progress.chunksNew++;
          ctx.progress.bytesNew += piece.length;
        }
      }
      read.push({ offset: extent.offset, length: got });
    }
    // A file that changed while being read is recorded as read; the next backup sees a new mtime and reads it again.
    entry.size = sparse ? sparse.size : read[0].length;
    if (sparse) entry.holes = holesOf(read, sparse.size);
    entry.chunks = chunks;
  } finally {
    await fh.close();
  }
}

/** readFile() through the encoder thread: the blobs arrive sealed, and only new ones are copied into packs. */
async function encodeFile(
  ctx: Ctx,
  encoder: EncoderThread,
  file: string,
  entry: TreeEntry,
  known?: string[],
): Promise<void> {
  ctx.progress.currentPath = entry.path;
  const chunks: string[] = [];
  const r = await encoder.encode(
    file,
    async (b) => {
      ctx.signal?.throwIfAborted();
      const data = new Uint8Array(b.data);
      let off = 0;
      for (let i = 0; i < b.ids.length; i++) {
        const stored = data.subarray(off, off + b.storedLengths[i]);
        off += stored.length;
        // A stored length of 0: one of the `known` chunks, sent as its id alone.
        const isNew =
          stored.length > 0 && (await ctx.writer.addStored(b.ids[i], b.codecs[i], stored, b.rawLengths[i], ctx.signal));
        chunks.push(b.ids[i]);
        ctx.progress.bytesRead += b.rawLengths[i];
        if (isNew) {
          ctx.progress.chunksNew++;
          ctx.progress.bytesNew += b.rawLengths[i];
        }
      }
    },
    known,
  );
  if ('unreadable' in r) {
    ctx.warnings.push(`${file}: ${r.unreadable}`);
    return;
  }
  entry.size = r.size;
  entry.chunks = chunks;
}

const READ_BLOCKS = 16;

/** What an image's backup needs of its stat. */
interface ImageStat {
  size: number;
  mode: number;
  mtimeMs: number;
}

async function backupImage(ctx: Ctx, source: BackupSource, st: ImageStat, before?: ImageSource): Promise<ImageSource> {
  const blockSize = ctx.repo.config.imageBlockSize;
  const base = {
    name: source.name,
    kind: 'image' as const,
    path: source.path,
    size: st.size,
    blockSize,
    mode: st.mode,
    mtimeMs: st.mtimeMs,
  };
  if (
    before &&
    before.size === st.size &&
    before.mtimeMs === st.mtimeMs &&
    before.blockSize === blockSize &&
    before.extents.every((e) => !e.chunk || ctx.repo.index.has(e.chunk))
  ) {
    ctx.progress.bytesReused += st.size;
    ctx.progress.filesDone++;
    return { ...base, sparseMethod: before.sparseMethod, extents: before.extents };
  }
  const { extents: data, method } = await findDataExtents(source.path, { method: ctx.sparseMethod });
  const blocks = blocksTouched(data, blockSize, st.size);
  const extents: ImageExtent[] = [];
  const hole = (offset: number, length: number) => {
    const last = extents[extents.length - 1];
    if (last && !last.chunk && last.offset + last.length === offset) last.length += length;
    else extents.push({ offset, length });
  };
  ctx.progress.currentPath = source.name;
  const fh = await fs.promises.open(source.path, 'r');
  // One read buffer for the whole image: blocks are views of it, sealed before the next read overwrites them.
  const scratch = Buffer.allocUnsafe(Math.min(READ_BLOCKS * blockSize, Math.max(st.size, 1)));
  const probe = new CompressionProbe();
  try {
    let covered = 0;
    for (let i = 0; i < blocks.length;) {
      ctx.signal?.throwIfAborted();
      const hold = ctx.held();
      if (hold) await hold;
      // Read runs of consecutive blocks in one call; each block is then a view of that buffer.
      let run = 1;
      while (run < READ_BLOCKS && i + run < blocks.length && blocks[i + run] === blocks[i] + run) run++;
      const offset = blocks[i] * blockSize;
      const length = Math.min(run * blockSize, st.size - offset);
      const buf = scratch.subarray(0, length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      buf.fill(0, got); // the image shrank while reading: the tail reads as zeros
      if (offset > covered) hole(covered, offset - covered);
      for (let b = 0; b < length; b += blockSize) {
        const piece = buf.subarray(b, Math.min(b + blockSize, length));
        ctx.progress.bytesRead += piece.length;
        if (isZero(piece)) {
          hole(offset + b, piece.length);
          continue;
        }
        const r = await ctx.writer.addChunk(piece, ctx.signal, probe);
        if (r.isNew) {
          ctx.progress.chunksNew++;
          ctx.progress.bytesNew += piece.length;
        }
        extents.push({ offset: offset + b, length: piece.length, chunk: r.id });
      }
      covered = offset + length;
      i += run;
      ctx.report();
    }
    if (covered < st.size) hole(covered, st.size - covered);
  } finally {
    await fh.close();
  }
  ctx.progress.filesDone++;
  return { ...base, sparseMethod: method, extents };
}
