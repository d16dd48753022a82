/**
 * Prune interrupted at every point. A kill -9 cannot be aimed at each of prune's writes and deletes, so the account
 * is wrapped in a backend that "dies" after its n-th put or delete (that call and every later one fail, as if the
 * process had stopped there; a local put is atomic, so there is no half-written object to model), for every n until
 * prune completes. After each death, the account as left must be valid: every backup still listed restores
 * byte-identically and `check --read-data` finds no problem. A second prune then finishes the job.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountRow } from '../../main/engine/accounts/store';
import type { BackupCatalog } from '../../main/engine/backups/catalog';
import { planPacks, planPrune, pruneAccount } from '../../main/engine/backups/prune';
import { backupSources, type BackupSource } from '../../main/engine/repo/backup';
import { checkRepository } from '../../main/engine/repo/check';
import { packHashOf, parsePack } from '../../main/engine/repo/pack';
import { Repository } from '../../main/engine/repo/repository';
import { restoreSnapshot } from '../../main/engine/repo/restore';
import { listSnapshots } from '../../main/engine/repo/snapshot';
import { collectList, type StorageBackend } from '../../main/engine/storage/backend';
import { LocalBackend } from '../../main/engine/storage/local';
import { describeTree } from '../helpers/tree';

let tmp: string;
const sdek = crypto.randomBytes(32);
const retention = { keepLast: 1, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, dryRun: false };
const catalog = { delete: () => undefined } as unknown as BackupCatalog;
const account = { name: 'lab' } as AccountRow;

/** The backend as seen by a process that stops after `budget` puts and deletes. */
function dying(inner: StorageBackend, budget: number): StorageBackend & { mutations: number } {
  const state = { mutations: 0 };
  const step = () => {
    if (++state.mutations > budget) throw new Error(`simulated crash after ${budget} writes and deletes`);
  };
  return {
    kind: inner.kind,
    location: inner.location,
    get mutations() {
      return state.mutations;
    },
    put: async (name, data, opts) => {
      step();
      return inner.put(name, data, opts);
    },
    delete: async (name) => {
      step();
      return inner.delete(name);
    },
    get: (name, range, signal) =>
      state.mutations > budget ? Promise.reject(new Error('crashed')) : inner.get(name, range, signal),
    head: (name) => inner.head(name),
    list: (prefix) => inner.list(prefix),
    probe: (signal) => inner.probe(signal),
  };
}

const dataBytes = (root: string) =>
  (fs.readdirSync(path.join(root, 'data'), { recursive: true }) as string[]).reduce(
    (n, f) => n + (fs.statSync(path.join(root, 'data', f)).isFile() ? fs.statSync(path.join(root, 'data', f)).size : 0),
    0,
  );

/** Two backups of a share whose second one dropped or rewrote half the files: every pack ends up partly used. */
async function prepare(name = 'base') {
  const share = path.join(tmp, name, 'share');
  fs.mkdirSync(share, { recursive: true });
  for (let i = 0; i < 16; i++) fs.writeFileSync(path.join(share, `f${i}.bin`), crypto.randomBytes(300_000));
  const account = path.join(tmp, name, 'account');
  const repo = await Repository.init(await LocalBackend.open(account, { create: true }), sdek, { packTarget: 1 << 20 });
  const sources: BackupSource[] = [{ name: 'share', path: share, kind: 'tree' }];
  const trees = new Map<string, Record<string, string>>();
  const before = describeTree(share);
  const first = (await backupSources(repo, sources)).snapshot;
  trees.set(first.id, before);
  for (let i = 0; i < 16; i += 4) {
    fs.rmSync(path.join(share, `f${i}.bin`));
    fs.writeFileSync(path.join(share, `f${i + 1}.bin`), crypto.randomBytes(300_000));
  }
  const after = describeTree(share);
  const second = (await backupSources(repo, sources, { previous: first })).snapshot;
  trees.set(second.id, after);
  return { account, trees, second: second.id };
}

/** Every listed backup restores exactly, and a full check finds nothing wrong. */
async function expectValid(root: string, trees: Map<string, Record<string, string>>, label: string) {
  const backend = await LocalBackend.open(root);
  const { snapshots, damaged } = await listSnapshots(await Repository.open(backend, sdek, { loadIndex: false }));
  expect(damaged, label).toEqual([]);
  for (const s of snapshots) {
    const out = fs.mkdtempSync(path.join(tmp, 'restore-'));
    await restoreSnapshot(await Repository.open(backend, sdek), s.id, out);
    expect(describeTree(path.join(out, 'share')), `${label}: backup ${s.id}`).toEqual(trees.get(s.id));
    fs.rmSync(out, { recursive: true });
  }
  const report = await checkRepository(await Repository.open(backend, sdek, { loadIndex: false }), { readData: true });
  expect(report.problems, label).toEqual([]);
  return snapshots.map((s) => s.id);
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-prune-crash-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('prune with repacking, interrupted at every write and delete', () => {
  it('leaves a valid account at each point, and the next prune finishes the job', async () => {
    const { account: prepared, trees, second } = await prepare();
    const full = path.join(tmp, 'full');
    fs.cpSync(prepared, full, { recursive: true });
    const clean = await pruneAccount(
      await Repository.open(await LocalBackend.open(full), sdek, { loadIndex: false }),
      catalog,
      account,
      retention,
    );
    expect(clean.packsRepacked).toBeGreaterThan(0);
    const cleanBytes = dataBytes(full);
    expect(cleanBytes).toBeLessThan(dataBytes(prepared) * 0.75);

    let points = 0;
    for (let budget = 0; ; budget++) {
      const root = path.join(tmp, `crash-${budget}`);
      fs.cpSync(prepared, root, { recursive: true });
      const backend = dying(await LocalBackend.open(root), budget);
      const outcome = await pruneAccount(
        await Repository.open(backend, sdek, { loadIndex: false }),
        catalog,
        account,
        retention,
      ).then(
        () => 'completed',
        (err: Error) => err.message,
      );
      const listed = await expectValid(root, trees, `after ${budget} writes and deletes`);
      expect(listed).toContain(second);
      // The next prune, uninterrupted, ends where an uninterrupted one would have.
      await pruneAccount(
        await Repository.open(await LocalBackend.open(root), sdek, { loadIndex: false }),
        catalog,
        account,
        retention,
      );
      expect(await expectValid(root, trees, `recovered after ${budget}`)).toEqual([second]);
      expect(dataBytes(root), `recovered after ${budget}`).toBeLessThanOrEqual(cleanBytes * 1.05);
      fs.rmSync(root, { recursive: true });
      if (outcome === 'completed') break;
      expect(outcome).toContain('simulated crash');
      points++;
    }
    // Manifest delete, new packs, their index, the new index, old index objects, old packs: many distinct points.
    expect(points).toBeGreaterThanOrEqual(8);
  }, 240_000);
});

describe('prune and a damaged pack', () => {
  it('never copies from a pack whose bytes do not match its name: it is kept whole and check still reports it', async () => {
    const { account: root } = await prepare('damaged');
    // The victim: a pack prune would repack (the plan of an undamaged account).
    const repo = await Repository.open(await LocalBackend.open(root), sdek);
    const { live } = await planPrune(repo, retention);
    const liveIds = new Set(
      Array.from({ length: live.length / 32 }, (_, i) =>
        Buffer.from(live.subarray(i * 32, i * 32 + 32)).toString('hex'),
      ),
    );
    const stored = new Map((await collectList(repo.backend, 'data/')).map((o) => [o.name, o.size]));
    const records = [...repo.index.packs].map((name) => ({
      hash: packHashOf(name),
      entries: [...repo.index.entries()].filter(([, l]) => l.pack === name).map(([id, l]) => ({ id, ...l })),
    }));
    const victimName = planPacks(records, stored, liveIds, 10).repack[0].record.hash;
    const victim = path.join(root, 'data', victimName.slice(0, 2), victimName);
    const bytes = fs.readFileSync(victim);
    bytes[100] ^= 0xff;
    fs.writeFileSync(victim, bytes);

    const result = await pruneAccount(
      await Repository.open(await LocalBackend.open(root), sdek, { loadIndex: false }),
      catalog,
      account,
      retention,
    );
    expect(fs.existsSync(victim)).toBe(true);
    expect(result.packsPartlyUsed).toBe(1);
    const report = await checkRepository(
      await Repository.open(await LocalBackend.open(root), sdek, { loadIndex: false }),
      { readData: true },
    );
    const object = `data/${victimName.slice(0, 2)}/${victimName}`;
    expect(report.problems.map((p) => p.object)).toContain(object);
    expect(report.problems.every((p) => p.object === object)).toBe(true);
  });

  it('keeps every other copy of a live chunk whose home pack turns out damaged', async () => {
    // Two writers raced: pack O (from one) and pack H (from the other) both hold chunk x. H holds more live data, so
    // it is x's home and O is dead; H also holds dead data, so it is to be repacked. H is then found damaged.
    const root = path.join(tmp, 'rescue', 'account');
    const share = path.join(tmp, 'rescue', 'share');
    const fill = (files: Record<string, Buffer>) => {
      fs.rmSync(share, { recursive: true, force: true });
      fs.mkdirSync(share, { recursive: true });
      for (const [f, b] of Object.entries(files)) fs.writeFileSync(path.join(share, f), b);
    };
    const sources: BackupSource[] = [{ name: 'share', path: share, kind: 'tree' }];
    const [x, y] = [crypto.randomBytes(6000), crypto.randomBytes(6000)];
    const dead = Array.from({ length: 9 }, () => crypto.randomBytes(6000));
    await Repository.init(await LocalBackend.open(root, { create: true }), sdek);
    const [r1, r2] = [
      await Repository.open(await LocalBackend.open(root), sdek),
      await Repository.open(await LocalBackend.open(root), sdek),
    ];
    fill({ 'x.bin': x, ...Object.fromEntries(dead.slice(1).map((b, i) => [`d${i + 2}.bin`, b])) });
    await backupSources(r1, sources);
    fill({ 'x.bin': x, 'y.bin': y, 'd1.bin': dead[0] });
    await backupSources(r2, sources);
    fill({ 'x.bin': x, 'y.bin': y });
    await new Promise((r) => setTimeout(r, 20)); // the kept backup is the newest
    await backupSources(await Repository.open(await LocalBackend.open(root), sdek), sources);
    const packs = (await collectList(await LocalBackend.open(root), 'data/')).map((o) => o.name);
    expect(packs).toHaveLength(2);
    const repo = await Repository.open(await LocalBackend.open(root), sdek);
    const xId = repo.chunkIdOf(x);
    const sizeOf = (name: string) => fs.statSync(path.join(root, ...name.split('/'))).size;
    const [homePack, otherPack] = packs.sort((a, b) => sizeOf(a) - sizeOf(b)); // H: 3 blobs; O: 9
    const victim = path.join(root, ...homePack.split('/'));
    const bytes = fs.readFileSync(victim);
    // Inside x's blob, which is live: its GCM tag fails (prune checks the tags of the blobs it would copy; damage in a
    // dead blob of a format-2 pack is freed with it, and format 1 checked the whole pack's SHA-256).
    bytes[parsePack(repo.keys, bytes).find((e) => e.id === xId)!.offset + 40] ^= 0xff;
    fs.writeFileSync(victim, bytes);

    const result = await pruneAccount(
      await Repository.open(await LocalBackend.open(root), sdek, { loadIndex: false }),
      catalog,
      account,
      retention,
    );
    expect(result.removed).toHaveLength(2);
    // Without the rescue, O (dead by the plan) would be deleted and x would live only in the damaged H.
    expect(fs.existsSync(victim)).toBe(true);
    expect(fs.existsSync(path.join(root, ...otherPack.split('/')))).toBe(true);
    const after = await Repository.open(await LocalBackend.open(root), sdek);
    expect(after.index.packs.has(otherPack)).toBe(true);
    const copy = fs.readFileSync(path.join(root, ...otherPack.split('/')));
    expect(parsePack(after.keys, copy).map((e) => e.id)).toContain(xId);
  });
});
