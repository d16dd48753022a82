/**
 * The end of a failover (ownership transfer, bringing the target online) and its undoing (abandon or cancel).
 *
 * Why the source and the target are never both owners, whatever step a crash (kill -9) interrupts:
 * - Ownership of a lineage's cloud data is the newest epoch object `owners/<lineage>/<n>` in the storage account
 *   (devices/ownership.ts), created "if none match". Device backups check it before writing and before recording.
 * - The transfer step first writes epoch n+1 naming the target (transferOwner, idempotent: if the target already
 *   owns it, nothing is written). From that object on, the source is fenced: a backup it tried would fail with
 *   'fenced'. It cannot try anyway: it is deactivated, and only a deactivated device is failed over.
 * - Then ONE SQLite transaction gives the target the source's lineage, account, shares and volumes and marks the
 *   source deleted. Before it commits, the database still names the source (deactivated, read-only) as the
 *   holder of the lineage and the target holds nothing of it; after, only the target does. No state in between.
 * - A crash between the two re-runs the step: transferOwner finds the target already owner and returns, and the
 *   transaction runs (or is found done: the target carries the lineage and the source is deleted).
 * - Before the transfer step, the cloud object still names the source, so an abandon can clean the target and
 *   hand the source to another failover; once the step has begun (state.transferStarted), cancel and abandon are
 *   refused and the failover only goes forward.
 */
import path from 'node:path';
import { LifeboatError } from '../../shared/errors';
import { newId } from '../keys';
import { transferOwner } from '../devices/ownership';
import { nextBackupAt, policyOf } from '../devices/schedule';
import { childJobs, faultPoint, type FailoverCtx, type FailoverParams } from './state';
import type { FailoverDeps } from './deps';
import { dnsChecklist } from './plan';
import { jobUnderway } from '../../shared/job-status';

/** Lets go of both devices, if this failover still holds them. */
export function releaseHolds(deps: FailoverDeps, jobId: string, p: FailoverParams): void {
  deps.devices.store.releaseHold([p.sourceId, p.targetId], jobId);
  deps.devices.changed(p.sourceName);
  deps.devices.changed(p.targetName);
}

export async function transferStep(deps: FailoverDeps, ctx: FailoverCtx): Promise<void> {
  if (!ctx.state.transferStarted) ctx.checkpoint({ transferStarted: true });
  const p = ctx.params;
  const store = deps.devices.store;
  const source = store.byId(p.sourceId)!;
  const target = store.byId(p.targetId)!;
  if (source.status === 'deleted' && target.lineage === source.lineage) return; // done before a crash
  const account = deps.accounts.store.byId(source.account_id ?? deps.accounts.catalog.require(p.backupId).account_id);
  if (!account)
    throw new LifeboatError(
      'not_found',
      `The storage account of ${source.name} was removed.`,
      'Add it again, then resume the failover.',
      { retryable: true },
    );
  const backend = await deps.accounts.backend(account);
  const owner = await transferOwner(backend, source.lineage, source.id, { id: target.id, name: target.name });
  ctx.log.info('failover: ownership transferred', {
    jobId: ctx.jobId,
    lineage: source.lineage,
    epoch: owner.epoch,
    to: target.name,
  });
  await faultPoint(deps, ctx, 'transfer');

  const now = new Date().toISOString();
  deps.db.transaction(() => {
    const s = store.byId(p.sourceId)!;
    const t = store.byId(p.targetId)!;
    if (s.status === 'deleted' && t.lineage === s.lineage) return;
    // The target had no shares or volumes (a prerequisite, and the hold kept it so).
    store.deleteShares(t.id);
    store.deleteVolumes(t.id);
    for (const share of store.shares(s.id))
      store.insertShare({ ...share, id: newId('share'), device_id: t.id, online: 1, created_at: now, updated_at: now });
    for (const volume of store.volumes(s.id)) {
      const id = newId('vol');
      store.insertVolume({ ...volume, id, device_id: t.id, online: 1, created_at: now, updated_at: now });
      const secret = store.chapSecret(volume.id);
      if (secret !== null) store.setChapSecret(id, secret);
    }
    // A target that was Ready to set up is registered by the failover: it joins the service the source belonged to.
    // Backups continue on the target on the schedule the source had before its deactivation turned it off.
    // A source a catalog rebuild brought back (devices/records-restore.ts) was deactivated by no job here: it kept its policy.
    const policy = policyBeforeDeactivation(deps, s.id) ?? (policyOf(s).frequency !== 'off' ? s.policy : t.policy);
    const next = nextBackupAt(policyOf({ policy, next_backup_at: null }), t.time_zone, new Date());
    store.update(t.id, {
      status: 'online',
      registered_at: t.registered_at ?? now,
      account_id: s.account_id,
      lineage: s.lineage,
      replaces: s.id,
      failover_job_id: null,
      policy,
      next_backup_at: next?.toISOString() ?? null,
    });
    store.update(s.id, { status: 'deleted', deleted_at: now, failover_job_id: null });
    deps.runner.store.event(
      ctx.jobId,
      'note',
      `${t.name} now owns the data of ${s.name}; ${s.name} is deleted from the service.`,
    );
  })();
  deps.devices.changed(p.sourceName);
  deps.devices.changed(p.targetName);
  ctx.progress({ fraction: 1, message: `${p.targetName} owns the data of ${p.sourceName} now.` });
}

/** The backup policy a device had when its (successful) deactivation began, as that job checkpointed it. */
function policyBeforeDeactivation(deps: FailoverDeps, deviceId: string): string | null {
  const state = deps.runner.store.find(
    { types: ['device.deactivate'], statuses: ['succeeded'], param: { key: 'deviceId', value: deviceId } },
    { newest: 1 },
  )[0]?.state;
  return state ? ((JSON.parse(state) as { policyBefore?: { policy: string } }).policyBefore?.policy ?? null) : null;
}

export async function finishStep(deps: FailoverDeps, ctx: FailoverCtx): Promise<void> {
  const p = ctx.params;
  const store = deps.devices.store;
  const target = store.byId(p.targetId)!;
  const source = store.byId(p.sourceId)!;
  // Restored data carries the modes it was backed up with; online makes it writable for hosts again.
  for (const share of store.shares(target.id)) {
    const dir = deps.devices.sharePath(target, share.name);
    if (!(await deps.devices.agent.exists(dir))) await deps.devices.agent.createShare(dir);
    await deps.devices.items.applyOnline(target, 'share', share, true);
  }
  for (const volume of store.volumes(target.id)) {
    const file = deps.devices.volumePath(target, volume.name);
    if (!(await deps.devices.agent.exists(file))) await deps.devices.agent.createVolume(file, volume.size);
    await deps.devices.items.applyOnline(target, 'volume', volume, true);
  }
  await deps.devices.usage.refresh(target); // what was restored shows at once on the Devices page
  deps.devices.changed(target.name);
  const raised = deps.alerts.ids({ jobIds: [ctx.jobId], severity: 'info', all: true }).length > 0;
  if (!raised) {
    const dns = dnsChecklist(source, target);
    deps.alerts.raise({
      severity: 'info',
      title: `Failover of ${p.sourceName} to ${p.targetName} succeeded`,
      message: `${p.targetName} serves the ${target.type === 'file' ? 'shares' : 'volumes'} of ${p.sourceName} under the same names.`,
      hint: `Create the DNS alias ${dns.records.map((r) => `${r.name} -> ${r.value}`).join(', ')} (\`lifeboat failover checklist ${ctx.jobId}\`).`,
      objectKind: 'device',
      objectName: p.targetName,
      jobId: ctx.jobId,
    });
  }
  // The job's result: what a script needs next (`lifeboat failover start … --json`), without reading the restore jobs.
  const restores = [...childJobs(deps, ctx.jobId).values()];
  const bytesRestored = restores.reduce((n, j) => n + (typeof j.result?.bytes === 'number' ? j.result.bytes : 0), 0);
  const planned = deps.deviceBackups.store.row(p.backupId)?.kind === 'final';
  const items = store.shares(target.id).length + store.volumes(target.id).length;
  ctx.checkpoint({
    result: {
      source: p.sourceName,
      target: p.targetName,
      backupId: p.backupId,
      planned,
      items,
      restoreJobs: restores.length,
      bytesRestored,
    },
  });
  ctx.progress({ fraction: 1, message: `Failover of ${p.sourceName} to ${p.targetName} succeeded.` });
}

/**
 * Undoes a failover that has not begun its transfer: its restore jobs are stopped, what they wrote on the target is
 * deleted, and both devices are released. The source stays deactivated, ready for another failover. Idempotent.
 */
export async function cleanTarget(deps: FailoverDeps, jobId: string, p: FailoverParams): Promise<void> {
  const runner = deps.runner;
  const children = [...childJobs(deps, jobId).values()];
  // Every restore job of the failover, not only the newest per item.
  const all = runner.store.list({ parentId: jobId, limit: 10_000 }).map((r) => runner.toJob(r));
  for (const job of all) {
    if (jobUnderway(job.status)) {
      try {
        runner.cancel(job.id);
      } catch (err) {
        deps.log.warn('failover: a restore job could not be cancelled', {
          jobId: job.id,
          error: (err as Error).message,
        });
      }
    }
  }
  for (const job of all) await runner.wait(job.id, 60_000);
  const now = new Date().toISOString();
  for (const job of all.map((j) => runner.get(j.id)))
    if (job.status === 'failed' || job.status === 'paused')
      runner.store.update(
        job.id,
        { status: 'cancelled', resumable: 0, ended_at: now, control: null },
        { kind: 'cancelled', message: 'Cancelled: the failover was abandoned.' },
      );

  const source = deps.devices.store.byId(p.sourceId);
  const target = deps.devices.store.byId(p.targetId);
  if (source && target && target.lineage === source.lineage)
    throw new LifeboatError(
      'not_allowed',
      `${p.targetName} already owns the data of ${p.sourceName}; the failover cannot be undone.`,
      `Resume it to finish: \`lifeboat failover resume ${jobId}\`.`,
    );
  // Only while this failover holds the target: once released (a failed precheck, an earlier abandon) the target may
  // already be restoring for another failover, whose data is not ours to delete.
  if (target && target.status !== 'deleted' && target.failover_job_id === jobId) {
    const names = new Set(
      children
        .map((j) => (JSON.parse(runner.store.row(j.id)!.params) as { sources?: string[] }).sources?.[0])
        .filter((n): n is string => !!n),
    );
    if (source)
      for (const s of [...deps.devices.store.shares(source.id), ...deps.devices.store.volumes(source.id)])
        names.add(s.name);
    const folder = path.join(target.root, source?.type === 'iscsi' ? 'volumes' : 'shares');
    // Only what the failover made: the target has no share or volume of its own (a prerequisite of the failover).
    const own = new Set(
      [...deps.devices.store.shares(target.id), ...deps.devices.store.volumes(target.id)].map((i) =>
        i.name.toLowerCase(),
      ),
    );
    for (const name of names)
      if (!own.has(name.toLowerCase())) await deps.devices.agent.remove(path.join(folder, name));
  }
  releaseHolds(deps, jobId, p);
}
