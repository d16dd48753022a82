/**
 * The chunk index: chunk id → pack and byte range. Index objects are written only after the packs they describe are
 * durable, so every indexed chunk can be read. A chunk may appear in several packs (two writers racing, or a
 * retried upload); any copy will do and prune keeps one. Layout of an index object's plaintext:
 * ["LBI1"][u32 pack count] then per pack: [32-byte pack hash][u32 entry count][entries as in the pack header].
 */
import { LifeboatError } from '../../shared/errors';
import { collectList, type StorageBackend } from '../storage/backend';
import { randomId, seal, unseal, SealError, type RepoKeys } from './crypto';
import {
  decodeEntries,
  encodeEntries,
  ENTRY_SIZE,
  packHashOf,
  packObjectName,
  parsePack,
  TRAILER,
  type PackEntry,
} from './pack';

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

/**
 * Chunk id → location, held in flat typed arrays rather than a Map of objects keyed by hex strings: per chunk its
 * 32-byte id, four u32 fields (pack number, offset, length, raw length) and a codec byte, found through an
 * open-addressed table of entry numbers. Ids are keyed hashes, so their first four bytes are a uniform hash. About
 * 60 bytes a chunk where the Map took about 250: a 1 TB share's ~35 million chunks in 2 GB rather than 9. The first
 * location added for an id is kept.
 */
export class ChunkIndex {
  private ids = new Uint8Array(0);
  /** The ids' bytes as u32 words (8 a chunk), for comparing. */
  private words = new Uint32Array(0);
  private fields = new Uint32Array(0);
  private codecs = new Uint8Array(0);
  /** Entry number + 1 per slot, 0 when free; a power of two at least twice the entries. */
  private table = new Int32Array(0);
  private count = 0;
  private readonly packNames: string[] = [];
  private readonly packNumbers = new Map<string, number>();
  readonly packs = new Set<string>();
  /** The index objects whose packs it holds (loadIndex reads only the others when given this index again). */
  readonly objects = new Set<string>();
  /** The id being looked up, as bytes and words. */
  private readonly probe = new Uint32Array(8);
  private readonly probeBytes = Buffer.from(this.probe.buffer);

  constructor() {
    this.grow();
  }

  addPack(record: PackRecord): void {
    const pack = packObjectName(record.hash);
    let number = this.packNumbers.get(pack);
    if (number === undefined) {
      number = this.packNames.push(pack) - 1;
      this.packNumbers.set(pack, number);
      this.packs.add(pack);
    }
    for (const e of record.entries) {
      if (this.count === this.codecs.length) this.grow();
      const slot = this.find(e.id);
      if (this.table[slot] === 0) this.place(slot, number, e);
    }
  }

  get(id: string): ChunkLocation | undefined {
    const slot = this.find(id);
    const at = this.table[slot] - 1;
    return at < 0 ? undefined : this.locationOf(at);
  }

  has(id: string): boolean {
    const slot = this.find(id);
    return this.table[slot] !== 0;
  }

  get size(): number {
    return this.count;
  }

  *entries(): IterableIterator<[string, ChunkLocation]> {
    for (let at = 0; at < this.count; at++)
      yield [Buffer.from(this.ids.buffer, at * 32, 32).toString('hex'), this.locationOf(at)];
  }

  private locationOf(at: number): ChunkLocation {
    const f = this.fields;
    return {
      pack: this.packNames[f[at * 4]],
      offset: f[at * 4 + 1],
      length: f[at * 4 + 2],
      rawLength: f[at * 4 + 3],
      codec: this.codecs[at] as PackEntry['codec'],
    };
  }

  /** The slot holding `id`, or the free slot where it would go (the table is never full). */
  private find(id: string): number {
    const p = this.probe;
    if (id.length !== 64 || this.probeBytes.write(id, 0, 32, 'hex') !== 32) p.fill(0xffffffff); // not a chunk id: matches nothing stored
    const mask = this.table.length - 1;
    const w = this.words;
    for (let slot = p[0] & mask; ; slot = (slot + 1) & mask) {
      const at = this.table[slot] - 1;
      if (at < 0) return slot;
      const o = at * 8;
      if (
        w[o] === p[0] &&
        w[o + 1] === p[1] &&
        w[o + 2] === p[2] &&
        w[o + 3] === p[3] &&
        w[o + 4] === p[4] &&
        w[o + 5] === p[5] &&
        w[o + 6] === p[6] &&
        w[o + 7] === p[7]
      )
        return slot;
    }
  }

  private place(slot: number, pack: number, e: PackEntry): void {
    const at = this.count++;
    this.ids.set(this.probeBytes, at * 32);
    const f = this.fields;
    f[at * 4] = pack;
    f[at * 4 + 1] = e.offset;
    f[at * 4 + 2] = e.length;
    f[at * 4 + 3] = e.rawLength;
    this.codecs[at] = e.codec;
    this.table[slot] = at + 1;
  }

  /** Room for half as many entries again (at least 1024), and a table twice their number, rebuilt. */
  private grow(): void {
    const capacity = Math.max(1024, Math.ceil(this.codecs.length * 1.5));
    const ids = new Uint8Array(capacity * 32);
    ids.set(this.ids.subarray(0, this.count * 32));
    const fields = new Uint32Array(capacity * 4);
    fields.set(this.fields.subarray(0, this.count * 4));
    const codecs = new Uint8Array(capacity);
    codecs.set(this.codecs.subarray(0, this.count));
    this.ids = ids;
    this.words = new Uint32Array(ids.buffer);
    this.fields = fields;
    this.codecs = codecs;
    let size = 1;
    while (size < capacity * 2) size *= 2;
    this.table = new Int32Array(size);
    const mask = size - 1;
    for (let at = 0; at < this.count; at++) {
      let slot = this.words[at * 8] & mask;
      while (this.table[slot] !== 0) slot = (slot + 1) & mask;
      this.table[slot] = at + 1;
    }
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

export async function writeIndexObject(
  backend: StorageBackend,
  keys: RepoKeys,
  records: PackRecord[],
): Promise<string> {
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
      throw new LifeboatError(
        'damaged',
        `The index object ${name} is damaged.`,
        'Run `lifeboat account check`; the next restore rebuilds the index from the packs and writes it back.',
      );
    throw err;
  }
}

/**
 * Loads every index object in the account. Objects are independent, so they are read a few at a time. Given an index
 * loaded earlier (`held`), it reads only the objects written since: names are never reused, so an object it holds is
 * unchanged, and if one of them is gone (a prune rewrote the index) it starts afresh.
 */
export async function loadIndex(
  backend: StorageBackend,
  keys: RepoKeys,
  held?: ChunkIndex,
  damaged?: string[],
): Promise<ChunkIndex> {
  const names: string[] = [];
  for await (const o of backend.list('index/')) names.push(o.name);
  const listed = new Set(names);
  const index = held && [...held.objects].every((n) => listed.has(n)) ? held : new ChunkIndex();
  const todo = names.filter((n) => !index.objects.has(n));
  for (let i = 0; i < todo.length; i += 8) {
    const part = todo.slice(i, i + 8);
    // With `damaged`, an object that does not open is listed there and skipped (check reports it), else it throws.
    const read = (n: string) =>
      readIndexObject(backend, keys, n).catch((err: unknown) =>
        damaged && err instanceof LifeboatError && err.code === 'damaged' ? (damaged.push(n), []) : Promise.reject(err),
      );
    const batch = await Promise.all(part.map(read));
    batch.forEach((records, k) => {
      for (const r of records) index.addPack(r);
      index.objects.add(part[k]);
    });
  }
  return index;
}

/**
 * The packs the account holds that no index object in `index` names, read from their headers (two ranged reads from
 * each pack's end): the index of an account whose index objects were deleted or damaged, rebuilt from the packs. The
 * others are left by interrupted backups, and are few. A pack whose header does not open is listed in `unreadable`.
 */
export async function unindexedPacks(
  backend: StorageBackend,
  keys: RepoKeys,
  index: ChunkIndex,
): Promise<{ records: PackRecord[]; unreadable: string[] }> {
  const records: PackRecord[] = [];
  const unreadable: string[] = [];
  for (const { name, size } of await collectList(backend, 'data/')) {
    if (index.packs.has(name)) continue;
    try {
      const trailer = await backend.get(name, { offset: size - TRAILER, length: TRAILER });
      const length = trailer.readUInt32LE(0);
      const header = await backend.get(name, { offset: size - TRAILER - length, length });
      records.push({ hash: packHashOf(name), entries: parsePack(keys, Buffer.concat([header, trailer])) });
    } catch {
      unreadable.push(name);
    }
  }
  return { records, unreadable };
}
