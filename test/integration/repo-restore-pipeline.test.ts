import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupSources } from '../../main/engine/repo/backup';
import { BlobDamagedError, decodeBlob, decodeBlobInto, encodeBlob } from '../../main/engine/repo/blob';
import { Codec } from '../../main/engine/repo/compress';
import { deriveKeys } from '../../main/engine/repo/crypto';
import { Repository } from '../../main/engine/repo/repository';
import {
  restoreHandlesOpen,
  restoreSnapshot,
  type RestoreProgress,
  type RestoreState,
} from '../../main/engine/repo/restore';
import { LocalBackend } from '../../main/engine/storage/local';
import { describeTree } from '../helpers/tree';

const sdek = crypto.randomBytes(32);
let tmp: string;
let share: string;
let repo: Repository;
let snapshotId: string;

const fds = () => fs.readdirSync('/proc/self/fd').length;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-restore-pipeline-'));
  share = path.join(tmp, 'share');
  // Hundreds of files, so creating them is still going on while the first batches are written; text (zstd) and
  // random (stored as is) data; a duplicated file, so chunks have several places.
  for (let i = 0; i < 400; i++) {
    const dir = path.join(share, `d${i % 7}`);
    fs.mkdirSync(dir, { recursive: true });
    const body = i % 2 ? crypto.randomBytes(3000 + i * 50) : Buffer.from(`line ${i} of a text file\n`.repeat(200 + i));
    fs.writeFileSync(path.join(dir, `f${i}.dat`), body);
  }
  const big = crypto.randomBytes(3 << 20);
  fs.writeFileSync(path.join(share, 'big.bin'), big);
  fs.writeFileSync(path.join(share, 'big-copy.bin'), big);
  fs.writeFileSync(path.join(share, 'empty'), '');
  const backend = await LocalBackend.open(path.join(tmp, 'account'), { create: true });
  repo = await Repository.init(backend, sdek, { packTarget: 256 << 10 });
  ({
    snapshot: { id: snapshotId },
  } = await backupSources(repo, [{ name: 'share', path: share, kind: 'tree' }]));
}, 120_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('decoding a blob into a caller buffer', () => {
  const keys = deriveKeys(crypto.randomBytes(32));
  const text = Buffer.from('compressible text, '.repeat(4000));

  it('gives what decodeBlob gives, for every codec', () => {
    for (const codec of [Codec.None, Codec.Zstd, Codec.Brotli]) {
      const blob = encodeBlob(keys, text, undefined, codec);
      const out = Buffer.alloc(blob.rawLength);
      decodeBlobInto(keys, blob.id, blob.stored, blob.codec, blob.rawLength, out);
      expect(out.equals(decodeBlob(keys, blob.id, blob.stored, blob.codec, blob.rawLength)), `codec ${codec}`).toBe(
        true,
      );
    }
  });

  it('refuses a blob whose size, id, codec or bytes do not match, as decodeBlob does', () => {
    for (const codec of [Codec.None, Codec.Zstd, Codec.Brotli]) {
      const blob = encodeBlob(keys, text, undefined, codec);
      const into =
        (length: number, id = blob.id, stored = blob.stored, c: Codec = blob.codec) =>
        () =>
          decodeBlobInto(keys, id, stored, c, length, Buffer.alloc(length));
      expect(into(blob.rawLength - 1), `shorter, codec ${codec}`).toThrow(BlobDamagedError);
      expect(into(blob.rawLength + 1), `longer, codec ${codec}`).toThrow(BlobDamagedError);
      expect(into(blob.rawLength, 'ab'.repeat(32)), `other id, codec ${codec}`).toThrow(/failed authentication/);
      const flipped = Buffer.from(blob.stored);
      flipped[20] ^= 1;
      expect(into(blob.rawLength, blob.id, flipped), `flipped byte, codec ${codec}`).toThrow(BlobDamagedError);
    }
    // A blob sealed for another chunk (right key, its own id) opens but is not the chunk asked for.
    const other = encodeBlob(keys, Buffer.from('x'.repeat(text.length)), undefined, Codec.None);
    const wrong = encodeBlob(keys, text, other.id, Codec.None);
    expect(() =>
      decodeBlobInto(keys, other.id, wrong.stored, wrong.codec, wrong.rawLength, Buffer.alloc(wrong.rawLength)),
    ).toThrow(/does not match its id/);
  });
});

describe('the restore pipeline', () => {
  it('reports states in batch order that only grow, and restores the tree whole, duplicates and empty files included', async () => {
    const reports: Array<{ p: RestoreProgress; s: RestoreState }> = [];
    const out = path.join(tmp, 'full');
    const result = await restoreSnapshot(repo, snapshotId, out, {
      batchBytes: 64 << 10,
      onProgress: (p, s) => reports.push({ p, s }),
    });
    expect(result.damaged).toEqual([]);
    expect(describeTree(path.join(out, 'share'))).toEqual(describeTree(share));
    expect(reports.length).toBeGreaterThan(10);
    for (let i = 1; i < reports.length; i++) {
      expect(reports[i].s.doneCount).toBeGreaterThanOrEqual(reports[i - 1].s.doneCount);
      expect(reports[i].p.bytesFetched).toBeGreaterThanOrEqual(reports[i - 1].p.bytesFetched);
    }
    const last = reports.at(-1)!;
    expect(last.s.doneCount).toBe(result.chunks);
    expect(last.p.bytesFetched).toBe(result.bytesFetched);
    expect(last.p.filesDone).toBe(last.p.filesTotal);
  });

  it('reads into a few buffers that it reuses, however many reads the restore makes', async () => {
    const backend = repo.backend;
    const get = backend.get.bind(backend);
    const buffers = new Set<ArrayBufferLike>();
    let reads = 0;
    let into = 0;
    backend.get = (name, range, signal) => {
      if (range) reads++; // the ranged reads of packs; the manifest is read whole
      if (range?.into) {
        into++;
        buffers.add(range.into.buffer);
      }
      return get(name, range, signal);
    };
    try {
      const out = path.join(tmp, 'reused');
      const result = await restoreSnapshot(repo, snapshotId, out, { batchBytes: 64 << 10, concurrency: 3 });
      expect(result.damaged).toEqual([]);
      expect(describeTree(path.join(out, 'share'))).toEqual(describeTree(share));
    } finally {
      backend.get = get;
    }
    // Three reads in flight and one being decoded; every read had a buffer to go into.
    expect(reads).toBeGreaterThan(20);
    expect(into).toBe(reads);
    expect(buffers.size).toBeLessThanOrEqual(4);
  });

  it('a cancel while files are still being created rejects, leaves no handle open and no rejection unheard', async () => {
    const before = fds();
    const unheard: unknown[] = [];
    const listen = (err: unknown) => unheard.push(err);
    process.on('unhandledRejection', listen);
    try {
      const controller = new AbortController();
      const out = path.join(tmp, 'cancelled');
      await expect(
        restoreSnapshot(repo, snapshotId, out, {
          batchBytes: 16 << 10,
          signal: controller.signal,
          onProgress: () => controller.abort(),
        }),
      ).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unheard).toEqual([]);
      expect(restoreHandlesOpen()).toBe(0);
      expect(fds()).toBeLessThanOrEqual(before);
      // Creation stops with the restore (here after a few dozen of the 400 files; a resume creates the rest).
      const created = fs.readdirSync(path.join(out, 'share'), { recursive: true }).length;
      expect(created).toBeGreaterThan(0);
    } finally {
      process.off('unhandledRejection', listen);
    }
  });

  it('a resumed restore after a cancel finishes the tree', async () => {
    const controller = new AbortController();
    const out = path.join(tmp, 'resumed');
    let state: RestoreState | undefined;
    await expect(
      restoreSnapshot(repo, snapshotId, out, {
        batchBytes: 64 << 10,
        signal: controller.signal,
        onProgress: (p, s) => {
          state = s;
          if (p.chunksDone > p.chunksTotal / 2) controller.abort();
        },
      }),
    ).rejects.toThrow();
    expect(state!.doneCount).toBeGreaterThan(0);
    const result = await restoreSnapshot(repo, snapshotId, out, { resumeState: state });
    expect(result.damaged).toEqual([]);
    expect(describeTree(path.join(out, 'share'))).toEqual(describeTree(share));
    expect(restoreHandlesOpen()).toBe(0);
  });
});
