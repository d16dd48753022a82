// The backup's encoder thread (repo/encoder.ts) and the reused pack buffers: the same chunks as a one-thread backup,
// byte-identical restores, dedup against what the thread sealed, and packs that stay valid when buffers are reused.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupSources, type BackupSource } from '../../main/engine/repo/backup';
import { checkRepository } from '../../main/engine/repo/check';
import { Repository } from '../../main/engine/repo/repository';
import { restoreSnapshot } from '../../main/engine/repo/restore';
import type { TreeSource } from '../../main/engine/repo/snapshot';
import { workerScript } from '../../main/engine/workers/pool';
import { LocalBackend } from '../../main/engine/storage/local';
import { describeTree } from '../helpers/tree';

let tmp: string;
const sdek = crypto.randomBytes(32);

function makeShare(root: string): void {
  const put = (rel: string, data: Buffer) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), data);
  };
  for (let i = 0; i < 40; i++)
    put(
      `d${i % 4}/f${i}.bin`,
      i % 2 ? crypto.randomBytes(1000 + i * 37_000) : Buffer.from(`text ${i} `.repeat(1000 + i * 500)),
    );
  put('big/random.bin', crypto.randomBytes(6 << 20));
  put('big/copy.bin', fs.readFileSync(path.join(root, 'big/random.bin'))); // duplicate data, maybe on the other thread
  put('empty', Buffer.alloc(0));
  put('tiny', Buffer.from('x'));
}

const chunkLists = (s: TreeSource) =>
  Object.fromEntries(s.entries.filter((e) => e.type === 'file').map((e) => [e.path, e.chunks]));

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-encoder-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('backup with an encoder thread', () => {
  it('gives the chunks a one-thread backup gives, restores byte for byte, and dedups what the thread sealed', async () => {
    const share = path.join(tmp, 'share');
    makeShare(share);
    const sources: BackupSource[] = [{ name: 'share', path: share, kind: 'tree' }];

    // Small packs: many packs per backup, so the writer's buffers are reused many times over.
    const single = await Repository.init(await LocalBackend.open(path.join(tmp, 'single'), { create: true }), sdek, {
      packTarget: 1 << 20,
    });
    const one = await backupSources(single, sources);
    const backend = await LocalBackend.open(path.join(tmp, 'threaded'), { create: true });
    const repo = await Repository.init(backend, sdek, { packTarget: 1 << 20 });
    const two = await backupSources(repo, sources, { encoderScript: workerScript(), encoderWhen: 'always' });

    expect(chunkLists(two.snapshot.sources[0] as TreeSource)).toEqual(
      chunkLists(one.snapshot.sources[0] as TreeSource),
    );
    expect(two.snapshot.stats.bytesNew).toBe(one.snapshot.stats.bytesNew); // the duplicate file is stored once
    expect(two.warnings).toEqual([]);
    expect(await checkRepository(repo, { readData: true })).toMatchObject({ ok: true });

    const out = path.join(tmp, 'out');
    await restoreSnapshot(repo, two.snapshot.id, out);
    expect(describeTree(path.join(out, 'share'))).toEqual(describeTree(share));

    // Touch every file (new mtimes): all are read again through both threads, and nothing new is stored.
    const later = Date.now() / 1000 + 10;
    for (const f of fs.readdirSync(share, { recursive: true }) as string[])
      fs.utimesSync(path.join(share, f), later, later);
    const reopened = await Repository.open(backend, sdek);
    const again = await backupSources(reopened, sources, {
      previous: two.snapshot,
      encoderScript: workerScript(),
      encoderWhen: 'always',
    });
    expect(again.snapshot.stats.bytesRead).toBe(again.snapshot.stats.bytes);
    expect(again.snapshot.stats.chunksNew).toBe(0);
    expect(chunkLists(again.snapshot.sources[0] as TreeSource)).toEqual(
      chunkLists(two.snapshot.sources[0] as TreeSource),
    );

    // Overwrite 64 KiB inside every file: the thread sends the unchanged chunks as ids alone (the previous version
    // had them) and seals only the new ones; the result is what a one-thread backup of the same files stores.
    const edited = (fs.readdirSync(share, { recursive: true }) as string[]).filter(
      (f) => fs.statSync(path.join(share, f)).isFile() && fs.statSync(path.join(share, f)).size > 256 << 10,
    );
    expect(edited.length).toBeGreaterThan(0);
    for (const f of edited) {
      const fd = fs.openSync(path.join(share, f), 'r+');
      fs.writeSync(fd, crypto.randomBytes(64 << 10), 0, 64 << 10, 128 << 10);
      fs.closeSync(fd);
    }
    const third = await backupSources(reopened, sources, {
      previous: again.snapshot,
      encoderScript: workerScript(),
      encoderWhen: 'always',
    });
    const oneThird = await backupSources(single, sources, { previous: one.snapshot });
    expect(chunkLists(third.snapshot.sources[0] as TreeSource)).toEqual(
      chunkLists(oneThird.snapshot.sources[0] as TreeSource),
    );
    expect(third.snapshot.stats.bytesNew).toBe(oneThird.snapshot.stats.bytesNew);
    expect(third.snapshot.stats.bytesNew).toBeLessThan(edited.length * 4 * (64 << 10));
    const out3 = path.join(tmp, 'out3');
    await restoreSnapshot(reopened, third.snapshot.id, out3);
    expect(describeTree(path.join(out3, 'share'))).toEqual(describeTree(share));
    expect(await checkRepository(reopened, { readData: true })).toMatchObject({ ok: true });
  });

  it('an incremental backup whose source is gone fails clearly and leaves no encoder thread behind', async () => {
    const share = path.join(tmp, 'gone');
    makeShare(share);
    const repo = await Repository.init(await LocalBackend.open(path.join(tmp, 'gone-account'), { create: true }), sdek);
    const sources: BackupSource[] = [{ name: 'share', path: share, kind: 'tree' }];
    const first = await backupSources(repo, sources);
    const threads = () => fs.readdirSync('/proc/self/task').length;
    const before = threads();
    fs.rmSync(share, { recursive: true });
    // The thread starts before the walk (previous backup given, 'always'), so the walk's failure must close it.
    await expect(
      backupSources(repo, sources, { previous: first.snapshot, encoderScript: workerScript(), encoderWhen: 'always' }),
    ).rejects.toMatchObject({ code: 'not_found' });
    for (let i = 0; i < 50 && threads() > before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(threads()).toBe(before);
  });
});
