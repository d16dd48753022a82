/**
 * Finding and sending the changed blocks of a disk image. The engine keeps, per disk, a map of 16-byte checksums of
 * its 64 KiB blocks as of the last point (replication/block-hash.ts). A cycle asks the kernel where the data is
 * (SEEK_DATA/SEEK_HOLE: holes are never read), hashes the data blocks in a worker thread, a run of up to 64 blocks
 * per task so memory stays bounded, and sends only the blocks whose checksum changed; a block that became a hole is
 * sent as zeros. The map of a 1 GiB disk is 256 KiB. With a `limit`, the scan stops as soon as the changed bytes pass
 * it (the 50% rule of replication/stage.ts), before it sends more than that. An item's first copy into a site on this
 * machine is written by the workers themselves, straight from their read buffer into the copy's file at the site
 * (`writeTo`, sites/first-copy.ts): one read and one write per run, no block crossing threads.
 */
import { getMaxListeners, setMaxListeners } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { blocksTouched, type DataExtent } from '../repo/sparse';
import type { SiteAgent, SiteItemRef } from '../sites/agent';
import { BLOCK_SIZE, blockHash, HASH_BYTES, ZERO_HASH, type BlockAlgo } from './block-hash';

/** Hashes a run of a disk's blocks (in a worker, wherever the disk is: replication/source-side.ts). */
export type HashRunner = (run: Omit<HashBlocksTask, 'op' | 'path'>, signal: AbortSignal) => Promise<HashBlocksResult>;

const RUN = 64;
const AHEAD = 4;
/** Runs in flight when the workers write a first copy themselves: nothing but checksums comes back, so memory stays small. */
const AHEAD_WRITING = 32;

export interface HashBlocksTask {
  op: 'replica-hash';
  path: string;
  size: number;
  first: number;
  count: number;
  /** The previous checksums of these blocks. */
  old: Uint8Array;
  /** Only the checksums: no block data comes back (a side's checksums, for a comparison). */
  hashOnly?: boolean;
  /**
   * A file on this machine (a first copy at a local site) to write the changed data blocks into, at their offsets,
   * instead of returning them. A hasher that runs elsewhere ignores it: the blocks then come back in `changed`.
   */
  writeTo?: string;
  /** The checksum function (replication/block-hash.ts); SHA-256 when not given. */
  algo?: BlockAlgo;
  /**
   * A site agent's read (sites/agent-source-calls.ts): `path` is opened following no link as its last component and
   * not waiting on a FIFO, and must be a regular file whose real path is under `root` (real, not the root itself) and
   * neither in nor holding `stateDir` (real), or the task fails without reading.
   */
  confinedTo?: { root: string; stateDir: string };
}

const inside = (parent: string, p: string) => {
  const rel = path.relative(parent, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/** Opens a task's file; with `confinedTo`, checks the open handle itself (see HashBlocksTask). */
function openSource(task: HashBlocksTask): number {
  const c = task.confinedTo;
  if (!c) return fs.openSync(task.path, 'r');
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  const fd = fs.openSync(task.path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  try {
    const real = fs.realpathSync(`/proc/self/fd/${fd}`);
    if (!fs.fstatSync(fd).isFile())
      throw new Error(`${task.path} is not a regular file (a FIFO, socket, device or folder).`);
    if (!inside(c.root, real) || real === c.root || inside(c.stateDir, real) || inside(real, c.stateDir))
      throw new Error(`${task.path} is not a disk under the agent's root ${c.root}.`);
    return fd;
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

export interface HashBlocksResult {
  hashes: Uint8Array;
  /** Blocks whose checksum changed, with their data (null: now all zeros). */
  changed: { index: number; data: Uint8Array | null }[];
  /** Changed data blocks written to `writeTo` (not in `changed`). */
  written?: number[];
  bytesRead: number;
  /** The function the checksums were made with, when it is not SHA-256 (a hasher that knows only SHA-256 says nothing). */
  algo?: BlockAlgo;
}

/**
 * Read, hashed and written in pieces of this size, each while it is in the CPU's cache: with a buffer of a whole run
 * (4 MiB) the kernel's copies in and out cost 3-5 times the system time here (docs/replication.md, "The first copy").
 */
const PIECE = 2 * BLOCK_SIZE;

/** Runs in a worker thread: reads a run of blocks piece by piece, hashes each block, returns (or writes) the changed ones. */
export function runHashBlocks(task: HashBlocksTask): HashBlocksResult {
  const start = task.first * BLOCK_SIZE;
  const length = Math.max(0, Math.min(task.count * BLOCK_SIZE, task.size - start));
  const buf = Buffer.allocUnsafe(PIECE);
  const hashes = new Uint8Array(task.count * HASH_BYTES);
  const changed: HashBlocksResult['changed'] = [];
  const written: number[] = [];
  const old = Buffer.from(task.old.buffer, task.old.byteOffset, task.old.byteLength);
  const compare = (i: number, h: Buffer, block: Buffer): boolean => {
    hashes.set(h, i * HASH_BYTES);
    if (task.hashOnly || h.equals(old.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES))) return false;
    if (task.writeTo && !h.equals(ZERO_HASH)) return true;
    changed.push({ index: task.first + i, data: h.equals(ZERO_HASH) ? null : new Uint8Array(block) });
    return false;
  };
  const fd = openSource(task);
  const out = task.writeTo ? fs.openSync(task.writeTo, 'r+') : null;
  let bytesRead = 0;
  try {
    for (let at = 0; at < length; at += PIECE) {
      const want = Math.min(PIECE, length - at);
      let got = 0;
      while (got < want) {
        const n = fs.readSync(fd, buf, got, want - got, start + at + got);
        if (n === 0) break; // the file shrank meanwhile: the cycle's second stat sees it and starts again
        got += n;
      }
      bytesRead += got;
      buf.fill(0, got, want);
      // Changed data blocks of this piece that go to `writeTo`: adjacent ones in one write.
      let from = -1;
      const flush = (end: number) => {
        if (from >= 0 && out !== null)
          for (let done = 0; done < end - from;)
            done += fs.writeSync(out, buf, from + done, end - from - done, start + at + from + done);
        from = -1;
      };
      for (let off = 0; off < want; off += BLOCK_SIZE) {
        const i = (at + off) / BLOCK_SIZE;
        const block = buf.subarray(off, Math.min(want, off + BLOCK_SIZE));
        if (compare(i, blockHash(block, task.algo), block)) {
          if (from < 0) from = off;
          written.push(i);
        } else flush(off);
      }
      flush(want);
    }
  } finally {
    fs.closeSync(fd);
    if (out !== null) fs.closeSync(out);
  }
  // Blocks of the run past the end of a disk that shrank: zeros.
  for (let i = Math.ceil(length / BLOCK_SIZE); i < task.count; i++) compare(i, ZERO_HASH, Buffer.alloc(0));
  const algo = task.algo && task.algo !== 'sha256' ? { algo: task.algo } : {};
  return {
    hashes,
    changed,
    bytesRead,
    ...algo,
    ...(task.writeTo ? { written: written.map((i) => task.first + i) } : {}),
  };
}

export interface DiskScanResult {
  map: Buffer;
  blocksScanned: number;
  blocksSent: number;
  bytesSent: number;
  bytesRead: number;
  /** The changed bytes passed `limit`: the scan stopped there and its map is incomplete. */
  overLimit: boolean;
}

export interface ScanOptions {
  /** Stop once more bytes than this changed. */
  limit?: number;
  /** Told the bytes of every run of changed blocks (data and zeros), as they are found. */
  onChanged?: (bytes: number) => void;
  /** The disk's first copy at a site on this machine: the workers write changed data blocks into it (never with `limit`). */
  writeTo?: string;
  /** Called once, after the first blocks reached the first copy (a crash test holds the cycle there). */
  midCopy?: () => Promise<void>;
  /** The checksum function of the map (that of `oldMap` too); SHA-256 when not given. */
  algo?: BlockAlgo;
}

/** Consecutive data blocks in runs of at most RUN: one worker task each, so memory stays bounded. */
function* runsOf(touched: number[]): Generator<{ first: number; count: number }> {
  for (let k = 0; k < touched.length;) {
    const first = touched[k];
    let count = 1;
    while (k + count < touched.length && touched[k + count] === first + count && count < RUN) count++;
    k += count;
    yield { first, count };
  }
}

/** Reads a map file; a missing one is all zeros (a fresh replica is a sparse file of zeros). */
export async function readMap(file: string): Promise<Buffer> {
  return fsp.readFile(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return Buffer.alloc(0);
    throw err;
  });
}

/** Hashes `image` (of `size` bytes) against `oldMap` and stages the changed blocks at the site. */
export async function scanDisk(
  deps: { agent: SiteAgent; hash: HashRunner },
  at: { item: SiteItemRef; cycleId: string; disk: string },
  disk: { size: number; extents: DataExtent[] },
  oldMap: Buffer,
  signal: AbortSignal,
  opts: ScanOptions = {},
): Promise<DiskScanResult> {
  const { size, extents } = disk;
  const blocks = Math.ceil(size / BLOCK_SIZE);
  const map = Buffer.alloc(blocks * HASH_BYTES);
  const oldHash = (i: number) =>
    i * HASH_BYTES < oldMap.length ? oldMap.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES) : ZERO_HASH;
  const out: DiskScanResult = { map, blocksScanned: 0, blocksSent: 0, bytesSent: 0, bytesRead: 0, overLimit: false };
  let changed = 0;
  const found = (writes: { length: number }[]) => {
    const bytes = writes.reduce((n, w) => n + w.length, 0);
    changed += bytes;
    opts.onChanged?.(bytes);
    return opts.limit !== undefined && changed > opts.limit;
  };
  const lengthOf = (i: number) => Math.min(BLOCK_SIZE, size - i * BLOCK_SIZE);
  const touched = blocksTouched(extents, BLOCK_SIZE, size);
  const isData = new Uint8Array(blocks);
  for (const b of touched) isData[b] = 1;
  // Blocks that are holes now but held data at the last point become zeros at the site.
  const zeros = [];
  for (let i = 0; i < blocks; i++)
    if (!isData[i] && !oldHash(i).equals(ZERO_HASH))
      zeros.push({ offset: i * BLOCK_SIZE, length: lengthOf(i), data: null });
  if (zeros.length && found(zeros)) return { ...out, overLimit: true };
  if (zeros.length) {
    await deps.agent.writeBlocks(at.item, at.cycleId, at.disk, zeros);
    out.blocksSent += zeros.length;
  }
  const hashRun = ({ first, count }: { first: number; count: number }) => {
    const old = Buffer.alloc(count * HASH_BYTES);
    for (let i = 0; i < count; i++) oldHash(first + i).copy(old, i * HASH_BYTES);
    const extra = {
      ...(opts.writeTo && opts.limit === undefined ? { writeTo: opts.writeTo } : {}),
      ...(opts.algo ? { algo: opts.algo } : {}),
    };
    const p = deps.hash({ size, first, count, old, ...extra }, signal).then((r) => {
      // A hasher that knows only SHA-256 (a source read at an agent) cannot extend a map of another function.
      if ((r.algo ?? 'sha256') !== (opts.algo ?? 'sha256'))
        throw new Error(`the block checksums came as ${r.algo ?? 'sha256'}, not ${opts.algo}`);
      return r;
    });
    p.catch(() => undefined); // awaited below, unless the scan ends first
    return p;
  };
  // Up to AHEAD runs are read and hashed while earlier ones' changed blocks are sent: the workers and the site work
  // at once, and at most AHEAD runs (of at most 4 MiB) are in memory. Workers that write the blocks themselves get
  // more, so that they never wait for this thread between two runs.
  const depth = opts.writeTo && opts.limit === undefined ? AHEAD_WRITING : AHEAD;
  const runs = [...runsOf(touched)];
  // Each run in flight listens to the signal (the pool cancels it on abort): not a leak, so no warning for it.
  if (getMaxListeners(signal) < depth + 10) setMaxListeners(depth + 10, signal);
  const ahead = runs.slice(0, depth).map(hashRun);
  let held = !opts.midCopy;
  try {
    for (const [k, { first, count }] of runs.entries()) {
      const r = await ahead.shift()!;
      if (k + depth < runs.length) ahead.push(hashRun(runs[k + depth]));
      Buffer.from(r.hashes.buffer, r.hashes.byteOffset, r.hashes.byteLength).copy(map, first * HASH_BYTES);
      out.blocksScanned += count;
      out.bytesRead += r.bytesRead;
      if (r.written?.length) {
        const bytes = r.written.reduce((n, i) => n + lengthOf(i), 0);
        found([{ length: bytes }]);
        out.blocksSent += r.written.length;
        out.bytesSent += bytes;
        if (!held) {
          held = true;
          await opts.midCopy!();
        }
      }
      if (!r.changed.length) continue;
      const writes = r.changed.map((c) => ({
        offset: c.index * BLOCK_SIZE,
        length: lengthOf(c.index),
        data: c.data ? Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength) : null,
      }));
      if (found(writes)) return { ...out, overLimit: true };
      await deps.agent.writeBlocks(at.item, at.cycleId, at.disk, writes);
      out.blocksSent += writes.length;
      out.bytesSent += writes.reduce((n, w) => n + (w.data ? w.length : 0), 0);
    }
  } finally {
    // No worker goes on writing into a first copy after the scan ended (by an error, the limit, or an abort).
    await Promise.allSettled(ahead);
  }
  return out;
}

/** The checksums of every block of a disk (holes are zeros, never read), hashed in runs as a scan does: one side of a comparison. */
export async function checksumDisk(
  hash: HashRunner,
  disk: { size: number; extents: DataExtent[] },
  signal: AbortSignal,
): Promise<Buffer> {
  const blocks = Math.ceil(disk.size / BLOCK_SIZE);
  const map = Buffer.alloc(blocks * HASH_BYTES);
  const touched = blocksTouched(disk.extents, BLOCK_SIZE, disk.size);
  for (const { first, count } of runsOf(touched)) {
    const r = await hash(
      { size: disk.size, first, count, old: Buffer.alloc(count * HASH_BYTES), hashOnly: true },
      signal,
    );
    Buffer.from(r.hashes.buffer, r.hashes.byteOffset, r.hashes.byteLength).copy(map, first * HASH_BYTES);
  }
  return map;
}
