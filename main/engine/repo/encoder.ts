/**
 * A second thread for backups. Chunking, chunk ids, compression and sealing are per-byte CPU work, and one thread
 * doing all of it (plus packing and pack hashing) leaves the second core idle. The backup hands whole files to an
 * encoder thread, which reads, chunks and seals them and sends back batches of finished blobs (transferred, not
 * copied); the backup's own thread reads other files meanwhile and packs every blob. The encoder does not know the
 * index, so it seals chunks the account may already hold; the packer drops those. That costs only CPU on changed
 * files of an incremental backup, and keeps the encoder free of the index (which grows with the account).
 *
 * Memory stays bounded: one read window in the encoder and at most CREDITS batches of ~1 MiB in flight.
 */
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { contentChunks, makeGear, newWindow, type ChunkerParams } from './chunker';
import { Codec, CompressionProbe } from './compress';
import { chunkId, SEAL_OVERHEAD, sealInto, type RepoKeys } from './crypto';
import { blobAad } from './blob';
import { noteGarbage } from './memory';

/** Plaintext per batch (about): small enough to bound memory, large enough that messages are cheap. */
const BATCH_BYTES = 1 << 20;
/** Known chunks (ids only) per batch at most, so the packer hears of a file's progress often enough. */
const KNOWN_PER_BATCH = 256;
/** Batches the encoder may send before the packer has consumed them. */
const CREDITS = 3;

export interface EncoderInit {
  lifeboatEncoder: true;
  keys: { chunkIdKey: Uint8Array; dataKey: Uint8Array; gearSeed: Uint8Array; format: number };
  chunker: ChunkerParams;
}

/** One batch of sealed blobs of one file, laid end to end in `data`. */
export interface EncodedBatch {
  t: 'batch';
  seq: number;
  ids: string[];
  codecs: Codec[];
  rawLengths: number[];
  storedLengths: number[];
  data: ArrayBuffer;
  /** True on the file's last batch; `size` is then the bytes read. */
  last: boolean;
  size: number;
}

/** An ack returns the batch's buffer, so the encoder reuses a few buffers instead of faulting in new pages per batch. */
/**
 * `known`: chunk ids the account already holds from the file's previous version. A chunk with one of them is sent as
 * its id alone (stored length 0), skipping compression and sealing: an incremental backup's changed files are mostly
 * such chunks.
 */
type ToEncoder = { t: 'file'; seq: number; path: string; known?: string[] } | { t: 'ack'; data: ArrayBuffer };
type FromEncoder = EncodedBatch | { t: 'unreadable'; seq: number; message: string } | { t: 'fatal'; message: string };

/** The encoder thread's side: started from the worker entry when its workerData says so. */
export function runEncoder(port: import('node:worker_threads').MessagePort, init: EncoderInit): void {
  const keys: RepoKeys = {
    chunkIdKey: Buffer.from(init.keys.chunkIdKey),
    dataKey: Buffer.from(init.keys.dataKey),
    gearSeed: Buffer.from(init.keys.gearSeed),
    format: init.keys.format,
  };
  const gear = makeGear(keys.gearSeed, init.chunker);
  const scratch = newWindow(gear);
  const queue: Array<{ seq: number; path: string; known?: string[] }> = [];
  let credits = CREDITS;
  const free: ArrayBuffer[] = [];
  // Room for a full batch plus one maximal blob past it: a batch is sent once it reaches BATCH_BYTES.
  const batchSize = BATCH_BYTES + gear.params.max + SEAL_OVERHEAD;
  const newBatch = (seq: number, size = batchSize) => {
    const data = (size && free.pop()) || new ArrayBuffer(size);
    return {
      t: 'batch' as const,
      seq,
      ids: [] as string[],
      codecs: [] as Codec[],
      rawLengths: [] as number[],
      storedLengths: [] as number[],
      buf: Buffer.from(data),
      used: 0,
    };
  };
  let wake: (() => void) | undefined;
  let running = false;
  const post = (m: FromEncoder, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);

  const encodeFile = async (seq: number, file: string, known: ReadonlySet<string>) => {
    let fh: fs.promises.FileHandle;
    try {
      fh = await fs.promises.open(file, 'r');
    } catch (err) {
      post({ t: 'unreadable', seq, message: (err as Error).message });
      return;
    }
    try {
      let size = 0;
      const probe = new CompressionProbe();
      // Batches are taken when a blob needs one, so a file's last message holds no buffer it did not fill.
      let batch: ReturnType<typeof newBatch> | undefined;
      const send = async (last: boolean) => {
        while (credits === 0) await new Promise<void>((r) => (wake = r));
        credits--;
        const { buf, used: _used, ...rest } = batch ?? newBatch(seq, 0);
        batch = undefined;
        // The batch's own ArrayBuffer moves to the packer's thread without a copy, and comes back with the ack.
        const data = buf.buffer as ArrayBuffer;
        post({ ...rest, data, last, size }, [data]);
      };
      for await (const piece of contentChunks(fh, gear, undefined, scratch)) {
        const id = chunkId(keys, piece);
        batch ??= newBatch(seq);
        if (known.has(id)) {
          batch.ids.push(id);
          batch.codecs.push(Codec.None);
          batch.rawLengths.push(piece.length);
          batch.storedLengths.push(0);
          size += piece.length;
          if (batch.ids.length >= KNOWN_PER_BATCH) await send(false);
          continue;
        }
        const packed = probe.compress(piece);
        const stored = packed.data.length + SEAL_OVERHEAD;
        if (batch.used + stored > batch.buf.length) {
          await send(false);
          batch = newBatch(seq);
        }
        sealInto(keys.dataKey, blobAad(id, packed.codec), batch.buf, batch.used, packed.data);
        batch.used += stored;
        noteGarbage(stored);
        batch.ids.push(id);
        batch.codecs.push(packed.codec);
        batch.rawLengths.push(piece.length);
        batch.storedLengths.push(stored);
        size += piece.length;
        if (batch.used >= BATCH_BYTES) await send(false);
      }
      await send(true);
    } finally {
      await fh.close();
    }
  };

  const pump = async () => {
    if (running) return;
    running = true;
    try {
      while (queue.length) {
        const { seq, path, known } = queue.shift()!;
        await encodeFile(seq, path, new Set(known));
      }
    } catch (err) {
      post({ t: 'fatal', message: (err as Error).message });
    } finally {
      running = false;
    }
  };

  port.on('message', (m: ToEncoder) => {
    if (m.t === 'ack') {
      if (m.data.byteLength === batchSize) free.push(m.data);
      credits++;
      wake?.();
      wake = undefined;
    } else {
      queue.push(m);
      void pump();
    }
  });
}

/** What the backup waits for on one file handed to the encoder. */
interface FileWork {
  onBatch: (b: EncodedBatch) => Promise<void>;
  resolve: (r: { size: number } | { unreadable: string }) => void;
  reject: (e: unknown) => void;
}

/**
 * The backup's side: one encoder thread taking files in turn (it encodes one at a time, the next ones wait in its
 * queue so it never idles between files); batches are handed to each file's `onBatch` in the order they come.
 */
export class EncoderThread {
  private worker: Worker;
  private seq = 0;
  private files = new Map<number, FileWork>();
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  constructor(script: string, keys: RepoKeys, chunker: ChunkerParams) {
    const init: EncoderInit = {
      lifeboatEncoder: true,
      keys: { chunkIdKey: keys.chunkIdKey, dataKey: keys.dataKey, gearSeed: keys.gearSeed, format: keys.format },
      chunker,
    };
    this.worker = new Worker(script, { workerData: init, resourceLimits: { maxYoungGenerationSizeMb: 3 } });
    this.worker.on('message', (m: FromEncoder) => this.receive(m));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`The backup's encoder thread stopped (exit code ${code}).`)));
  }

  /** Rejects every file handed over and not finished, and any later one: the backup is stopping. */
  stop(): void {
    this.fail(Object.assign(new Error('The backup stopped.'), { name: 'AbortError' }));
  }

  /** Files handed over and not finished yet. */
  get queued(): number {
    return this.files.size;
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const f of this.files.values()) f.reject(this.failure);
    this.files.clear();
  }

  /** Gives a batch's credit back, with its buffer for the encoder's next batch. */
  private ack(m: EncodedBatch): void {
    this.worker.postMessage({ t: 'ack', data: m.data } satisfies ToEncoder, [m.data]);
  }

  private receive(m: FromEncoder): void {
    if (m.t === 'fatal') return this.fail(new Error(m.message));
    const file = this.files.get(m.seq);
    if (!file) {
      // A file that already failed or was stopped: its batches still give their credit and buffer back.
      if (m.t === 'batch') this.ack(m);
      return;
    }
    if (m.t === 'unreadable') {
      this.files.delete(m.seq);
      file.resolve({ unreadable: m.message });
      return;
    }
    // Batches are consumed in order; each frees a credit once its blobs are in packs.
    this.chain = this.chain.then(async () => {
      try {
        if (this.files.get(m.seq) === file) await file.onBatch(m);
      } catch (err) {
        this.files.delete(m.seq);
        file.reject(err);
      }
      // The blobs were copied into packs: the buffer goes back for the encoder's next batch.
      this.ack(m);
      if (m.last && this.files.delete(m.seq)) file.resolve({ size: m.size });
    });
  }

  /**
   * Encodes one file; resolves with the bytes read, or why the file could not be opened. `known`: ids the account
   * holds (the file's previous chunks), which come back with a stored length of 0 instead of sealed.
   */
  encode(
    path: string,
    onBatch: (b: EncodedBatch) => Promise<void>,
    known?: string[],
  ): Promise<{ size: number } | { unreadable: string }> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const seq = ++this.seq;
      this.files.set(seq, { onBatch, resolve, reject });
      this.worker.postMessage({ t: 'file', seq, path, known } satisfies ToEncoder);
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
