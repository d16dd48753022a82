/**
 * Housekeeping of device backups: the retention of scheduled backups, deleting the backup of a fenced device,
 * the sweep of files that failed or vanished jobs and backups leave behind, and the named stop points that crash
 * tests use (LIFEBOAT_DEVICE_FAULT).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DeviceBackupDeps } from './backup-deps';
import { LifeboatError } from '../../shared/errors';
import type { StepContext } from '../jobs/types';
import type { Logger } from '../log';
import type { StorageBackend } from '../storage/backend';
import type { LineageBackup } from './backup-job';
import { heatFile, sweepHeatFiles } from './heat-store';
import { sweepMirrors } from './site-mirror';
import { jobUnfinished } from '../../shared/job-status';
import { fault, untilAborted, type FaultPointOf } from '../faults';

/** Where a crash test may hold a device job: before the backup is recorded, or a deactivation before its last step. */
export type DeviceFaultPoint = FaultPointOf<'device'>;

/** A failed job's prepared files are kept this long for a resume, then swept. */
const FAILED_KEEP_MS = 7 * 86_400_000;

/** Holds the job here when LIFEBOAT_DEVICE_FAULT names this point (tests kill the app meanwhile); no-op otherwise. */
export async function deviceFaultPoint(
  deps: Pick<DeviceBackupDeps, 'runner'>,
  ctx: StepContext<unknown, object>,
  point: DeviceFaultPoint,
): Promise<void> {
  if (!fault('device', point)) return;
  deps.runner.store.event(ctx.jobId, 'fault-point', point);
  await untilAborted(ctx.signal);
  ctx.throwIfStopped();
}

/** Deletes a backup manifest a fenced device wrote: its chunks are then garbage for the next prune. */
export async function deleteSnapshotQuietly(backend: StorageBackend, id: string, log: Logger): Promise<void> {
  try {
    await backend.delete(`snapshots/${id}`);
    log.warn('deleted the backup of a fenced device', { backupId: id });
  } catch (err) {
    // The fenced error that follows matters more; a leftover manifest is reported, and a prune finds it unreferenced.
    log.error('could not delete the backup of a fenced device', { backupId: id, error: (err as Error).message });
  }
}

/**
 * Deletes the given scheduled backups (and their heat files) from their accounts and the catalog. A backup a
 * restore job still reads (a failover's, or the admin's) is kept until the next run; a backup of an account under
 * maintenance too. Returns how many were deleted.
 */
export async function pruneScheduled(
  deps: DeviceBackupDeps,
  ctx: StepContext<unknown, object>,
  backups: LineageBackup[],
): Promise<number> {
  let deleted = 0;
  for (const b of backups) {
    // Only scheduled backups ever: a manual or final one is the administrator's (or a failover's) to keep.
    if (b.kind !== 'scheduled') continue;
    const id = b.backup_id;
    const users = deps.runner.store.unfinished({ param: { key: 'backupId', value: id } });
    if (users.length) continue;
    const accountId = deps.accounts.catalog.row(id)?.account_id;
    const account = accountId ? deps.accounts.store.byId(accountId) : undefined;
    if (!account) continue;
    try {
      await deps.accounts.withExclusive(account.id, async () => {
        const repo = await deps.accounts.repository(account, { loadIndex: false });
        await repo.backend.delete(`snapshots/${id}`);
        deps.db.transaction(() => {
          deps.accounts.catalog.delete(id);
          deps.backups.deleteScheduled(id);
        })();
      });
      await fs.promises.rm(heatFile(ctx.dataDir, id), { force: true });
      deleted++;
    } catch (err) {
      if (!(err instanceof LifeboatError && err.code === 'busy')) throw err;
      ctx.log.warn('retention postponed: maintenance is running on the account', { jobId: ctx.jobId, backupId: id });
    }
  }
  return deleted;
}

/**
 * Removes the prepared files (tmp/device-backup-<job>.*) of jobs that no longer exist, have ended, or failed
 * without a resume for a week, and heat files of backups that are gone. Runs where jobs run (app, web mode).
 */
export async function sweepLeftovers(deps: DeviceBackupDeps, opts: { heat: boolean }): Promise<number> {
  const tmp = path.join(deps.dataDir, 'tmp');
  const names = await fs.promises.readdir(tmp).catch(() => [] as string[]);
  let removed = 0;
  for (const n of names) {
    const m = /^device-backup-(.+?)\.(json|heat\.ndjson\.gz)(\.part)?$/.exec(n);
    if (!m) continue;
    const row = deps.runner.store.row(m[1]);
    const live = row && jobUnfinished(row.status);
    const resumable =
      row?.status === 'failed' && row.resumable === 1 && Date.now() - Date.parse(row.ended_at ?? '') < FAILED_KEEP_MS;
    if (live || resumable) continue;
    await fs.promises.rm(path.join(tmp, n), { force: true });
    removed++;
  }
  if (removed) deps.log.info('removed the prepared files of ended device backup jobs', { files: removed });
  const backsUp = (id: string) => {
    const d = deps.devices.store.byId(id);
    return !!d && d.status !== 'deleted' && d.status !== 'deactivated';
  };
  const mirrors = await sweepMirrors(deps.dataDir, backsUp);
  if (mirrors) deps.log.info('removed the site mirrors of devices that take no more backups', { devices: mirrors });
  if (opts.heat) {
    const heat = await sweepHeatFiles(deps.dataDir, (id) => deps.backups.has(id));
    if (heat) deps.log.info('removed heat files of deleted device backups', { files: heat });
  }
  return removed;
}
