/**
 * Per-blob compression. zstd level 1 (zstd-napi) when installed: the best ratio per CPU second we measured,
 * and it gives up quickly on incompressible data. Node's built-in brotli at quality 1 is the fallback so a
 * repository can always be written and read without the native module. The codec is recorded per blob.
 */
import { createRequire } from 'node:module';
import zlib from 'node:zlib';

export const Codec = { None: 0, Zstd: 1, Brotli: 2 } as const;
export type Codec = (typeof Codec)[keyof typeof Codec];

/** Compression must save at least this share of the bytes to be kept; otherwise the blob is stored as is. */
const MIN_SAVING = 0.03;

interface ZstdModule {
  compress(data: Uint8Array, params?: { compressionLevel?: number }): Buffer;
  decompress(data: Uint8Array): Buffer;
}

/** The native binding under zstd-napi: compresses into a buffer we own, so a blob costs no allocation. */
interface ZstdBinding {
  CCtx: new () => {
    compress(dst: Uint8Array, src: Uint8Array, level: number): number;
    setParameter(param: number, value: number): void;
    /** [bytes left to flush, bytes written to dst, bytes taken from src] */
    compressStream2(dst: Uint8Array, src: Uint8Array, endOp: number): [number, number, number];
  };
  compressBound(size: number): number;
  CParameter: { compressionLevel: number };
  EndDirective: { continue: number; end: number };
}

let zstd: ZstdModule | null | undefined;
let binding: ZstdBinding | null | undefined;
function loadBinding(): ZstdBinding | null {
  if (binding !== undefined) return binding;
  try {
    const req = createRequire(typeof __filename === 'string' ? __filename : process.cwd() + '/');
    binding = req('zstd-napi/binding') as ZstdBinding;
  } catch {
    binding = null;
  }
  return binding;
}
function loadZstd(): ZstdModule | null {
  if (zstd !== undefined) return zstd;
  try {
    const req = createRequire(typeof __filename === 'string' ? __filename : process.cwd() + '/');
    zstd = req('zstd-napi') as ZstdModule;
  } catch {
    zstd = null;
  }
  return zstd;
}

export function preferredCodec(): Codec {
  if (process.env.LIFEBOAT_CODEC === 'brotli') return Codec.Brotli;
  return loadZstd() ? Codec.Zstd : Codec.Brotli;
}

export function compress(plain: Uint8Array, codec: Codec = preferredCodec()): { codec: Codec; data: Uint8Array } {
  if (codec === Codec.None || plain.length < 256) return { codec: Codec.None, data: plain };
  const packed =
    codec === Codec.Zstd
      ? loadZstd()!.compress(plain, { compressionLevel: 1 })
      : zlib.brotliCompressSync(plain, {
          params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: plain.length },
        });
  if (packed.length > plain.length * (1 - MIN_SAVING)) return { codec: Codec.None, data: plain };
  return { codec, data: packed };
}

let cctx: InstanceType<ZstdBinding['CCtx']> | undefined;
let scratch = Buffer.alloc(0);

/**
 * compress() for the backup's hot path: zstd output goes to a scratch buffer shared by the thread, so `data` is
 * valid only until the next call (the caller seals it into a pack at once). Same codecs and threshold as compress().
 */
export function compressTransient(
  plain: Uint8Array,
  codec: Codec = preferredCodec(),
): { codec: Codec; data: Uint8Array } {
  const b = codec === Codec.Zstd && plain.length >= 256 ? loadBinding() : null;
  if (!b) return compress(plain, codec);
  const bound = b.compressBound(plain.length);
  if (scratch.length < bound) scratch = Buffer.allocUnsafe(Math.max(bound, 1 << 18) + 4096);
  cctx ??= new b.CCtx();
  const n = cctx.compress(scratch, plain, 1);
  if (n > plain.length * (1 - MIN_SAVING)) return { codec: Codec.None, data: plain };
  return { codec, data: scratch.subarray(0, n) };
}

/**
 * compress() of bytes that `write` gives piece by piece (a manifest's JSON, which can pass a GiB): one zstd frame,
 * compressed as the pieces come, so the whole text is never in memory. Kept compressed even if that does not pay.
 */
export function compressPieces(write: (add: (piece: Uint8Array) => void) => void): { codec: Codec; data: Uint8Array } {
  const b = preferredCodec() === Codec.Zstd ? loadBinding() : null;
  if (!b) {
    const pieces: Uint8Array[] = [];
    write((piece) => pieces.push(piece));
    return compress(Buffer.concat(pieces));
  }
  const ctx = new b.CCtx();
  ctx.setParameter(b.CParameter.compressionLevel, 1);
  const out: Buffer[] = [];
  let dst = Buffer.allocUnsafe(1 << 20);
  let used = 0;
  const feed = (src: Uint8Array, end: boolean) => {
    for (;;) {
      if (used === dst.length) {
        out.push(dst);
        dst = Buffer.allocUnsafe(dst.length);
        used = 0;
      }
      const [left, written, taken] = ctx.compressStream2(
        dst.subarray(used),
        src,
        end ? b.EndDirective.end : b.EndDirective.continue,
      );
      used += written;
      src = src.subarray(taken);
      if (end ? left === 0 : src.length === 0) return;
    }
  };
  write((piece) => feed(piece, false));
  feed(new Uint8Array(0), true);
  out.push(dst.subarray(0, used));
  return { codec: Codec.Zstd, data: Buffer.concat(out) };
}

/**
 * Per-file memory of whether compression pays. Random data (media, archives, encrypted files) never compresses, yet
 * trying costs as much CPU as sealing it. After two chunks in a row that did not compress, the next chunks are
 * stored as is, probing again after 4, 8, … up to 64 chunks (~2 MiB), so a file whose content changes kind is
 * compressed again soon after. Only the CPU spent changes; any blob may have either codec.
 */
export class CompressionProbe {
  private misses = 0;
  private skip = 0;

  compress(plain: Uint8Array): { codec: Codec; data: Uint8Array } {
    if (this.skip > 0) {
      this.skip--;
      return { codec: Codec.None, data: plain };
    }
    const packed = compressTransient(plain);
    if (packed.codec !== Codec.None || plain.length < 256) this.misses = 0;
    else if (++this.misses >= 2) this.skip = Math.min(64, 2 ** this.misses);
    return packed;
  }
}

export function decompress(codec: Codec, data: Uint8Array): Uint8Array {
  switch (codec) {
    case Codec.None:
      return data;
    case Codec.Zstd: {
      const z = loadZstd();
      if (!z) throw new Error('This backup was compressed with zstd, but the zstd-napi module is not installed.');
      return z.decompress(data);
    }
    case Codec.Brotli:
      return zlib.brotliDecompressSync(data);
    default:
      throw new Error(`Unknown compression codec ${String(codec)}.`);
  }
}

/** The zstd binding's decompression context: writes into a buffer the caller owns. */
interface ZstdDecoder {
  decompress(dst: Uint8Array, src: Uint8Array): number;
}
let dctx: ZstdDecoder | undefined;

/**
 * decompress() into `out` (the restore's hot path): returns the bytes written. zstd goes straight into `out` through
 * the binding, so a chunk costs no allocation; data that would not fit in `out` throws, as damaged data should.
 */
export function decompressInto(codec: Codec, data: Uint8Array, out: Uint8Array): number {
  if (codec === Codec.Zstd) {
    const b = loadBinding() as (ZstdBinding & { DCtx?: new () => ZstdDecoder }) | null;
    if (b?.DCtx) {
      dctx ??= new b.DCtx();
      return dctx.decompress(out, data);
    }
  }
  const plain = decompress(codec, data);
  if (plain.length > out.length) throw new Error(`it decompresses to more than the ${out.length} bytes expected`);
  out.set(plain);
  return plain.length;
}
