import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileTarget } from '../../main/engine/repo/restore-files';
import {
  closeHandle,
  restoreHandlesOpen,
  RunBuilder,
  RunWriter,
  SlabPool,
  type ChunkWork,
  type Run,
} from '../../main/engine/repo/restore-runs';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-restore-runs-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** An empty file of `size` bytes, as the restore creates it before writing. */
function target(name: string, size: number): FileTarget {
  const full = path.join(tmp, name);
  fs.writeFileSync(full, '');
  fs.truncateSync(full, size);
  return {
    source: 's',
    full,
    entry: { path: name, type: 'file', mode: 0o644, mtimeMs: 0, size },
    remaining: 0,
    ready: Promise.resolve(),
  };
}

/**
 * Feeds chunks to a RunBuilder as a restore does (each decoded once, then every place of it), ends the batch and waits
 * for the writes. Returns the runs written; `watch` is told, after each chunk, which files' runs are written so far.
 */
async function restoreLayout(
  layout: Array<{ file: FileTarget; chunks: Buffer[] }>,
  decodeOrder: Buffer[],
  watch?: (files: string[]) => void,
): Promise<Array<Run<ChunkWork>>> {
  const places = new Map<Buffer, Array<{ file: FileTarget; offset: number }>>();
  for (const { file, chunks } of layout) {
    let offset = 0;
    for (const c of chunks) {
      (places.get(c) ?? places.set(c, []).get(c)!).push({ file, offset });
      offset += c.length;
    }
  }
  const runs: Array<Run<ChunkWork>> = [];
  const done: ChunkWork[] = [];
  const writer = new RunWriter<ChunkWork>(async (run) => {
    runs.push(run);
    for (const w of run.chunks) if (--w.places === 0) done.push(w);
  });
  const builder = new RunBuilder(writer);
  const slabs = new SlabPool();
  for (const chunk of decodeOrder) {
    const slice = slabs.take(chunk.length);
    chunk.copy(slice.bytes);
    slabs.commit(slice);
    const list = places.get(chunk)!;
    const work: ChunkWork = { c: chunk.toString('hex', 0, 8), places: list.length };
    for (const p of list) await builder.add(p.file, p.offset, slice, work, list.length > 1);
    if (watch) {
      await writer.settle();
      watch(runs.map((r) => path.basename(r.file.full)));
    }
  }
  await builder.endBatch();
  await writer.drain();
  for (const { file } of layout) await closeHandle(file);
  expect(done).toHaveLength(decodeOrder.length); // every chunk written to all its places, once
  return runs;
}

describe('runs of a restore', () => {
  it('writes a file made of a repeated sequence of chunks in one run, not a write per place', async () => {
    const [a, b, c] = [crypto.randomBytes(10_000), crypto.randomBytes(7_000), crypto.randomBytes(12_000)];
    const chunks = Array.from({ length: 20 }, () => [a, b, c]).flat();
    const file = target('periodic', 20 * 29_000);
    const runs = await restoreLayout([{ file, chunks }], [a, b, c]);
    expect(fs.readFileSync(file.full).equals(Buffer.concat(chunks))).toBe(true);
    expect(runs).toHaveLength(1);
    expect(restoreHandlesOpen()).toBe(0);
  });

  it('joins a shared chunk decoded early to the run of its file from either side, and copies of a file together', async () => {
    const [x, y, z, w, shared] = [9_000, 11_000, 9_000, 6_000, 8_000].map((n) => crypto.randomBytes(n));
    // "first" holds the shared chunk between its own two; "second" starts with it and "third" ends with it, both
    // decoded before their other chunk; "copy" is made of first's chunks.
    const layout = [
      { file: target('first', 28_000), chunks: [x, shared, y] },
      { file: target('second', 17_000), chunks: [shared, z] },
      { file: target('third', 14_000), chunks: [w, shared] },
      { file: target('copy', 28_000), chunks: [x, shared, y] },
    ];
    const runs = await restoreLayout(layout, [x, shared, y, z, w]);
    for (const { file, chunks } of layout)
      expect(fs.readFileSync(file.full).equals(Buffer.concat(chunks)), file.full).toBe(true);
    expect(runs.map((r) => path.basename(r.file.full)).sort()).toEqual(['copy', 'first', 'second', 'third']);
    expect(restoreHandlesOpen()).toBe(0);
  });

  it('writes a file as soon as its run reaches the end of the file, not when the batch ends', async () => {
    const [h1, h2, c1, c2] = [5_000, 7_000, 9_000, 9_000].map((n) => crypto.randomBytes(n));
    const layout = [
      { file: target('hot', 12_000), chunks: [h1, h2] },
      { file: target('cold', 18_000), chunks: [c1, c2] },
    ];
    const seen: string[][] = [];
    await restoreLayout(layout, [h1, h2, c1, c2], (files) => seen.push(files));
    // Half a file waits for the rest of its run; a whole one goes out at once.
    expect(seen).toEqual([[], ['hot'], ['hot'], ['hot', 'cold']]);
    for (const { file, chunks } of layout)
      expect(fs.readFileSync(file.full).equals(Buffer.concat(chunks)), file.full).toBe(true);
    expect(restoreHandlesOpen()).toBe(0);
  });
});
