import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupSources } from '../../main/engine/repo/backup';
import { Repository } from '../../main/engine/repo/repository';
import { loadSnapshot } from '../../main/engine/repo/snapshot';
import { restoreSnapshot, type AnyRestoreState, type RestoreState } from '../../main/engine/repo/restore';
import { DoneSet } from '../../main/engine/repo/restore-state';
import { LocalBackend } from '../../main/engine/storage/local';
import { describeTree } from '../helpers/tree';

const FILES = 3000;
const BATCH = 256 << 10;
let tmp: string;
let share: string;
let repo: Repository;
let snapshotId: string;
/** Stored bytes a full restore of everything fetches (same batches, so an exact yardstick). */
let baseline: number;
let chunksTotal: number;

const sdek = crypto.randomBytes(32);
/** A state as the job keeps it: through JSON, as in its SQLite row. */
const viaJson = <T>(s: T): T => JSON.parse(JSON.stringify(s)) as T;

/** Restores until a bit over `fraction` of the chunks are done, then stops; returns the last state and bytes fetched. */
async function interrupted(
  out: string,
  fraction: number,
): Promise<{ state: RestoreState; fetched: number; states: RestoreState[] }> {
  const controller = new AbortController();
  const states: RestoreState[] = [];
  let fetched = 0;
  await expect(
    restoreSnapshot(repo, snapshotId, out, {
      batchBytes: BATCH,
      signal: controller.signal,
      onProgress: (p, s) => {
        states.push(s);
        fetched = p.bytesFetched;
        if (p.chunksDone > p.chunksTotal * fraction) controller.abort();
      },
    }),
  ).rejects.toThrow();
  return { state: viaJson(states.at(-1)!), fetched, states };
}

const resume = (out: string, resumeState: AnyRestoreState, extra: { path?: string } = {}) =>
  restoreSnapshot(repo, snapshotId, out, { batchBytes: BATCH, resumeState, ...extra });

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-restore-state-'));
  share = path.join(tmp, 'share');
  // Thousands of small distinct files: one chunk each. A few bigger ones in several chunks.
  for (let i = 0; i < FILES; i++) {
    const dir = path.join(share, `d${i % 20}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `f${i}.bin`), crypto.randomBytes(200 + (i % 1500)));
  }
  for (let i = 0; i < 3; i++) fs.writeFileSync(path.join(share, `big${i}.bin`), crypto.randomBytes(1 << 20));
  const backend = await LocalBackend.open(path.join(tmp, 'account'), { create: true });
  repo = await Repository.init(backend, sdek);
  const { snapshot } = await backupSources(repo, [{ name: 'share', path: share, kind: 'tree' }]);
  snapshotId = snapshot.id;
  const full = await restoreSnapshot(repo, snapshotId, path.join(tmp, 'full'), { batchBytes: BATCH });
  baseline = full.bytesFetched;
  chunksTotal = full.chunks;
  expect(describeTree(path.join(tmp, 'full/share'))).toEqual(describeTree(share));
}, 120_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('restore resume state', () => {
  it('stays small for thousands of chunks: a bitmap, not the chunk ids', async () => {
    expect(chunksTotal).toBeGreaterThan(FILES);
    const { states } = await interrupted(path.join(tmp, 'size'), 0.9);
    expect(states.length).toBeGreaterThan(5);
    // The ids alone would be 67 bytes per chunk (~200 KB here); one bit per chunk in base64 is ~0.17 bytes.
    for (const s of states) expect(JSON.stringify(s).length).toBeLessThan(Math.ceil(chunksTotal / 6) + 200);
    expect(states.at(-1)!.doneCount).toBeGreaterThan(chunksTotal * 0.9);
    expect(states.at(-1)!.chunks).toBe(chunksTotal);

    // Bounded by one bit per chunk even with a scattered pattern: 200 000 chunks, every third done.
    const ids = Array.from({ length: 200_000 }, (_, i) => crypto.createHash('sha256').update(String(i)).digest('hex'));
    const set = new DoneSet(ids);
    for (let i = 0; i < ids.length; i += 3) set.add(ids[i]);
    const big = JSON.stringify(set.state('x'));
    expect(big.length).toBeLessThan(200_000 / 6 + 200);
    expect(new DoneSet(ids).claimed(JSON.parse(big) as RestoreState, 'x')).toHaveLength(Math.ceil(200_000 / 3));
  });

  it('after an interruption fetches exactly what remained, and the tree is whole', async () => {
    const out = path.join(tmp, 'resume');
    const first = await interrupted(out, 0.4);
    expect(first.fetched).toBeGreaterThan(0);
    expect(first.fetched).toBeLessThan(baseline);
    const result = await resume(out, first.state);
    expect(result.damaged).toEqual([]);
    // Done chunks were verified on disk, not fetched again; the rest was fetched once.
    expect(first.fetched + result.bytesFetched).toBe(baseline);
    expect(describeTree(path.join(out, 'share'))).toEqual(describeTree(share));
  });

  it('re-fetches "done" chunks the target does not really hold', async () => {
    const out = path.join(tmp, 'lost');
    const first = await interrupted(out, 0.4);
    // A crash lost the writes: every file is back to zeros at its size.
    for (const f of fs.readdirSync(path.join(out, 'share'), { recursive: true, withFileTypes: true }))
      if (f.isFile())
        fs.writeFileSync(
          path.join(f.parentPath, f.name),
          Buffer.alloc(fs.statSync(path.join(f.parentPath, f.name)).size),
        );
    const result = await resume(out, first.state);
    expect(result.bytesFetched).toBe(baseline);
    expect(describeTree(path.join(out, 'share'))).toEqual(describeTree(share));
  });

  it('falls back to "nothing done" for a state that does not fit this restore', async () => {
    const out = path.join(tmp, 'mismatch');
    const { state } = await interrupted(out, 0.4);
    const wrong: Array<[string, AnyRestoreState]> = [
      ['another order', { ...state, order: '0123456789abcdef' }],
      ['another length', { ...state, chunks: state.chunks + 1 }],
      ['a count that disagrees with the bitmap', { ...state, doneCount: state.doneCount + 1 }],
      ['a damaged bitmap', { ...state, done: 'not-deflate!!' }],
      [
        'a bitmap that inflates too long',
        { ...state, done: zlib.deflateRawSync(Buffer.alloc(chunksTotal)).toString('base64') },
      ],
    ];
    for (const [why, bad] of wrong) {
      const result = await resume(out, bad);
      expect(result.bytesFetched, why).toBe(baseline);
      expect(describeTree(path.join(out, 'share')), why).toEqual(describeTree(share));
    }
  });

  it('ignores a state saved for another selection of the same backup', async () => {
    const partialOut = path.join(tmp, 'selection');
    const { state } = await interrupted(partialOut, 0.8);
    // The full-tree bitmap means nothing for a restore of one folder: it is a different chunk order.
    const result = await resume(path.join(tmp, 'selection-d3'), state, { path: 'd3' });
    const alone = await restoreSnapshot(repo, snapshotId, path.join(tmp, 'selection-d3-fresh'), {
      batchBytes: BATCH,
      path: 'd3',
    });
    expect(result.bytesFetched).toBe(alone.bytesFetched);
    expect(describeTree(path.join(tmp, 'selection-d3/share/d3'))).toEqual(describeTree(path.join(share, 'd3')));
  });

  it('still resumes from the chunk-id list of earlier versions', async () => {
    const out = path.join(tmp, 'legacy');
    const first = await interrupted(out, 0.4);
    // The ids the bitmap marks, written the old way.
    const probe = await bitmapIds(first.state);
    expect(probe.length).toBe(first.state.doneCount);
    const legacy = viaJson({ snapshotId, doneChunks: probe });
    const result = await resume(out, legacy);
    expect(first.fetched + result.bytesFetched).toBe(baseline);
    expect(describeTree(path.join(out, 'share'))).toEqual(describeTree(share));
    // An old state of another backup is no resume at all: the non-empty folder is refused as for a new restore.
    await expect(resume(out, { snapshotId: 'another', doneChunks: probe })).rejects.toMatchObject({ code: 'conflict' });
  });
});

/** The chunk ids a state marks done: the restore's order is the manifest's, first placement of each chunk. */
async function bitmapIds(state: RestoreState): Promise<string[]> {
  const manifest = await loadSnapshot(repo, snapshotId);
  const order = new Set<string>();
  for (const src of manifest.sources)
    if (src.kind === 'tree')
      for (const e of src.entries) if (e.type === 'file') for (const c of e.chunks ?? []) order.add(c);
  return new DoneSet([...order]).claimed(state, snapshotId);
}
