// `node scripts/bench/index-scale.mjs [--chunks N] [--lookups N] [--dir DIR]`: the chunk index at scale (issue 18,
// "Scale"), alone or from scripts/bench/repo.mjs. Bundles test/bench/index-scale.ts (as the build bundles the engine),
// writes N synthetic chunk ids (default 10,000,000) as index objects into a local account, then in a fresh process
// loads them with the repository's loadIndex and answers the lookups: load time, lookups/s, bytes per chunk.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleTs } from '../bundle-ts.mjs';

/** Runs the section; returns its figures (load process's JSON plus the write's). */
export async function indexScale(root, { chunks = 10_000_000, lookups = 1_000_000, dir } = {}) {
  const outfile = await bundleTs('test/bench/index-scale.ts', 'dist/bench/index-scale.cjs');
  const work = dir ? path.resolve(dir) : fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-bench-index-'));
  const account = path.join(work, 'account');
  fs.rmSync(account, { recursive: true, force: true });
  const run = (args) => {
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0)
      throw new Error(`index-scale ${args.join(' ')} failed (${r.status}):\n${r.stderr.slice(-2000)}`);
    return JSON.parse(r.stdout.trim().split('\n').at(-1));
  };
  try {
    const written = run([outfile, 'write', account, String(chunks)]);
    const loaded = run(['--expose-gc', outfile, 'load', account, String(chunks), String(lookups)]);
    return { ...written, ...loaded, loadavg: os.loadavg()[0] };
  } finally {
    if (!dir) fs.rmSync(work, { recursive: true, force: true });
  }
}

export function printIndexScale(r) {
  console.log(
    `\nchunk index, ${r.chunks.toLocaleString('en')} chunks in ${r.objects} index objects: load ${r.loadSeconds.toFixed(1)} s, ` +
      `${Math.round(r.lookupsPerSecond / 1000)}k lookups/s (half hits), ${r.rssBytesPerChunk} B/chunk RSS, ` +
      `${r.arrayBufferBytesPerChunk} B/chunk typed arrays, ${r.heapBytesPerChunk} B/chunk JS heap, ` +
      `peak RSS ${r.peakRssMiB} MiB, load average ${r.loadavg.toFixed(1)}`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const options = {
    chunks: { type: 'string', default: '10000000' },
    lookups: { type: 'string', default: '1000000' },
    dir: { type: 'string' },
  };
  const { values: opts } = parseArgs({ options });
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const r = await indexScale(root, { chunks: Number(opts.chunks), lookups: Number(opts.lookups), dir: opts.dir });
  printIndexScale(r);
  console.log(JSON.stringify(r));
}
