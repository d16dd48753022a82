/**
 * A repository is the Lifeboat data inside one storage account. Opening it proves the SDEK (the `config` object is
 * sealed with a key derived from it) and loads the chunk index. Writing goes through a RepoWriter per backup:
 * it dedups against the index, fills packs, uploads them, and only then writes the index objects naming them.
 */
import os from 'node:os';
import { LifeboatError } from '../../shared/errors';
import type { ObjectUpload, StorageBackend } from '../storage/backend';
import { decodeBlob, BlobDamagedError } from './blob';
import { compressTransient, type Codec, type CompressionProbe } from './compress';
import { DEFAULT_CDC, DEFAULT_IMAGE_BLOCK, makeGear, type Gear } from './chunker';
import { decodeConfig, encodeConfig, type RepoConfig } from './config';
import { chunkId, deriveKeys, FORMAT_VERSION, randomId, SEAL_OVERHEAD, type RepoKeys } from './crypto';
import { ChunkIndex, loadIndex, writeIndexObject, type ChunkLocation, type PackRecord } from './index';
import { noteGarbage } from './memory';
import { PACK_TARGET, PackBuilder } from './pack';

export type { RepoConfig } from './config';

export class Repository {
  readonly gear: Gear;
  /** Damage around a configuration that still opens (a key check or envelope field hit): `account check` reports it. */
  configDamage?: string;
  /** Index objects that did not open when the index was loaded (skipped). */
  damagedIndex: string[] = [];
  private constructor(
    readonly backend: StorageBackend,
    readonly keys: RepoKeys,
    readonly config: RepoConfig,
    readonly index: ChunkIndex,
  ) {
    this.gear = makeGear(keys.gearSeed, config.chunker);
  }

  /** Creates the repository in an empty account. The config name is never reused, so two inits cannot both win. */
  /** `format`: FORMAT_VERSION unless a test asks for an older one (every format this version reads, it writes). */
  static async init(
    backend: StorageBackend,
    sdek: Buffer,
    opts: Partial<Pick<RepoConfig, 'chunker' | 'imageBlockSize' | 'packTarget' | 'format'>> = {},
  ): Promise<Repository> {
    const keys = deriveKeys(sdek, opts.format ?? FORMAT_VERSION);
    const config: RepoConfig = {
      format: keys.format,
      id: randomId(),
      created: new Date().toISOString(),
      chunker: opts.chunker ?? DEFAULT_CDC,
      imageBlockSize: opts.imageBlockSize ?? DEFAULT_IMAGE_BLOCK,
      packTarget: opts.packTarget ?? PACK_TARGET,
    };
    try {
      await backend.put('config', encodeConfig(keys, config));
    } catch (err) {
      if (err instanceof LifeboatError && err.code === 'already_exists')
        throw new LifeboatError(
          'already_initialized',
          `The storage account at ${backend.location} already holds a Lifeboat repository.`,
          'Open it with the service data encryption key instead.',
        );
      throw err;
    }
    return new Repository(backend, keys, config, new ChunkIndex());
  }

  /** `index`: this account's index from an earlier open, brought up to date rather than read again (loadIndex). */
  static async open(
    backend: StorageBackend,
    sdek: Buffer,
    opts: { loadIndex?: boolean; index?: ChunkIndex } = {},
  ): Promise<Repository> {
    const keys = deriveKeys(sdek);
    let raw: Buffer;
    try {
      raw = await backend.get('config');
    } catch (err) {
      if (err instanceof LifeboatError && err.code === 'not_found')
        throw new LifeboatError(
          'not_initialized',
          `The storage account at ${backend.location} holds no Lifeboat repository.`,
          'Check the folder or container, or create the repository.',
        );
      throw err;
    }
    const { config, damage } = decodeConfig(raw, keys, backend.location);
    keys.format = config.format ?? 1; // chunk ids and pack names follow the repository's format, not this version's
    // A damaged index object is skipped, not fatal: its packs are found again by their headers (restores) or their
    // chunks stored again (backups); check reports it.
    const damagedIndex: string[] = [];
    const index =
      opts.loadIndex === false ? new ChunkIndex() : await loadIndex(backend, keys, opts.index, damagedIndex);
    const repo = new Repository(backend, keys, config, index);
    repo.configDamage = damage;
    repo.damagedIndex = damagedIndex;
    return repo;
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
 * One writer session: chunks in, packs and index objects out. Packs are built in reusable buffers, so memory stays
 * flat whatever the backup's size. A local account streams each pack to its file as it fills (a few 1 MiB pieces in
 * memory, written while the next ones fill); an object store gets whole packs, one filling while two upload, as
 * latency dominates there. Index objects are written every `indexEvery` packs and on flush(), always after their
 * packs are durable.
 */
export class RepoWriter {
  private pack: PackBuilder | undefined;
  /** The filling pack's object, streamed (local accounts): opened at its first piece, written in order. */
  private upload: Promise<ObjectUpload> | undefined;
  private writes: Promise<void> = Promise.resolve();
  private pending = new Set<string>();
  private uploads = new Set<Promise<void>>();
  private spare: Buffer[] = [];
  private waiters: Array<() => void> = [];
  private buffers = 0;
  private readonly maxBuffers = 3;
  private readonly capacity: number;
  private readonly streaming: boolean;
  private unindexed: PackRecord[] = [];
  private failure: unknown;
  bytesUploaded = 0;
  packsWritten = 0;
  readonly indexEvery = 32;

  constructor(
    private readonly repo: Repository,
    private readonly onPackUploaded?: (bytes: number) => void,
  ) {
    this.streaming = !!repo.backend.openUpload;
    const maxBlob = Math.max(repo.config.chunker.max, repo.config.imageBlockSize) + SEAL_OVERHEAD;
    // Streaming: a piece, the blob that crosses it, and room for a header of ~5800 blobs (a pack of tinier blobs closes
    // early). Whole packs: the target, the blob that crosses it, and a header of ~23000 blobs.
    this.capacity = this.streaming ? PIECE + maxBlob + (256 << 10) : repo.config.packTarget + maxBlob + (1 << 20);
  }

  /** Stores a chunk unless the account (or this session) already has it; `probe` is the file's compression memory. */
  async addChunk(
    plain: Buffer,
    signal?: AbortSignal,
    probe?: CompressionProbe,
  ): Promise<{ id: string; isNew: boolean; storedBytes: number }> {
    if (this.failure) throw this.failure;
    const id = this.repo.chunkIdOf(plain);
    if (this.repo.index.has(id) || this.pending.has(id)) return { id, isNew: false, storedBytes: 0 };
    this.pending.add(id);
    // Compressed bytes live in a scratch buffer until the next compression, so a pack with room for the chunk even
    // uncompressed is secured first; compressing and sealing then run with no await between them.
    const stored = await this.place(
      plain.length + SEAL_OVERHEAD,
      (pack) => {
        const packed = probe ? probe.compress(plain) : compressTransient(plain);
        return pack.addSealed(this.repo.keys, id, packed.codec, packed.data, plain.length);
      },
      signal,
    );
    return { id, isNew: true, storedBytes: stored };
  }

  /** Stores a blob sealed elsewhere (the encoder thread) unless the account or this session already has it. */
  async addStored(
    id: string,
    codec: Codec,
    stored: Uint8Array,
    rawLength: number,
    signal?: AbortSignal,
  ): Promise<boolean> {
    if (this.failure) throw this.failure;
    if (this.repo.index.has(id) || this.pending.has(id)) return false;
    this.pending.add(id);
    await this.place(stored.length, (pack) => pack.addStored(id, codec, stored, rawLength), signal);
    return true;
  }

  /**
   * Puts one blob of at most `bound` bytes into the filling pack. Several readers call this at once, so the current
   * pack is re-read after every await, and `write` runs synchronously on a pack known to have room.
   */
  private async place(bound: number, write: (pack: PackBuilder) => number, signal?: AbortSignal): Promise<number> {
    // Streamed writes rarely wait for a buffer, so a stop is checked here rather than only while waiting.
    signal?.throwIfAborted();
    for (;;) {
      await this.freePack(signal);
      const pack = this.pack;
      if (!pack) continue;
      if (pack.count > 0 && !pack.fits(bound)) {
        // A streamed pack first sends what it holds; a pack whose header alone fills the buffer closes.
        if (this.streaming && pack.buffered > 0) await this.drain(pack, signal);
        else await this.sealPack(signal);
        continue;
      }
      const stored = write(pack);
      noteGarbage(bound);
      if (pack.size >= this.repo.config.packTarget) await this.sealPack(signal);
      else if (this.streaming && pack.buffered >= PIECE) await this.drain(pack, signal);
      return stored;
    }
  }

  /** A spare buffer, a new one while under the limit, or the next one a finished write gives back. */
  private async takeBuffer(signal?: AbortSignal): Promise<Buffer> {
    for (;;) {
      if (this.failure) throw this.failure;
      const buf = this.spare.pop();
      if (buf) return buf;
      if (this.buffers < this.maxBuffers) {
        this.buffers++;
        return Buffer.allocUnsafe(this.capacity);
      }
      signal?.throwIfAborted();
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Makes sure a pack is filling. */
  private async freePack(signal?: AbortSignal): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.pack) return;
    const buf = await this.takeBuffer(signal);
    if (this.pack)
      this.release(buf); // another reader started one meanwhile
    else this.pack = new PackBuilder(buf, this.repo.keys);
  }

  private release(buf: Buffer): void {
    this.spare.push(buf);
    for (const wake of this.waiters.splice(0)) wake();
  }

  private fail(err: unknown): void {
    this.failure ??= err;
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Streams what the filling pack holds to its object and goes on in another buffer. */
  private async drain(pack: PackBuilder, signal?: AbortSignal): Promise<void> {
    const next = await this.takeBuffer(signal);
    if (this.pack !== pack || pack.buffered === 0) return this.release(next); // sealed or drained meanwhile
    const old = pack.buffer;
    const piece = pack.drain(next);
    const upload = (this.upload ??= this.repo.backend.openUpload!());
    this.writes = this.writes
      .then(async () => (await upload).write(piece))
      .finally(() => this.release(old))
      .catch((err) => {
        this.fail(err);
        throw err;
      });
    this.writes.catch(() => undefined);
  }

  /** Takes the filling pack's streamed object (its upload and the writes queued to it) off the writer. */
  private detachStream(): Stream {
    const stream = { upload: this.upload, writes: this.writes };
    this.upload = undefined;
    this.writes = Promise.resolve();
    return stream;
  }

  private async sealPack(signal?: AbortSignal): Promise<void> {
    const pack = this.pack;
    if (!pack || pack.count === 0) return;
    this.pack = undefined;
    const done = pack.finish(this.repo.keys);
    const { upload, writes } = this.detachStream();
    if (this.failure) {
      await dropStream({ upload, writes });
      throw this.failure;
    }
    // Bounded uploads in flight (a local one is mostly an fsync by then).
    while (this.uploads.size >= 2) await Promise.race(this.uploads);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.release(pack.buffer);
    };
    let stored: Promise<void>;
    if (this.streaming) {
      const opened = upload ?? this.repo.backend.openUpload!();
      stored = (async () => {
        try {
          await writes;
          const object = await opened;
          await object.write(done.bytes);
          release(); // the bytes are in the file: the buffer can take the next pack while this one is flushed
          await object.commit(done.name);
        } catch (err) {
          await opened.then((o) => o.abort()).catch(() => undefined);
          throw err;
        }
      })();
    } else stored = this.repo.backend.put(done.name, done.bytes, { signal });
    const finished = stored.then(
      async () => {
        this.bytesUploaded += done.size;
        this.packsWritten++;
        this.unindexed.push({ hash: done.hash, entries: done.entries });
        this.onPackUploaded?.(done.size);
      },
      (err) => this.fail(err),
    );
    // Whatever happened, the buffer is free once the upload settled.
    const tracked = finished.finally(() => {
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
    const id = await writeIndexObject(this.repo.backend, this.repo.keys, records);
    for (const r of records) {
      this.repo.index.addPack(r);
      for (const e of r.entries) this.pending.delete(e.id);
    }
    this.repo.index.objects.add(`index/${id}`);
  }

  /**
   * After a cancel or failure: index the packs that did finish uploading, so the next backup reuses them instead
   * of uploading them again, and drop the pack that was filling. Never throws; what cannot be indexed is left for prune.
   */
  async abandon(): Promise<void> {
    this.pack = undefined;
    await dropStream(this.detachStream());
    while (this.uploads.size) await Promise.race(this.uploads);
    await this.writeIndex().catch(() => undefined);
  }

  /** Makes everything added so far durable and indexed. Call before writing a snapshot that refers to it. */
  async flush(signal?: AbortSignal): Promise<void> {
    await this.sealPack(signal);
    while (this.uploads.size) await Promise.race(this.uploads);
    if (this.failure) throw this.failure;
    await this.writeIndex();
    // Nothing is buffered now: the pack buffers go back to the allocator before the caller serialises its manifest
    // (a later addChunk allocates them again).
    this.pack = undefined; // empty: sealPack() left it only if nothing was added
    this.spare = [];
    this.buffers = 0;
  }
}

/** A pack's streamed object: opened at its first piece, with the writes queued to it. */
interface Stream {
  upload?: Promise<ObjectUpload>;
  writes: Promise<void>;
}

/** Drops a pack's streamed object that will never be committed, once the writes queued to it have ended. */
async function dropStream(stream: Stream): Promise<void> {
  await stream.writes.catch(() => undefined);
  await stream.upload?.then((o) => o.abort()).catch(() => undefined);
}

/** A streamed pack is written to its object in pieces of about this size. */
const PIECE = 1 << 20;

export function hostName(): string {
  return os.hostname();
}
