// An index loaded earlier is brought up to date (loadIndex with `held`): only the index objects written since are
// read, and a prune that rewrote the index makes it start afresh. The worker keeps one this way between jobs.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AccountRow } from '../../main/engine/accounts/store';
import type { BackupCatalog } from '../../main/engine/backups/catalog';
import { pruneAccount } from '../../main/engine/backups/prune';
import { backupSources, type BackupSource } from '../../main/engine/repo/backup';
import { Repository } from '../../main/engine/repo/repository';
import { LocalBackend } from '../../main/engine/storage/local';
import type { TreeSource } from '../../main/engine/repo/snapshot';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-index-reuse-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const sdek = crypto.randomBytes(32);

/** The local backend of the account, counting the index objects it reads. */
async function counted(root: string): Promise<{ backend: LocalBackend; reads: () => number }> {
  const backend = await LocalBackend.open(root);
  let n = 0;
  const get = backend.get.bind(backend);
  backend.get = (name, ...rest) => {
    if (name.startsWith('index/')) n++;
    return get(name, ...rest);
  };
  return { backend, reads: () => n };
}

const chunksOf = (s: TreeSource) => s.entries.flatMap((e) => e.chunks ?? []);

describe('reusing a loaded chunk index', () => {
  it('reads only the index objects written since, and starts afresh once a prune rewrote the index', async () => {
    const share = path.join(tmp, 'share');
    fs.mkdirSync(share);
    const root = path.join(tmp, 'account');
    const sources: BackupSource[] = [{ name: 'share', path: share, kind: 'tree' }];
    const first = await Repository.init(await LocalBackend.open(root, { create: true }), sdek);
    fs.writeFileSync(path.join(share, 'a.bin'), crypto.randomBytes(200_000));
    const one = (await backupSources(first, sources)).snapshot;
    // The writer records the index objects it wrote in the index it added their packs to.
    expect(first.index.objects.size).toBe(fs.readdirSync(path.join(root, 'index')).length);

    // Another writer (another job, or another installation) adds a backup.
    const other = await Repository.open(await LocalBackend.open(root), sdek);
    fs.writeFileSync(path.join(share, 'b.bin'), crypto.randomBytes(200_000));
    const two = (await backupSources(other, sources, { previous: one })).snapshot;

    const held = first.index.objects.size;
    const c = await counted(root);
    const again = await Repository.open(c.backend, sdek, { index: first.index });
    expect(again.index).toBe(first.index);
    expect(c.reads()).toBe(other.index.objects.size - held);
    expect(c.reads()).toBeGreaterThan(0);
    for (const id of chunksOf(two.sources[0] as TreeSource)) expect(again.index.has(id)).toBe(true);
    expect(again.index.size).toBe(other.index.size);

    // Prune rewrites the index: the held one no longer matches the account and is not used.
    const catalog = { delete: () => undefined } as unknown as BackupCatalog;
    await pruneAccount(
      await Repository.open(await LocalBackend.open(root), sdek, { loadIndex: false }),
      catalog,
      { name: 'lab' } as AccountRow,
      { keepLast: 1, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, dryRun: false, maxUnused: 0 },
    );
    const d = await counted(root);
    const afresh = await Repository.open(d.backend, sdek, { index: first.index });
    expect(afresh.index).not.toBe(first.index);
    expect(d.reads()).toBe(fs.readdirSync(path.join(root, 'index')).length);
    for (const id of chunksOf(two.sources[0] as TreeSource))
      expect(afresh.index.get(id)).toEqual((await Repository.open(await LocalBackend.open(root), sdek)).locate(id));
  });
});
