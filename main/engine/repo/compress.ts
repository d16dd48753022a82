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

let zstd: ZstdModule | null | undefined;
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
      : zlib.brotliCompressSync(plain, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: plain.length } });
  if (packed.length > plain.length * (1 - MIN_SAVING)) return { codec: Codec.None, data: plain };
  return { codec, data: packed };
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
