/**
 * The object store under a storage account. Local folders, Azure Blob and later S3 all offer the same small
 * surface: immutable named objects, ranged reads and prefix listing. Object names are never reused, so a writer
 * never overwrites what another writer (or a crashed earlier run) left behind.
 */
import { LifeboatError } from '../../shared/errors';

export type StorageKind = 'local' | 'azure' | 's3';

export interface ObjectInfo {
  name: string;
  size: number;
}

export interface ByteRange {
  offset: number;
  length: number;
  /**
   * Read into this buffer (`length` bytes at least) rather than a new one; the result is then a view of it. A restore
   * reuses a few such buffers: new ones would each outlive a young collection and leave V8 a full one to run.
   */
  into?: Buffer;
}

/** The buffer a ranged read fills: the caller's `into` when it is large enough, else a new one. */
export function rangeBuffer(range: ByteRange): Buffer {
  return range.into && range.into.length >= range.length
    ? range.into.subarray(0, range.length)
    : Buffer.allocUnsafe(range.length);
}

export interface PutOptions {
  /** true (the default): refuse to replace an existing object ('already_exists'); the only mode the repository uses. */
  ifNoneMatch?: boolean;
  signal?: AbortSignal;
}

export interface ProbeReport {
  ok: true;
  /** Round-trip time of a small write + read + list + delete, in milliseconds. */
  latencyMs: number;
  /** Upload and download rates of the probe object, in bytes per second. */
  writeBytesPerSecond: number;
  readBytesPerSecond: number;
}

/**
 * An object written piece by piece before its name is known (a pack is named by the hash of its bytes): pieces are
 * appended in order, then commit() makes the whole object visible under its name at once, or abort() drops it.
 */
export interface ObjectUpload {
  write(piece: Uint8Array): Promise<void>;
  /** Flushes and names the object; 'already_exists' if the name is taken (names are never reused). */
  commit(name: string): Promise<void>;
  /** Drops what was written; never throws. */
  abort(): Promise<void>;
}

export interface StorageBackend {
  readonly kind: StorageKind;
  /** Where the account lives, for messages (a folder path or an endpoint URL; never a credential). */
  readonly location: string;
  /** Stores an object whole. Streams are accepted so large uploads need not sit in memory (Azure: staged blocks). */
  put(name: string, data: Buffer | AsyncIterable<Buffer>, opts?: PutOptions): Promise<void>;
  /**
   * Starts an object whose name is given at the end (backends that can append before naming: local folders).
   * Writers stream packs through it, so a pack never sits whole in memory.
   */
  openUpload?(): Promise<ObjectUpload>;
  /** Reads an object or a byte range of it; a missing object is 'not_found'. */
  get(name: string, range?: ByteRange, signal?: AbortSignal): Promise<Buffer>;
  /** Size of an object, or undefined when it does not exist. */
  head(name: string): Promise<ObjectInfo | undefined>;
  /** Objects whose names start with prefix, in no particular order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Deletes an object; deleting a missing object is not an error (deletes are retried after outages). */
  delete(name: string): Promise<void>;
  /** Writes, reads, lists and deletes a test object: the storage-account wizard's validation step. */
  probe(signal?: AbortSignal): Promise<ProbeReport>;
}

const NAME = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;

/** Object names are lower-case paths of safe segments, so every backend can store them unescaped. */
export function assertObjectName(name: string): void {
  if (!NAME.test(name) || name.length > 512)
    throw new LifeboatError('invalid_input', `"${name}" is not a valid object name.`);
}

export async function collectList(backend: StorageBackend, prefix: string): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const info of backend.list(prefix)) out.push(info);
  return out;
}

/** Shared probe logic: backends differ only in how they move bytes. */
export async function runProbe(backend: StorageBackend, signal?: AbortSignal): Promise<ProbeReport> {
  const name = `probe/${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const small = Buffer.from('lifeboat probe');
  const big = Buffer.alloc(4 << 20, 0x5a);
  let t0 = performance.now();
  await backend.put(name, small, { signal });
  const back = await backend.get(name, undefined, signal);
  if (!back.equals(small))
    throw new LifeboatError(
      'io_error',
      `The storage account at ${backend.location} returned different bytes than were written.`,
    );
  let listed = false;
  for await (const o of backend.list('probe/')) if (o.name === name) listed = true;
  await backend.delete(name);
  const latencyMs = performance.now() - t0;
  if (!listed)
    throw new LifeboatError(
      'io_error',
      `The storage account at ${backend.location} did not list an object just written.`,
    );
  const bigName = `${name}-rate`;
  t0 = performance.now();
  await backend.put(bigName, big, { signal });
  const writeS = (performance.now() - t0) / 1000;
  t0 = performance.now();
  await backend.get(bigName, undefined, signal);
  const readS = (performance.now() - t0) / 1000;
  await backend.delete(bigName);
  return {
    ok: true,
    latencyMs,
    writeBytesPerSecond: big.length / Math.max(writeS, 1e-6),
    readBytesPerSecond: big.length / Math.max(readS, 1e-6),
  };
}
