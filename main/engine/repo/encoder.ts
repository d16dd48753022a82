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
import { contentChunks, makeGear, windowSize, type ChunkerParams } from './chunker';
import { CompressionProbe, type Codec } from './compress';
import { chunkId, SEAL_OVERHEAD, sealInto, type RepoKeys } from './crypto';
import { blobAad } from './blob';
import { noteGarbage } from './memory';

/** Plaintext per batch (about): small enough to bound memory, large enough that messages are cheap. */
const BATCH_BYTES = 1 << 20;
/** Batches the encoder may send before the packer has consumed them. */
const CREDITS = 3;

export interface EncoderInit {
  lifeboatEncoder: true;
  keys: { chunkIdKey: Uint8Array; dataKey: Uint8Array; gearSeed: Uint8Array };
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

type ToEncoder = { t: 'file'; seq: number; path: string } | { t: 'ack' };
type FromEncoder = EncodedBatch | { t: 'unreadable'; seq: number; message: string } | { t: 'fatal'; message: string };

/** The encoder thread's side: started from the worker entry when its workerData says so. */
export function runEncoder(port: import('node:worker_threads').MessagePort, init: EncoderInit): void {
  const keys: RepoKeys = { chunkIdKey: Buffer.from(init.keys.chunkIdKey), dataKey: Buffer.from(init.keys.dataKey), gearSeed: Buffer.from(init.keys.gearSeed) };
  const gear = makeGear(keys.gearSeed, init.chunker);
  const scratch = Buffer.allocUnsafe(windowSize(gear));
  const queue: Array<{ seq: number; path: string }> = [];
  let credits = CREDITS;
  let wake: (() => void) | undefined;
  let running = false;
  const post = (m: FromEncoder, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);

  const encodeFile = async (seq: number, file: string) => {
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
      let batch = newBatch(seq, gear.params.max);
      const send = async (last: boolean) => {
        while (credits === 0) await new Promise<void>((r) => (wake = r));
        credits--;
        const { buf, used: _used, ...rest } = batch;
        // The batch's own ArrayBuffer (allocUnsafeSlow) moves to the packer's thread without a copy.
        const data = buf.buffer as ArrayBuffer;
        post({ ...rest, data, last, size }, [data]);
        batch = newBatch(seq, gear.params.max);
      };
      for await (const piece of contentChunks(fh, gear, undefined, scratch)) {
        const id = chunkId(keys, piece);
        const packed = probe.compress(piece);
        const stored = packed.data.length + SEAL_OVERHEAD;
        if (batch.used + stored > batch.buf.length) await send(false);
        sealInto(keys.dataKey, blobAad(id, packed.codec), packed.data, batch.buf, batch.used);
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
        const { seq, path } = queue.shift()!;
        await encodeFile(seq, path);
      }
    } catch (err) {
      post({ t: 'fatal', message: (err as Error).message });
    } finally {
      running = false;
    }
  };

  port.on('message', (m: ToEncoder) => {
    if (m.t === 'ack') {
      credits++;
      wake?.();
      wake = undefined;
    } else {
      queue.push(m);
      void pump();
    }
  });
}

function newBatch(seq: number, maxChunk: number) {
  // Room for a full batch plus one maximal blob past it: a batch is sent once it reaches BATCH_BYTES.
  return { t: 'batch' as const, seq, ids: [] as string[], codecs: [] as Codec[], rawLengths: [] as number[], storedLengths: [] as number[], buf: Buffer.allocUnsafeSlow(BATCH_BYTES + maxChunk + SEAL_OVERHEAD), used: 0 };
}

/** The backup's side: one encoder thread, one file at a time, batches handed to `onBatch` in order. */
export class EncoderThread {
  private worker: Worker;
  private seq = 0;
  private current?: { seq: number; onBatch: (b: EncodedBatch) => Promise<void>; resolve: (r: { size: number } | { unreadable: string }) => void; reject: (e: unknown) => void };
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  constructor(script: string, keys: RepoKeys, chunker: ChunkerParams) {
    const init: EncoderInit = { lifeboatEncoder: true, keys: { chunkIdKey: keys.chunkIdKey, dataKey: keys.dataKey, gearSeed: keys.gearSeed }, chunker };
    this.worker = new Worker(script, { workerData: init, resourceLimits: { maxYoungGenerationSizeMb: 3 } });
    this.worker.on('message', (m: FromEncoder) => this.receive(m));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`The backup's encoder thread stopped (exit code ${code}).`)));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.current?.reject(this.failure);
    this.current = undefined;
  }

  private receive(m: FromEncoder): void {
    const cur = this.current;
    if (m.t === 'fatal') return this.fail(new Error(m.message));
    if (!cur || m.seq !== cur.seq) return;
    if (m.t === 'unreadable') {
      this.current = undefined;
      cur.resolve({ unreadable: m.message });
      return;
    }
    // Batches are consumed in order; each frees a credit once its blobs are in packs.
    this.chain = this.chain.then(async () => {
      if (this.current !== cur) return; // the file already failed
      try {
        await cur.onBatch(m);
      } catch (err) {
        if (this.current === cur) this.current = undefined;
        cur.reject(err);
        return;
      }
      this.worker.postMessage({ t: 'ack' } satisfies ToEncoder);
      if (m.last && this.current === cur) {
        this.current = undefined;
        cur.resolve({ size: m.size });
      }
    });
  }

  /** Encodes one file; resolves with the bytes read, or why the file could not be opened. */
  encode(path: string, onBatch: (b: EncodedBatch) => Promise<void>): Promise<{ size: number } | { unreadable: string }> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.current) return Promise.reject(new Error('The encoder thread takes one file at a time.'));
    return new Promise((resolve, reject) => {
      const seq = ++this.seq;
      this.current = { seq, onBatch, resolve, reject };
      this.chain = Promise.resolve();
      this.worker.postMessage({ t: 'file', seq, path } satisfies ToEncoder);
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
