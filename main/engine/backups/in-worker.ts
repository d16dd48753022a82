/**
 * Backup and restore run inside a worker thread: chunking, hashing, compression, encryption, pack hashing and
 * verification are all CPU work that would otherwise stall the main event loop (the UI, the API, every other job)
 * for tens to hundreds of milliseconds at a time. The job on the main thread keeps the durable state: the worker
 * sends progress (and the restore's resume state) over a BroadcastChannel and stops when asked on the same channel.
 */
import { BroadcastChannel } from 'node:worker_threads';
import { LifeboatError } from '../../shared/errors';
import { backupSources, type BackupProgress, type BackupSource } from '../repo/backup';
import { unindexedPacks, writeIndexObject, type ChunkIndex } from '../repo/index';
import { Repository } from '../repo/repository';
import { restoreSnapshot, type AnyRestoreState, type RestoreProgress, type RestoreState } from '../repo/restore';
import { digestManifest, loadSnapshot, type SnapshotManifest } from '../repo/snapshot';
import { openBackend, type BackendSpec } from '../storage/open';
import { workerScript } from '../workers/pool';
import { toWorkerError, type WorkerError } from './worker-error';
import { priorityOrder } from './priority';

export type ChannelMessage =
  | { type: 'backup-progress'; progress: BackupProgress }
  | { type: 'restore-progress'; progress: RestoreProgress; state: RestoreState }
  | { type: 'stop' };

export type WorkerOutcome<T> = { ok: true; value: T } | { ok: false; error: WorkerError };

export interface RepoBackupTask {
  op: 'repo-backup';
  channel: string;
  backend: BackendSpec;
  sdek: Uint8Array;
  repositoryId: string;
  sources: BackupSource[];
  previousId?: string;
  label?: string;
  /** Chosen and checkpointed by the job before the worker starts; an existing manifest under it means done. */
  snapshotId?: string;
}

export interface RepoRestoreTask {
  op: 'repo-restore';
  channel: string;
  backend: BackendSpec;
  sdek: Uint8Array;
  repositoryId: string;
  snapshotId: string;
  to: string;
  sources?: string[];
  path?: string;
  overwrite: boolean;
  priority?: string[];
  resumeState?: AnyRestoreState;
}

async function withChannel<T>(
  name: string,
  f: (post: (m: ChannelMessage) => void, signal: AbortSignal) => Promise<T>,
): Promise<WorkerOutcome<T>> {
  const channel = new BroadcastChannel(name);
  const controller = new AbortController();
  channel.onmessage = (ev) => {
    if ((ev as { data?: ChannelMessage }).data?.type === 'stop') controller.abort();
  };
  try {
    return { ok: true, value: await f((m) => channel.postMessage(m), controller.signal) };
  } catch (err) {
    return { ok: false, error: toWorkerError(err) };
  } finally {
    channel.close();
  }
}

/**
 * The chunk index of the account this thread's last backup or restore used, kept for a minute: the next job on it
 * (an incremental backup after a full one, a restore after a backup) reads only the index objects written since
 * rather than all of them. It holds only what index objects in the account say, so it is never ahead of them.
 */
let held: { key: string; index: ChunkIndex; timer: NodeJS.Timeout } | undefined;
const HOLD_MS = 60_000;

async function open(task: RepoBackupTask | RepoRestoreTask): Promise<Repository> {
  const backend = await openBackend(task.backend);
  const key = `${task.repositoryId} ${backend.kind} ${backend.location}`;
  const repo = await Repository.open(backend, Buffer.from(task.sdek), {
    index: held?.key === key ? held.index : undefined,
  });
  if (repo.config.id !== task.repositoryId)
    throw new LifeboatError(
      'conflict',
      `The storage account at ${repo.backend.location} now holds another repository.`,
      'Point the account back at its folder or container with `lifeboat account edit`.',
    );
  if (held) clearTimeout(held.timer);
  held = { key, index: repo.index, timer: setTimeout(() => (held = undefined), HOLD_MS).unref() };
  return repo;
}

/**
 * Before a restore: packs no index object names (their index object deleted or damaged, or left by an interrupted
 * backup) are indexed from their headers, so a lost index costs a listing and two small reads a pack, not the
 * restore. The rebuilt part is written back as an index object (packs are durable, so that is always valid) for
 * check and prune; if the account cannot be written, this thread only forgets its index after the restore.
 */
async function indexFromPacks(repo: Repository): Promise<void> {
  const { records, unreadable } = await unindexedPacks(repo.backend, repo.keys, repo.index);
  try {
    if (records.length) {
      for (const r of records) repo.index.addPack(r);
      repo.index.objects.add(`index/${await writeIndexObject(repo.backend, repo.keys, records)}`);
    }
    // Every pack is indexed by a readable object now: a damaged index object holds nothing else, and would fail
    // every check (and stop every prune) for good. (No prune runs meanwhile: this restore holds a shared lease.)
    if (!unreadable.length) for (const name of repo.damagedIndex) await repo.backend.delete(name);
  } catch {
    if (held?.index === repo.index) forgetHeld();
  }
}

function forgetHeld(): void {
  if (held) clearTimeout(held.timer);
  held = undefined;
}

export function runRepoBackup(
  task: RepoBackupTask,
): Promise<WorkerOutcome<{ snapshotId: string; warnings: string[]; digest: SnapshotManifest }>> {
  return withChannel(task.channel, async (post, signal) => {
    const repo = await open(task);
    // A previous backup that was deleted or is damaged only makes this one read everything.
    const previous = task.previousId ? await loadSnapshot(repo, task.previousId).catch(() => undefined) : undefined;
    const { snapshot, warnings } = await backupSources(repo, task.sources, {
      previous,
      label: task.label,
      snapshotId: task.snapshotId,
      signal,
      // The encoder thread (repo/backup.ts useEncoder): LIFEBOAT_BACKUP_THREADS=2 always, =1 never, else for
      // incremental backups with much to re-read.
      encoderScript: workerScript(),
      encoderWhen:
        ({ '1': 'never', '2': 'always' } as const)[process.env.LIFEBOAT_BACKUP_THREADS as '1' | '2'] ?? 'incremental',
      onProgress: (progress) => post({ type: 'backup-progress', progress }),
    });
    return { snapshotId: snapshot.id, warnings, digest: digestManifest(snapshot) };
  });
}

export function runRepoRestore(
  task: RepoRestoreTask,
): Promise<WorkerOutcome<{ files: number; bytes: number; bytesFetched: number }>> {
  return withChannel(task.channel, async (post, signal) => {
    const repo = await open(task);
    await indexFromPacks(repo);
    const r = await restoreSnapshot(repo, task.snapshotId, task.to, {
      sources: task.sources,
      path: task.path,
      overwrite: task.overwrite,
      order: priorityOrder(task.priority),
      resumeState: task.resumeState,
      signal,
      onProgress: (progress, state) => post({ type: 'restore-progress', progress, state }),
    });
    return { files: r.files, bytes: r.bytes, bytesFetched: r.bytesFetched };
  });
}
