/**
 * The chunk index: chunk id → pack and byte range. Index objects are written only after the packs they describe are
 * durable, so every indexed chunk can be read. A chunk may appear in several packs (two writers racing, or a
 * retried upload); any copy will do and prune keeps one. Layout of an index object's plaintext:
 * ["LBI1"][u32 pack count] then per pack: [32-byte pack hash][u32 entry count][entries as in the pack header].
 */
import { LifeboatError } from '../errors';
import type { StorageBackend } from '../storage/backend';
import { randomId, seal, unseal, SealError, type RepoKeys } from './crypto';
import { decodeEntries, encodeEntries, ENTRY_SIZE, packObjectName, type PackEntry } from './pack';

const MAGIC = Buffer.from('LBI1');

export interface ChunkLocation {
  pack: string;
  offset: number;
  length: number;
  rawLength: number;
  codec: PackEntry['codec'];
}

export interface PackRecord {
  hash: string;
  entries: PackEntry[];
}

export class ChunkIndex {
  private readonly chunks = new Map<string, ChunkLocation>();
  readonly packs = new Set<string>();

  addPack(record: PackRecord): void {
    const pack = packObjectName(record.hash);
    this.packs.add(pack);
    for (const e of record.entries) if (!this.chunks.has(e.id)) this.chunks.set(e.id, { pack, offset: e.offset, length: e.length, rawLength: e.rawLength, codec: e.codec });
  }
  get(id: string): ChunkLocation | undefined {
    return this.chunks.get(id);
  }
  has(id: string): boolean {
    return this.chunks.has(id);
  }
  get size(): number {
    return this.chunks.size;
  }
  entries(): IterableIterator<[string, ChunkLocation]> {
    return this.chunks.entries();
  }
}

export function encodeIndex(records: PackRecord[]): Buffer {
  const parts: Buffer[] = [MAGIC, u32(records.length)];
  for (const r of records) parts.push(Buffer.from(r.hash, 'hex'), u32(r.entries.length), encodeEntries(r.entries));
  return Buffer.concat(parts);
}

export function decodeIndex(buf: Buffer): PackRecord[] {
  if (!buf.subarray(0, 4).equals(MAGIC)) throw new Error('not an index object');
  const count = buf.readUInt32LE(4);
  const out: PackRecord[] = [];
  let o = 8;
  for (let i = 0; i < count; i++) {
    const hash = buf.toString('hex', o, o + 32);
    const n = buf.readUInt32LE(o + 32);
    out.push({ hash, entries: decodeEntries(buf, o + 36, n) });
    o += 36 + n * ENTRY_SIZE;
  }
  return out;
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(n);
  return b;
}

export const indexAad = (id: string) => `index:${id}`;

export async function writeIndexObject(backend: StorageBackend, keys: RepoKeys, records: PackRecord[]): Promise<string> {
  const id = randomId();
  await backend.put(`index/${id}`, seal(keys.dataKey, indexAad(id), encodeIndex(records)));
  return id;
}

export async function readIndexObject(backend: StorageBackend, keys: RepoKeys, name: string): Promise<PackRecord[]> {
  const id = name.slice('index/'.length);
  try {
    return decodeIndex(unseal(keys.dataKey, indexAad(id), await backend.get(name)));
  } catch (err) {
    if (err instanceof SealError || (err as Error).message === 'not an index object')
      throw new LifeboatError('io_error', `The index object ${name} is damaged.`, 'Run `lifeboat account check`; the index can be rebuilt from the packs.');
    throw err;
  }
}

/** Loads every index object in the account. Objects are independent, so they are read a few at a time. */
export async function loadIndex(backend: StorageBackend, keys: RepoKeys, into = new ChunkIndex()): Promise<{ index: ChunkIndex; objects: string[] }> {
  const names: string[] = [];
  for await (const o of backend.list('index/')) names.push(o.name);
  for (let i = 0; i < names.length; i += 8) {
    const batch = await Promise.all(names.slice(i, i + 8).map((n) => readIndexObject(backend, keys, n)));
    for (const records of batch) for (const r of records) into.addPack(r);
  }
  return { index: into, objects: names };
}
