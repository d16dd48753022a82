/**
 * Prune: keep the newest backup of each of the last N days, weeks and months (per set of sources), delete the
 * other manifests, then remove packs no remaining backup uses. Crash-safe order, each step leaving a valid account:
 * manifests first (their chunks become unused), then a new index object naming only the kept packs, then the old
 * index objects, then the packs. Packs that still hold some live chunks are kept whole (repacking them is future
 * work). Callers hold the account exclusively: in this process (AccountManager.withExclusive) and against other
 * installations (an exclusive lease, accounts/locks.ts).
 */
import type { AccountRow } from '../accounts/store';
import { collectList } from '../storage/backend';
import { readIndexObject, writeIndexObject, type PackRecord } from '../repo/index';
import { packObjectName } from '../repo/pack';
import type { Repository } from '../repo/repository';
import type { LocalBackend } from '../storage/local';
import { loadAllSnapshots } from '../repo/snapshot';
import type { BackupCatalog } from './catalog';
import { sourceKey } from './catalog';

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
    for (const [n, bucket] of [[r.keepDaily, day], [r.keepWeekly, week], [r.keepMonthly, month]] as const) {
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

export async function pruneAccount(repo: Repository, catalog: BackupCatalog, account: AccountRow, opts: Retention & { dryRun: boolean }) {
  const { manifests, damaged } = await loadAllSnapshots(repo);
  const kept = selectKept(manifests.map((m) => ({ id: m.id, time: m.time, group: sourceKey(m.sources) })), opts);
  const removed = manifests.filter((m) => !kept.has(m.id)).map((m) => m.id);
  const result = { account: account.name, dryRun: opts.dryRun, kept: [...kept], removed, packsDeleted: 0, bytesFreed: 0, packsPartlyUsed: 0 };
  if (opts.dryRun) return result;

  // Prune holds the account exclusively here, so upload temporaries a crash left behind (local folders keep them in
  // .tmp/) can go; only those older than a day, in case a writer on another installation is uploading right now.
  const backend = repo.backend as Partial<Pick<LocalBackend, 'removeStaleTemporaries'>>;
  if (typeof backend.removeStaleTemporaries === 'function') await backend.removeStaleTemporaries();

  for (const id of removed) {
    await repo.backend.delete(`snapshots/${id}`);
    catalog.delete(id);
  }
  // A manifest we cannot read may use any chunk: never delete data while one exists.
  if (damaged.length) return result;

  const live = new Set<string>();
  for (const m of manifests)
    if (kept.has(m.id))
      for (const s of m.sources) {
        if (s.kind === 'tree') for (const e of s.entries) for (const c of e.chunks ?? []) live.add(c);
        else for (const e of s.extents) if (e.chunk) live.add(e.chunk);
      }

  const indexObjects = (await collectList(repo.backend, 'index/')).map((o) => o.name);
  const records = new Map<string, PackRecord>();
  for (const name of indexObjects) for (const r of await readIndexObject(repo.backend, repo.keys, name)) if (!records.has(r.hash)) records.set(r.hash, r);
  const stored = new Map((await collectList(repo.backend, 'data/')).map((o) => [o.name, o.size]));
  const keep: PackRecord[] = [];
  const dead: string[] = [];
  for (const r of records.values()) {
    const used = r.entries.filter((e) => live.has(e.id)).length;
    if (used === 0) dead.push(packObjectName(r.hash));
    else {
      keep.push(r);
      if (used < r.entries.length) result.packsPartlyUsed++;
    }
  }
  // Packs no index names: left by interrupted backups; no backup of this installation is running now.
  const indexed = new Set([...records.keys()].map(packObjectName));
  for (const name of stored.keys()) if (!indexed.has(name)) dead.push(name);
  if (!dead.length) return result;

  if (keep.length) await writeIndexObject(repo.backend, repo.keys, keep);
  for (const name of indexObjects) await repo.backend.delete(name);
  for (const name of dead) {
    await repo.backend.delete(name);
    result.packsDeleted++;
    result.bytesFreed += stored.get(name) ?? 0;
  }
  return result;
}
