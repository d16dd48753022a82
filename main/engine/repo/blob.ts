/**
 * A blob is one chunk as stored: compressed (when it pays) and sealed on its own, so a restore can fetch and
 * open a single chunk with a ranged read of its pack. These are pure functions on buffers and raw keys, so they
 * can run unchanged in a worker thread (see the task shapes in docs/repository-format.md).
 */
import { LifeboatError } from '../../shared/errors';
import { Codec, compress, decompress, decompressInto } from './compress';
import { chunkId, seal, unseal, SealError, type RepoKeys } from './crypto';

export interface SealedBlob {
  id: string;
  stored: Buffer;
  codec: Codec;
  rawLength: number;
}

/** The codec is part of the associated data: flipping the flag in a pack header is caught, not misread. */
export const blobAad = (id: string, codec: Codec) => `blob:${id}:${codec}`;

export function encodeBlob(keys: RepoKeys, plain: Uint8Array, knownId?: string, codec?: Codec): SealedBlob {
  const id = knownId ?? chunkId(keys, plain);
  const packed = compress(plain, codec);
  return {
    id,
    stored: seal(keys.dataKey, blobAad(id, packed.codec), packed.data),
    codec: packed.codec,
    rawLength: plain.length,
  };
}

/** Final: the account's data does not change by itself, so a job that stops on it would stop again. */
export class BlobDamagedError extends LifeboatError {
  constructor(
    readonly chunk: string,
    reason: string,
  ) {
    super(
      'damaged',
      `The chunk ${chunk.slice(0, 16)}… is damaged: ${reason}.`,
      'Run `lifeboat account check ACCOUNT` to list the files affected; restore the others (--path) or from another backup.',
      { final: true },
    );
    this.name = 'BlobDamagedError';
  }
}

/** Opens a blob and proves it is the chunk asked for by recomputing its id from the plaintext. */
export function decodeBlob(keys: RepoKeys, id: string, stored: Uint8Array, codec: Codec, rawLength: number): Buffer {
  let plain: Uint8Array;
  try {
    plain = decompress(codec, unseal(keys.dataKey, blobAad(id, codec), stored));
  } catch (err) {
    throw new BlobDamagedError(id, err instanceof SealError ? 'it failed authentication' : (err as Error).message);
  }
  if (plain.length !== rawLength)
    throw new BlobDamagedError(id, `it has ${plain.length} bytes instead of ${rawLength}`);
  if (chunkId(keys, plain) !== id) throw new BlobDamagedError(id, 'its content does not match its id');
  return Buffer.from(plain.buffer, plain.byteOffset, plain.length);
}

/**
 * decodeBlob() into `out`, which must be exactly `rawLength` bytes (a slice of the restore's write buffers): the
 * plaintext is never a buffer of its own, so a restore does not leave one dead buffer per chunk for the GC.
 * Same checks and errors as decodeBlob().
 */
export function decodeBlobInto(
  keys: RepoKeys,
  id: string,
  stored: Uint8Array,
  codec: Codec,
  rawLength: number,
  out: Buffer,
): void {
  let length: number;
  try {
    const opened = unseal(keys.dataKey, blobAad(id, codec), stored);
    if (codec === Codec.None) {
      length = opened.length;
      if (length === rawLength) out.set(opened);
    } else length = decompressInto(codec, opened, out);
  } catch (err) {
    throw new BlobDamagedError(id, err instanceof SealError ? 'it failed authentication' : (err as Error).message);
  }
  if (length !== rawLength) throw new BlobDamagedError(id, `it has ${length} bytes instead of ${rawLength}`);
  if (chunkId(keys, out) !== id) throw new BlobDamagedError(id, 'its content does not match its id');
}
