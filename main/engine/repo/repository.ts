/**
 * A repository is the Lifeboat data inside one storage account. Opening it proves the SDEK (the `config` object is
 * sealed with a key derived from it) and loads the chunk index. Writing goes through a RepoWriter per backup:
 * it dedups against the index, fills packs, uploads them, and only then writes the index objects naming them.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { LifeboatError } from '../errors';
import type { StorageBackend } from '../storage/backend';
import { decodeBlob, BlobDamagedError } from './blob';
import { compressTransient, type Codec, type CompressionProbe } from './compress';
import { DEFAULT_CDC, DEFAULT_IMAGE_BLOCK, makeGear, type ChunkerParams, type Gear } from './chunker';
import { chunkId, deriveKeys, FORMAT_VERSION, randomId, seal, SEAL_OVERHEAD, unseal, type RepoKeys } from './crypto';
import { ChunkIndex, loadIndex, writeIndexObject, type ChunkLocation, type PackRecord } from './index';
import { noteGarbage } from './memory';
import { PACK_TARGET, PackBuilder } from './pack';

export interface RepoConfig {
  format: number;
  id: string;
  created: string;
  chunker: ChunkerParams;
  imageBlockSize: number;
  packTarget: number;
}

/** The config object: a plain JSON envelope with a key check, around the sealed configuration. */
interface ConfigEnvelope {
  lifeboat: 'repository';
  format: number;
  keyCheck: string;
  sealed: string;
}

const keyCheckOf = (keys: RepoKeys) => crypto.createHmac('sha256', keys.dataKey).update('lifeboat-key-check').digest('hex').slice(0, 32);
const BAD_KEY = () =>
  new LifeboatError('bad_key', 'This key does not open this account.', 'Enter the service data encryption key of the service that created these backups.');

export class Repository {
  readonly gear: Gear;
  private constructor(
    readonly backend: StorageBackend,
    readonly keys: RepoKeys,
    readonly config: RepoConfig,
    readonly index: ChunkIndex,
  ) {
    this.gear = makeGear(keys.gearSeed, config.chunker);
  }

  /** Creates the repository in an empty account. The config name is never reused, so two inits cannot both win. */
  static async init(backend: StorageBackend, sdek: Buffer, opts: Partial<Pick<RepoConfig, 'chunker' | 'imageBlockSize' | 'packTarget'>> = {}): Promise<Repository> {
    const keys = deriveKeys(sdek);
    const config: RepoConfig = {
      format: FORMAT_VERSION,
      id: randomId(),
      created: new Date().toISOString(),
      chunker: opts.chunker ?? DEFAULT_CDC,
      imageBlockSize: opts.imageBlockSize ?? DEFAULT_IMAGE_BLOCK,
      packTarget: opts.packTarget ?? PACK_TARGET,
    };
    const envelope: ConfigEnvelope = { lifeboat: 'repository', format: FORMAT_VERSION, keyCheck: keyCheckOf(keys), sealed: seal(keys.dataKey, 'config', Buffer.from(JSON.stringify(config))).toString('base64') };
    try {
      await backend.put('config', Buffer.from(JSON.stringify(envelope)));
    } catch (err) {
      if (err instanceof LifeboatError && err.code === 'already_exists')
        throw new LifeboatError('already_initialized', `The storage account at ${backend.location} already holds a Lifeboat repository.`, 'Open it with the service data encryption key instead.');
      throw err;
    }
    return new Repository(backend, keys, config, new ChunkIndex());
  }

  static async open(backend: StorageBackend, sdek: Buffer, opts: { loadIndex?: boolean } = {}): Promise<Repository> {
    const keys = deriveKeys(sdek);
    let raw: Buffer;
    try {
      raw = await backend.get('config');
    } catch (err) {
      if (err instanceof LifeboatError && err.code === 'not_found')
        throw new LifeboatError('not_initialized', `The storage account at ${backend.location} holds no Lifeboat repository.`, 'Check the folder or container, or create the repository.');
      throw err;
    }
    let envelope: ConfigEnvelope;
    try {
      envelope = JSON.parse(raw.toString('utf8')) as ConfigEnvelope;
    } catch {
      throw new LifeboatError('io_error', `The repository configuration at ${backend.location} is damaged.`);
    }
    if (envelope.lifeboat !== 'repository') throw new LifeboatError('not_initialized', `The storage account at ${backend.location} holds no Lifeboat repository.`);
    if (envelope.format > FORMAT_VERSION)
      throw new LifeboatError('not_allowed', `This repository uses format ${envelope.format}, newer than this Lifeboat understands (${FORMAT_VERSION}).`, 'Update Lifeboat.');
    if (envelope.keyCheck !== keyCheckOf(keys)) throw BAD_KEY();
    let config: RepoConfig;
    try {
      config = JSON.parse(unseal(keys.dataKey, 'config', Buffer.from(envelope.sealed, 'base64')).toString('utf8')) as RepoConfig;
    } catch {
      throw BAD_KEY(); // key check matched but the body did not open: treat as the wrong key rather than read garbage
    }
    const index = opts.loadIndex === false ? new ChunkIndex() : (await loadIndex(backend, keys)).index;
    return new Repository(backend, keys, config, index);
  }

  writer(opts: { onPackUploaded?: (bytes: number) => void } = {}): RepoWriter {
    return new RepoWriter(this, opts.onPackUploaded);
  }

  /** Fetches one chunk's plaintext, verified against its id. */
  async readChunk(id: string, signal?: AbortSignal): Promise<Buffer> {
    const loc = this.locate(id);
    const stored = await this.backend.get(loc.pack, { offset: loc.offset, length: loc.length }, signal);
    return decodeBlob(this.keys, id, stored, loc.codec, loc.rawLength);
  }

  locate(id: string): ChunkLocation {
    const loc = this.index.get(id);
    if (!loc) throw new BlobDamagedError(id, 'it is not in the index (its pack is missing or was never completed)');
    return loc;
  }

  chunkIdOf(plain: Uint8Array): string {
    return chunkId(this.keys, plain);
  }
}

/**
 * One writer session: chunks in, packs and index objects out. Packs are built in reusable buffers: one fills while
 * the previous one uploads (two uploads at once for remote accounts, where latency dominates), so memory stays at
 * two or three pack sizes. Index objects are written every `indexEvery` packs and on flush(), always after their
 * packs are durable.
 */
export class RepoWriter {
  private pack: PackBuilder | undefined;
  private pending = new Set<string>();
  private uploads = new Set<Promise<void>>();
  private spare: Buffer[] = [];
  private waiters: Array<() => void> = [];
  private buffers = 0;
  private readonly maxBuffers: number;
  private readonly capacity: number;
  private unindexed: PackRecord[] = [];
  private failure: unknown;
  bytesUploaded = 0;
  packsWritten = 0;
  readonly indexEvery = 32;

  constructor(
    private readonly repo: Repository,
    private readonly onPackUploaded?: (bytes: number) => void,
  ) {
    // A local account takes the pack's bytes at the first write and the buffer is free while the file is flushed
    // (see sealPack), so one buffer keeps up; a remote one holds the bytes until the upload ends.
    this.maxBuffers = repo.backend.kind === 'local' ? 1 : 3;
    // Room past the target for the blob that crosses it and the header: a pack closes at the first blob past it.
    this.capacity = repo.config.packTarget + Math.max(repo.config.chunker.max, repo.config.imageBlockSize) + SEAL_OVERHEAD + (1 << 20);
  }

  /** Stores a chunk unless the account (or this session) already has it; `probe` is the file's compression memory. */
  async addChunk(plain: Buffer, signal?: AbortSignal, probe?: CompressionProbe): Promise<{ id: string; isNew: boolean; storedBytes: number }> {
    if (this.failure) throw this.failure;
    const id = this.repo.chunkIdOf(plain);
    if (this.repo.index.has(id) || this.pending.has(id)) return { id, isNew: false, storedBytes: 0 };
    this.pending.add(id);
    // Compressed bytes live in a scratch buffer until the next compression, so a pack with room for the chunk even
    // uncompressed is secured first; compressing and sealing then run with no await between them.
    const stored = await this.place(plain.length + SEAL_OVERHEAD, (pack) => {
      const packed = probe ? probe.compress(plain) : compressTransient(plain);
      return pack.addSealed(this.repo.keys, id, packed.codec, packed.data, plain.length);
    }, signal);
    return { id, isNew: true, storedBytes: stored };
  }

  /** Stores a blob sealed elsewhere (the encoder thread) unless the account or this session already has it. */
  async addStored(id: string, codec: Codec, stored: Uint8Array, rawLength: number, signal?: AbortSignal): Promise<boolean> {
    if (this.failure) throw this.failure;
    if (this.repo.index.has(id) || this.pending.has(id)) return false;
    this.pending.add(id);
    await this.place(stored.length, (pack) => pack.addStored(id, codec, stored, rawLength), signal);
    return true;
  }

  /**
   * Puts one blob of at most `bound` bytes into the filling pack. Two readers call this at once, so the current pack
   * is re-read after every await, and `write` runs synchronously on a pack known to have room.
   */
  private async place(bound: number, write: (pack: PackBuilder) => number, signal?: AbortSignal): Promise<number> {
    for (;;) {
      await this.freePack(signal);
      const pack = this.pack;
      if (!pack) continue;
      if (pack.count > 0 && !pack.fits(bound)) {
        await this.sealPack(signal);
        continue;
      }
      const stored = write(pack);
      noteGarbage(bound);
      if (pack.size >= this.repo.config.packTarget) await this.sealPack(signal);
      return stored;
    }
  }

  /** Makes sure a pack is filling: on a spare buffer, a new one while under the limit, else after an upload ends. */
  private async freePack(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.pack) return;
      if (this.spare.length || this.buffers < this.maxBuffers) {
        let buf = this.spare.pop();
        if (!buf) {
          buf = Buffer.allocUnsafe(this.capacity);
          this.buffers++;
        }
        this.pack = new PackBuilder(buf);
        return;
      }
      signal?.throwIfAborted();
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private release(buf: Buffer): void {
    this.spare.push(buf);
    for (const wake of this.waiters.splice(0)) wake();
  }

  private async sealPack(signal?: AbortSignal): Promise<void> {
    const pack = this.pack;
    if (!pack || pack.count === 0) return;
    this.pack = undefined;
    const done = pack.finish(this.repo.keys);
    if (this.failure) throw this.failure;
    // Bounded uploads in flight (a local one is mostly an fsync by then).
    while (this.uploads.size >= 2) await Promise.race(this.uploads);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.release(pack.buffer);
    };
    // The local backend writes each piece before asking for the next, so once it asks past the last one the bytes
    // are in the file and the buffer can take the next pack while this one is flushed and linked.
    const body = this.repo.backend.kind === 'local' ? onePiece(done.bytes, release) : done.bytes;
    const upload = this.repo.backend.put(done.name, body, { signal }).then(
      async () => {
        this.bytesUploaded += done.bytes.length;
        this.packsWritten++;
        this.unindexed.push({ hash: done.hash, entries: done.entries });
        this.onPackUploaded?.(done.bytes.length);
      },
      (err) => {
        this.failure ??= err;
        for (const wake of this.waiters.splice(0)) wake();
      },
    );
    // Whatever happened, the buffer is free once the upload settled.
    const tracked = upload.finally(() => {
      this.uploads.delete(tracked);
      release();
    });
    this.uploads.add(tracked);
    if (this.unindexed.length >= this.indexEvery) await this.writeIndex();
  }

  private async writeIndex(): Promise<void> {
    const records = this.unindexed;
    if (!records.length) return;
    this.unindexed = [];
    await writeIndexObject(this.repo.backend, this.repo.keys, records);
    for (const r of records) {
      this.repo.index.addPack(r);
      for (const e of r.entries) this.pending.delete(e.id);
    }
  }

  /**
   * After a cancel or failure: index the packs that did finish uploading, so the next backup reuses them instead
   * of uploading them again. Never throws; what cannot be indexed is left for prune.
   */
  async abandon(): Promise<void> {
    while (this.uploads.size) await Promise.race(this.uploads);
    await this.writeIndex().catch(() => undefined);
  }

  /** Makes everything added so far durable and indexed. Call before writing a snapshot that refers to it. */
  async flush(signal?: AbortSignal): Promise<void> {
    await this.sealPack(signal);
    while (this.uploads.size) await Promise.race(this.uploads);
    if (this.failure) throw this.failure;
    await this.writeIndex();
  }
}

/** The bytes as a one-piece stream that calls `consumed` once the reader asks for more. */
async function* onePiece(bytes: Buffer, consumed: () => void): AsyncGenerator<Buffer> {
  yield bytes;
  consumed();
}

export function hostName(): string {
  return os.hostname();
}
