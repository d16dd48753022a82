/**
 * Maintenance of a storage account in the worker pool: check, prune and the catalog rebuild read every snapshot
 * manifest (a million-file manifest is ~100 MB of JSON to decrypt, decompress and parse) and, for check and prune,
 * every index object and possibly every pack. On the main thread that would stall the UI, the API and every other
 * job for seconds. Each task opens the repository in the worker and sends back only what its caller needs: the
 * check report, prune's plan (ids and the live chunk ids, 32 bytes each) and sweep totals (done or, for a dry run,
 * foreseen), manifest digests, or a device backup's digest with the heat of its volumes.
 */
import crypto from 'node:crypto';
import { BroadcastChannel } from 'node:worker_threads';
import type { BackupFolder } from '../../shared/schemas';
import { volumeHeat, type VolumeHeat } from '../devices/heat';
import { LifeboatError } from '../../shared/errors';
import { checkRepository, type CheckReport } from '../repo/check';
import { loadIndex } from '../repo/index';
import { Repository } from '../repo/repository';
import {
  digestManifest,
  forEachSnapshot,
  loadSnapshot,
  type DamagedSnapshot,
  type ImageSource,
  type SnapshotManifest,
} from '../repo/snapshot';
import { openBackend, type BackendSpec } from '../storage/open';
import type { WorkerPool } from '../workers/pool';
import type { WorkerOutcome } from './in-worker';
import { listFolder } from './browse';
import { fromWorkerError, toWorkerError } from './worker-error';
import {
  planPrune,
  sweepPacks,
  type PruneOps,
  type PrunePlan,
  type Retention,
  type SweepOptions,
  type SweepResult,
} from './prune';

/** Which account and repository a task works on; the worker opens it itself (handles do not cross threads). */
export interface RepoTarget {
  backend: BackendSpec;
  sdek: Uint8Array;
  repositoryId: string;
}

export type PrunePlanTask = RepoTarget & { op: 'prune-plan'; retention: Retention };
export type PruneSweepTask = RepoTarget & { op: 'prune-sweep'; live: Uint8Array } & SweepOptions;
export type CatalogScanTask = RepoTarget & { op: 'catalog-scan' };
export type RepoCheckTask = RepoTarget & { op: 'repo-check'; channel: string; readData: boolean; catalog: string[] };
/** One backup's manifest as a digest (digestManifest): what the catalog records after a backup. */
export type SnapshotDigestTask = RepoTarget & { op: 'snapshot-digest'; id: string };
/** A volume of a device backup whose heat the catalog step needs, with its heat at the basis backup if known. */
export interface VolumeHeatItem {
  name: string;
  pinned: boolean;
  previous?: VolumeHeat;
}
/**
 * A device backup's catalog inputs (devices/backup-job.ts): the digest of backup `id` and the heat of `volumes`,
 * from the block maps of that backup and of `basis` (the backup it is incremental against, null for the first).
 */
export type DeviceVolumeHeatTask = RepoTarget & {
  op: 'device-volume-heat';
  id: string;
  basis: string | null;
  volumes: VolumeHeatItem[];
};
/** A folder of a backup's source (browse.ts). */
export type SnapshotFilesTask = RepoTarget & {
  op: 'snapshot-files';
  id: string;
  source?: string;
  path: string;
  limit: number;
};
export type MaintenanceTask =
  | PrunePlanTask
  | PruneSweepTask
  | CatalogScanTask
  | RepoCheckTask
  | SnapshotDigestTask
  | DeviceVolumeHeatTask
  | SnapshotFilesTask;

export interface DeviceVolumeHeat {
  digest: SnapshotManifest;
  /** In the order asked, without the volumes the backup holds no image of. */
  volumes: VolumeHeat[];
}

export interface CatalogScan {
  /** Manifests without entries or extents (digestManifest): enough for BackupCatalog.replace. */
  manifests: SnapshotManifest[];
  damaged: DamagedSnapshot[];
  chunks: number;
  packs: number;
}

export type MaintenanceValue<T extends MaintenanceTask> = T extends PrunePlanTask
  ? PrunePlan
  : T extends PruneSweepTask
    ? SweepResult
    : T extends CatalogScanTask
      ? CatalogScan
      : T extends RepoCheckTask
        ? CheckReport
        : T extends SnapshotDigestTask
          ? SnapshotManifest
          : T extends DeviceVolumeHeatTask
            ? DeviceVolumeHeat
            : T extends SnapshotFilesTask
              ? BackupFolder
              : never;

export type CheckMessage = { type: 'check-progress'; done: number; total: number } | { type: 'stop' };

// ---- In the worker -------------------------------------------------------------------------------------------

/** Without its chunk index: prune must copy chunks the old index lists, and the others load what they need. */
async function open(task: RepoTarget): Promise<Repository> {
  const repo = await Repository.open(await openBackend(task.backend), Buffer.from(task.sdek), { loadIndex: false });
  if (repo.config.id !== task.repositoryId)
    throw new LifeboatError(
      'conflict',
      `The storage account at ${repo.backend.location} now holds another repository.`,
      'Point the account back at its folder or container with `lifeboat account edit`.',
    );
  return repo;
}

async function outcome<T>(f: () => Promise<T>): Promise<WorkerOutcome<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (err) {
    return { ok: false, error: toWorkerError(err) };
  }
}

/** What a catalog rebuild needs: manifest digests and the index's size. */
export async function scanCatalog(repo: Repository): Promise<CatalogScan> {
  const index = await loadIndex(repo.backend, repo.keys);
  const manifests: SnapshotManifest[] = [];
  const damaged = await forEachSnapshot(repo, (m) => void manifests.push(digestManifest(m)));
  return { manifests, damaged, chunks: index.size, packs: index.packs.size };
}

const imageOf = (m: SnapshotManifest | undefined, name: string) =>
  m?.sources.find((s): s is ImageSource => s.kind === 'image' && s.name === name);

/**
 * The heat of a device backup's volumes from its block maps and the basis backup's. The basis is read only when a
 * volume needs it (a file server's never does); a missing or damaged basis only loses the change history.
 */
async function deviceVolumeHeat(task: DeviceVolumeHeatTask, repo: Repository): Promise<DeviceVolumeHeat> {
  const manifest = await loadSnapshot(repo, task.id);
  const wanted = task.volumes.filter((v) => imageOf(manifest, v.name));
  const before = task.basis && wanted.length ? await loadSnapshot(repo, task.basis).catch(() => undefined) : undefined;
  const volumes: VolumeHeat[] = [];
  for (const v of wanted)
    volumes.push(await volumeHeat(v.name, v.pinned, imageOf(manifest, v.name)!, imageOf(before, v.name), v.previous));
  return { digest: digestManifest(manifest), volumes };
}

/**
 * The manifest last browsed in this thread, kept for a minute: going down a backup's folders reads it once, not once
 * a folder (a manifest of millions of files takes seconds to load). A backup never changes, so it cannot go stale.
 */
let browsed: { key: string; manifest: Promise<SnapshotManifest>; timer?: NodeJS.Timeout } | undefined;
const BROWSE_KEEP_MS = 60_000;

function browsedSnapshot(repo: Repository, task: SnapshotFilesTask): Promise<SnapshotManifest> {
  const key = `${task.repositoryId}/${task.id}`;
  if (browsed?.key !== key) {
    forget();
    const manifest = loadSnapshot(repo, task.id);
    // A failed read is not kept: the next look tries again.
    manifest.catch(() => browsed?.manifest === manifest && forget());
    browsed = { key, manifest };
  }
  clearTimeout(browsed.timer);
  browsed.timer = setTimeout(forget, BROWSE_KEEP_MS).unref();
  return browsed.manifest;
}

function forget(): void {
  clearTimeout(browsed?.timer);
  browsed = undefined;
}

/** A check, stopped by a "stop" on its channel, reporting pack progress on it. */
async function check(task: RepoCheckTask, repo: Repository): Promise<CheckReport> {
  const channel = new BroadcastChannel(task.channel);
  const controller = new AbortController();
  channel.onmessage = (ev) => {
    if ((ev as { data?: CheckMessage }).data?.type === 'stop') controller.abort();
  };
  try {
    return await checkRepository(repo, {
      readData: task.readData,
      catalog: task.catalog,
      signal: controller.signal,
      onProgress: (done, total) => channel.postMessage({ type: 'check-progress', done, total } satisfies CheckMessage),
    });
  } finally {
    channel.close();
  }
}

export function runMaintenance(task: MaintenanceTask): Promise<WorkerOutcome<unknown>> {
  return outcome(async () => {
    const repo = await open(task);
    switch (task.op) {
      case 'prune-plan':
        return planPrune(repo, task.retention);
      case 'prune-sweep':
        return sweepPacks(repo, task.live, task);
      case 'catalog-scan':
        return scanCatalog(repo);
      case 'repo-check':
        return check(task, repo);
      case 'snapshot-digest':
        return digestManifest(await loadSnapshot(repo, task.id));
      case 'device-volume-heat':
        return deviceVolumeHeat(task, repo);
      case 'snapshot-files':
        return listFolder(await browsedSnapshot(repo, task), task);
    }
  });
}

// ---- On the main thread --------------------------------------------------------------------------------------

function unwrap<T>(result: WorkerOutcome<T>): T {
  if (result.ok) return result.value;
  throw fromWorkerError(result.error);
}

/** Runs a task without a channel (prune's phases, the catalog scan) and returns its value or throws its error. */
export async function runInPool<T extends Exclude<MaintenanceTask, RepoCheckTask>>(
  workers: WorkerPool,
  task: T,
): Promise<MaintenanceValue<T>> {
  return unwrap((await workers.run(task)) as WorkerOutcome<MaintenanceValue<T>>);
}

/** Prune's phases in the worker pool. */
export const pooledPrune = (workers: WorkerPool, target: RepoTarget): PruneOps => ({
  plan: (retention) => runInPool(workers, { ...target, op: 'prune-plan', retention }),
  sweep: (live, opts) => runInPool(workers, { ...target, op: 'prune-sweep', live, ...opts }),
});

/**
 * Runs a check in the pool: progress comes back over a channel, and an abort of `signal` sends "stop" (the thread
 * is never killed mid-read). A stopped check throws what `throwIfStopped` throws (the job's cancel), else the
 * worker's error.
 */
export async function checkInPool(
  workers: WorkerPool,
  target: RepoTarget,
  opts: {
    readData: boolean;
    catalog: string[];
    signal: AbortSignal;
    onProgress: (done: number, total: number) => void;
    throwIfStopped: () => void;
  },
): Promise<CheckReport> {
  opts.throwIfStopped();
  const name = `lifeboat-check-${crypto.randomBytes(8).toString('hex')}`;
  const channel = new BroadcastChannel(name);
  let failure: unknown;
  const stop = () => channel.postMessage({ type: 'stop' } satisfies CheckMessage);
  channel.onmessage = (ev) => {
    const m = (ev as { data: CheckMessage }).data;
    if (m.type !== 'check-progress') return;
    try {
      opts.onProgress(m.done, m.total);
    } catch (err) {
      failure ??= err;
      stop();
    }
  };
  opts.signal.addEventListener('abort', stop);
  try {
    const result = (await workers.run({
      ...target,
      op: 'repo-check',
      channel: name,
      readData: opts.readData,
      catalog: opts.catalog,
    })) as WorkerOutcome<CheckReport>;
    if (result.ok) return result.value;
    if (failure) throw failure;
    opts.throwIfStopped();
    return unwrap(result);
  } finally {
    opts.signal.removeEventListener('abort', stop);
    channel.close();
  }
}
