/**
 * A restore's decoded bytes on their way to disk: the slabs they are decoded into, runs of consecutive chunks per file
 * (each written with one vectored write), the writer that keeps a few such writes in flight, and the files' shared
 * write handles.
 */
import fs from 'node:fs';
import { REOPEN, writeWhole, type FileTarget } from './restore-files';

/** One decoded chunk on its way to disk: done once written to all its places. */
export interface ChunkWork {
  c: string;
  /** Places not written yet. */
  places: number;
  /** Places waiting in a RunBuilder for their neighbours. */
  deferred?: number;
}

/**
 * Handles stay open while a file still has chunks to come, up to a limit so huge trees do not run out of fds (Node
 * raises its soft limit to the hard one, usually thousands or more). A file created while half the limit is in use is
 * closed and opened again for its writes: two more trips through the thread pool, which the 1 GiB bench's 1 600 files
 * made 1 500 times with a limit of 256 (a restore 5–10% slower than with 1 024).
 */
const MAX_OPEN = 1024;
let openHandles = 0;
/** Shared handles open now, across restores in this thread (for tests: it must come back to zero). */
export const restoreHandlesOpen = () => openHandles;

/**
 * Keeps a just-created file's handle as its shared write handle while there is room (half the limit: creation runs
 * ahead of the writes, which need handles of their own). False: the caller closes it.
 */
export function keepHandle(f: FileTarget, fh: fs.promises.FileHandle): boolean {
  if (f.remaining === 0 || f.handle || openHandles >= MAX_OPEN / 2) return false;
  openHandles++;
  f.handle = Promise.resolve(fh);
  return true;
}

/** Consecutive decoded chunks of one file, written with one vectored write. */
export interface Run<W extends ChunkWork = ChunkWork> {
  file: FileTarget;
  offset: number;
  end: number;
  buffers: Buffer[];
  chunks: W[];
  /** The slab of each buffer, released once the write settled. */
  slabs: Slab[];
  bytes: number;
}
const RUN_BYTES = 4 << 20;
const RUN_BUFFERS = 512; // well under IOV_MAX (1024)
/** Decoded bytes waiting in runs still being filled. */
const OPEN_BYTES = 8 << 20;

const newRun = <W extends ChunkWork>(file: FileTarget, offset: number): Run<W> => ({
  file,
  offset,
  end: offset,
  buffers: [],
  chunks: [],
  slabs: [],
  bytes: 0,
});
const hasRoom = (run: Run<ChunkWork>) => run.bytes < RUN_BYTES && run.buffers.length < RUN_BUFFERS;

/** Adds a chunk at the run's end, or (`front`) just before its start. */
function addToRun<W extends ChunkWork>(run: Run<W>, slice: Slice, work: W, front = false): void {
  if (front) {
    run.buffers.unshift(slice.bytes);
    run.chunks.unshift(work);
    run.slabs.unshift(slice.slab);
    run.offset -= slice.bytes.length;
  } else {
    run.buffers.push(slice.bytes);
    run.chunks.push(work);
    run.slabs.push(slice.slab);
    run.end += slice.bytes.length;
  }
  slice.slab.refs++;
  run.bytes += slice.bytes.length;
}

/**
 * Writes in flight at once. Writing new pages costs the kernel 1-3 ns a byte, as much as decoding them, so writes run
 * on the thread pool beside the decoding, several at once (different files do not wait for each other). The pool has
 * 4 threads by default and the reads need one now and then, hence one fewer.
 */
const WRITE_SLOTS = 3;

/**
 * Runs being written. A slot is freed as soon as its write returns; the bookkeeping after it (counts, closing a
 * finished file, its metadata) runs outside the slot so the disk never waits for it. The first error is kept and
 * thrown by the next submit or drain, never left as a rejection nobody listens to.
 */
export class RunWriter<W extends ChunkWork> {
  private readonly writing = new Set<Promise<void>>();
  private readonly after = new Set<Promise<void>>();
  private failed = false;
  private error: unknown;

  constructor(private readonly written: (run: Run<W>) => Promise<void>) {}

  async submit(run: Run<W>): Promise<void> {
    if (run.file.direct) return this.direct(run);
    while (this.writing.size >= WRITE_SLOTS) await Promise.race(this.writing);
    if (this.failed) throw this.error;
    const write = writeRun(run);
    const slot: Promise<void> = write.then(
      () => undefined,
      () => undefined,
    );
    this.writing.add(slot);
    void slot.then(() => this.writing.delete(slot));
    const tail: Promise<void> = write
      .finally(() => {
        for (const s of run.slabs) s.unref();
      })
      .then(() => this.written(run))
      .catch((err: unknown) => this.fail(err));
    this.after.add(tail);
    void tail.then(() => this.after.delete(tail));
  }

  /** A direct file's only run (FileTarget.direct): written whole here with synchronous calls, no slot needed. */
  private direct(run: Run<W>): void {
    if (this.failed) throw this.error;
    try {
      writeWhole(run.file, run.buffers, run.offset, !run.file.damaged);
    } catch (err) {
      this.fail(err);
      return;
    } finally {
      for (const s of run.slabs) s.unref();
    }
    this.track(this.written(run));
  }

  /** Work that must end before the restore does (finishing a file): its error fails the restore. */
  track(work: Promise<void>): void {
    const tail = work.catch((err: unknown) => this.fail(err));
    this.after.add(tail);
    void tail.then(() => this.after.delete(tail));
  }

  /** Waits for every write and its bookkeeping; throws the first error. */
  async drain(): Promise<void> {
    await this.settle();
    if (this.failed) throw this.error;
  }

  /** Waits for every write and its bookkeeping to end, whatever their outcome (drain reports the first error). */
  async settle(): Promise<void> {
    while (this.after.size) await Promise.allSettled([...this.after]);
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.error = err;
  }
}

/** A place of a decoded chunk held back until its file's run reaches it. */
interface Deferred<W> {
  file: FileTarget;
  offset: number;
  slice: Slice;
  work: W;
}

/** Decoded bytes held for deferred places (each chunk counted once) before they are written as they are. */
const DEFERRED_BYTES = 32 << 20;

/**
 * Groups decoded chunks into runs of consecutive bytes, one run filling per file. A chunk with several places
 * (duplicate data) is decoded once, usually long before its neighbours in most of those places; written at once,
 * each such place was a write of its own (in the bench a third of the bytes went out in writes under 64 KiB, which
 * cost the kernel twice as much a byte as large ones). So such a place is deferred, its slab kept, until its file's
 * run grows into it from either side; what is left goes out at the end of the batch (endBatch), adjacent places of
 * one file together.
 */
export class RunBuilder<W extends ChunkWork> {
  private readonly open = new Map<FileTarget, Run<W>>();
  private openBytes = 0;
  /** Deferred places per file, by start and by end offset. */
  private readonly deferred = new Map<
    FileTarget,
    { byStart: Map<number, Deferred<W>>; byEnd: Map<number, Deferred<W>> }
  >();
  private deferredBytes = 0;

  constructor(private readonly writer: RunWriter<W>) {}

  /** One place of a decoded chunk; `shared` when the chunk has other places. */
  async add(file: FileTarget, offset: number, slice: Slice, work: W, shared: boolean): Promise<void> {
    const run = this.open.get(file);
    if (run && run.end === offset && hasRoom(run)) this.extend(run, slice, work);
    else if (shared) this.defer({ file, offset, slice, work });
    else {
      if (run) await this.flush(run);
      const fresh = newRun<W>(file, offset);
      this.open.set(file, fresh);
      this.extend(fresh, slice, work);
    }
    // A run that reaches its file's end cannot grow there, so it goes out now rather than with the batch: a small
    // file (such as the hot files a failover restores first) is complete as soon as its bytes are decoded.
    const last = this.open.get(file);
    if (last && last.end === file.entry.size) await this.flush(last);
    if (this.openBytes >= OPEN_BYTES) await this.flushOpen();
    if (this.deferredBytes >= DEFERRED_BYTES) await this.flushDeferred();
  }

  /** Writes every run and every deferred place: a batch's chunks are all on their way once it returns. */
  async endBatch(): Promise<void> {
    await this.flushOpen();
    await this.flushDeferred();
  }

  private extend(run: Run<W>, slice: Slice, work: W): void {
    addToRun(run, slice, work);
    this.openBytes += slice.bytes.length;
    const held = this.deferred.get(run.file);
    if (!held) return;
    for (let d = held.byStart.get(run.end); d && hasRoom(run); d = held.byStart.get(run.end)) this.take(d, run, false);
    for (let d = held.byEnd.get(run.offset); d && hasRoom(run); d = held.byEnd.get(run.offset)) this.take(d, run, true);
  }

  private defer(d: Deferred<W>): void {
    let held = this.deferred.get(d.file);
    if (!held) this.deferred.set(d.file, (held = { byStart: new Map(), byEnd: new Map() }));
    held.byStart.set(d.offset, d);
    held.byEnd.set(d.offset + d.slice.bytes.length, d);
    d.slice.slab.refs++;
    if ((d.work.deferred = (d.work.deferred ?? 0) + 1) === 1) this.deferredBytes += d.slice.bytes.length;
  }

  /** Moves a deferred place into a run (at its end, or its `front`). */
  private take(d: Deferred<W>, run: Run<W>, front: boolean): void {
    this.release(d);
    addToRun(run, d.slice, d.work, front);
    this.openBytes += d.slice.bytes.length;
    d.slice.slab.unref(); // the run holds the slab now
  }

  private release(d: Deferred<W>): void {
    const held = this.deferred.get(d.file)!;
    held.byStart.delete(d.offset);
    held.byEnd.delete(d.offset + d.slice.bytes.length);
    if (!held.byStart.size) this.deferred.delete(d.file);
    if (--d.work.deferred! === 0) this.deferredBytes -= d.slice.bytes.length;
  }

  private async flush(run: Run<W>): Promise<void> {
    this.open.delete(run.file);
    this.openBytes -= run.bytes;
    await this.writer.submit(run);
  }

  private async flushOpen(): Promise<void> {
    for (const run of [...this.open.values()]) await this.flush(run);
  }

  /** Writes the deferred places in runs of their own, adjacent ones of a file together. */
  private async flushDeferred(): Promise<void> {
    const all = [...this.deferred.values()].flatMap((held) =>
      [...held.byStart.values()].sort((a, b) => a.offset - b.offset),
    );
    let run: Run<W> | undefined;
    for (const d of all) {
      this.release(d);
      if (run && (run.file !== d.file || run.end !== d.offset || !hasRoom(run))) {
        await this.writer.submit(run);
        run = undefined;
      }
      run ??= newRun<W>(d.file, d.offset);
      addToRun(run, d.slice, d.work);
      d.slice.slab.unref();
    }
    if (run) await this.writer.submit(run);
  }
}

/**
 * Decoded chunks live in a few large buffers ("slabs") reused for the whole restore: a chunk is decrypted and
 * decompressed straight into its place, and the slab goes back to the pool once every write using it settled. A
 * buffer per chunk made garbage collection a fifth of the restore's time.
 */
const SLAB = 8 << 20;
const SPARE_SLABS = 4;

export class Slab {
  refs = 0;
  used = 0;
  retired = false;
  constructor(
    readonly buf: Buffer,
    private readonly pool: SlabPool,
  ) {}

  unref(): void {
    if (--this.refs === 0 && this.retired) this.pool.release(this);
  }
}

export interface Slice {
  slab: Slab;
  bytes: Buffer;
}

export class SlabPool {
  private current: Slab | undefined;
  private readonly spare: Slab[] = [];

  /** Room for `n` bytes; they belong to the caller only after commit() (a damaged chunk's room is used again). */
  take(n: number): Slice {
    let slab = this.current;
    if (!slab || slab.used + n > slab.buf.length) {
      if (slab) {
        slab.retired = true;
        if (slab.refs === 0) this.release(slab);
      }
      slab = this.current =
        n > SLAB
          ? new Slab(Buffer.allocUnsafe(n), this)
          : (this.spare.pop() ?? new Slab(Buffer.allocUnsafe(SLAB), this));
    }
    return { slab, bytes: slab.buf.subarray(slab.used, slab.used + n) };
  }

  commit(slice: Slice): void {
    slice.slab.used += slice.bytes.length;
  }

  release(slab: Slab): void {
    if (slab.buf.length !== SLAB || this.spare.length >= SPARE_SLABS) return;
    slab.used = 0;
    slab.retired = false;
    this.spare.push(slab);
  }
}

/**
 * Runs up to this size (a small file's whole data, most often) are written with a synchronous call into the page
 * cache, a few microseconds, instead of a thread-pool round trip; the restore has a worker thread of its own.
 */
const SYNC_WRITE_MAX = 128 << 10;

async function writeRun(r: Run<ChunkWork>): Promise<void> {
  const f = r.file;
  await f.ready;
  // The open is memoised as a promise, set before any await: two read loops writing chunks of the same file at once
  // share one handle (and one count) rather than both opening it and leaking the loser's.
  if (!f.handle && openHandles < MAX_OPEN) {
    openHandles++;
    f.handle = fs.promises.open(f.full, REOPEN);
  }
  const shared = f.handle;
  const fh = shared ? await shared : await fs.promises.open(f.full, REOPEN);
  try {
    let buffers = r.buffers;
    let position = r.offset;
    const small = r.end - r.offset <= SYNC_WRITE_MAX;
    for (;;) {
      const bytesWritten = small
        ? fs.writevSync(fh.fd, buffers, position)
        : (await fh.writev(buffers, position)).bytesWritten;
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
export async function closeHandle(f: FileTarget): Promise<void> {
  const pending = f.handle;
  if (!pending) return;
  f.handle = undefined;
  openHandles--;
  const fh = await pending.catch(() => undefined);
  await fh?.close();
}
