/**
 * Restoring a snapshot into a folder: sources/<name> becomes targetDir/<name> (a folder for a share, a file for a
 * volume). Each distinct chunk is fetched once, verified against its id, and written to every place it occurs.
 * Chunks are fetched in priority order (the caller's `order`), then pack by pack in the order the restore first needs
 * each pack, adjacent blobs of a pack in one ranged read. Volumes come back sparse: the file is sized with ftruncate
 * and only data extents are written.
 *
 * Pipeline (one thread): reads run a few ahead; each chunk is decrypted and decompressed straight into a reused slab
 * and checked; runs of consecutive chunks per file are written by a few vectored writes at once (restore-runs.ts),
 * while files are created in the background in the order they are first written (restore-create.ts); a small file of a
 * new restore is instead created, written and closed in one synchronous pass once its data is decoded (writeWhole).
 *
 * Resuming: the progress callback hands out a RestoreState, a bitmap of the chunks already written over the restore's
 * fixed chunk order (restore-state.ts). Writes are not flushed one by one (that would make restores several times
 * slower than cp); instead a resumed restore reads each "done" chunk back from the target and re-checks its id, so
 * anything the OS lost in a crash is fetched again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LifeboatError } from '../../shared/errors';
import { BlobDamagedError, decodeBlobInto } from './blob';
import { noteGarbage } from './memory';
import type { Repository } from './repository';
import { loadSnapshot, noSuchSource, type SourceManifest, type TreeEntry } from './snapshot';
import {
  applyFileMetadataSync,
  applyMetadata,
  createLinks,
  DIRECT_MAX,
  dropStaleDamaged,
  prepareTree,
  setAsideDamaged,
  sparseOffsets,
  verifyDone,
  writeWhole,
  type FileTarget,
  type LinkTarget,
  type Placement,
} from './restore-files';
import { createTargets, firstWritten, minOf } from './restore-create';
import { checkEntries, checkSourceName, pathHint } from './restore-paths';
import { coalesce, Prefetcher, type Read } from './restore-reads';
import { closeHandle, RunBuilder, RunWriter, SlabPool, type ChunkWork } from './restore-runs';
import { DoneSet, type AnyRestoreState, type RestoreState } from './restore-state';

export type { AnyRestoreState, LegacyRestoreState, RestoreState } from './restore-state';
export { restoreHandlesOpen } from './restore-runs';
export { minOf } from './restore-create';

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

/** A file whose backup data is damaged: not restored whole, and set aside so it cannot pass for restored. */
export interface DamagedFile {
  source: string;
  path: string;
  /** The first damaged chunk of the file, and why. */
  chunk: string;
  reason: string;
  /** Damaged chunks of the file. */
  chunks: number;
  /** Where its partial copy was kept (NAME.damaged); absent when it was removed instead. */
  keptAs?: string;
}

export interface RestoreResult {
  files: number;
  bytes: number;
  chunks: number;
  bytesFetched: number;
  damaged: DamagedFile[];
}

const BATCH_BYTES = 32 << 20;
/** Longest merged read, and the size of the Prefetcher's buffers. */
const MAX_READ = 4 << 20;

export async function restoreSnapshot(repo: Repository, snapshotId: string, targetDir: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
  const manifest = await loadSnapshot(repo, snapshotId);
  const resume = opts.resumeState?.snapshotId === snapshotId ? opts.resumeState : undefined;
  const chosen = manifest.sources.filter((s) => !opts.sources || opts.sources.includes(s.name));
  if (opts.sources)
    for (const n of opts.sources)
      if (!chosen.some((s) => s.name === n)) throw noSuchSource(snapshotId, n, manifest.sources.map((s) => s.name));
  // A path is inside the sources, with or without slashes around it.
  const wanted = opts.path?.replace(/^\/+|\/+$/g, '');
  const within = (p: string) => !wanted || p === wanted || p.startsWith(`${wanted}/`);
  // Every name the restore will use is checked before anything is written (restore-paths.ts says why and how).
  const selected = new Map<SourceManifest, TreeEntry[]>();
  const sparseAt = new Map<TreeEntry, number[]>();
  for (const source of chosen) {
    checkSourceName(snapshotId, source.name);
    if (source.kind !== 'tree') continue;
    const entries = wanted ? source.entries.filter((e) => within(e.path)) : source.entries;
    checkEntries(snapshotId, source.name, entries);
    selected.set(source, entries);
    // A sparse file's chunks step over its holes, which stay holes (sized by ftruncate, never written).
    for (const e of entries) if (e.holes?.length) sparseAt.set(e, sparseOffsets(snapshotId, source.name, e, (c) => repo.locate(c).rawLength));
  }

  await fs.promises.mkdir(targetDir, { recursive: true });
  if (!resume && !opts.overwrite && (await fs.promises.readdir(targetDir)).length > 0)
    throw new LifeboatError('conflict', `The folder ${targetDir} is not empty.`, 'Choose an empty folder, or restore with --overwrite.');

  // Lay out every target: folders now; files (created as they are first written) and links (made last) as targets.
  const files: FileTarget[] = [];
  const placements = new Map<string, Placement[]>();
  const place = (chunk: string, p: Placement) => (placements.get(chunk) ?? placements.set(chunk, []).get(chunk)!).push(p);
  const dirs: Array<{ full: string; entry: TreeEntry }> = [];
  const links: LinkTarget[] = [];
  // A path is looked for in every chosen folder source (an image has none), and restored from those that hold it.
  let holding = false;
  const keep = !!resume || !!opts.overwrite;
  for (const source of chosen) {
    const root = path.join(targetDir, source.name);
    if (source.kind === 'tree') {
      const entries = selected.get(source)!;
      if (wanted && !entries.length) continue;
      holding = true;
      await prepareTree(root, entries, dirs, files, links, source.name);
      for (const f of files) {
        if (f.source !== source.name || f.placed) continue;
        f.placed = true;
        const at = sparseAt.get(f.entry);
        const chunks = f.entry.chunks ?? [];
        // Small files of a new restore are written whole in one pass of synchronous calls (writeWhole).
        f.direct = !keep && !at && chunks.length <= 1 && (f.entry.size ?? 0) <= DIRECT_MAX;
        for (let i = 0, offset = 0; i < chunks.length; i++) {
          if (at) offset = at[i];
          place(chunks[i], { file: f, offset, item: { source: source.name, kind: 'file', path: f.entry.path, offset } });
          offset += repo.locate(chunks[i]).rawLength;
        }
      }
    } else if (!wanted) {
      const entry: TreeEntry = { path: '', type: 'file', mode: source.mode, mtimeMs: source.mtimeMs, size: source.size };
      const f: FileTarget = { source: source.name, full: root, entry, remaining: 0, placed: true };
      files.push(f);
      for (const e of source.extents) if (e.chunk) place(e.chunk, { file: f, offset: e.offset, item: { source: source.name, kind: 'image', path: '', offset: e.offset } });
    }
  }
  if (wanted && !holding)
    // Final, as a backup never changes: resuming the job would only fail again.
    throw new LifeboatError('not_found', `Backup ${snapshotId} has no path "${opts.path}" in ${chosen.map((s) => s.name).join(', ')}.`, pathHint(snapshotId, wanted, chosen), { final: true });
  for (const list of placements.values()) for (const p of list) p.file.remaining++;
  const progress: RestoreProgress = { filesTotal: files.length, filesDone: 0, bytesTotal: files.reduce((n, f) => n + (f.entry.size ?? 0), 0), bytesWritten: 0, chunksTotal: placements.size, chunksDone: 0, bytesFetched: 0, damagedFiles: 0 };
  // Placement order is the manifest's order over the selection: the same on every attempt, so bits keep their meaning.
  const done = new DoneSet([...placements.keys()]);
  const damaged = new Map<FileTarget, DamagedFile>();
  const finishFile = async (f: FileTarget) => {
    if (f.finished) return;
    f.finished = true;
    if (f.direct) {
      // Empty, or its chunk damaged: created now (at its size, so a damaged one is kept as NAME.damaged as others are).
      if (!f.written) writeWhole(f, [], 0, !f.damaged);
      progress.filesDone++;
      return;
    }
    await f.ready;
    if (!f.damaged) {
      const fh = await f.handle?.catch(() => undefined);
      applyFileMetadataSync(f.full, f.entry, fh?.fd);
    }
    await closeHandle(f);
    progress.filesDone++;
  };
  const chunkDone = async (chunk: string) => {
    done.add(chunk);
    progress.chunksDone++;
    for (const p of placements.get(chunk)!) if (--p.file.remaining === 0) await finishFile(p.file);
  };

  // Resume: chunks the state calls done are checked against the target rather than trusted.
  if (resume) {
    const created = createTargets(files, keep, true);
    try {
      await created.done;
    } catch (err) {
      for (const f of files) await closeHandle(f);
      throw err;
    }
    for (const chunk of await verifyDone(repo, done.claimed(resume, snapshotId), placements)) await chunkDone(chunk);
  }

  const priority = (c: string) => (opts.order ? minOf(placements.get(c)!, (p) => opts.order!(p.item)) : 0);
  // Packs in the order the restore first needs them (their names are hashes, so name order is random): files then
  // finish one after another instead of all staying open, and with them their handles. Ranked over all chunks, done
  // or not, so a resumed restore forms the same batches.
  const packRank = new Map<string, number>();
  done.ids.forEach((c, i) => {
    const pack = repo.locate(c).pack;
    if (!packRank.has(pack)) packRank.set(pack, i);
  });
  const todo = done.ids.filter((c) => !done.has(c)).map((c) => ({ c, prio: priority(c), loc: repo.locate(c) }));
  todo.sort((a, b) => a.prio - b.prio || packRank.get(a.loc.pack)! - packRank.get(b.loc.pack)! || a.loc.offset - b.loc.offset);
  // A new restore creates its files while the first chunks are fetched and decoded, in the order they are written:
  // creating a file costs the kernel about as much as writing 300 KB, so done up front it left the disk idle.
  const creation = resume ? undefined : createTargets(firstWritten(todo, placements, files).filter((f) => !f.direct), keep, false);

  const report = () => opts.onProgress?.({ ...progress }, done.state(snapshotId));
  const markDamaged = async (chunk: string, reason: string) => {
    for (const p of placements.get(chunk)!) {
      const known = damaged.get(p.file);
      if (known) known.chunks++;
      else {
        progress.damagedFiles++;
        p.file.damaged = true;
        damaged.set(p.file, { source: p.file.source, path: p.file.entry.path || p.file.source, chunk, reason, chunks: 1 });
      }
      if (--p.file.remaining === 0) await finishFile(p.file);
    }
  };

  // Batches are the resume points: a batch's chunks are marked done (and reported) together once all of them are
  // written, in batch order, so a state always matches the bytes fetched before it and a resumed restore forms the
  // same batches and reads. Batches do not wait for each other: the next one is fetched and decoded while the
  // previous one is being written, so the disk is busy from the first chunk to the last.
  const batches: Batch[] = [];
  for (let i = 0; i < todo.length; ) {
    let bytes = 0;
    const members: typeof todo = [];
    while (i < todo.length && (bytes < (opts.batchBytes ?? BATCH_BYTES) || !members.length)) {
      bytes += todo[i].loc.length;
      members.push(todo[i++]);
    }
    batches.push({ reads: coalesce(members, MAX_READ), left: members.length, written: [], fetched: 0 });
  }
  let committed = 0;
  let stopped = false;
  const commit = () => {
    while (committed < batches.length && batches[committed].left === 0) {
      const b = batches[committed++];
      for (const c of b.written) done.add(c);
      progress.bytesFetched += b.fetched;
      if (!stopped) report();
    }
  };
  const chunkSettled = (work: BatchWork) => {
    work.batch.left--;
    commit();
  };
  const chunkWritten = async (work: BatchWork) => {
    progress.chunksDone++;
    work.batch.written.push(work.c);
    for (const p of placements.get(work.c)!) if (--p.file.remaining === 0) await finishFile(p.file);
    chunkSettled(work);
  };
  const damagedChunk = async (work: BatchWork, reason: string) => {
    await markDamaged(work.c, reason);
    chunkSettled(work);
  };

  const writer = new RunWriter<BatchWork>(async (run) => {
    progress.bytesWritten += run.bytes;
    for (const w of run.chunks) if (--w.places === 0) await chunkWritten(w);
  });
  for (const f of files) if (f.remaining === 0) writer.track(finishFile(f));
  const slabs = new SlabPool();
  const fetcher = new Prefetcher(
    repo,
    batches.flatMap((b) => b.reads),
    opts.concurrency ?? 4,
    MAX_READ,
    opts.signal,
  );
  try {
    const runs = new RunBuilder(writer);
    for (const batch of batches) {
      // Crash tests hold a restore once a fifth of it is written (LIFEBOAT_RESTORE_FAULT=written) and kill the app
      // meanwhile, so the kill lands mid-restore however fast it runs. A stop ends the hold.
      if (process.env.LIFEBOAT_RESTORE_FAULT === 'written' && progress.bytesWritten * 5 >= progress.bytesTotal)
        await new Promise((resolve) => (opts.signal?.aborted ? resolve(undefined) : opts.signal?.addEventListener('abort', resolve, { once: true })));
      for (const read of batch.reads) {
        opts.signal?.throwIfAborted();
        const got = await fetcher.next();
        if ('err' in got) {
          const err = got.err;
          if (!(err instanceof LifeboatError) || (err.code !== 'not_found' && err.code !== 'io_error') || err.retryable) throw err;
          for (const m of read.members) await damagedChunk({ c: m.c, places: 0, batch }, err.message);
          continue;
        }
        const buf = got.buf;
        batch.fetched += buf.length;
        // Each chunk's decrypted bytes die here; young collections free them cheaply.
        noteGarbage(buf.length);
        for (const m of read.members) {
          const slice = slabs.take(m.loc.rawLength);
          const work: BatchWork = { c: m.c, places: 0, batch };
          try {
            decodeBlobInto(repo.keys, m.c, buf.subarray(m.loc.offset - read.offset, m.loc.offset - read.offset + m.loc.length), m.loc.codec, m.loc.rawLength, slice.bytes);
          } catch (err) {
            if (!(err instanceof BlobDamagedError)) throw err;
            await damagedChunk(work, `${err.message} (pack ${read.pack})`);
            continue;
          }
          slabs.commit(slice);
          const list = placements.get(m.c)!;
          work.places = list.length;
          // Consecutive chunks of one file (the usual layout of a pack) go out as one vectored write of a few MiB; a
          // chunk found in several places (duplicate data) waits in each for its neighbours (RunBuilder), and is done
          // once all its places are written.
          for (const p of list) await runs.add(p.file, p.offset, slice, work, list.length > 1);
        }
        fetcher.release(buf);
      }
      // A batch is a resume point: its runs go out now, so its report does not wait for the next batch's chunks.
      await runs.endBatch();
    }
    await writer.drain();
    // Decoding runs ahead of the reports, so a cancel asked for in the last reports comes after the last read.
    opts.signal?.throwIfAborted();
  } catch (err) {
    stopped = true;
    throw err;
  } finally {
    stopped = true;
    // Cleanup never replaces the error that stopped the restore: writes waiting for a file whose creation was
    // stopped fail as cancelled, which is only their echo of it.
    creation?.stop();
    await fetcher.settle().catch(() => undefined);
    await writer.settle();
    await creation?.done.catch(() => undefined);
    for (const f of files) await closeHandle(f);
  }
  // Links once every file is written and closed: nothing is ever written through a link the restore made.
  await createLinks(links);
  // Damaged files are renamed NAME.damaged (or removed) rather than left looking restored; a resumed restore that
  // wrote one whole drops what an earlier attempt set aside of it.
  if (damaged.size || resume) {
    const targets = new Set(files.map((f) => f.full));
    const taken = (p: string) => targets.has(p);
    for (const [f, d] of damaged) d.keptAs = await setAsideDamaged(f.full, taken);
    if (resume) for (const f of files) if (!f.damaged && !taken(`${f.full}.damaged`)) dropStaleDamaged(f.full);
  }
  // Folder times last: creating entries inside a folder changes its mtime. Deepest first.
  for (const d of dirs.sort((a, b) => b.full.length - a.full.length)) await applyMetadata(d.full, d.entry);
  report();

  const list = [...damaged.values()];
  if (list.length) {
    const names = list.map((d) => `${d.source}/${d.path}`);
    const err = new LifeboatError(
      'io_error',
      `${names.length} file(s) could not be restored because their backup data is damaged: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}.`,
      'Everything else was restored; each damaged file is kept beside it as NAME.damaged with what could be restored (the job lists them). ' +
        'Run `lifeboat account check --read-data` and restore these files from another backup.',
    );
    throw Object.assign(err, { damaged: list });
  }
  return { files: files.length, bytes: progress.bytesWritten, chunks: placements.size, bytesFetched: progress.bytesFetched, damaged: list };
}

/** A resume point: its chunks are marked done together once every one of them is written (or found damaged). */
interface Batch {
  reads: Read[];
  /** Chunks neither written nor found damaged yet. */
  left: number;
  written: string[];
  /** Stored bytes read for this batch. */
  fetched: number;
}

/** A chunk of a batch on its way to disk. */
interface BatchWork extends ChunkWork {
  batch: Batch;
}
