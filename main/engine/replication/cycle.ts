/**
 * One replication cycle of one item, or of every member of a replication group at one instant: find what changed on
 * the disks and folders since the last point, stage it at the recovery site, commit it there as a new point, then
 * record the point here. Initial replication and resync are the same cycle (against an empty replica; against the
 * site's checksums).
 *
 * One instant for all members: every member's sources are stat'ed (`begin`), then all are read, then all are checked
 * again (`verify`, replication/stage.ts); any change in between discards every member's staged cycle and reads
 * again (up to 5 times, then the cycle fails and is retried). So a group's point holds, for every member, what was on
 * disk at one moment between the last `begin` and the first `verify`. `afterRead` runs right after the reads (thaw:
 * the applications are frozen only while their data is read, not while the site applies it); the members are then
 * committed one by one under one group point id, complete only once every member recorded its point.
 *
 * Two-phase with the site: the new block maps and folder indexes are written beside the current ones (`.next`) and
 * the item's `pending` names the point before the site commits; afterwards, or at the next cycle after a crash,
 * `reconcile` asks the site whether it holds that point and promotes or drops the `.next` files accordingly. The
 * maps therefore always describe the replica, never a cycle the site rolled back.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LifeboatError } from '../../shared/errors';
import { newId } from '../keys';
import type { Logger } from '../log';
import type { CommitHooks, CycleManifest, SiteAgent, SiteItemRef } from '../sites/agent';
import type { SourceSide } from './source-side';
import { ItemStage, ResyncNeeded, stateFiles, type CycleCounts, type DiskState } from './stage';
import type { ItemRow, ReplicationStore } from './store';

export interface CycleDeps {
  store: ReplicationStore;
  /** The target side of the item's replication (replication/direction.ts): the recovery site, or in reverse the primary. */
  agentFor: (item: ItemRow) => SiteAgent;
  /** The source side: where the item's disks and folders are read. */
  sourceFor: (item: ItemRow) => SourceSide;
  /** Where the engine keeps its block maps and folder indexes: `<dir>/<item id>/`. */
  stateDir: string;
  log: Logger;
  now: () => Date;
  hooks?: CommitHooks;
}

export interface CycleResult extends CycleCounts {
  pointId: string;
  createdAt: string;
  kind: 'crash' | 'app';
  /** The group (multi-item) point this point belongs to. */
  groupPoint: string | null;
  attempts: number;
}

export interface CycleMember {
  item: ItemRow;
  /** Asked at commit, after `beforeRead` said whether the quiesce succeeded. */
  kind: () => 'crash' | 'app';
  /** JSON of an app point's quiesce and thaw runs, recorded with the point. */
  commands?: () => string | null;
}

export interface CycleOptions {
  signal: AbortSignal;
  /** Read every disk against the site's block checksums (resynchronization). */
  resync?: boolean;
  /** A resync into a replica the engine has no index of (reprotect): folders are compared with the target's files too. */
  reprotect?: boolean;
  /** Apply the 50% rule (delta cycles: not the first copy, nor its finalize, nor a resync). */
  fiftyPercent?: boolean;
  /** A multi-item point: every member's point carries this group point id. */
  group?: string;
  /** Runs once, after the site recovered any interrupted cycle and before the sources are read: quiesce. */
  beforeRead?: () => Promise<void>;
  /** Runs once, right after the sources were read consistently (or when the cycle fails before that): thaw. */
  afterRead?: () => Promise<void>;
  /** The counts of the last attempt, given also when the cycle fails (pending bytes). */
  onCounts?: (itemId: string, counts: CycleCounts) => void;
}

interface Pending {
  pointId: string;
  createdAt: string;
  kind: 'crash' | 'app';
  bytes: number;
  disks: { idx: number; state: DiskState }[];
  groupPoint?: string | null;
  commands?: string | null;
}

const ATTEMPTS = 5;

const culprits = new WeakMap<object, string>();

/** The member whose part of a cycle failed, when known (a group cycle's failure is told per member). */
export function culpritOf(err: unknown): string | undefined {
  if (err instanceof ResyncNeeded) return err.itemId;
  return err && typeof err === 'object' ? culprits.get(err) : undefined;
}

async function as<T>(item: ItemRow, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err && typeof err === 'object' && !culprits.has(err)) culprits.set(err, item.id);
    throw err;
  }
}

const ref = (item: ItemRow): SiteItemRef => ({ id: item.id, name: item.name });

async function promote(file: string): Promise<void> {
  await fsp.rename(`${file}.next`, file).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err; // already promoted before a crash
  });
}

/**
 * Records the point the site committed (idempotent), or drops a cycle the site does not hold. A site that no longer
 * holds the newest point recorded here (it stopped uncleanly or lost data) means the maps no longer describe the
 * replica: the item needs a resynchronization.
 */
export async function reconcile(deps: CycleDeps, item: ItemRow, opts: { resync?: boolean } = {}): Promise<void> {
  const agent = deps.agentFor(item);
  await agent.recover(ref(item));
  const fresh = deps.store.item(item.id);
  const sitePoints = await agent.points(ref(item));
  if (fresh?.pending) {
    const pending = JSON.parse(fresh.pending) as Pending;
    const sources = deps.store.sources(item.id);
    const site = sitePoints.find((p) => p.id === pending.pointId);
    const changed = new Set(pending.disks.map((d) => d.idx));
    for (const s of sources) {
      const f = stateFiles(deps.stateDir, item, s);
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
        const row = {
          id: site.id,
          item_id: item.id,
          seq: site.seq,
          created_at: site.createdAt,
          kind: site.kind,
          bytes: site.bytes,
          group_point: pending.groupPoint ?? null,
        };
        deps.store.insertPoint({ ...row, commands: pending.commands ?? null });
        for (const d of pending.disks) deps.store.setSourceState(item.id, d.idx, JSON.stringify(d.state));
        deps.store.updateItem(item.id, { pending: null, last_cycle_at: site.createdAt, last_error: null });
        if (pending.groupPoint) deps.store.completeGroupPoint(pending.groupPoint);
      } else deps.store.updateItem(item.id, { pending: null });
    })();
  }
  const lost = deps.store.points(item.id).filter((p) => !sitePoints.some((sp) => sp.id === p.id));
  // A resync starts over from what the site holds: points it lost can no longer be materialized.
  if (opts.resync && lost.length) deps.store.deletePoints(lost.map((p) => p.id));
  const latest = deps.store.latestPoint(item.id);
  if (latest && !sitePoints.some((p) => p.id === latest.id))
    throw new ResyncNeeded(
      item.id,
      `the recovery site no longer holds its newest point ${latest.id} (the site stopped uncleanly or lost data).`,
      item.name,
    );
}

/** Runs one cycle of the members (one item, or a group's) to committed, recorded points. */
export async function runCycle(deps: CycleDeps, members: CycleMember[], opts: CycleOptions): Promise<CycleResult[]> {
  let thawed = false;
  const thaw = async () => {
    if (thawed) return;
    thawed = true;
    await opts.afterRead?.();
  };
  try {
    for (const m of members) {
      await as(m.item, () => reconcile(deps, m.item, { resync: opts.resync || opts.reprotect }));
      await fsp.mkdir(path.join(deps.stateDir, m.item.id), { recursive: true, mode: 0o700 });
    }
    await opts.beforeRead?.();
    const pointIds = members.map(() => newId('rp'));
    let stages: ItemStage[] = [];
    let attempts = 0;
    for (let attempt = 1; ; attempt++) {
      attempts = attempt;
      const mode = {
        resync: !!opts.resync || !!opts.reprotect,
        fiftyPercent: !!opts.fiftyPercent,
        reprotect: !!opts.reprotect,
      };
      stages = members.map(
        (m, i) =>
          new ItemStage(
            { ...deps, agent: deps.agentFor(m.item), source: deps.sourceFor(m.item) },
            m.item,
            pointIds[i],
            mode,
          ),
      );
      let consistent = false;
      try {
        for (const s of stages) await as(s.item, () => s.open());
        for (const s of stages) await as(s.item, () => s.begin());
        // One frozen disk alone is consistent by itself; several must all be unchanged since the first stat.
        let read = true;
        if (stages.reduce((n, s) => n + s.sourceCount, 0) > 1)
          for (const s of stages) if (read) read = await as(s.item, () => s.settled());
        for (const s of stages) if (read) read = await as(s.item, () => s.read(opts.signal));
        consistent = read;
        for (const s of stages) if (consistent) consistent = await as(s.item, () => s.verify());
      } catch (err) {
        await Promise.all(stages.map((s) => s.abort().catch(() => undefined)));
        throw err;
      } finally {
        for (const s of stages) opts.onCounts?.(s.item.id, s.counts);
      }
      if (consistent) break;
      await Promise.all(stages.map((s) => s.abort()));
      const names = members.map((m) => m.item.name).join(', ');
      if (attempt >= ATTEMPTS)
        throw new LifeboatError(
          'busy',
          `The sources of ${names} kept changing while they were read (${ATTEMPTS} tries).`,
          'The next cycle tries again; pause writes briefly if this persists.',
          { retryable: true },
        );
      deps.log.info('a source changed while a cycle read it; reading again', { items: names, attempt });
      await sleep(200 * attempt, undefined, { signal: opts.signal });
    }
    await thaw();
    const createdAt = deps.now().toISOString();
    const groupPoint = opts.group ? newId('gp') : null;
    if (opts.group && groupPoint)
      deps.store.insertGroupPoint({
        id: groupPoint,
        group_name: opts.group,
        created_at: createdAt,
        members: JSON.stringify(members.map((m) => m.item.id)),
        complete: 0,
      });
    const results: CycleResult[] = [];
    for (const [i, m] of members.entries()) {
      const stage = stages[i];
      const staged = stage.result();
      const kind = m.kind();
      const pending: Pending = {
        pointId: pointIds[i],
        createdAt,
        kind,
        bytes: stage.counts.bytesSent,
        disks: staged.disks,
        groupPoint,
        commands: m.commands?.() ?? null,
      };
      deps.store.updateItem(m.item.id, { pending: JSON.stringify(pending) });
      const manifest: CycleManifest = {
        pointId: pointIds[i],
        createdAt,
        kind,
        disks: staged.manifestDisks,
        folders: staged.manifestFolders,
        bytes: stage.counts.bytesSent,
      };
      await as(m.item, () => deps.agentFor(m.item).commitCycle(ref(m.item), pointIds[i], manifest, deps.hooks));
      await as(m.item, () => reconcile(deps, m.item));
      results.push({ ...stage.counts, pointId: pointIds[i], createdAt, kind, groupPoint, attempts });
    }
    return results;
  } finally {
    await thaw();
  }
}
