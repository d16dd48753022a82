/**
 * The backup job: sources into a storage account, incremental against the previous backup of the same sources.
 * The repository makes packs durable, then index objects, then the snapshot manifest, so a crash or kill leaves
 * no partial backup listed; re-running the step after a restart reuses every pack that was indexed.
 */
import { z } from 'zod';
import type { AccountManager } from '../accounts/manager';
import type { AccountRow } from '../accounts/store';
import { sourceKey } from './catalog';
import { LifeboatError } from '../../shared/errors';
import { runInPool } from './maintenance';
import { runOffloaded } from './offload';
import type { BackupProgress, BackupSource } from '../repo/backup';
import { newSnapshotId, type SnapshotManifest } from '../repo/snapshot';
import type { JobKind, StepContext } from '../jobs/types';
import type { WorkerPool } from '../workers/pool';
import { formatBytes } from '../../shared/units';

const Params = z.object({
  accountId: z.string(),
  accountName: z.string(),
  sources: z.array(z.object({ name: z.string(), path: z.string(), kind: z.enum(['tree', 'image']) })).min(1),
  label: z.string().optional(),
});
export type BackupParams = z.infer<typeof Params>;

type State = RepoBackupState;

function progressOf(p: BackupProgress) {
  const processed = p.bytesRead + p.bytesReused;
  return {
    fraction: p.bytesTotal ? Math.min(1, processed / p.bytesTotal) : p.phase === 'scanning' ? 0 : 1,
    bytesDone: processed,
    bytesTotal: p.bytesTotal,
    message:
      p.phase === 'scanning'
        ? 'Scanning the sources'
        : `${p.filesDone} of ${p.filesTotal} files, ${formatBytes(p.bytesRead)} read, ${formatBytes(p.bytesUploaded)} uploaded${p.bytesReused ? `, ${formatBytes(p.bytesReused)} unchanged` : ''}`,
  };
}

/** The repository part of a backup step, shared by the backup job and the device backup job (devices/backup-job.ts). */
export interface RepoBackupState {
  /** Set once the snapshot manifest is written: the backup exists from then on. */
  snapshotId?: string;
  /**
   * The id the manifest will be saved under, checkpointed before the worker starts: a re-run after a crash between
   * saving the manifest and checkpointing `snapshotId` finds snapshots/<id> and adopts it instead of writing another.
   */
  targetId?: string;
  previousId?: string | null;
  /** The written manifest without its entries, from the worker that wrote it: what the catalog records. */
  digest?: SnapshotManifest;
  /** What the job made, once recorded (`lifeboat … --json` prints it with the job): backupResult and what the kind adds. */
  result?: Partial<BackupJobResult> & Record<string, unknown>;
}

export interface BackupJobResult {
  backupId: string;
  files: number;
  bytes: number;
  storedNew: number;
}

/** A recorded backup as a job's result: the id a script needs next, and its size. */
export function backupResult(m: SnapshotManifest): BackupJobResult {
  return { backupId: m.id, files: m.stats.files, bytes: m.stats.bytes, storedNew: m.stats.storedNew };
}

/**
 * Writes one backup of `sources` into the account, idempotently: the target id and the previous backup are
 * checkpointed before the worker starts, so a re-run adopts a manifest an earlier run saved. `previous` is asked
 * only on the first run.
 */
export async function runRepoBackup<S extends RepoBackupState>(
  ctx: StepContext<unknown, S>,
  accounts: AccountManager,
  row: AccountRow,
  opts: { sources: BackupSource[]; label?: string; previous: () => string | null },
): Promise<string> {
  if (ctx.state.snapshotId) return ctx.state.snapshotId;
  await accounts.waitShared(row.id, ctx.signal);
  const previous = ctx.state.targetId && ctx.state.previousId !== undefined ? ctx.state.previousId : opts.previous();
  const targetId = ctx.state.targetId ?? newSnapshotId();
  ctx.checkpoint({ previousId: previous, targetId } as Partial<S>);
  const { snapshotId, warnings, digest } = await accounts.withLease(
    row,
    'shared',
    `backup ${ctx.jobId}`,
    () =>
      runOffloaded<{ snapshotId: string; warnings: string[]; digest: SnapshotManifest }>(
        ctx,
        {
          op: 'repo-backup',
          ...accounts.repoTarget(row),
          sources: opts.sources,
          previousId: previous ?? undefined,
          label: opts.label,
          snapshotId: targetId,
        },
        (m) => m.type === 'backup-progress' && ctx.progress(progressOf(m.progress)),
      ),
    ctx.signal,
  );
  for (const w of warnings) ctx.log.warn('backup skipped an entry', { jobId: ctx.jobId, entry: w });
  ctx.checkpoint({ snapshotId, digest } as Partial<S>);
  return snapshotId;
}

/**
 * Backup `id`'s manifest without its entries (what the catalog records): the digest the backup step checkpointed
 * with it, else read in the worker pool (a job checkpointed before digests were kept, or a manifest only the target
 * id knows). The whole manifest of a million-file share is ~100 MB of JSON, which the main thread should neither
 * parse nor hold.
 */
function writtenDigest(
  accounts: AccountManager,
  workers: WorkerPool,
  row: AccountRow,
  state: RepoBackupState,
  id: string,
): Promise<SnapshotManifest> {
  if (state.digest?.id === id) return Promise.resolve(state.digest);
  return runInPool(workers, { op: 'snapshot-digest', id, ...accounts.repoTarget(row) });
}

/** The summary line of a written backup, shown as the job's last message. */
export function describeSnapshot(m: SnapshotManifest) {
  const s = m.stats;
  return {
    fraction: 1,
    bytesDone: s.bytes,
    bytesTotal: s.bytes,
    message: `Backup ${m.id}: ${s.files} files, ${formatBytes(s.bytes)}; read ${formatBytes(s.bytesRead)}, new ${formatBytes(s.bytesNew)}, uploaded ${formatBytes(s.storedNew)}`,
  };
}

export function backupJob(accounts: AccountManager): JobKind<BackupParams, State> {
  const account = (id: string) => {
    const row = accounts.store.byId(id);
    if (!row)
      throw new LifeboatError(
        'not_found',
        'The storage account of this backup was removed.',
        'Add it again, then start a new backup.',
      );
    return row;
  };
  return {
    type: 'backup.create',
    params: Params,
    title: (p) => `Back up ${p.sources.map((s) => s.name).join(', ')} to ${p.accountName}`,
    object: (p) => ({ kind: 'storage-account', name: p.accountName }),
    // Once the manifest is written the backup is complete: a cancel then only skips cataloging, which cleanup redoes.
    cancellable: (s) => (s.snapshotId ? 'the backup is already written.' : true),
    steps: [
      {
        name: 'backup',
        title: 'Read, deduplicate, compress, encrypt and upload',
        weight: 20,
        run: async (ctx) => {
          if (ctx.state.snapshotId) return;
          const row = account(ctx.params.accountId);
          const { sources, label } = ctx.params;
          await runRepoBackup(ctx, accounts, row, {
            sources,
            label,
            previous: () => accounts.catalog.latestOf(row.id, sourceKey(sources)) ?? null,
          });
        },
      },
      {
        name: 'catalog',
        title: 'Record the backup in the catalog',
        run: async (ctx) => {
          const row = account(ctx.params.accountId);
          const m = await writtenDigest(accounts, ctx.workers, row, ctx.state, ctx.state.snapshotId!);
          accounts.catalog.record(row.id, m);
          ctx.checkpoint({ result: { ...backupResult(m), account: row.name } });
          ctx.progress(describeSnapshot(m));
        },
      },
    ],
    cleanup: async (ctx) => {
      // A backup written just before the cancel is complete and valid: list it rather than hide it. That includes a
      // manifest saved under the checkpointed target id whose `snapshotId` checkpoint the stop pre-empted.
      const id = ctx.state.snapshotId ?? ctx.state.targetId;
      if (!id) return;
      const row = accounts.store.byId(ctx.params.accountId);
      if (!row) return;
      const repo = await accounts.repository(row, { loadIndex: false });
      if (!ctx.state.snapshotId && !(await repo.backend.head(`snapshots/${id}`))) return;
      accounts.catalog.record(row.id, await writtenDigest(accounts, ctx.workers, row, ctx.state, id));
    },
  };
}
