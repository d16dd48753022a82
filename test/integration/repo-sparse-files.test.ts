/**
 * Sparse files inside shares: a backup reads only their data extents and records their holes; a restore writes the
 * data at its offsets and leaves the holes unwritten, so a file of 8 blocks comes back with 8 blocks, not 200 000.
 * Manifests written before hole tracking (no `holes`) restore as they always did.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupSources } from '../../main/engine/repo/backup';
import { Repository } from '../../main/engine/repo/repository';
import { restoreSnapshot } from '../../main/engine/repo/restore';
import { saveSnapshot, type TreeSource } from '../../main/engine/repo/snapshot';
import { LocalBackend } from '../../main/engine/storage/local';
import { workerScript } from '../../main/engine/workers/pool';
import { describeTree } from '../helpers/tree';

const MiB = 1 << 20;
let tmp: string;
const sdek = crypto.randomBytes(32);

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-sparse-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A file of `size` bytes with random data written at each [offset, length]; the rest is holes. */
function sparseFile(file: string, size: number, data: Array<[number, number]>): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w');
  fs.ftruncateSync(fd, size);
  for (const [offset, length] of data) fs.writeSync(fd, crypto.randomBytes(length), 0, length, offset);
  fs.closeSync(fd);
}

const blocks = (file: string) => fs.statSync(file).blocks;

/** A share with a 100 MiB file holding 8 KiB of data, holes at the start and the end, an all-hole file and a dense file. */
function makeShare(root: string): Record<string, number> {
  sparseFile(path.join(root, 'disk.vhd'), 100 * MiB, [[50 * MiB, 8192]]);
  sparseFile(path.join(root, 'db/leading-hole.mdf'), 20 * MiB, [
    [12 * MiB, 300_000],
    [19 * MiB, MiB],
  ]);
  sparseFile(path.join(root, 'db/trailing-hole.log'), 30 * MiB, [[0, 2 * MiB + 17]]);
  sparseFile(path.join(root, 'empty-sparse.bin'), 64 * MiB, []);
  fs.writeFileSync(path.join(root, 'dense.bin'), crypto.randomBytes(3 * MiB + 5));
  const out: Record<string, number> = {};
  for (const rel of ['disk.vhd', 'db/leading-hole.mdf', 'db/trailing-hole.log', 'empty-sparse.bin', 'dense.bin'])
    out[rel] = blocks(path.join(root, rel));
  return out;
}

async function openRepo(name: string): Promise<Repository> {
  return Repository.init(await LocalBackend.open(path.join(tmp, name), { create: true }), sdek);
}

describe('sparse files in a share', () => {
  it('are backed up without their holes and restored with them, byte for byte', async () => {
    const share = path.join(tmp, 'a/share');
    const before = makeShare(share);
    // The premise: the file system here keeps holes (8 KiB of data in 100 MiB uses a few blocks).
    expect(before['disk.vhd']).toBeLessThanOrEqual(64);
    const repo = await openRepo('a-repo');
    const { snapshot } = await backupSources(repo, [{ name: 'share', path: share, kind: 'tree' }]);
    const entries = new Map((snapshot.sources[0] as TreeSource).entries.map((e) => [e.path, e]));
    expect(entries.get('disk.vhd')).toMatchObject({
      size: 100 * MiB,
      holes: [
        [0, 50 * MiB],
        [50 * MiB + 8192, 50 * MiB - 8192],
      ],
    });
    expect(entries.get('empty-sparse.bin')).toMatchObject({ size: 64 * MiB, holes: [[0, 64 * MiB]], chunks: [] });
    expect(entries.get('dense.bin')!.holes).toBeUndefined();
    // Only data was read: the holes' 230 MiB were not.
    expect(snapshot.stats.bytesRead).toBeLessThan(8 * MiB);

    const to = path.join(tmp, 'a/restored');
    await restoreSnapshot(repo, snapshot.id, to);
    expect(describeTree(path.join(to, 'share'))).toEqual(describeTree(share));
    for (const [rel, n] of Object.entries(before))
      expect({ rel, blocks: blocks(path.join(to, 'share', rel)) }).toEqual({ rel, blocks: n });
    expect(fs.statSync(path.join(to, 'share/disk.vhd')).size).toBe(100 * MiB);

    // An incremental backup keeps the holes of unchanged files without reading them.
    const again = await backupSources(repo, [{ name: 'share', path: share, kind: 'tree' }], { previous: snapshot });
    expect(again.snapshot.stats.bytesRead).toBe(0);
    expect((again.snapshot.sources[0] as TreeSource).entries.find((e) => e.path === 'disk.vhd')!.holes).toEqual(
      entries.get('disk.vhd')!.holes,
    );
  });

  it('keeps holes with the encoder thread too: sparse files are read by the backup thread, extent by extent', async () => {
    const share = path.join(tmp, 'e/share');
    const before = makeShare(share);
    const repo = await openRepo('e-repo');
    const { snapshot } = await backupSources(repo, [{ name: 'share', path: share, kind: 'tree' }], {
      encoderScript: workerScript(),
      encoderWhen: 'always',
    });
    expect((snapshot.sources[0] as TreeSource).entries.find((e) => e.path === 'disk.vhd')!.holes).toEqual([
      [0, 50 * MiB],
      [50 * MiB + 8192, 50 * MiB - 8192],
    ]);
    const to = path.join(tmp, 'e/restored');
    await restoreSnapshot(repo, snapshot.id, to);
    expect(describeTree(path.join(to, 'share'))).toEqual(describeTree(share));
    for (const [rel, n] of Object.entries(before))
      expect({ rel, blocks: blocks(path.join(to, 'share', rel)) }).toEqual({ rel, blocks: n });
  });

  it('restores a manifest written before hole tracking as before, and the next backup finds the holes', async () => {
    const share = path.join(tmp, 'b/share');
    makeShare(share);
    const repo = await openRepo('b-repo');
    // A manifest as an older Lifeboat wrote it: the same chunks read whole, no `holes`.
    const { snapshot } = await backupSources(repo, [{ name: 'share', path: share, kind: 'tree' }], {
      sparseMethod: 'zero-scan',
    });
    const tree = snapshot.sources[0] as TreeSource;
    expect(tree.entries.some((e) => e.holes)).toBe(false);
    await saveSnapshot(repo, { ...snapshot, id: 'old0000000000000000000000' });
    const to = path.join(tmp, 'b/restored');
    await restoreSnapshot(repo, 'old0000000000000000000000', to);
    expect(describeTree(path.join(to, 'share'))).toEqual(describeTree(share));

    // Unchanged since that backup, yet read again: its holes were never recorded.
    const next = await backupSources(repo, [{ name: 'share', path: share, kind: 'tree' }], {
      previous: 'old0000000000000000000000',
    });
    const disk = (next.snapshot.sources[0] as TreeSource).entries.find((e) => e.path === 'disk.vhd')!;
    expect(disk.holes).toEqual([
      [0, 50 * MiB],
      [50 * MiB + 8192, 50 * MiB - 8192],
    ]);
    expect((next.snapshot.sources[0] as TreeSource).entries.find((e) => e.path === 'dense.bin')!.holes).toBeUndefined();
  });

  it('overwrites an existing file so that none of its old bytes show through the holes', async () => {
    const share = path.join(tmp, 'c/share');
    sparseFile(path.join(share, 'disk.vhd'), 8 * MiB, [[4 * MiB, 4096]]);
    const repo = await openRepo('c-repo');
    const { snapshot } = await backupSources(repo, [{ name: 'share', path: share, kind: 'tree' }]);
    const to = path.join(tmp, 'c/restored');
    fs.mkdirSync(path.join(to, 'share'), { recursive: true });
    fs.writeFileSync(path.join(to, 'share/disk.vhd'), Buffer.alloc(8 * MiB, 0x55));
    await restoreSnapshot(repo, snapshot.id, to, { overwrite: true });
    expect(describeTree(path.join(to, 'share'))).toEqual(describeTree(share));
    expect(blocks(path.join(to, 'share/disk.vhd'))).toBe(blocks(path.join(share, 'disk.vhd')));
  });

  it('refuses a manifest whose holes a backup could not have written, before writing anything', async () => {
    const share = path.join(tmp, 'd/share');
    sparseFile(path.join(share, 'disk.vhd'), 8 * MiB, [[4 * MiB, 4096]]);
    const repo = await openRepo('d-repo');
    const { snapshot } = await backupSources(repo, [{ name: 'share', path: share, kind: 'tree' }]);
    const forge = async (id: string, holes: Array<[number, number]>) => {
      const m = structuredClone(snapshot);
      (m.sources[0] as TreeSource).entries[0].holes = holes;
      await saveSnapshot(repo, { ...m, id });
      const to = path.join(tmp, 'd', id);
      const refused = { code: 'damaged', message: expect.stringContaining('impossible holes for share/disk.vhd') };
      await expect(restoreSnapshot(repo, id, to)).rejects.toMatchObject(refused);
      expect(fs.existsSync(path.join(to, 'share'))).toBe(false);
    };
    await forge('bad1000000000000000000000', [
      [4 * MiB, 4096],
      [0, 4 * MiB],
    ]); // out of order
    await forge('bad2000000000000000000000', [[0, 9 * MiB]]); // past the end
    await forge('bad3000000000000000000000', [
      [0, 4 * MiB],
      [4 * MiB + 4096, 4 * MiB - 8192],
    ]); // data and holes do not add up
  });
});
