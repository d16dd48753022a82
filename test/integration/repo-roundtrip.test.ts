import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LifeboatError } from '../../main/shared/errors';
import { backupSources, type BackupSource } from '../../main/engine/repo/backup';
import { Repository } from '../../main/engine/repo/repository';
import { minOf, restoreHandlesOpen, restoreSnapshot } from '../../main/engine/repo/restore';
import {
  diffImages,
  listSnapshots,
  loadSnapshot,
  rebuildCatalog,
  type ImageSource,
} from '../../main/engine/repo/snapshot';
import { LocalBackend } from '../../main/engine/storage/local';
import { describeTree } from '../helpers/tree';

let tmp: string;
const sdek = crypto.randomBytes(32);
const mkdir = (p: string) => fs.mkdirSync(p, { recursive: true });
const write = (p: string, data: Buffer | string) => (mkdir(path.dirname(p)), fs.writeFileSync(p, data));

const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function makeShare(root: string): void {
  write(path.join(root, 'docs/readme.txt'), 'hello lifeboat\n'.repeat(1000));
  write(path.join(root, 'docs/big.bin'), crypto.randomBytes(3 << 20));
  write(path.join(root, 'docs/dup-of-big.bin'), fs.readFileSync(path.join(root, 'docs/big.bin')));
  write(path.join(root, 'Ünïcødé 文件/ñame – ok.txt'), 'unicode names survive\n');
  write(path.join(root, 'empty-file'), '');
  mkdir(path.join(root, 'empty/dir/deep'));
  fs.symlinkSync('docs/readme.txt', path.join(root, 'link-to-readme'));
  fs.symlinkSync('/nonexistent/target', path.join(root, 'dangling'));
  fs.chmodSync(path.join(root, 'docs/readme.txt'), 0o640);
  fs.utimesSync(path.join(root, 'docs/big.bin'), 1_600_000_000, 1_600_000_000.5);
  fs.utimesSync(path.join(root, 'empty/dir'), 1_500_000_000, 1_500_000_000);
}

/** 64 MiB sparse image: data at a few places, holes elsewhere. */
function makeImage(file: string): void {
  const fd = fs.openSync(file, 'w');
  fs.ftruncateSync(fd, 64 << 20);
  fs.writeSync(fd, crypto.randomBytes(1 << 20), 0, 1 << 20, 0);
  fs.writeSync(fd, crypto.randomBytes(200_000), 0, 200_000, 10 << 20);
  fs.writeSync(fd, Buffer.alloc(1 << 20, 0x41), 0, 1 << 20, 40 << 20);
  fs.writeSync(fd, Buffer.alloc(256 << 10), 0, 256 << 10, 50 << 20); // written zeros: stored as a hole
  fs.closeSync(fd);
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-repo-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('backup and restore round trip', () => {
  it('gives every file, folder and image back its modification time to the microsecond', async () => {
    // Times as the kernel stamps them (nanoseconds): about half end past the middle of their microsecond, which a
    // time rounded from Node's mtimeMs carried into the next microsecond (and, in the last one, the next millisecond).
    const share = path.join(tmp, 'times/share');
    for (let i = 0; i < 60; i++) {
      fs.mkdirSync(path.join(share, `d${i % 6}`), { recursive: true });
      fs.writeFileSync(path.join(share, `d${i % 6}`, `f${i}.txt`), `file ${i}`);
    }
    const image = path.join(tmp, 'times/disk.img');
    fs.writeFileSync(image, crypto.randomBytes(70_000));
    const backend = await LocalBackend.open(path.join(tmp, 'times/account'), { create: true });
    const repo = await Repository.init(backend, sdek);
    const { snapshot } = await backupSources(repo, [
      { name: 'share', path: share, kind: 'tree' },
      { name: 'disk', path: image, kind: 'image' },
    ]);
    const out = path.join(tmp, 'times/out');
    await restoreSnapshot(repo, snapshot.id, out);
    const micros = (p: string) => fs.lstatSync(p, { bigint: true }).mtimeNs / 1000n;
    const paths = ['', ...fs.readdirSync(share, { recursive: true, encoding: 'utf8' })].filter(Boolean);
    expect(paths).toHaveLength(66);
    for (const p of paths) expect(micros(path.join(out, 'share', p)), p).toBe(micros(path.join(share, p)));
    expect(micros(path.join(out, 'disk'))).toBe(micros(image));
  });

  it('restores a share and a sparse volume byte for byte, with metadata and holes', async () => {
    const share = path.join(tmp, 'rt/share');
    const image = path.join(tmp, 'rt/volume.img');
    makeShare(share);
    makeImage(image);
    const backend = await LocalBackend.open(path.join(tmp, 'rt/account'), { create: true });
    const repo = await Repository.init(backend, sdek);
    const sources: BackupSource[] = [
      { name: 'share1', path: share, kind: 'tree' },
      { name: 'vol1', path: image, kind: 'image' },
    ];
    const progress: number[] = [];
    const { snapshot, warnings } = await backupSources(repo, sources, {
      label: 'first',
      onProgress: (p) => progress.push(p.bytesRead),
    });
    expect(warnings).toEqual([]);
    expect(progress.length).toBeGreaterThan(0);
    const vol = snapshot.sources.find((s) => s.kind === 'image') as ImageSource;
    expect(vol.sparseMethod).toBe('seek-data');
    // Of the 64 MiB image only the data extents were read: 1 MiB + 200 KB + 1 MiB + the zero-written 256 KiB.
    const shareBytes = (snapshot.sources[0].kind === 'tree' ? snapshot.sources[0].entries : []).reduce(
      (n, e) => n + (e.size ?? 0),
      0,
    );
    expect(snapshot.stats.bytesRead - shareBytes).toBeLessThan(3 << 20);
    expect(vol.extents.filter((e) => e.chunk).reduce((n, e) => n + e.length, 0)).toBe((2 << 20) + 4 * (64 << 10)); // zero blocks are holes
    // The duplicated 3 MiB file was stored once.
    expect(snapshot.stats.bytesNew).toBeLessThan((3 << 20) + (3 << 20));

    const out = path.join(tmp, 'rt/restore');
    const result = await restoreSnapshot(await Repository.open(backend, sdek), snapshot.id, out);
    expect(result.damaged).toEqual([]);
    expect(describeTree(path.join(out, 'share1'))).toEqual(describeTree(share));
    expect(sha(path.join(out, 'vol1'))).toBe(sha(image));
    const restored = fs.statSync(path.join(out, 'vol1'));
    expect(restored.size).toBe(64 << 20);
    // Holes stay holes: allocated blocks close to the data written (~2.3 MiB), far below 64 MiB.
    expect(restored.blocks * 512).toBeLessThan(4 << 20);
  });

  it('restores one path of one source', async () => {
    const backend = await LocalBackend.open(path.join(tmp, 'rt/account'));
    const repo = await Repository.open(backend, sdek);
    const [summary] = (await listSnapshots(repo)).snapshots;
    const out = path.join(tmp, 'rt/partial');
    await restoreSnapshot(repo, summary.id, out, { sources: ['share1'], path: 'docs' });
    expect(fs.readdirSync(path.join(out, 'share1')).sort()).toEqual(['docs']);
    expect(sha(path.join(out, 'share1/docs/big.bin'))).toBe(sha(path.join(tmp, 'rt/share/docs/big.bin')));
    await expect(restoreSnapshot(repo, summary.id, out)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('refuses a wrong SDEK with a clear message, never garbage', async () => {
    const backend = await LocalBackend.open(path.join(tmp, 'rt/account'));
    const err = await Repository.open(backend, crypto.randomBytes(32)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LifeboatError);
    expect(err).toMatchObject({ code: 'bad_key', message: 'This key does not open this account.' });
  });

  it('rebuilds the catalog from the account alone', async () => {
    const backend = await LocalBackend.open(path.join(tmp, 'rt/account'));
    const catalog = await rebuildCatalog(await Repository.open(backend, sdek, { loadIndex: false }));
    expect(catalog.snapshots).toHaveLength(1);
    expect(catalog.snapshots[0]).toMatchObject({
      label: 'first',
      sources: [
        { name: 'share1', kind: 'tree' },
        { name: 'vol1', kind: 'image', bytes: 64 << 20 },
      ],
    });
    expect(catalog.chunks).toBeGreaterThan(0);
    expect(catalog.damaged).toEqual([]);
  });
});

describe('incremental backups', () => {
  it('after edits, renames, deletes and truncation, reads only what changed and restores exactly', async () => {
    const share = path.join(tmp, 'inc/share');
    makeShare(share);
    for (let i = 0; i < 20; i++) write(path.join(share, `many/f${i}.dat`), crypto.randomBytes(50_000 + i * 1000));
    const backend = await LocalBackend.open(path.join(tmp, 'inc/account'), { create: true });
    const repo = await Repository.init(backend, sdek);
    const sources: BackupSource[] = [{ name: 'share', path: share, kind: 'tree' }];
    const first = (await backupSources(repo, sources)).snapshot;

    fs.appendFileSync(path.join(share, 'docs/readme.txt'), 'one more line\n');
    fs.renameSync(path.join(share, 'many/f3.dat'), path.join(share, 'many/renamed.dat'));
    fs.rmSync(path.join(share, 'many/f4.dat'));
    fs.truncateSync(path.join(share, 'many/f5.dat'), 1000);
    fs.rmSync(path.join(share, 'empty/dir/deep'), { recursive: true });
    write(path.join(share, 'new/added.txt'), 'new file');
    const second = (await backupSources(repo, sources, { previous: first.id })).snapshot;
    expect(second.parent).toBe(first.id);
    // Unchanged files are not read: only the edited, renamed (new inode path) and added files are.
    expect(second.stats.bytesRead).toBeLessThan(200_000);
    // The renamed file's content was already stored.
    expect(second.stats.bytesNew).toBeLessThan(30_000);

    const out1 = path.join(tmp, 'inc/r1');
    const out2 = path.join(tmp, 'inc/r2');
    await restoreSnapshot(repo, second.id, out2);
    expect(describeTree(path.join(out2, 'share'))).toEqual(describeTree(share));
    await restoreSnapshot(repo, first.id, out1);
    expect(fs.readFileSync(path.join(out1, 'share/many/f5.dat')).length).toBe(55_000);
    expect(fs.existsSync(path.join(out1, 'share/empty/dir/deep'))).toBe(true);
  });

  it('adds little after changing 1% of a 64 MiB file in scattered 64 KiB runs', async () => {
    // Deterministic key, data and offsets: the ratio depends on where chunk boundaries fall, so it must not vary.
    const stream = (seed: number, n: number) =>
      crypto.createCipheriv('aes-256-ctr', Buffer.alloc(32, seed), Buffer.alloc(16)).update(Buffer.alloc(n));
    const dir = path.join(tmp, 'pct');
    const file = path.join(dir, 'share/data.bin');
    const image = path.join(dir, 'vol.img');
    write(file, stream(1, 64 << 20));
    fs.copyFileSync(file, image);
    const backend = await LocalBackend.open(path.join(dir, 'account'), { create: true });
    const repo = await Repository.init(backend, Buffer.alloc(32, 7));
    const sources: BackupSource[] = [
      { name: 'share', path: path.dirname(file), kind: 'tree' },
      { name: 'vol', path: image, kind: 'image' },
    ];
    const first = (await backupSources(repo, sources)).snapshot;
    // 10 runs of 64 KiB at random unaligned offsets (≈1% of 64 MiB), the same in both files.
    const runs = Array.from({ length: 10 }, (_, i) => i * (6 << 20) + ((i * 337_411) % (1 << 20)));
    let changed = 0;
    for (const f of [file, image]) {
      const fd = fs.openSync(f, 'r+');
      for (const [i, at] of runs.entries()) fs.writeSync(fd, stream(100 + i, 64 << 10), 0, 64 << 10, at);
      fs.closeSync(fd);
      changed += runs.length * (64 << 10);
    }
    const second = (await backupSources(repo, sources, { previous: first })).snapshot;
    const ratio = second.stats.storedNew / changed;
    console.log(
      `1% change: changed ${changed} bytes, added ${second.stats.storedNew} bytes to the account, ratio ${ratio.toFixed(2)}`,
    );
    expect(ratio).toBeLessThan(2.5);
    // The volume's block maps say which blocks differ without reading any data.
    const diff = diffImages(first.sources[1] as ImageSource, second.sources[1] as ImageSource);
    const diffBytes = diff.reduce((n, d) => n + d.length, 0);
    expect(diffBytes).toBeGreaterThanOrEqual(runs.length * (64 << 10));
    expect(diffBytes).toBeLessThanOrEqual(runs.length * 2 * (64 << 10));
    const out = path.join(dir, 'restore');
    await restoreSnapshot(repo, second.id, out);
    expect(sha(path.join(out, 'share/data.bin'))).toBe(sha(file));
    expect(sha(path.join(out, 'vol'))).toBe(sha(image));
    expect((await loadSnapshot(repo, second.id)).sources).toHaveLength(2);
  });
});

describe('restore under concurrency', () => {
  it('shares one handle per file between read loops: no fd leaks and the open-handle count returns to zero', async () => {
    const dir = path.join(tmp, 'fds');
    const share = path.join(dir, 'share');
    // Files of many chunks, each chunk in its own small pack, so many reads write the same file at once.
    for (let i = 0; i < 4; i++) write(path.join(share, `f${i}.bin`), crypto.randomBytes(4 << 20));
    const image = path.join(dir, 'volume.img');
    write(image, crypto.randomBytes(4 << 20));
    const backend = await LocalBackend.open(path.join(dir, 'account'), { create: true });
    const repo = await Repository.init(backend, sdek, { packTarget: 64 << 10 });
    const sources: BackupSource[] = [
      { name: 'share', path: share, kind: 'tree' },
      { name: 'vol', path: image, kind: 'image' },
    ];
    const { snapshot } = await backupSources(repo, sources);
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    const before = fds();
    expect(restoreHandlesOpen()).toBe(0);
    const out = path.join(dir, 'restore');
    await restoreSnapshot(repo, snapshot.id, out, { concurrency: 32 });
    expect(restoreHandlesOpen()).toBe(0);
    expect(fds()).toBeLessThanOrEqual(before);
    for (let i = 0; i < 4; i++) expect(sha(path.join(out, `share/f${i}.bin`))).toBe(sha(path.join(share, `f${i}.bin`)));
    expect(sha(path.join(out, 'vol'))).toBe(sha(image));
  });

  it('orders chunks with hundreds of thousands of placements without overflowing the stack', () => {
    const many = Array.from({ length: 500_000 }, (_, i) => ({ offset: 500_000 - i }));
    expect(() => Math.min(...many.map((p) => p.offset))).toThrow(RangeError);
    expect(minOf(many, (p) => p.offset)).toBe(1);
    expect(minOf([], () => 0)).toBe(Infinity);
  });
});

describe('restore with overwrite into a target holding symbolic links', () => {
  it('refuses to write through a planted link, writes nothing outside the target, and still restores links as links', async () => {
    const dir = path.join(tmp, 'links');
    const share = path.join(dir, 'share');
    makeShare(share);
    const backend = await LocalBackend.open(path.join(dir, 'account'), { create: true });
    const repo = await Repository.init(backend, sdek);
    const { snapshot } = await backupSources(repo, [{ name: 'share', path: share, kind: 'tree' }]);

    // An earlier restore, then someone swaps share/docs for a link to a folder outside the target.
    const out = path.join(dir, 'out');
    await restoreSnapshot(repo, snapshot.id, out);
    const elsewhere = path.join(dir, 'elsewhere');
    mkdir(elsewhere);
    fs.rmSync(path.join(out, 'share/docs'), { recursive: true });
    fs.symlinkSync(elsewhere, path.join(out, 'share/docs'));
    const err = await restoreSnapshot(repo, snapshot.id, out, { overwrite: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LifeboatError);
    expect((err as LifeboatError).code).toBe('conflict');
    expect((err as Error).message).toContain(
      `The restore target ${path.join(out, 'share/docs')} is a symbolic link (to ${elsewhere})`,
    );
    expect(fs.readdirSync(elsewhere)).toEqual([]);

    // The same for the source folder itself.
    const out2 = path.join(dir, 'out2');
    mkdir(out2);
    fs.symlinkSync(elsewhere, path.join(out2, 'share'));
    await expect(restoreSnapshot(repo, snapshot.id, out2, { overwrite: true })).rejects.toThrow(/is a symbolic link/);
    expect(fs.readdirSync(elsewhere)).toEqual([]);

    // Once the link is gone the overwrite restores everything, and the backed-up links come back as links.
    fs.rmSync(path.join(out, 'share/docs'));
    await restoreSnapshot(repo, snapshot.id, out, { overwrite: true });
    expect(describeTree(path.join(out, 'share'))).toEqual(describeTree(share));
    expect(fs.readlinkSync(path.join(out, 'share/link-to-readme'))).toBe('docs/readme.txt');
  });
});

describe('backup statistics', () => {
  it('count only the files and bytes the manifest holds, not entries skipped with a warning', async () => {
    const dir = path.join(tmp, 'stats');
    const share = path.join(dir, 'share');
    write(path.join(share, 'kept.txt'), 'x'.repeat(1000));
    write(path.join(share, 'unreadable.bin'), crypto.randomBytes(50_000));
    const backend = await LocalBackend.open(path.join(dir, 'account'), { create: true });
    const repo = await Repository.init(backend, sdek);
    const real = fs.promises.open;
    const spy = vi
      .spyOn(fs.promises, 'open')
      .mockImplementation(((file: fs.PathLike, ...rest: unknown[]) =>
        String(file).endsWith('unreadable.bin')
          ? Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }))
          : (real as (...a: unknown[]) => unknown)(file, ...rest)) as typeof fs.promises.open);
    // Small files are opened synchronously (backup.ts: SYNC_READ_MAX): refused there too.
    const realSync = fs.openSync;
    const spySync = vi.spyOn(fs, 'openSync').mockImplementation(((file: fs.PathLike, ...rest: unknown[]) => {
      if (String(file).endsWith('unreadable.bin'))
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      return (realSync as (...a: unknown[]) => number)(file, ...rest);
    }) as typeof fs.openSync);
    try {
      const { snapshot, warnings } = await backupSources(repo, [{ name: 'share', path: share, kind: 'tree' }]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('unreadable.bin');
      expect(snapshot.stats).toMatchObject({ files: 1, bytes: 1000 });
      expect((await listSnapshots(repo)).snapshots[0].stats).toMatchObject({ files: 1, bytes: 1000 });
    } finally {
      spy.mockRestore();
      spySync.mockRestore();
    }
  });
});
