/**
 * The transfer stages of a restore (restore.ts plans the targets, then hands them here): check what an earlier attempt
 * wrote, order the chunks still to fetch, group them into batches (the resume points), then fetch, decode and write
 * them, finishing each file once its last chunk is written or found damaged.
 */
import { LifeboatError } from '../../shared/errors';
import { fault, untilAborted } from '../faults';
import { BlobDamagedError, decodeBlobInto } from './blob';
import { noteGarbage } from './memory';
import type { Repository } from './repository';
import type { DamagedFile, RestoreOptions, RestoreProgress } from './restore';
import { createTargets, minOf } from './restore-create';
import {
  applyFileMetadataSync,
  verifyDone,
  writeWhole,
  type FileTarget,
  type LinkTarget,
  type Placement,
} from './restore-files';
import { coalesce, Prefetcher, type Read } from './restore-reads';
import { closeHandle, RunBuilder, RunWriter, SlabPool, type ChunkWork } from './restore-runs';
import { DoneSet, type AnyRestoreState } from './restore-state';
import type { TreeEntry } from './snapshot';

/** Every target of a restore (restore.ts lays them out), and where each chunk goes. */
export interface RestoreLayout {
  files: FileTarget[];
  placements: Map<string, Placement[]>;
  dirs: Array<{ full: string; entry: TreeEntry }>;
  links: LinkTarget[];
}

/** A chunk still to fetch, with its priority and where it is stored. */
export interface Todo {
  c: string;
  prio: number;
  loc: ReturnType<Repository['locate']>;
}

/** Longest merged read, and the size of the Prefetcher's buffers. */
const MAX_READ = 4 << 20;

/**
 * One restore's progress and its chunk and file bookkeeping: which chunks are done (the resume state), how many chunks
 * each file still waits for, which files are damaged.
 */
export class RestoreRun {
  readonly progress: RestoreProgress;
  /** Placement order is the manifest's order over the selection: the same on every attempt, so bits keep their meaning. */
  readonly done: DoneSet;
  readonly damaged = new Map<FileTarget, DamagedFile>();
  private readonly placements: Map<string, Placement[]>;
  private batches: Batch[] = [];
  private committed = 0;
  /** Set once the transfer ends, failed or not: no batch is reported after that. */
  private stopped = false;

  constructor(
    private readonly repo: Repository,
    private readonly snapshotId: string,
    private readonly files: FileTarget[],
    placements: Map<string, Placement[]>,
    private readonly opts: RestoreOptions,
  ) {
    this.placements = placements;
    for (const list of placements.values()) for (const p of list) p.file.remaining++;
    const bytesTotal = files.reduce((n, f) => n + (f.entry.size ?? 0), 0);
    this.progress = {
      ...{ filesTotal: files.length, filesDone: 0, bytesTotal, bytesWritten: 0 },
      ...{ chunksTotal: placements.size, chunksDone: 0, bytesFetched: 0, damagedFiles: 0 },
    };
    this.done = new DoneSet([...placements.keys()]);
  }

  report(): void {
    this.opts.onProgress?.({ ...this.progress }, this.done.state(this.snapshotId));
  }

  /** Resume stage: chunks the state calls done are checked against the target rather than trusted. */
  async verifyResumed(resume: AnyRestoreState): Promise<void> {
    // A resumed restore keeps what is there (keep), and its targets may exist already (resumed).
    const created = createTargets(this.files, true, true);
    try {
      await created.done;
    } catch (err) {
      for (const f of this.files) await closeHandle(f);
      throw err;
    }
    for (const chunk of await verifyDone(this.repo, this.done.claimed(resume, this.snapshotId), this.placements))
      await this.chunkDone(chunk);
  }

  /**
   * Ordering stage: the chunks not done yet, by the caller's priority, then packs in the order the restore first needs
   * them (their names are hashes, so name order is random): files then finish one after another instead of all staying
   * open, and with them their handles. Ranked over all chunks, done or not, so a resumed restore forms the same batches.
   */
  orderChunks(): Todo[] {
    const { order } = this.opts;
    const priority = (c: string) => (order ? minOf(this.placements.get(c)!, (p) => order(p.item)) : 0);
    const packRank = new Map<string, number>();
    this.done.ids.forEach((c, i) => {
      const pack = this.repo.locate(c).pack;
      if (!packRank.has(pack)) packRank.set(pack, i);
    });
    const todo = this.done.ids
      .filter((c) => !this.done.has(c))
      .map((c) => ({ c, prio: priority(c), loc: this.repo.locate(c) }));
    todo.sort(
      (a, b) => a.prio - b.prio || packRank.get(a.loc.pack)! - packRank.get(b.loc.pack)! || a.loc.offset - b.loc.offset,
    );
    return todo;
  }

  /**
   * Batching stage. Batches are the resume points: a batch's chunks are marked done (and reported) together once all
   * of them are written, in batch order, so a state always matches the bytes fetched before it and a resumed restore
   * forms the same batches and reads. Batches do not wait for each other: the next one is fetched and decoded while
   * the previous one is being written, so the disk is busy from the first chunk to the last.
   */
  formBatches(todo: Todo[], batchBytes: number): void {
    for (let i = 0; i < todo.length;) {
      let bytes = 0;
      const members: Todo[] = [];
      while (i < todo.length && (bytes < batchBytes || !members.length)) {
        bytes += todo[i].loc.length;
        members.push(todo[i++]);
      }
      this.batches.push({ reads: coalesce(members, MAX_READ), left: members.length, written: [], fetched: 0 });
    }
  }

  /**
   * Transfer stage (one thread): reads run a few ahead; each chunk is decrypted and decompressed straight into a reused
   * slab, checked, and handed to the run builder, whose vectored writes go out a few at once. Ends with every handle
   * closed and the background creation (`creation`, a new restore's) stopped, whether it succeeds or not.
   */
  async fetchAndWrite(creation: { done: Promise<void>; stop: () => void } | undefined): Promise<void> {
    const { repo, opts, progress, placements } = this;
    const writer = new RunWriter<BatchWork>(async (run) => {
      progress.bytesWritten += run.bytes;
      for (const w of run.chunks) if (--w.places === 0) await this.chunkWritten(w);
    });
    for (const f of this.files) if (f.remaining === 0) writer.track(this.finishFile(f));
    const slabs = new SlabPool();
    const fetcher = new Prefetcher(
      repo,
      this.batches.flatMap((b) => b.reads),
      opts.concurrency ?? 4,
      MAX_READ,
      opts.signal,
    );
    try {
      const runs = new RunBuilder(writer);
      for (const batch of this.batches) {
        // Crash tests hold a restore once a fifth of it is written (LIFEBOAT_RESTORE_FAULT=written) and kill the app
        // meanwhile, so the kill lands mid-restore however fast it runs. A stop ends the hold.
        if (fault('restore', 'written') && progress.bytesWritten * 5 >= progress.bytesTotal)
          await untilAborted(opts.signal);
        for (const read of batch.reads) {
          opts.signal?.throwIfAborted();
          const got = await fetcher.next();
          if ('err' in got) {
            const err = got.err;
            if (
              !(err instanceof LifeboatError) ||
              (err.code !== 'not_found' && err.code !== 'io_error') ||
              err.retryable
            )
              throw err;
            for (const m of read.members) await this.damagedChunk({ c: m.c, places: 0, batch }, err.message);
            continue;
          }
          const buf = got.buf;
          batch.fetched += buf.length;
          // Each chunk's decrypted bytes die here; young collections free them cheaply.
          noteGarbage(buf.length);
          for (const m of read.members) {
            const slice = slabs.take(m.loc.rawLength);
            const work: BatchWork = { c: m.c, places: 0, batch };
            const at = m.loc.offset - read.offset;
            try {
              decodeBlobInto(
                repo.keys,
                m.c,
                buf.subarray(at, at + m.loc.length),
                m.loc.codec,
                m.loc.rawLength,
                slice.bytes,
              );
            } catch (err) {
              if (!(err instanceof BlobDamagedError)) throw err;
              await this.damagedChunk(work, `${err.message} (pack ${read.pack})`);
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
    } finally {
      this.stopped = true;
      // Cleanup never replaces the error that stopped the restore: writes waiting for a file whose creation was
      // stopped fail as cancelled, which is only their echo of it.
      creation?.stop();
      await fetcher.settle().catch(() => undefined);
      await writer.settle();
      await creation?.done.catch(() => undefined);
      for (const f of this.files) await closeHandle(f);
    }
  }

  /** A file's last chunk is written (or found damaged): its metadata is applied and its handle closed. */
  private async finishFile(f: FileTarget): Promise<void> {
    if (f.finished) return;
    f.finished = true;
    if (f.direct) {
      // Empty, or its chunk damaged: created now (at its size, so a damaged one is kept as NAME.damaged as others are).
      if (!f.written) writeWhole(f, [], 0, !f.damaged);
      this.progress.filesDone++;
      return;
    }
    await f.ready;
    if (!f.damaged) {
      const fh = await f.handle?.catch(() => undefined);
      applyFileMetadataSync(f.full, f.entry, fh?.fd);
    }
    await closeHandle(f);
    this.progress.filesDone++;
  }

  /** A chunk an earlier attempt wrote, checked in place. */
  private async chunkDone(chunk: string): Promise<void> {
    this.done.add(chunk);
    this.progress.chunksDone++;
    for (const p of this.placements.get(chunk)!) if (--p.file.remaining === 0) await this.finishFile(p.file);
  }

  /** Every file the chunk belongs in is damaged: counted once each, and finished like the others. */
  private async markDamaged(chunk: string, reason: string): Promise<void> {
    for (const p of this.placements.get(chunk)!) {
      const known = this.damaged.get(p.file);
      if (known) known.chunks++;
      else {
        this.progress.damagedFiles++;
        p.file.damaged = true;
        this.damaged.set(p.file, {
          source: p.file.source,
          path: p.file.entry.path || p.file.source,
          chunk,
          reason,
          chunks: 1,
        });
      }
      if (--p.file.remaining === 0) await this.finishFile(p.file);
    }
  }

  /** Batches whose chunks are all settled become done, in batch order, each reported as a resume point. */
  private commit(): void {
    while (this.committed < this.batches.length && this.batches[this.committed].left === 0) {
      const b = this.batches[this.committed++];
      for (const c of b.written) this.done.add(c);
      this.progress.bytesFetched += b.fetched;
      if (!this.stopped) this.report();
    }
  }

  private chunkSettled(work: BatchWork): void {
    work.batch.left--;
    this.commit();
  }

  private async chunkWritten(work: BatchWork): Promise<void> {
    this.progress.chunksDone++;
    work.batch.written.push(work.c);
    for (const p of this.placements.get(work.c)!) if (--p.file.remaining === 0) await this.finishFile(p.file);
    this.chunkSettled(work);
  }

  private async damagedChunk(work: BatchWork, reason: string): Promise<void> {
    await this.markDamaged(work.c, reason);
    this.chunkSettled(work);
  }
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
