/**
 * Splitting files into chunks.
 * - Shares (directory trees): content-defined chunking with a gear rolling hash (FastCDC with normalized chunk
 *   sizes), so an insertion shifts only the chunks around it. The gear table is derived from the SDEK, so chunk
 *   boundaries (and thus sizes seen by the storage provider) do not fingerprint known files.
 * - Volumes (image files): fixed-size, aligned blocks, so two backups of a volume compare block by block by offset
 *   without reading data (replication's resync and reprotect need exactly that), and holes map to whole blocks.
 * Sizes: see ChunkerParams defaults and docs/repository-format.md for the measurement behind them.
 */
import crypto from 'node:crypto';
import type fs from 'node:fs';

export interface ChunkerParams {
  min: number;
  avg: number;
  max: number;
}

/** Default content-defined sizes: small enough that a scattered 64 KiB edit adds < 2.5x its size (see docs). */
export const DEFAULT_CDC: ChunkerParams = { min: 8 << 10, avg: 24 << 10, max: 256 << 10 };
/** Default volume block: 64 KiB keeps a 64 KiB unaligned edit to two blocks and the block map small enough. */
export const DEFAULT_IMAGE_BLOCK = 64 << 10;

export interface Gear {
  table: Int32Array;
  maskSmall: number;
  maskLarge: number;
  params: ChunkerParams;
}

/** 256 pseudo-random 32-bit values from the seed; the masks take the hash's top bits, which mix the most bytes. */
export function makeGear(seed: Buffer, params: ChunkerParams = DEFAULT_CDC): Gear {
  if (!(params.min > 64 && params.min <= params.avg && params.avg <= params.max)) throw new Error('Chunker sizes must satisfy 64 < min ≤ avg ≤ max.');
  const bytes = Buffer.alloc(1024);
  for (let i = 0; i < 32; i++) crypto.createHmac('sha256', seed).update(`gear-${i}`).digest().copy(bytes, i * 32);
  const table = new Int32Array(256);
  for (let i = 0; i < 256; i++) table[i] = bytes.readInt32LE(i * 4);
  const bits = Math.round(Math.log2(params.avg));
  const top = (n: number) => (n >= 32 ? -1 : ((2 ** n - 1) * 2 ** (32 - n)) | 0);
  // Normalized chunking: a stricter mask before the average size and a looser one after it narrows the spread.
  return { table, maskSmall: top(bits + 2), maskLarge: top(bits - 2), params };
}

/**
 * Where the chunk that starts at `start` ends. The caller passes at least `max` bytes after start, or all that is
 * left of the file. Hot loop: int32 arithmetic only, no allocation.
 */
export function findCut(gear: Gear, buf: Uint8Array, start: number, end: number): number {
  const { min, avg, max } = gear.params;
  const limit = Math.min(end, start + max);
  if (limit - start <= min) return limit;
  const table = gear.table;
  const ms = gear.maskSmall;
  const ml = gear.maskLarge;
  let h = 0;
  let i = start + min;
  const normal = Math.min(limit, start + avg);
  for (; i < normal; i++) {
    h = ((h << 1) + table[buf[i]]) | 0;
    if ((h & ms) === 0) return i + 1;
  }
  for (; i < limit; i++) {
    h = ((h << 1) + table[buf[i]]) | 0;
    if ((h & ml) === 0) return i + 1;
  }
  return limit;
}

/** The read window: several maximum chunks, so a refill moves at most one partial chunk to the front. */
export const windowSize = (gear: Gear) => Math.max(1 << 20, 4 * gear.params.max);

/**
 * Content-defined chunks of an open file, read through one window buffer (`scratch`, reused from file to file by
 * the caller, or allocated here). Each yielded chunk is a view of that window, valid only until the next chunk is
 * requested: consumers hash, compress and seal it before asking for more, so nothing is copied and a backup's
 * read buffers stay at one window per reader whatever the file sizes.
 */
export async function* contentChunks(fh: fs.promises.FileHandle, gear: Gear, signal?: AbortSignal, scratch?: Buffer): AsyncGenerator<Buffer> {
  const max = gear.params.max;
  const buf = scratch && scratch.length >= 2 * max ? scratch : Buffer.allocUnsafe(windowSize(gear));
  let start = 0;
  let len = 0;
  let pos = 0;
  let eof = false;
  for (;;) {
    if (!eof && len - start < max) {
      signal?.throwIfAborted();
      buf.copyWithin(0, start, len);
      len -= start;
      start = 0;
      while (len < buf.length) {
        const want = buf.length - len;
        const { bytesRead } = await fh.read(buf, len, want, pos);
        len += bytesRead;
        pos += bytesRead;
        // A regular file reads short only at its end: no second read just to see zero bytes.
        if (bytesRead < want) {
          eof = true;
          break;
        }
      }
    }
    if (start >= len) return;
    while (start < len && (eof || len - start >= max)) {
      const cut = findCut(gear, buf, start, len);
      yield buf.subarray(start, cut);
      start = cut;
    }
  }
}

const ZEROS = Buffer.alloc(1 << 20);

/** True when every byte is zero; memcmp against a zero buffer is far faster than a JS loop. */
export function isZero(buf: Uint8Array): boolean {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  for (let off = 0; off < b.length; off += ZEROS.length) {
    const n = Math.min(ZEROS.length, b.length - off);
    if (!b.subarray(off, off + n).equals(ZEROS.subarray(0, n))) return false;
  }
  return true;
}
