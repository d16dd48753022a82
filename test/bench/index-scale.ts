/**
 * The chunk index at scale for the bench (issue 18, "Scale"), bundled and run by scripts/bench/index-scale.mjs:
 * - `node index-scale.cjs write DIR N`: N synthetic chunk ids (uniform like keyed hashes, derived from their number so
 *   hits can be found again without keeping them) in packs of 512 entries, written as index objects of 32 packs by the
 *   repository's own writeIndexObject into a local account at DIR, as a backup's writer writes them;
 * - `node --expose-gc index-scale.cjs load DIR N LOOKUPS`: in a fresh process, loadIndex (as a backup or restore does
 *   when it opens the account), then memory after a forced GC against the process's before loading, then LOOKUPS
 *   random has() lookups, half of ids stored and half of ids not stored, with get() on every hit.
 * Prints one JSON line.
 */
import { randomBytes } from 'node:crypto';
import { deriveKeys } from '../../main/engine/repo/crypto';
import { loadIndex, writeIndexObject, type PackRecord } from '../../main/engine/repo/index';
import type { PackEntry } from '../../main/engine/repo/pack';
import { LocalBackend } from '../../main/engine/storage/local';

const PER_PACK = 512;
const PACKS_PER_OBJECT = 32;
const SDEK = Buffer.alloc(32, 7);

/** Murmur3's 32-bit finaliser: a bijection, so distinct inputs give distinct words. */
function mix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

const idBuf = Buffer.alloc(32);
/** Chunk id number `i` (ids ≥ N are never stored): 8 mixed words, the first uniform like a keyed hash's. */
function idOf(i: number): string {
  for (let k = 0; k < 8; k++)
    idBuf.writeUInt32LE((mix((i * 8 + k + 0x9e3779b9) >>> 0) ^ mix(i + k * 0x632be5ab)) >>> 0, k * 4);
  return idBuf.toString('hex');
}

async function write(dir: string, n: number): Promise<void> {
  const backend = await LocalBackend.open(dir, { create: true });
  const keys = deriveKeys(SDEK);
  const t = process.hrtime.bigint();
  let objects = 0;
  for (let i = 0; i < n;) {
    const records: PackRecord[] = [];
    for (let p = 0; p < PACKS_PER_OBJECT && i < n; p++) {
      const entries: PackEntry[] = [];
      for (let offset = 0; entries.length < PER_PACK && i < n; i++) {
        const length = 8192 + (i % 49152);
        entries.push({
          id: idOf(i),
          offset,
          length,
          rawLength: length + 16,
          codec: (i % 3 === 0 ? 0 : 1) as PackEntry['codec'],
        });
        offset += length;
      }
      records.push({ hash: randomBytes(32).toString('hex'), entries });
    }
    await writeIndexObject(backend, keys, records);
    objects++;
  }
  console.log(JSON.stringify({ objects, writeSeconds: Number(process.hrtime.bigint() - t) / 1e9 }));
}

/** Memory after two full collections a moment apart (array buffers' memory is released after the collection that finds them dead). */
async function memory(): Promise<{ rss: number; heap: number; arrays: number }> {
  const gc = (globalThis as unknown as { gc: () => void }).gc;
  gc();
  await new Promise((resolve) => setTimeout(resolve, 200));
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, arrays: m.arrayBuffers };
}

async function load(dir: string, n: number, lookups: number): Promise<void> {
  const backend = await LocalBackend.open(dir);
  const keys = deriveKeys(SDEK);
  const before = await memory();
  let t = process.hrtime.bigint();
  const index = await loadIndex(backend, keys);
  const loadSeconds = Number(process.hrtime.bigint() - t) / 1e9;
  const after = await memory();
  if (index.size !== n) throw new Error(`loaded ${index.size} chunks, expected ${n}`);
  // The ids to look up are made before timing (hex strings, as callers hold them): even numbers hit, odd ones miss.
  const ids: string[] = new Array<string>(lookups);
  for (let k = 0; k < lookups; k++)
    ids[k] = idOf(k % 2 === 0 ? Math.floor(Math.random() * n) : n + Math.floor(Math.random() * n));
  let hits = 0;
  t = process.hrtime.bigint();
  for (let k = 0; k < lookups; k++) if (index.has(ids[k]) && index.get(ids[k])!.length > 0) hits++;
  const lookupSeconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (hits !== Math.ceil(lookups / 2)) throw new Error(`${hits} hits, expected ${Math.ceil(lookups / 2)}`);
  const per = (bytes: number) => Math.round((bytes / n) * 10) / 10;
  console.log(
    JSON.stringify({
      chunks: n,
      loadSeconds,
      lookups,
      lookupsPerSecond: Math.round(lookups / lookupSeconds),
      rssBytesPerChunk: per(after.rss - before.rss),
      heapBytesPerChunk: per(after.heap - before.heap),
      arrayBufferBytesPerChunk: per(after.arrays - before.arrays),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
}

async function main(): Promise<void> {
  const [mode, dir, count, lookups] = process.argv.slice(2);
  if (mode === 'write') await write(dir, Number(count));
  else if (mode === 'load') await load(dir, Number(count), Number(lookups ?? 1_000_000));
  else throw new Error('usage: index-scale.cjs write DIR N | load DIR N [LOOKUPS]');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
