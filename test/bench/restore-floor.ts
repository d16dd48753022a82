/**
 * The restore floor for `npm run bench` (issue 18): the least work any restore of a backup must do, split over both
 * cores. Usage (bundled by scripts/bench/repo-restore.mjs): `node restore-floor.cjs ACCOUNT SDEK SNAPSHOT OUT`.
 * The main thread creates every folder and file at its size; two worker threads each take half of the packs, read
 * each pack whole, and for every blob a file needs do AES-GCM decrypt, the id check and decompression
 * (decodeBlobInto), then write it at its offsets. No catalog, no job, no lease, no resume state, no metadata
 * (modes, owners, times), no symlinks. Prints `{"seconds": …}` measured inside the process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isMainThread, Worker, workerData } from 'node:worker_threads';
import { parseSdek } from '../../main/engine/keys';
import { decodeBlobInto } from '../../main/engine/repo/blob';
import { deriveKeys, type RepoKeys } from '../../main/engine/repo/crypto';
import { loadIndex, type ChunkIndex } from '../../main/engine/repo/index';
import { loadSnapshotWith, type SnapshotManifest } from '../../main/engine/repo/snapshot';
import { LocalBackend } from '../../main/engine/storage/local';

interface Args {
  account: string;
  sdek: string;
  snapshot: string;
  out: string;
}
const THREADS = 2;

/** Every file of the backup with its chunks' offsets: (file path, [chunk id, offset][]). */
function placements(
  m: SnapshotManifest,
  index: ChunkIndex,
  out: string,
  each: (file: string, size: number, chunks: Array<[string, number]>) => void,
): void {
  for (const src of m.sources) {
    const base = path.join(out, src.name);
    if (src.kind === 'image') {
      each(
        base,
        src.size,
        src.extents.filter((e) => e.chunk).map((e) => [e.chunk!, e.offset]),
      );
      continue;
    }
    for (const e of src.entries) {
      if (e.type !== 'file') continue;
      const holes = e.holes ?? [];
      let at = 0;
      let h = 0;
      const chunks: Array<[string, number]> = [];
      for (const id of e.chunks ?? []) {
        while (h < holes.length && holes[h][0] <= at) at = Math.max(at, holes[h][0] + holes[h++][1]);
        chunks.push([id, at]);
        at += index.get(id)!.rawLength;
      }
      each(path.join(base, e.path), e.size ?? 0, chunks);
    }
  }
}

async function load(
  a: Args,
): Promise<{ keys: RepoKeys; index: ChunkIndex; manifest: SnapshotManifest; backend: LocalBackend }> {
  const keys = deriveKeys(parseSdek(a.sdek).key);
  const backend = await LocalBackend.open(a.account);
  const index = await loadIndex(backend, keys, undefined, []);
  return { keys, index, manifest: await loadSnapshotWith(backend, keys, a.snapshot), backend };
}

async function worker(a: Args & { part: number }): Promise<void> {
  const { keys, index, manifest, backend } = await load(a);
  // pack → chunk → places, for this thread's packs only.
  const packs = new Map<string, Map<string, Array<[string, number]>>>();
  const mine = [...new Set([...index.packs])].sort().filter((_, i) => i % THREADS === a.part);
  const wanted = new Set(mine);
  placements(manifest, index, a.out, (file, _size, chunks) => {
    for (const [id, offset] of chunks) {
      const pack = index.get(id)!.pack;
      if (!wanted.has(pack)) continue;
      const byChunk = packs.get(pack) ?? packs.set(pack, new Map()).get(pack)!;
      (byChunk.get(id) ?? byChunk.set(id, []).get(id)!).push([file, offset]);
    }
  });
  let plain = Buffer.allocUnsafe(1 << 20);
  for (const [pack, byChunk] of packs) {
    const bytes = fs.readFileSync(path.join(backend.root, pack));
    const fds = new Map<string, number>();
    for (const [id, places] of byChunk) {
      const loc = index.get(id)!;
      if (plain.length < loc.rawLength) plain = Buffer.allocUnsafe(loc.rawLength);
      const out = plain.subarray(0, loc.rawLength);
      decodeBlobInto(keys, id, bytes.subarray(loc.offset, loc.offset + loc.length), loc.codec, loc.rawLength, out);
      for (const [file, offset] of places) {
        if (fds.size >= 256 && !fds.has(file)) {
          for (const fd of fds.values()) fs.closeSync(fd);
          fds.clear();
        }
        const fd = fds.get(file) ?? fds.set(file, fs.openSync(file, 'r+')).get(file)!;
        fs.writeSync(fd, out, 0, out.length, offset);
      }
    }
    for (const fd of fds.values()) fs.closeSync(fd);
  }
}

async function main(a: Args): Promise<void> {
  const t = process.hrtime.bigint();
  const { index, manifest } = await load(a);
  const dirs = new Set<string>();
  placements(manifest, index, a.out, (file, size) => {
    const dir = path.dirname(file);
    if (!dirs.has(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      dirs.add(dir);
    }
    const fd = fs.openSync(file, 'w');
    if (size) fs.ftruncateSync(fd, size);
    fs.closeSync(fd);
  });
  await Promise.all(
    Array.from(
      { length: THREADS },
      (_, part) =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(__filename, { workerData: { ...a, part } });
          w.on('error', reject);
          w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`floor worker exited ${code}`))));
        }),
    ),
  );
  console.log(JSON.stringify({ seconds: Number(process.hrtime.bigint() - t) / 1e9 }));
}

if (isMainThread) {
  const [account, sdek, snapshot, out] = process.argv.slice(2);
  main({ account, sdek, snapshot, out }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else
  worker(workerData as Args & { part: number }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
