/**
 * Prune: keep the newest backup of each of the last N days, weeks and months (per set of sources), delete the
 * other manifests, then free the data no remaining backup uses. Packs no backup uses are deleted; packs whose unused
 * share is above `maxUnused` percent are repacked: their live blobs are copied, still sealed, into new packs (a
 * blob's associated data names its chunk and codec, not its pack, so nothing is decrypted), and the old pack goes.
 * Packs at or under the threshold are kept whole (rewriting 90% of a pack to free 10% costs more than it saves).
 *
 * Crash-safe order, each step leaving a valid account where every kept backup restores: manifests first (their
 * chunks become unused); new packs, then the index objects naming them (RepoWriter); a new index object naming the
 * packs kept whole; the old index objects; last the dead and repacked packs. Until the old index objects go, a
 * repacked chunk is listed in two packs, which readers accept.
 *
 * The manifest and pack work runs where `PruneOps` says: the engine runs it in the worker pool
 * (backups/maintenance.ts) so decrypting and parsing manifests of millions of files never blocks the main thread.
 * Callers hold the account exclusively: in this process (AccountManager.withExclusive) and against other
 * installations (an exclusive lease, accounts/locks.ts).
 */
import type { AccountRow } from '../accounts/store';
import { LifeboatError } from '../../shared/errors';
import { readIndexObject, writeIndexObject, type PackRecord } from '../repo/index';
import { ENTRY_SIZE, packBlobsIntact, packHashOf, packObjectName, TRAILER, type PackEntry } from '../repo/pack';
import { SEAL_OVERHEAD } from '../repo/crypto';
import type { Repository } from '../repo/repository';
import { forEachChunk, forEachSnapshot, loadSnapshot, type DamagedSnapshot } from '../repo/snapshot';
import { collectList } from '../storage/backend';
import type { LocalBackend } from '../storage/local';
import type { BackupCatalog } from './catalog';
import { sourceKey } from './catalog';

/**
 * Repack a pack once more than this percent of its blob bytes is unused. restic and Veeam count waste over the whole
 * repository (restic's --max-unused defaults to 5%); per pack, 10% keeps a prune from rewriting packs for little gain.
 */
export const DEFAULT_MAX_UNUSED = 10;

export interface Retention {
  keepLast: number;
  keepDaily: number;
  keepWeekly: number;
  keepMonthly: number;
}

const day = (t: Date) => t.toISOString().slice(0, 10);
const month = (t: Date) => t.toISOString().slice(0, 7);
/** ISO-8601 week (Monday first), in UTC like the other buckets. */
function week(t: Date): string {
  const d = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()));
  const dow = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - dow);
  const first = new Date(Date.UTC(d.getUTCFullYear(), 0, 1));
  return `${d.getUTCFullYear()}-W${Math.ceil(((d.getTime() - first.getTime()) / 86400000 + 1) / 7)}`;
}

/** The ids to keep: per group, newest first, the newest in each of the last N buckets of each kind. */
export function selectKept(backups: Array<{ id: string; time: string; group: string }>, r: Retention): Set<string> {
  const kept = new Set<string>();
  const groups = new Map<string, typeof backups>();
  for (const b of backups) (groups.get(b.group) ?? groups.set(b.group, []).get(b.group)!).push(b);
  for (const list of groups.values()) {
    list.sort((a, b) => b.time.localeCompare(a.time));
    list.slice(0, r.keepLast).forEach((b) => kept.add(b.id));
    for (const [n, bucket] of [
      [r.keepDaily, day],
      [r.keepWeekly, week],
      [r.keepMonthly, month],
    ] as const) {
      const seen = new Set<string>();
      for (const b of list) {
        if (seen.size >= n) break;
        const key = bucket(new Date(b.time));
        if (seen.has(key)) continue;
        seen.add(key);
        kept.add(b.id);
      }
    }
  }
  return kept;
}

export interface PrunePlan {
  kept: string[];
  removed: string[];
  damaged: DamagedSnapshot[];
  /** Every chunk a kept backup uses, 32 bytes each (binary ids, no repeats): compact to send between threads. */
  live: Uint8Array;
}

export interface SweepResult {
  packsDeleted: number;
  bytesFreed: number;
  packsPartlyUsed: number;
  packsRepacked: number;
  bytesRepacked: number;
}

/** Where the heavy phases run: in this thread (inProcess) or in the worker pool (backups/maintenance.ts). */
export interface PruneOps {
  plan(retention: Retention): Promise<PrunePlan>;
  sweep(live: Uint8Array, opts: SweepOptions): Promise<SweepResult>;
}

export const inProcess = (repo: Repository): PruneOps => ({
  plan: (retention) => planPrune(repo, retention),
  sweep: (live, opts) => sweepPacks(repo, live, opts),
});

/**
 * Phase 1: reads every manifest for its time and sources and chooses the backups to keep, then reads the kept ones
 * again for the chunks they use. Memory grows with the chunks kept, not with the number of backups (a chunk list per
 * backup, 32 bytes a chunk, was about a gigabyte for each backup of a 1 TB share). A kept manifest that cannot be
 * read the second time is reported damaged, which stops any data being freed.
 */
export async function planPrune(repo: Repository, retention: Retention): Promise<PrunePlan> {
  const backups: Array<{ id: string; time: string; group: string }> = [];
  const damaged = await forEachSnapshot(repo, (m) =>
    backups.push({ id: m.id, time: m.time, group: sourceKey(m.sources) }),
  );
  const kept = selectKept(backups, retention);
  const live = new Set<string>();
  for (const id of kept) {
    try {
      forEachChunk(await loadSnapshot(repo, id), (c) => void live.add(c));
    } catch (err) {
      damaged.push({ id, message: (err as Error).message });
    }
  }
  const packed = Buffer.allocUnsafe(live.size * 32);
  let o = 0;
  for (const id of live) o += packed.write(id, o, 32, 'hex');
  return { kept: [...kept], removed: backups.filter((b) => !kept.has(b.id)).map((b) => b.id), damaged, live: packed };
}

function unpackIds(live: Uint8Array): Set<string> {
  const buf = Buffer.from(live.buffer, live.byteOffset, live.byteLength);
  const out = new Set<string>();
  for (let o = 0; o < buf.length; o += 32) out.add(buf.toString('hex', o, o + 32));
  return out;
}

interface PackPlan {
  dead: string[];
  keep: PackRecord[];
  repack: Array<{ record: PackRecord; live: PackEntry[] }>;
  partlyUsed: number;
}

/**
 * Sorts the indexed packs: each live chunk is counted once, in one pack that holds it (its home; present packs
 * first, so a copy in a missing pack is never the one relied on; copies exist after two backups raced or a prune
 * was interrupted). A pack with no home chunk is dead; one whose
 * non-home blob bytes are above maxUnused percent of its blob bytes is repacked; the rest are kept whole. A pack the
 * index names but storage lacks is kept in the index for check to report: there is nothing to copy from it.
 * Packs stored smaller than `smallBelow` bytes (each backup's last pack is partly filled) are merged when there are
 * two or more of them, so an account's object count does not grow by one per backup forever; never with maxUnused 100.
 */
export function planPacks(
  records: Iterable<PackRecord>,
  stored: Map<string, number>,
  live: Set<string>,
  maxUnused: number,
  smallBelow = 0,
): PackPlan {
  const plan: PackPlan = { dead: [], keep: [], repack: [], partlyUsed: 0 };
  // Homes go to present packs first, then to the most used ones: after a prune interrupted between writing new
  // packs and deleting the old, the next one keeps the new packs (all live) and lets the old ones go.
  const rank = (r: PackRecord) =>
    (stored.has(packObjectName(r.hash)) ? 2 : 0) +
    r.entries.filter((e) => live.has(e.id)).length / Math.max(1, r.entries.length);
  const ordered = [...records]
    .map((r) => ({ r, rank: rank(r) }))
    .sort((a, b) => b.rank - a.rank)
    .map((x) => x.r);
  const homed = new Set<string>();
  const small: Array<{ record: PackRecord; live: PackEntry[]; partly: boolean }> = [];
  for (const r of ordered) {
    const name = packObjectName(r.hash);
    const home = r.entries.filter((e) => live.has(e.id) && !homed.has(e.id));
    for (const e of home) homed.add(e.id);
    if (!home.length) {
      plan.dead.push(name);
      continue;
    }
    const total = r.entries.reduce((n, e) => n + e.length, 0);
    const used = home.reduce((n, e) => n + e.length, 0);
    if (used < total && stored.has(name) && ((total - used) / total) * 100 > maxUnused)
      plan.repack.push({ record: r, live: home });
    else if (maxUnused < 100 && (stored.get(name) ?? Infinity) < smallBelow)
      small.push({ record: r, live: home, partly: used < total });
    else {
      plan.keep.push(r);
      if (used < total) plan.partlyUsed++;
    }
  }
  if (small.length >= 2) plan.repack.push(...small.map(({ record, live }) => ({ record, live })));
  else
    for (const s of small) {
      plan.keep.push(s.record);
      if (s.partly) plan.partlyUsed++;
    }
  return plan;
}

/** A pack stored smaller than the pack target divided by this is merged with the other small ones. */
const SMALL_PACK = 4;

/** What phase 2 works from: the index objects, the stored packs and their sizes, and the packs sorted by planPacks. */
interface SweepInputs {
  indexObjects: string[];
  stored: Map<string, number>;
  plan: PackPlan;
  /** Every indexed pack's record, by hash. */
  records: Map<string, PackRecord>;
}

/** Reads the index objects and lists the packs, then sorts them; the real sweep and the dry run share this, so they cannot drift. */
async function loadSweep(
  repo: Repository,
  live: Uint8Array,
  { maxUnused, keepUnindexed }: SweepOptions,
): Promise<SweepInputs> {
  const indexObjects = (await collectList(repo.backend, 'index/')).map((o) => o.name);
  const records = new Map<string, PackRecord>();
  for (const name of indexObjects)
    for (const r of await readIndexObject(repo.backend, repo.keys, name))
      if (!records.has(r.hash)) records.set(r.hash, r);
  const stored = new Map((await collectList(repo.backend, 'data/')).map((o) => [o.name, o.size]));
  const liveIds = unpackIds(live);
  const plan = planPacks(records.values(), stored, liveIds, maxUnused, repo.config.packTarget / SMALL_PACK);
  // Packs no index names: left by interrupted backups, as no backup runs during a prune (the caller holds the account
  // exclusively); a dry run beside running backups leaves them out, as those backups are still writing them. So are
  // they while a kept backup uses a chunk no index names: an index object was lost, and those packs may hold it (the
  // next restore indexes them again).
  const indexed = new Set([...records.keys()].map(packObjectName));
  if (!keepUnindexed && !indexLost(records.values(), liveIds))
    for (const name of stored.keys()) if (!indexed.has(name)) plan.dead.push(name);
  return { indexObjects, stored, plan, records };
}

/** Whether a live chunk is in none of the index's pack records. */
function indexLost(records: Iterable<PackRecord>, live: Set<string>): boolean {
  const found = new Set<string>();
  for (const r of records) for (const e of r.entries) if (live.has(e.id)) found.add(e.id);
  return found.size < live.size;
}

/** Sealed header and trailer of a pack of `count` blobs (PackBuilder.finish: sealed entries, u32 length, "LBP1"). */
const packOverhead = (count: number) => SEAL_OVERHEAD + count * ENTRY_SIZE + TRAILER;

/**
 * The bytes of the new packs repacking `blobs` (stored lengths, in the order repack() copies them) writes: RepoWriter
 * seals a pack once it reaches `packTarget`, and flush() seals the last one. Exact for packs that close that way; a
 * streamed pack of thousands of tiny blobs can close early on its header's size, so the figure is within a pack
 * header's size per extra pack.
 */
export function repackedBytes(blobs: Iterable<number>, packTarget: number): number {
  let total = 0;
  let size = 0;
  let count = 0;
  for (const length of blobs) {
    size += length;
    count++;
    if (size >= packTarget) {
      total += size + packOverhead(count);
      size = count = 0;
    }
  }
  return count ? total + size + packOverhead(count) : total;
}

/**
 * The dry run of phase 2: what sweepPacks would delete, repack and free, from the same plan, writing nothing. It
 * does not download packs, so a repack candidate whose bytes no longer match its name (which the real run keeps
 * whole) is counted as repacked.
 */
export function previewSweep({ stored, plan }: SweepInputs, packTarget: number): SweepResult {
  const deleted = [...plan.dead, ...plan.repack.map((r) => packObjectName(r.record.hash))];
  const bytesRepacked = plan.repack.length
    ? repackedBytes(
        plan.repack.flatMap((r) => r.live.map((e) => e.length)),
        packTarget,
      )
    : 0;
  const bytesDeleted = deleted.reduce((n, name) => n + (stored.get(name) ?? 0), 0);
  return {
    packsDeleted: deleted.length,
    bytesFreed: bytesDeleted - bytesRepacked,
    packsPartlyUsed: plan.partlyUsed,
    packsRepacked: plan.repack.length,
    bytesRepacked,
  };
}

/**
 * Phase 2: deletes dead packs and repacks mostly unused ones, in the crash-safe order of the module comment; with
 * `dryRun`, only says what it would do (previewSweep). The repository must be opened without its index
 * (Repository.open with loadIndex: false): RepoWriter skips chunks its index already has, and a repacked chunk must
 * be copied even though the old index lists it.
 */
export interface SweepOptions {
  maxUnused: number;
  /** Write and delete nothing; return what the real sweep would do (previewSweep). */
  dryRun?: boolean;
  /** Count packs no index names as kept (a dry run while backups write to the account). */
  keepUnindexed?: boolean;
}

export async function sweepPacks(repo: Repository, live: Uint8Array, opts: SweepOptions): Promise<SweepResult> {
  const result: SweepResult = {
    packsDeleted: 0,
    bytesFreed: 0,
    packsPartlyUsed: 0,
    packsRepacked: 0,
    bytesRepacked: 0,
  };
  if (repo.index.size && !opts.dryRun)
    throw new LifeboatError(
      'internal',
      'Prune needs the repository opened without its chunk index.',
      'This is a bug in Lifeboat: report it; nothing was deleted.',
    );
  const inputs = await loadSweep(repo, live, opts);
  if (opts.dryRun) return previewSweep(inputs, repo.config.packTarget);
  const { indexObjects, stored, plan, records } = inputs;
  result.packsPartlyUsed = plan.partlyUsed;
  if (!plan.dead.length && !plan.repack.length) return result;

  const repacked = await repack(repo, plan, records, result);
  if (plan.keep.length) await writeIndexObject(repo.backend, repo.keys, plan.keep);
  for (const name of indexObjects) await repo.backend.delete(name);
  for (const name of [...plan.dead, ...repacked]) {
    await repo.backend.delete(name);
    result.packsDeleted++;
    result.bytesFreed += stored.get(name) ?? 0;
  }
  // Net: what the account shrank by, the new packs counted against the old ones.
  result.bytesFreed -= result.bytesRepacked;
  return result;
}

/**
 * Copies the live blobs of the packs to repack into new packs and indexes them. Returns the old packs whose blobs
 * are all copied. A pack whose bytes no longer match its name is not copied from (that would spread damage under
 * a fresh checksum): it is kept whole and `check --read-data` reports it.
 */
async function repack(
  repo: Repository,
  plan: PackPlan,
  records: Map<string, PackRecord>,
  result: SweepResult,
): Promise<string[]> {
  if (!plan.repack.length) return [];
  const writer = repo.writer();
  const done: PackRecord[] = [];
  // Live chunks whose home pack turned out damaged: any other copy of them must survive this prune.
  const rescue = new Set<string>();
  try {
    for (const { record, live } of plan.repack) {
      const name = packObjectName(record.hash);
      const bytes = await repo.backend.get(name);
      if (!packBlobsIntact(repo.keys, record.hash, bytes, live)) {
        plan.keep.push(record);
        result.packsPartlyUsed++;
        for (const e of live) rescue.add(e.id);
        continue;
      }
      for (const e of live) {
        const added = await writer.addStored(e.id, e.codec, bytes.subarray(e.offset, e.offset + e.length), e.rawLength);
        // Never expected (each live chunk has one home, the index is empty), but a chunk not copied must not lose its pack.
        if (!added)
          throw new LifeboatError(
            'internal',
            `Prune could not copy the chunk ${e.id.slice(0, 16)}… out of ${name}.`,
            'This is a bug in Lifeboat: report it; no pack was deleted.',
          );
      }
      done.push(record);
    }
    await writer.flush();
  } catch (err) {
    await writer.abandon(); // the new packs that did finish are indexed and reused; nothing old is deleted
    throw err;
  }
  // Packs holding another copy of a rescued chunk are kept whole (their copied blobs are duplicates, freed later).
  const holdsRescued = (r: PackRecord) => r.entries.some((e) => rescue.has(e.id));
  const repacked = done.filter((r) => {
    if (!holdsRescued(r)) return true;
    plan.keep.push(r);
    return false;
  });
  if (rescue.size)
    plan.dead = plan.dead.filter((name) => {
      const r = records.get(packHashOf(name));
      if (!r || !holdsRescued(r)) return true;
      plan.keep.push(r);
      return false;
    });
  result.packsRepacked = repacked.length;
  result.bytesRepacked = writer.bytesUploaded;
  return repacked.map((r) => packObjectName(r.hash));
}

/** Why a prune freed (or would free) no data: some manifest could not be read. Undefined when all were read. */
export function damagedNotice(account: string, damaged: DamagedSnapshot[], dryRun: boolean): string | undefined {
  if (!damaged.length) return undefined;
  const one = damaged.length === 1;
  const which = one
    ? `the backup ${damaged[0].id} could not be read`
    : `${damaged.length} backups could not be read (listed under damaged)`;
  return (
    `${dryRun ? 'No data would be freed' : 'No data was freed'}: ${which}, and a backup that cannot be read may use any data, so prune ` +
    `${dryRun ? 'would delete' : 'deleted'} only the backups the keep rules drop. Run \`lifeboat account check ${account}\` to see what is wrong; ` +
    `once ${one ? 'it reads' : 'each reads'} again or is deleted (\`lifeboat backup delete ${one ? damaged[0].id : '<id>'}\`), prune again to free the data.`
  );
}

export async function pruneAccount(
  repo: Repository,
  catalog: BackupCatalog,
  account: AccountRow,
  /** busyWith: jobs and other installations using the account (only a dry run may run beside them). */
  opts: Retention & { dryRun: boolean; maxUnused?: number; busyWith?: string[] },
  ops: PruneOps = inProcess(repo),
) {
  const maxUnused = opts.maxUnused ?? DEFAULT_MAX_UNUSED;
  const { kept, removed, damaged, live } = await ops.plan(opts);
  // A dry run may run beside backups (a prune waits for them): their packs are not indexed yet, and not counted.
  const busy =
    opts.dryRun && opts.busyWith?.length
      ? `"${account.name}" is in use (${opts.busyWith.join('; ')}): data a running backup has stored but not yet indexed is not counted as freed, as a prune keeps what it indexes.`
      : undefined;
  const notice = [damagedNotice(account.name, damaged, opts.dryRun), busy].filter(Boolean).join(' ') || undefined;
  const result = {
    account: account.name,
    dryRun: opts.dryRun,
    kept,
    removed,
    damaged,
    ...(notice ? { notice } : {}),
    maxUnused,
    packsDeleted: 0,
    bytesFreed: 0,
    packsPartlyUsed: 0,
    packsRepacked: 0,
    bytesRepacked: 0,
  };
  // A manifest we cannot read may use any chunk: never delete (or promise to free) data while one exists.
  if (opts.dryRun)
    return damaged.length
      ? result
      : { ...result, ...(await ops.sweep(live, { maxUnused, dryRun: true, keepUnindexed: !!busy })) };

  // Prune holds the account exclusively here, so upload temporaries a crash left behind (local folders keep them in
  // .tmp/) can go; only those older than a day, in case a writer on another installation is uploading right now.
  const backend = repo.backend as Partial<Pick<LocalBackend, 'removeStaleTemporaries'>>;
  if (typeof backend.removeStaleTemporaries === 'function') await backend.removeStaleTemporaries();

  for (const id of removed) {
    await repo.backend.delete(`snapshots/${id}`);
    catalog.delete(id);
  }
  if (damaged.length) return result;
  return { ...result, ...(await ops.sweep(live, { maxUnused })) };
}
