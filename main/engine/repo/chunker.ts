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
  if (!(params.min > 64 && params.min <= params.avg && params.avg <= params.max))
    throw new Error('Chunker sizes must satisfy 64 < min ≤ avg ≤ max.');
  const bytes = Buffer.alloc(1024);
  for (let i = 0; i < 32; i++)
    crypto
      .createHmac('sha256', seed)
      .update(`gear-${i}`)
      .digest()
      .copy(bytes, i * 32);
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
  const compiled = compiledCuts.get(buf.buffer);
  if (compiled?.gear === gear) return compiled.cut(buf.byteOffset + start, buf.byteOffset + end) - buf.byteOffset;
  return findCutJs(gear, buf, start, end);
}

/** findCut in JavaScript: the definition, and the fallback for buffers outside WebAssembly memory. */
export function findCutJs(gear: Gear, buf: Uint8Array, start: number, end: number): number {
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

/** The WebAssembly opcodes the cut loop uses, by their names in the text format. */
const OP = {
  ...{ block: 0x02, loop: 0x03, if: 0x04, end: 0x0b, br: 0x0c, br_if: 0x0d, return: 0x0f, select: 0x1b },
  ...{ local_get: 0x20, local_set: 0x21, local_tee: 0x22, i32_load: 0x28, i32_load8_u: 0x2d, i32_const: 0x41 },
  ...{
    i32_eqz: 0x45,
    i32_lt_u: 0x49,
    i32_gt_u: 0x4b,
    i32_le_s: 0x4c,
    i32_add: 0x6a,
    i32_sub: 0x6b,
    i32_and: 0x71,
    i32_shl: 0x74,
  },
  /** Block type of a block, loop or if that leaves nothing on the stack. */
  void: 0x40,
} as const;

/**
 * findCutJs compiled to WebAssembly, hand-assembled (no toolchain, no native module), its loop unrolled: it runs four
 * to five times as fast as the JavaScript (~2.7 GB/s against ~0.55 on this project's VM), as it needs no bounds checks
 * and no JIT guards. Cuts are identical (test/unit/repo-chunker.test.ts).
 * Export `cut(start, end, min, avg, max, maskSmall, maskLarge)`; the gear table is the first 1 KiB of the
 * imported memory and positions are offsets in it.
 *
 * Listing of the function body, one line per opcode group in the order emitted (locals: params start 0, end 1, min 2,
 * avg 3, max 4, maskSmall 5, maskLarge 6; then h 7, i 8, limit 9, normal 10):
 *   local.get 1; local.get 0; local.get 4; i32.add; (those 4 again); i32.lt_u; select; local.set 9  limit = min(end, start + max)
 *   local.get 9; local.get 0; i32.sub; local.get 2; i32.le_s; if; local.get 9; return; end   short: the rest is one chunk
 *   local.get 0; local.get 2; i32.add; local.set 8                                           i = start + min
 *   local.get 9; local.get 0; local.get 3; i32.add; (those 4 again); i32.lt_u; select; local.set 10 normal = min(limit, start + avg)
 *   four loops, in turn (normal, maskSmall, 8 bytes a turn), (normal, maskSmall, 1), (limit, maskLarge, 8), (limit, maskLarge, 1):
 *     block; loop                                                                            while (true) {
 *       local.get 8; i32.const n; i32.add; local.get bound; i32.gt_u; br_if 1                  if (i + n > bound) break
 *       for each byte k < n:
 *         local.get 7; i32.const 1; i32.shl                                                      h << 1
 *         local.get 8; i32.load8_u offset=k; i32.const 2; i32.shl; i32.load                      table[buf[i + k]] (4 bytes an entry)
 *         i32.add; local.tee 7                                                                   h = (h << 1) + table[…]
 *         local.get mask; i32.and; i32.eqz; if; local.get 8; i32.const k+1; i32.add; return; end if ((h & mask) == 0) return i + k + 1
 *       local.get 8; i32.const n; i32.add; local.set 8; br 0; end; end                         i += n }
 *   local.get 9; end                                                                         return limit
 */
function cutModuleBytes(): Uint8Array<ArrayBuffer> {
  const get = (n: number) => [OP.local_get, n];
  const set = (n: number) => [OP.local_set, n];
  const tee = (n: number) => [OP.local_tee, n];
  // Every constant used is below 64, so its signed LEB128 is the one byte.
  const i32 = (n: number) => [OP.i32_const, n];
  const {
    i32_add: ADD,
    i32_sub: SUB,
    i32_shl: SHL,
    i32_and: AND,
    i32_eqz: EQZ,
    i32_lt_u: LT_U,
    i32_gt_u: GT_U,
    i32_le_s: LE_S,
  } = OP;
  const { if: IF, end: END, return: RETURN, void: VOID } = OP;
  // One byte at i + k: h = (h << 1) + table[buf[i + k]]; if ((h & mask) == 0) return i + k + 1. The byte's load
  // takes k as its offset (memarg: align 0, offset k), so an unrolled run of them needs no index arithmetic.
  const byte = (k: number, mask: number) => [
    ...get(7),
    ...i32(1),
    SHL, // h << 1
    ...get(8),
    OP.i32_load8_u,
    0,
    k,
    ...i32(2),
    SHL,
    OP.i32_load,
    2,
    0, // table[buf[i + k]] (memarg: align 2, offset 0)
    ADD,
    ...tee(7), // h = …, kept on the stack
    ...get(mask),
    AND,
    EQZ,
    IF,
    VOID,
    ...get(8),
    ...i32(k + 1),
    ADD,
    RETURN,
    END, // if ((h & mask) == 0) return i + k + 1
  ];
  // while (i + n <= bound) { n bytes; i += n }: with n = UNROLL the loop's test and increment run once per n bytes
  // (one and a half times as fast as byte by byte); then n = 1 for the rest.
  const loop = (bound: number, mask: number, n: number) => [
    ...[OP.block, VOID, OP.loop, VOID], // block { loop {
    ...get(8),
    ...i32(n),
    ADD,
    ...get(bound),
    GT_U,
    OP.br_if,
    1, // if (i + n > bound) break
    ...Array.from({ length: n }, (_, k) => byte(k, mask)).flat(),
    ...get(8),
    ...i32(n),
    ADD,
    ...set(8),
    OP.br,
    0,
    END,
    END, // i += n; continue } }
  ];
  const UNROLL = 8;
  const minOf = (a: number, b: number[]) => [...get(a), ...b, ...get(a), ...b, LT_U, OP.select]; // a < b ? a : b
  const body = [
    ...[1, 4, 0x7f], // four i32 locals
    ...minOf(1, [...get(0), ...get(4), ADD]),
    ...set(9), // limit = min(end, start + max)
    ...get(9),
    ...get(0),
    SUB,
    ...get(2),
    LE_S,
    IF,
    VOID,
    ...get(9),
    RETURN,
    END, // short: the rest is one chunk
    ...get(0),
    ...get(2),
    ADD,
    ...set(8), // i = start + min
    ...minOf(9, [...get(0), ...get(3), ADD]),
    ...set(10), // normal = min(limit, start + avg)
    ...loop(10, 5, UNROLL),
    ...loop(10, 5, 1),
    ...loop(9, 6, UNROLL),
    ...loop(9, 6, 1),
    ...get(9),
    END, // return limit
  ];
  const leb = (n: number) => {
    const out: number[] = [];
    do {
      const b = n & 0x7f;
      n >>>= 7;
      out.push(n ? b | 0x80 : b);
    } while (n);
    return out;
  };
  const section = (id: number, bytes: number[]) => [id, ...leb(bytes.length), ...bytes];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, [1, 0x60, 7, ...Array(7).fill(0x7f), 1, 0x7f]), // type: (i32 ×7) -> i32
    ...section(2, [1, 1, 0x6d, 3, 0x6d, 0x65, 0x6d, 0x02, 0x00, 1]), // import m.mem: memory, at least 1 page
    ...section(3, [1, 0]),
    ...section(7, [1, 3, 0x63, 0x75, 0x74, 0x00, 0]), // export "cut"
    ...section(10, [1, ...leb(body.length), ...body]),
  ]);
}

let cutModule: WebAssembly.Module | null | undefined;
const compiledCuts = new WeakMap<ArrayBufferLike, { gear: Gear; cut: (start: number, end: number) => number }>();
const TABLE_BYTES = 1024;

/**
 * A read window for contentChunks, in a WebAssembly memory of its own holding the gear table, so findCut runs the
 * compiled loop on it in place; a plain buffer where WebAssembly is unavailable. One per reader, reused file to file.
 */
export function newWindow(gear: Gear): Buffer {
  const size = windowSize(gear);
  if (cutModule === undefined) {
    try {
      cutModule = new WebAssembly.Module(cutModuleBytes());
    } catch {
      cutModule = null;
    }
  }
  if (!cutModule) return Buffer.allocUnsafe(size);
  const pages = Math.ceil((TABLE_BYTES + size) / 65536);
  const mem = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const cut = (new WebAssembly.Instance(cutModule, { m: { mem } }).exports as { cut: (...a: number[]) => number }).cut;
  new Int32Array(mem.buffer, 0, 256).set(gear.table);
  const { min, avg, max } = gear.params;
  compiledCuts.set(mem.buffer, {
    gear,
    cut: (start, end) => cut(start, end, min, avg, max, gear.maskSmall, gear.maskLarge),
  });
  return Buffer.from(mem.buffer, TABLE_BYTES, size);
}

/** What contentChunks reads from: an open FileHandle, or a descriptor read synchronously (backup.ts, small files). */
export interface ChunkSource {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

/**
 * Content-defined chunks of an open file (or of its bytes [from, to)), read through one window buffer (`scratch`, reused from file to file by
 * the caller, or allocated here). Each yielded chunk is a view of that window, valid only until the next chunk is
 * requested: consumers hash, compress and seal it before asking for more, so nothing is copied and a backup's
 * read buffers stay at one window per reader whatever the file sizes.
 */
export async function* contentChunks(
  fh: ChunkSource,
  gear: Gear,
  signal?: AbortSignal,
  scratch?: Buffer,
  from = 0,
  to = Infinity,
): AsyncGenerator<Buffer> {
  const max = gear.params.max;
  const buf = scratch && scratch.length >= 2 * max ? scratch : newWindow(gear);
  let start = 0;
  let len = 0;
  let pos = from; // [from, to): one data extent of a sparse file; the whole file by default
  let eof = false;
  for (;;) {
    if (!eof && len - start < max) {
      signal?.throwIfAborted();
      buf.copyWithin(0, start, len);
      len -= start;
      start = 0;
      while (len < buf.length) {
        const want = Math.min(buf.length - len, to - pos);
        if (want <= 0) {
          eof = true;
          break;
        }
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
