/**
 * One replication cycle of an item: find what changed on its disks and folders since the last point, stage it at the
 * recovery site, commit it there as a new crash-consistent point, then record the point here. Initial replication is
 * the same cycle against an empty replica.
 *
 * Torn points: the sources are read live, so every disk is stat'ed before and after the read and every folder walked
 * again after sending; any change in between discards the staged cycle and reads again (up to 5 times, then the
 * cycle fails and is retried later). A file whose mtime is too close to the scan is read again next cycle.
 *
 * Two-phase with the site: the new block maps and folder indexes are written beside the current ones (`.next`) and
 * the item's `pending` names the point before the site commits; afterwards, or at the next cycle after a crash,
 * `reconcile` asks the site whether it holds that point and promotes or drops the `.next` files accordingly. The
 * maps therefore always describe the replica, never a cycle the site rolled back.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LifeboatError } from '../errors';
import { newId } from '../keys';
import type { Logger } from '../log';
import type { CommitHooks, CycleManifest, SiteAgent, SiteItemRef } from '../sites/agent';
import type { WorkerPool } from '../workers/pool';
import { readMap, scanDisk } from './disk-scan';
import { diffFolder, openSource, readIndex, unchangedSince, walkFolder, type FolderIndex } from './folder-scan';
import type { ItemRow, ReplicationStore, SourceRow } from './store';

export interface CycleDeps {
  store: ReplicationStore;
  agent: SiteAgent;
  workers: WorkerPool;
  /** Where the engine keeps its block maps and folder indexes: `<dir>/<item id>/`. */
  stateDir: string;
  log: Logger;
  now: () => Date;
  hooks?: CommitHooks;
}

export interface CycleResult {
  pointId: string;
  createdAt: string;
  bytesSent: number;
  blocksSent: number;
  blocksScanned: number;
  bytesRead: number;
  disksUnchanged: number;
  filesSent: number;
  filesDeleted: number;
  skipped: number;
  attempts: number;
}

interface DiskState {
  size: number;
  mtimeNs: string;
  racy?: boolean;
}

interface Pending {
  pointId: string;
  createdAt: string;
  kind: 'crash' | 'app';
  bytes: number;
  disks: { idx: number; state: DiskState }[];
}

const ATTEMPTS = 5;
const RACY_NS = 2_000_000_000n;

const ref = (item: ItemRow): SiteItemRef => ({ id: item.id, name: item.name });
const files = (deps: CycleDeps, item: ItemRow, s: SourceRow) => {
  const base = path.join(deps.stateDir, item.id, String(s.idx));
  return { map: `${base}.map`, index: `${base}.index.json` };
};

async function promote(file: string): Promise<void> {
  await fsp.rename(`${file}.next`, file).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err; // already promoted before a crash
  });
}

/** Records the point the site committed (idempotent), or drops a cycle the site does not hold. */
export async function reconcile(deps: CycleDeps, item: ItemRow): Promise<void> {
  await deps.agent.recover(ref(item));
  const fresh = deps.store.item(item.id);
  if (!fresh?.pending) return;
  const pending = JSON.parse(fresh.pending) as Pending;
  const sources = deps.store.sources(item.id);
  const site = (await deps.agent.points(ref(item))).find((p) => p.id === pending.pointId);
  const changed = new Set(pending.disks.map((d) => d.idx));
  for (const s of sources) {
    const f = files(deps, item, s);
    if (site) {
      // Only the disks this cycle read have a new map; every folder has a new index.
      if (s.kind === 'folder') await promote(f.index);
      else if (changed.has(s.idx)) await promote(f.map);
    } else {
      await fsp.rm(`${f.map}.next`, { force: true });
      await fsp.rm(`${f.index}.next`, { force: true });
    }
  }
  deps.store.db.transaction(() => {
    if (site) {
      deps.store.insertPoint({ id: site.id, item_id: item.id, seq: site.seq, created_at: site.createdAt, kind: site.kind, bytes: site.bytes, group_point: null });
      for (const d of pending.disks) deps.store.setSourceState(item.id, d.idx, JSON.stringify(d.state));
      deps.store.updateItem(item.id, { pending: null, last_cycle_at: site.createdAt, last_error: null });
    } else deps.store.updateItem(item.id, { pending: null });
  })();
}

/** Reads and stages every change once; returns null when a source changed while it was read (a torn read). */
async function stageOnce(deps: CycleDeps, item: ItemRow, cycleId: string, signal: AbortSignal, result: CycleResult) {
  const sources = deps.store.sources(item.id);
  const disks: Pending['disks'] = [];
  const manifestDisks: CycleManifest['disks'] = [];
  const manifestFolders: CycleManifest['folders'] = [];
  const indexes: { s: SourceRow; index: FolderIndex }[] = [];
  const before = new Map<number, DiskState>();
  for (const s of sources) {
    // Left by an attempt that read a torn source: never promote those.
    await fsp.rm(`${files(deps, item, s).map}.next`, { force: true });
    await fsp.rm(`${files(deps, item, s).index}.next`, { force: true });
  }
  for (const s of sources) {
    if (s.kind !== 'disk') continue;
    const st = await fsp.stat(s.source_path, { bigint: true }).catch(() => null);
    if (!st?.isFile()) throw new LifeboatError('not_found', `The disk ${s.source_path} of ${item.name} is gone.`, 'Put the disk back, or disable protection of the item.', { final: true });
    before.set(s.idx, { size: Number(st.size), mtimeNs: String(st.mtimeNs) });
  }
  for (const s of sources) {
    signal.throwIfAborted();
    const f = files(deps, item, s);
    if (s.kind === 'disk') {
      const st = before.get(s.idx)!;
      const last = s.state ? (JSON.parse(s.state) as DiskState) : null;
      manifestDisks.push({ name: s.name, size: st.size });
      const racy = BigInt(deps.now().getTime()) * 1_000_000n - BigInt(st.mtimeNs) < RACY_NS;
      if (last && !last.racy && last.size === st.size && last.mtimeNs === st.mtimeNs) {
        result.disksUnchanged++;
        continue;
      }
      const scan = await scanDisk({ agent: deps.agent, workers: deps.workers }, { item: ref(item), cycleId, disk: s.name }, s.source_path, st.size, await readMap(f.map), signal);
      await fsp.writeFile(`${f.map}.next`, scan.map);
      disks.push({ idx: s.idx, state: { ...st, ...(racy ? { racy } : {}) } });
      Object.assign(result, {
        blocksSent: result.blocksSent + scan.blocksSent,
        blocksScanned: result.blocksScanned + scan.blocksScanned,
        bytesRead: result.bytesRead + scan.bytesRead,
        bytesSent: result.bytesSent + scan.bytesSent,
      });
    } else {
      const { index, skipped } = await walkFolder(s.source_path);
      result.skipped += skipped;
      const diff = diffFolder(await readIndex(f.index), index);
      for (const rel of diff.writes) {
        const file = path.join(s.source_path, ...rel.split('/'));
        const e = index[rel];
        result.bytesSent += await deps.agent.writeFile(ref(item), cycleId, s.name, rel, openSource(file), { mode: e.mode, mtimeMs: Number(BigInt(e.m) / 1000n) / 1000 });
        if (!(await unchangedSince(file, e))) return null;
        result.filesSent++;
      }
      result.filesDeleted += diff.deletes.length;
      const dirs = diff.dirs.map((rel) => ({ rel, mode: index[rel].mode, mtimeMs: Number(BigInt(index[rel].m) / 1000n) / 1000 }));
      manifestFolders.push({ name: s.name, mkdirs: diff.mkdirs, deletes: diff.deletes, rmdirs: diff.rmdirs, dirs });
      indexes.push({ s, index });
    }
  }
  // The instant of the point: nothing changed between the first stat and now.
  for (const s of sources) {
    if (s.kind === 'disk') {
      const st = await fsp.stat(s.source_path, { bigint: true }).catch(() => null);
      const b = before.get(s.idx)!;
      if (!st || Number(st.size) !== b.size || String(st.mtimeNs) !== b.mtimeNs) return null;
    }
  }
  for (const { s, index } of indexes) {
    const again = await walkFolder(s.source_path);
    const d = diffFolder(index, again.index);
    if (d.writes.length + d.deletes.length + d.mkdirs.length + d.rmdirs.length > 0) return null;
    await fsp.writeFile(`${files(deps, item, s).index}.next`, JSON.stringify(index));
  }
  return { disks, manifestDisks, manifestFolders };
}

/** Runs one cycle to a committed, recorded point. */
export async function runCycle(deps: CycleDeps, item: ItemRow, opts: { signal: AbortSignal; kind?: 'crash' | 'app' }): Promise<CycleResult> {
  await reconcile(deps, item);
  await fsp.mkdir(path.join(deps.stateDir, item.id), { recursive: true, mode: 0o700 });
  const pointId = newId('rp');
  const result: CycleResult = { pointId, createdAt: '', bytesSent: 0, blocksSent: 0, blocksScanned: 0, bytesRead: 0, disksUnchanged: 0, filesSent: 0, filesDeleted: 0, skipped: 0, attempts: 0 };
  for (;;) {
    result.attempts++;
    const counts = { ...result };
    await deps.agent.beginCycle(ref(item), pointId);
    const staged = await stageOnce(deps, item, pointId, opts.signal, result);
    if (staged) {
      result.createdAt = deps.now().toISOString();
      const pending: Pending = { pointId, createdAt: result.createdAt, kind: opts.kind ?? 'crash', bytes: result.bytesSent, disks: staged.disks };
      deps.store.updateItem(item.id, { pending: JSON.stringify(pending) });
      const manifest: CycleManifest = { pointId, createdAt: result.createdAt, kind: pending.kind, disks: staged.manifestDisks, folders: staged.manifestFolders, bytes: result.bytesSent };
      await deps.agent.commitCycle(ref(item), pointId, manifest, deps.hooks);
      await reconcile(deps, item);
      return result;
    }
    await deps.agent.abortCycle(ref(item), pointId);
    if (result.attempts >= ATTEMPTS)
      throw new LifeboatError('busy', `The sources of ${item.name} kept changing while they were read (${ATTEMPTS} tries).`, 'The next cycle tries again; pause writes briefly if this persists.', { retryable: true });
    deps.log.info('a source changed while a cycle read it; reading again', { item: item.name, attempt: result.attempts });
    Object.assign(result, { ...counts, attempts: result.attempts });
    await sleep(200 * result.attempts, undefined, { signal: opts.signal });
  }
}
