/**
 * The restore job. The repository's RestoreState (a bitmap of the chunks written so far) is checkpointed into the
 * job every 2 s, so a restore interrupted by a crash or an outage resumes without fetching again what is done; the
 * repository re-reads each "done" chunk from the target and re-checks it before trusting it.
 */
import { z } from 'zod';
import type { AccountManager } from '../accounts/manager';
import { LifeboatError } from '../../shared/errors';
import { runOffloaded } from './offload';
import type { AnyRestoreState, DamagedFile, RestoreProgress, RestoreState } from '../repo/restore';
import type { JobKind } from '../jobs/types';
import { formatBytes } from '../../shared/units';

const Params = z.object({
  accountId: z.string(),
  accountName: z.string(),
  backupId: z.string(),
  to: z.string(),
  sources: z.array(z.string()).optional(),
  path: z.string().optional(),
  overwrite: z.boolean(),
  /** "SOURCE/PATH" prefixes, hottest first: matching files come back before the rest. */
  priority: z.array(z.string()).optional(),
  /** The title the job that made it gives it (a failover: "Restore share finance to fs2"), for the Jobs page. */
  label: z.string().optional(),
});
export type RestoreParams = z.infer<typeof Params>;

interface State {
  /** The first attempt began writing: a later attempt resumes instead of refusing its own partial output. */
  started?: boolean;
  /** The bitmap state; jobs checkpointed by earlier versions hold the chunk-id list, which still resumes. */
  restore?: AnyRestoreState;
  filesDone?: number;
  /** The job's result (JobStore.toJob shows it): what was restored, and each damaged file and where it was kept. */
  result?: RestoreJobResult;
}

/** Damaged files listed in a job's result; the count says how many there were in all. */
const LISTED_DAMAGED = 1000;

export interface RestoreJobResult {
  files?: number;
  bytes?: number;
  bytesFetched?: number;
  damagedFiles: number;
  damaged: DamagedFile[];
}

function message(p: RestoreProgress): string {
  return `${p.filesDone} of ${p.filesTotal} files restored, ${formatBytes(p.bytesWritten)} written, ${formatBytes(p.bytesFetched)} fetched`;
}

export function restoreJob(accounts: AccountManager): JobKind<RestoreParams, State> {
  return {
    type: 'backup.restore',
    params: Params,
    title: (p) => p.label ?? `Restore backup ${p.backupId} to ${p.to}`,
    object: (p) => ({ kind: 'backup', name: p.backupId }),
    steps: [
      {
        name: 'restore',
        title: 'Fetch, verify and write every chunk',
        run: async (ctx) => {
          const p = ctx.params;
          const row = accounts.store.byId(p.accountId);
          if (!row)
            throw new LifeboatError(
              'not_found',
              `The storage account "${p.accountName}" was removed.`,
              'Add it again, then resume the job.',
            );
          // A prune running on the account could delete what this restore is about to read: wait for it to end.
          await accounts.waitShared(row.id, ctx.signal);
          const resumeState =
            ctx.state.restore ?? (ctx.state.started ? { snapshotId: p.backupId, doneChunks: [] } : undefined);
          if (!ctx.state.started) ctx.checkpoint({ started: true });
          delete ctx.state.result; // an earlier attempt's, gone with the next checkpoint
          let last: RestoreProgress | undefined;
          let lastCheckpoint = 0; // the first progress is persisted at once: a fast restore is resumable early too
          // A state that arrives within 2 s of the last checkpoint is persisted when the 2 s are up, unless a newer
          // one is by then: a restore that stalls (an outage being retried) still has its latest state on disk.
          let pending: { restore: RestoreState; filesDone: number } | undefined;
          let trailing: NodeJS.Timeout | undefined;
          const persist = (state: { restore: RestoreState; filesDone: number }) => {
            lastCheckpoint = Date.now();
            pending = undefined;
            clearTimeout(trailing);
            trailing = undefined;
            ctx.checkpoint(state);
          };
          try {
            const result = await accounts.withLease(
              row,
              'shared',
              `restore ${ctx.jobId}`,
              () =>
                runOffloaded<{ files: number; bytes: number; bytesFetched: number }>(
                  ctx,
                  {
                    op: 'repo-restore',
                    ...accounts.repoTarget(row),
                    snapshotId: p.backupId,
                    to: p.to,
                    sources: p.sources,
                    path: p.path,
                    overwrite: p.overwrite,
                    priority: p.priority,
                    resumeState,
                  },
                  (m) => {
                    if (m.type !== 'restore-progress') return;
                    last = m.progress;
                    ctx.progress({
                      fraction: m.progress.chunksTotal ? m.progress.chunksDone / m.progress.chunksTotal : 1,
                      bytesDone: m.progress.bytesWritten,
                      bytesTotal: m.progress.bytesTotal,
                      message: message(m.progress),
                    });
                    // One bit per chunk, deflated: small, but a SQLite write all the same, so at most one every 2 s.
                    const state = { restore: m.state, filesDone: m.progress.filesDone };
                    const wait = 2000 - (Date.now() - lastCheckpoint);
                    if (wait <= 0) return persist(state);
                    pending = state;
                    trailing ??= setTimeout(() => {
                      trailing = undefined;
                      // A stop found here is seen again by the next message or when the step ends.
                      if (pending)
                        void Promise.resolve()
                          .then(() => persist(pending!))
                          .catch(() => undefined);
                    }, wait);
                    return ctx.throwIfStopped();
                  },
                ),
              ctx.signal,
            );
            try {
              ctx.checkpoint({
                result: {
                  files: result.files,
                  bytes: result.bytes,
                  bytesFetched: result.bytesFetched,
                  damagedFiles: 0,
                  damaged: [],
                },
              });
            } catch {
              /* a stop asked as the restore ended: it is complete, and its result saved */
            }
            ctx.progress({
              fraction: 1,
              message: `Restored ${result.files} files (${formatBytes(result.bytes)}) from backup ${p.backupId} to ${p.to}; fetched ${formatBytes(result.bytesFetched)}`,
            });
          } catch (err) {
            const errno = (err as { errno?: string }).errno;
            if (errno === 'ENOSPC' || errno === 'EDQUOT') {
              const done = last
                ? `${last.filesDone} of ${last.filesTotal} files are restored completely; the others are incomplete`
                : 'no file was restored completely';
              ctx.progress({ message: `The restore target is full: ${done}.` });
              throw new LifeboatError(
                'io_error',
                `The disk of the restore target ${p.to} is full: ${done}.`,
                'Free space on that disk (or restore elsewhere), then resume the job: it continues where it stopped.',
                { cause: err, retryable: true },
              );
            }
            const damaged = (err as { damaged?: DamagedFile[] }).damaged;
            if (damaged?.length) {
              ctx.progress({ message: (err as Error).message });
              // The files set aside (NAME.damaged) go into the job's result, for `--json` and the Jobs page.
              try {
                ctx.checkpoint({ result: { damagedFiles: damaged.length, damaged: damaged.slice(0, LISTED_DAMAGED) } });
              } catch {
                /* a stop: the result is saved, the stop is reported by the step's own error */
              }
            }
            throw err;
          } finally {
            clearTimeout(trailing);
            // The latest state goes to disk however the step ended, so a resume refetches nothing it had written.
            if (pending)
              try {
                ctx.checkpoint(pending);
              } catch {
                /* a stop: the state is saved, the stop is reported by the step's own error */
              }
          }
        },
      },
    ],
  };
}
