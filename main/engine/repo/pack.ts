/**
 * Packs: many blobs in one object, so an object store sees ~16 MiB uploads instead of millions of small ones.
 * Layout: [blob]...[blob][sealed header][u32 LE header length]["LBP1"]. The header lists every blob, so a pack
 * describes itself and the index can be rebuilt from packs alone. A pack is named by the SHA-256 of its bytes:
 * names never repeat (nonces are random) and `check --read-data` can verify a pack without the key.
 */
import type { SealedBlob } from './blob';
import type { Codec } from './compress';
import { seal, sha256Hex, unseal, type RepoKeys } from './crypto';

export const PACK_TARGET = 16 << 20;
const MAGIC = Buffer.from('LBP1');
const TRAILER = 8;
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
    out.push({ id: buf.toString('hex', o, o + 32), offset: buf.readUInt32LE(o + 32), length: buf.readUInt32LE(o + 36), rawLength: buf.readUInt32LE(o + 40), codec: buf.readUInt8(o + 44) as Codec });
  return out;
}
export const ENTRY_SIZE = ENTRY;

/** Collects sealed blobs until the pack is full; finish() makes the object bytes and its name. */
export class PackBuilder {
  private parts: Buffer[] = [];
  readonly entries: PackEntry[] = [];
  size = 0;

  add(blob: SealedBlob): void {
    this.entries.push({ id: blob.id, offset: this.size, length: blob.stored.length, rawLength: blob.rawLength, codec: blob.codec });
    this.parts.push(blob.stored);
    this.size += blob.stored.length;
  }

  get count(): number {
    return this.entries.length;
  }

  finish(keys: RepoKeys): { name: string; hash: string; bytes: Buffer; entries: PackEntry[] } {
    const header = seal(keys.dataKey, HEADER_AAD, encodeEntries(this.entries));
    const trailer = Buffer.allocUnsafe(TRAILER);
    trailer.writeUInt32LE(header.length, 0);
    MAGIC.copy(trailer, 4);
    const bytes = Buffer.concat([...this.parts, header, trailer]);
    const hash = sha256Hex(bytes);
    return { name: packObjectName(hash), hash, bytes, entries: this.entries };
  }
}

/** Splits a whole pack's bytes into its header entries (for check --read-data, which downloads the pack anyway). */
export function parsePack(keys: RepoKeys, bytes: Buffer): PackEntry[] {
  const headerLength = bytes.readUInt32LE(bytes.length - TRAILER);
  return decodeEntries(unseal(keys.dataKey, HEADER_AAD, bytes.subarray(bytes.length - TRAILER - headerLength, bytes.length - TRAILER)));
}
