/**
 * Prune's dry run foresees the real run: the same pack plan (planPacks via loadSweep) gives the packs deleted,
 * repacked and kept partly used, and the new packs are sized as RepoWriter builds them, so the bytes freed match.
 * A dry run writes and deletes nothing. A backup whose manifest cannot be read stops any data being freed, and the
 * result says which backup and why (the `damaged` list and `notice`), in the CLI's record view too.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountRow } from '../../main/engine/accounts/store';
import { PruneResult } from '../../main/shared/schemas';
import type { BackupCatalog } from '../../main/engine/backups/catalog';
import { runMaintenance } from '../../main/engine/backups/maintenance';
import { planPrune, pruneAccount, repackedBytes, type SweepResult } from '../../main/engine/backups/prune';
import { record } from '../../main/shared/language/format';
import { backupSources, type BackupSource } from '../../main/engine/repo/backup';
import { checkRepository } from '../../main/engine/repo/check';
import { Repository } from '../../main/engine/repo/repository';
import { restoreSnapshot } from '../../main/engine/repo/restore';
import { LocalBackend } from '../../main/engine/storage/local';

let tmp: string;
const sdek = crypto.randomBytes(32);
const deletedFromCatalog: string[] = [];
const catalog = { delete: (id: string) => void deletedFromCatalog.push(id) } as unknown as BackupCatalog;
const account = { name: 'lab' } as AccountRow;
const keepLast = (n: number, maxUnused = 10, dryRun = false) => ({
  keepLast: n,
  keepDaily: 0,
  keepWeekly: 0,
  keepMonthly: 0,
  maxUnused,
  dryRun,
});
const open = async (root: string) => Repository.open(await LocalBackend.open(root), sdek, { loadIndex: false });

/** Every object of the account (path → size, .tmp/ and locks/ aside): what "wrote or deleted nothing" compares. */
function objects(root: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of fs.readdirSync(root, { recursive: true }) as string[]) {
    const full = path.join(root, f);
    if (fs.statSync(full).isFile() && !f.startsWith('.tmp') && !f.startsWith('locks')) out[f] = fs.statSync(full).size;
  }
  return out;
}

/**
 * Three backups of a share that changes between them, in 1 MiB packs: after keeping the last one, some packs are
 * dead, some mostly unused (repacked at 10%) and some only a little (kept whole). Plus a pack no index names.
 */
async function prepare(name: string): Promise<{ root: string; ids: string[] }> {
  const share = path.join(tmp, name, 'share');
  fs.mkdirSync(share, { recursive: true });
  for (let i = 0; i < 16; i++) fs.writeFileSync(path.join(share, `f${i}.bin`), crypto.randomBytes(300_000));
  const root = path.join(tmp, name, 'account');
  const repo = await Repository.init(await LocalBackend.open(root, { create: true }), sdek, { packTarget: 1 << 20 });
  const sources: BackupSource[] = [{ name: 'share', path: share, kind: 'tree' }];
  const ids: string[] = [];
  let previous;
  for (let round = 0; round < 3; round++) {
    previous = (await backupSources(repo, sources, { previous })).snapshot;
    ids.push(previous.id);
    for (let i = round; i < 16; i += 5)
      fs.writeFileSync(path.join(share, `f${i}.bin`), crypto.randomBytes(round === 1 ? 50_000 : 300_000));
  }
  // An interrupted backup's pack: no index names it, so both runs count it dead.
  const orphan = crypto.randomBytes(32).toString('hex');
  fs.mkdirSync(path.join(root, 'data', orphan.slice(0, 2)), { recursive: true });
  fs.writeFileSync(path.join(root, 'data', orphan.slice(0, 2), orphan), crypto.randomBytes(70_000));
  return { root, ids };
}

const dataBytes = (root: string) =>
  Object.entries(objects(root)).reduce((n, [f, size]) => n + (f.startsWith('data') ? size : 0), 0);

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-prune-dry-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('prune --dry-run', () => {
  it('foresees exactly what the real prune deletes, repacks and frees, and writes nothing', async () => {
    const { root, ids } = await prepare('match');
    const before = objects(root);
    const dry = PruneResult.parse(await pruneAccount(await open(root), catalog, account, keepLast(1, 10, true)));
    expect(objects(root)).toEqual(before);
    expect(dry).toMatchObject({ dryRun: true, kept: [ids[2]], damaged: [] });
    expect(dry.removed.sort()).toEqual(ids.slice(0, 2).sort());
    expect(dry.notice).toBeUndefined();
    // The scenario exercises every kind of pack the plan sorts, or the comparison below proves little.
    expect(dry.packsRepacked).toBeGreaterThan(0);
    expect(dry.packsDeleted).toBeGreaterThan(dry.packsRepacked);
    expect(dry.bytesFreed).toBeGreaterThan(0);

    const real = PruneResult.parse(await pruneAccount(await open(root), catalog, account, keepLast(1)));
    expect(real.dryRun).toBe(false);
    expect(real.kept).toEqual(dry.kept);
    expect(real.removed.sort()).toEqual(dry.removed);
    for (const k of ['packsDeleted', 'packsRepacked', 'packsPartlyUsed'] as const) expect(dry[k], k).toBe(real[k]);
    // Tolerance: zero here. The new packs are sized as RepoWriter closes them (at packTarget, and on flush); the
    // documented bound (a pack header per extra pack) applies only to packs of thousands of tiny blobs.
    expect(dry.bytesRepacked).toBe(real.bytesRepacked);
    expect(dry.bytesFreed).toBe(real.bytesFreed);
    // And the account shrank by what the real run reported.
    expect(dataBytes(root)).toBe(
      Object.entries(before).reduce((n, [f, s]) => n + (f.startsWith('data') ? s : 0), 0) - real.bytesFreed,
    );

    // Nothing left: the dry run of the next prune says so, like the real one.
    const again = await pruneAccount(await open(root), catalog, account, keepLast(1, 10, true));
    expect(again).toMatchObject({ packsDeleted: 0, packsRepacked: 0, bytesFreed: 0, bytesRepacked: 0 });
  }, 60_000);

  it('matches the real run without repacking (--max-unused 100), through the worker task too', async () => {
    const { root } = await prepare('whole');
    const { live } = await planPrune(await open(root), keepLast(1));
    const repo = await open(root);
    const task = {
      backend: { kind: 'local' as const, folder: root },
      sdek,
      repositoryId: repo.config.id,
      op: 'prune-sweep' as const,
      live,
      maxUnused: 100,
    };
    const before = objects(root);
    const dry = await runMaintenance({ ...task, dryRun: true });
    expect(objects(root)).toEqual(before);
    const real = await runMaintenance(task);
    expect(dry.ok && real.ok).toBe(true);
    if (!dry.ok || !real.ok) return;
    expect(dry.value).toEqual(real.value);
    expect(real.value).toMatchObject({ packsRepacked: 0, bytesRepacked: 0 });
    expect((real.value as SweepResult).packsDeleted).toBeGreaterThan(0);
  }, 60_000);

  it('sizes new packs as RepoWriter seals them: at the pack target, and the rest on flush', () => {
    // Per pack: the blobs, a sealed header of 45 bytes per blob (+ seal overhead) and an 8-byte trailer.
    const one = repackedBytes([100], 1000);
    const two = repackedBytes([100, 200], 1000);
    expect(two - one).toBe(200 + 45);
    // 600 + 500 reaches the target: that pack closes, 300 starts another with its own header.
    expect(repackedBytes([600, 500, 300], 1000)).toBe(repackedBytes([600, 500], 1000) + repackedBytes([300], 1000));
    expect(repackedBytes([], 1000)).toBe(0);
  });
});

describe('prune and a backup that cannot be read', () => {
  it('deletes only the dropped backups, frees no data, and says which backup stopped it and what to do', async () => {
    const { root, ids } = await prepare('damaged');
    // The middle backup's manifest is damaged: it may use any chunk, so no pack may go.
    const manifest = path.join(root, 'snapshots', ids[1]);
    const bytes = fs.readFileSync(manifest);
    bytes[bytes.length >> 1] ^= 0xff;
    fs.writeFileSync(manifest, bytes);
    const data = dataBytes(root);

    const dry = PruneResult.parse(await pruneAccount(await open(root), catalog, account, keepLast(1, 10, true)));
    expect(dry).toMatchObject({ kept: [ids[2]], removed: [ids[0]], packsDeleted: 0, packsRepacked: 0, bytesFreed: 0 });
    expect(dry.damaged.map((d) => d.id)).toEqual([ids[1]]);
    expect(dry.damaged[0].message).not.toBe('');
    expect(dry.notice).toContain(`No data would be freed: the backup ${ids[1]} could not be read`);
    expect(dry.notice).toContain('lifeboat account check lab');
    expect(fs.existsSync(path.join(root, 'snapshots', ids[0]))).toBe(true);

    const real = PruneResult.parse(await pruneAccount(await open(root), catalog, account, keepLast(1)));
    expect(real).toMatchObject({ removed: [ids[0]], packsDeleted: 0, bytesFreed: 0, damaged: dry.damaged });
    expect(real.notice).toContain(`No data was freed: the backup ${ids[1]} could not be read`);
    expect(real.notice).toContain('deleted only the backups the keep rules drop');
    expect(real.notice).toContain(`lifeboat backup delete ${ids[1]}`);
    expect(fs.existsSync(path.join(root, 'snapshots', ids[0]))).toBe(false);
    expect(deletedFromCatalog).toContain(ids[0]);
    expect(dataBytes(root)).toBe(data);

    // The CLI's record view (backup prune has view: 'record'): the damaged backup and the notice, one per line.
    const text = record(real);
    expect(text).toContain(`damaged:\n  - id: ${ids[1]}\n    message: `);
    expect(text).toMatch(/^notice: No data was freed: .+$/m);
    expect(text).toContain('bytesFreed: 0 B');
  }, 60_000);
});

describe('prune and small packs', () => {
  it('merges the partly filled last packs of many small backups, keeping every backup whole, once', async () => {
    const share = path.join(tmp, 'small', 'share');
    fs.mkdirSync(share, { recursive: true });
    const root = path.join(tmp, 'small', 'account');
    const repo = await Repository.init(await LocalBackend.open(root, { create: true }), sdek, { packTarget: 1 << 20 });
    const sources: BackupSource[] = [{ name: 'share', path: share, kind: 'tree' }];
    // Six daily backups, each adding 60 KB: each leaves one small pack behind.
    const ids: string[] = [];
    let previous;
    for (let day = 0; day < 6; day++) {
      fs.writeFileSync(path.join(share, `day${day}.bin`), crypto.randomBytes(60_000));
      previous = (await backupSources(repo, sources, { previous })).snapshot;
      ids.push(previous.id);
    }
    const packs = () => Object.keys(objects(root)).filter((f) => f.startsWith('data')).length;
    expect(packs()).toBe(6);

    const dry = PruneResult.parse(await pruneAccount(await open(root), catalog, account, keepLast(6, 10, true)));
    const real = PruneResult.parse(await pruneAccount(await open(root), catalog, account, keepLast(6)));
    expect(real).toMatchObject({ removed: [], packsRepacked: 6, packsDeleted: 6 });
    for (const k of ['packsDeleted', 'packsRepacked', 'bytesFreed', 'bytesRepacked'] as const)
      expect(dry[k], k).toBe(real[k]);
    expect(packs()).toBe(1);
    const reopened = await Repository.open(await LocalBackend.open(root), sdek);
    for (const [day, id] of ids.entries()) {
      const out = path.join(tmp, 'small', `out${day}`);
      await restoreSnapshot(reopened, id, out);
      expect(fs.readdirSync(path.join(out, 'share')).sort()).toEqual(
        Array.from({ length: day + 1 }, (_, d) => `day${d}.bin`),
      );
      for (let d = 0; d <= day; d++)
        expect(
          fs
            .readFileSync(path.join(out, 'share', `day${d}.bin`))
            .equals(fs.readFileSync(path.join(share, `day${d}.bin`))),
        ).toBe(true);
    }
    expect(await checkRepository(reopened, { readData: true })).toMatchObject({ ok: true });
    // One small pack is left: nothing to merge it with, so the next prune leaves it.
    expect(await pruneAccount(await open(root), catalog, account, keepLast(6))).toMatchObject({
      packsRepacked: 0,
      packsDeleted: 0,
    });
    // --max-unused 100 never rewrites a pack, small ones included.
    fs.writeFileSync(path.join(share, 'late.bin'), crypto.randomBytes(60_000));
    await backupSources(reopened, sources, { previous });
    expect(await pruneAccount(await open(root), catalog, account, keepLast(7, 100))).toMatchObject({
      packsRepacked: 0,
      packsDeleted: 0,
    });
    expect(packs()).toBe(2);
  }, 60_000);
});
