/**
 * Packs: many blobs in one object, so an object store sees ~16 MiB uploads instead of millions of small ones.
 * Layout: [blob]...[blob][sealed header][u32 LE header length]["LBP1"]. The header lists every blob, so a pack
 * describes itself and the index can be rebuilt from packs alone. Format 2 names a pack by 256 random bits: each blob
 * and the header carry a GCM tag, which is what `check --read-data` verifies. Format 1 named it by the SHA-256 of its
 * bytes, a second pass over every byte (0.7 s of CPU a GiB here); its accounts are still written that way.
 */
import crypto from 'node:crypto';
import { blobAad, type SealedBlob } from './blob';
import type { Codec } from './compress';
import { randomId, SEAL_OVERHEAD, sealInto, sha256Hex, unseal, type RepoKeys } from './crypto';

export const PACK_TARGET = 16 << 20;
const MAGIC = Buffer.from('LBP1');
export const TRAILER = 8;
const ENTRY = 32 + 4 + 4 + 4 + 1;
const HEADER_AAD = 'pack-header';

export interface PackEntry {
  id: string;
  offset: number;
  length: number;
  rawLength: number;
  codec: Codec;
}

export const packObjectName = (hash: string) => `data/${hash.slice(0, 2)}/${hash}`;
export const packHashOf = (name: string) => name.slice(name.lastIndexOf('/') + 1);

/** A new pack's name (64 hex digits either way): random (format 2), or the SHA-256 of its bytes (format 1). */
const namedByContent = (keys: Pick<RepoKeys, 'format'>) => keys.format < 2;

/**
 * Whether a whole pack's bytes still match its name: the SHA-256 check of format 1's packs. Undefined for format 2,
 * whose names say nothing about content: there each blob's tag is the check (openBlobs).
 */
export function packMatchesName(keys: Pick<RepoKeys, 'format'>, hash: string, bytes: Uint8Array): boolean | undefined {
  return namedByContent(keys) ? sha256Hex(bytes) === hash : undefined;
}

/** Whether `blobs` of a whole pack can be copied as they are: its name matches (format 1), or each blob's tag does (format 2). */
export function packBlobsIntact(keys: RepoKeys, hash: string, bytes: Buffer, blobs: PackEntry[]): boolean {
  const named = packMatchesName(keys, hash, bytes);
  if (named !== undefined) return named;
  try {
    for (const e of blobs) unseal(keys.dataKey, blobAad(e.id, e.codec), bytes.subarray(e.offset, e.offset + e.length));
    return true;
  } catch {
    return false;
  }
}

export function encodeEntries(entries: PackEntry[]): Buffer {
  const out = Buffer.allocUnsafe(entries.length * ENTRY);
  let o = 0;
  for (const e of entries) {
    out.write(e.id, o, 32, 'hex');
    out.writeUInt32LE(e.offset, o + 32);
    out.writeUInt32LE(e.length, o + 36);
    out.writeUInt32LE(e.rawLength, o + 40);
    out.writeUInt8(e.codec, o + 44);
    o += ENTRY;
  }
  return out;
}

export function decodeEntries(buf: Buffer, at = 0, count = Math.floor((buf.length - at) / ENTRY)): PackEntry[] {
  const out: PackEntry[] = [];
  for (let i = 0, o = at; i < count; i++, o += ENTRY)
    out.push({
      id: buf.toString('hex', o, o + 32),
      offset: buf.readUInt32LE(o + 32),
      length: buf.readUInt32LE(o + 36),
      rawLength: buf.readUInt32LE(o + 40),
      codec: buf.readUInt8(o + 44) as Codec,
    });
  return out;
}
export const ENTRY_SIZE = ENTRY;

/**
 * Builds a pack in a buffer: blobs are sealed straight into it and the header appended at the end, so a pack costs
 * no per-blob parts list and no final concatenation. A writer hands the same buffers round, which keeps memory flat
 * whatever the backup's size. The buffer may hold the whole pack (object stores take it in one upload) or, with
 * drain(), only the part not yet written (a local account appends the pieces to the pack's file as it fills); the
 * SHA-256 that names the pack is taken piece by piece, so both give the same pack bytes and name.
 */
export class PackBuilder {
  readonly entries: PackEntry[] = [];
  /** Bytes of the pack so far (drained ones included): the offset of the next blob. */
  size = 0;
  private buf: Buffer;
  /** Pack offset of buf[0]: everything before it was drained. */
  private base = 0;
  /** The SHA-256 taken piece by piece when the pack is named by it (format 1). */
  private readonly hash: crypto.Hash | undefined;

  /**
   * `buffer` is reused scratch space (its old bytes are ignored); without one, a buffer is allocated as needed.
   * `keys.format` says how the pack is named.
   */
  constructor(buffer: Buffer | undefined, keys: Pick<RepoKeys, 'format'>) {
    this.buf = buffer ?? Buffer.allocUnsafe(0);
    if (namedByContent(keys)) this.hash = crypto.createHash('sha256');
  }

  /** The buffer the pack is being built in (hand it to the next builder once its bytes are written or uploaded). */
  get buffer(): Buffer {
    return this.buf;
  }

  get count(): number {
    return this.entries.length;
  }

  /** Bytes held in the buffer, not drained yet. */
  get buffered(): number {
    return this.size - this.base;
  }

  /** True when a blob of `stored` bytes and the finished header still fit in the current buffer. */
  fits(stored: number): boolean {
    return this.buffered + stored + this.tail(1) <= this.buf.length;
  }

  /** The sealed header and trailer, with `more` entries beyond the current ones. */
  private tail(more: number): number {
    return SEAL_OVERHEAD + (this.entries.length + more) * ENTRY + TRAILER;
  }

  add(blob: SealedBlob): void {
    this.addStored(blob.id, blob.codec, blob.stored, blob.rawLength);
  }

  /** Seals (compressed) chunk bytes directly into the pack: one ciphertext copy instead of three. */
  addSealed(keys: RepoKeys, id: string, codec: Codec, data: Uint8Array, rawLength: number): number {
    const length = data.length + SEAL_OVERHEAD;
    this.reserve(length);
    sealInto(keys.dataKey, blobAad(id, codec), this.buf, this.buffered, data);
    this.entries.push({ id, offset: this.size, length, rawLength, codec });
    this.size += length;
    return length;
  }

  /** Adds a blob sealed elsewhere (its bytes are copied). */
  addStored(id: string, codec: Codec, stored: Uint8Array, rawLength: number): number {
    this.reserve(stored.length);
    this.buf.set(stored, this.buffered);
    this.entries.push({ id, offset: this.size, length: stored.length, rawLength, codec });
    this.size += stored.length;
    return stored.length;
  }

  /**
   * Hands out the bytes buffered so far (a view of the old buffer: write it, then reuse that buffer) and goes on in
   * `next`. The pack's offsets and name do not change.
   */
  drain(next: Buffer): Buffer {
    const piece = this.buf.subarray(0, this.buffered);
    this.hash?.update(piece);
    this.base = this.size;
    this.buf = next;
    return piece;
  }

  /** Grows the buffer when a blob and the header would not fit (only builders without a sized buffer). */
  private reserve(stored: number): void {
    const need = this.buffered + stored + this.tail(1);
    if (need <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2, 1 << 16));
    this.buf.copy(next, 0, 0, this.buffered);
    this.buf = next;
  }

  /** Appends the sealed header and trailer; `bytes` (a view of the buffer) is what is left to write: all of it unless drained. */
  finish(keys: RepoKeys): { name: string; hash: string; bytes: Buffer; size: number; entries: PackEntry[] } {
    const header = encodeEntries(this.entries);
    const need = this.buffered + this.tail(0);
    if (need > this.buf.length) {
      const next = Buffer.allocUnsafe(need);
      this.buf.copy(next, 0, 0, this.buffered);
      this.buf = next;
    }
    let end = this.buffered;
    const headerLength = header.length + SEAL_OVERHEAD;
    sealInto(keys.dataKey, HEADER_AAD, this.buf, end, header);
    end += headerLength;
    this.buf.writeUInt32LE(headerLength, end);
    MAGIC.copy(this.buf, end + 4);
    end += TRAILER;
    const bytes = this.buf.subarray(0, end);
    const hash = this.hash ? this.hash.update(bytes).digest('hex') : randomId(32);
    return { name: packObjectName(hash), hash, bytes, size: this.base + end, entries: this.entries };
  }
}

/** Splits a whole pack's bytes into its header entries (for check --read-data, which downloads the pack anyway). */
export function parsePack(keys: RepoKeys, bytes: Buffer): PackEntry[] {
  const headerLength = bytes.readUInt32LE(bytes.length - TRAILER);
  return decodeEntries(
    unseal(keys.dataKey, HEADER_AAD, bytes.subarray(bytes.length - TRAILER - headerLength, bytes.length - TRAILER)),
  );
}
