/**
 * The failover job ('device.failover'): prechecks, one restore job per share or volume (hot items first), the
 * ownership transfer, then bringing the target's shares or volumes online. Every step is idempotent, so a crash
 * resumes it at its first unfinished step (jobs/runner.ts); see transfer.ts for why two devices never both own.
 *
 * Resumability is decided per failure: the kind says `resumable: false`, so only errors raised as retryable
 * leave the job resumable. A failed precheck is final (the holds are released and the wizard is run again);
 * a failed restore or transfer is resumable, or can be abandoned (manager.ts).
 */
import path from 'node:path';
import { toErrorInfo } from '../errors';
import { LifeboatError, type ErrorCode } from '../../shared/errors';
import type { RestoreParams } from '../backups/restore-job';
import type { JobKind } from '../jobs/types';
import { formatBytes } from '../../shared/units';
import { restoreOrder } from './plan';
import { collectPrechecks, describeCheck, precheckFailure } from './prechecks';
import { failoverItems, restorePriority } from './sources';
import {
  childJobs,
  faultPoint,
  FailoverParamsSchema,
  FAILOVER_JOB,
  type FailoverCtx,
  type FailoverParams,
  type FailoverState,
} from './state';
import type { FailoverDeps } from './deps';
import { cleanTarget, finishStep, releaseHolds, transferStep } from './transfer';
import { jobUnderway } from '../../shared/job-status';

function note(deps: FailoverDeps, ctx: FailoverCtx, message: string): void {
  deps.runner.store.event(ctx.jobId, 'note', message);
  ctx.log.info(message, { jobId: ctx.jobId });
  ctx.progress({ message });
}

function devicesOf(deps: FailoverDeps, p: FailoverParams) {
  const source = deps.devices.store.byId(p.sourceId);
  const target = deps.devices.store.byId(p.targetId);
  if (!source || !target)
    throw new LifeboatError(
      'not_found',
      `The device ${source ? p.targetName : p.sourceName} was removed during the failover.`,
      'Abandon this failover.',
    );
  return { source, target };
}

async function runPrechecks(deps: FailoverDeps, ctx: FailoverCtx): Promise<void> {
  // Yield first: the job is created inside failover.start's transaction and may start running in it.
  await new Promise((r) => setImmediate(r));
  const p = ctx.params;
  const { source, target } = devicesOf(deps, p);
  // The same checklist the wizard's summary step and `failover prechecks` showed (prechecks.ts).
  const checks = await collectPrechecks(deps, { source, target, backupId: p.backupId, jobId: ctx.jobId });
  await faultPoint(deps, ctx, 'prechecks');
  for (const c of checks) {
    deps.runner.store.event(
      ctx.jobId,
      c.status === 'pass' ? 'precheck-passed' : c.status === 'warn' ? 'precheck-warning' : 'precheck-failed',
      describeCheck(c),
    );
    ctx.progress({ message: describeCheck(c) });
    ctx.log[c.status === 'pass' ? 'info' : 'warn']('failover precheck', {
      jobId: ctx.jobId,
      check: c.name,
      status: c.status,
      message: c.message,
    });
  }
  const failed = checks.filter((c) => c.status === 'fail');
  ctx.progress({
    fraction: 1,
    message: failed.length
      ? `${failed.length} of ${checks.length} prechecks failed.`
      : `All ${checks.length} prechecks passed or warned.`,
  });
  if (failed.length) {
    // Nothing moved: let go of both devices so the wizard can run again once the causes are fixed.
    releaseHolds(deps, ctx.jobId, p);
    ctx.checkpoint({ prechecks: checks });
    const { message, hint } = precheckFailure(checks);
    throw new LifeboatError('precheck_failed', message, hint);
  }
  ctx.checkpoint({ prechecks: checks });
}

/** Whatever stops the prechecks (a backup pruned meanwhile, a device removed), nothing has moved: release both devices. */
async function prechecksOrRelease(deps: FailoverDeps, ctx: FailoverCtx): Promise<void> {
  try {
    await runPrechecks(deps, ctx);
  } catch (err) {
    if (ctx.signal.aborted || (err instanceof LifeboatError && err.code === 'precheck_failed')) throw err;
    releaseHolds(deps, ctx.jobId, ctx.params);
    const info = toErrorInfo(err);
    throw new LifeboatError(
      'precheck_failed',
      `The prechecks could not run, no data was moved: ${info.message}`,
      info.hint ?? 'Fix the cause, then start the failover again.',
      { cause: err },
    );
  }
}

async function runRestores(deps: FailoverDeps, ctx: FailoverCtx): Promise<void> {
  const p = ctx.params;
  const { source, target } = devicesOf(deps, p);
  const account = deps.accounts.store.byId(deps.accounts.catalog.require(p.backupId).account_id);
  if (!account)
    throw new LifeboatError(
      'not_found',
      `The storage account of ${source.name} was removed.`,
      'Add it again, then resume the failover.',
      { retryable: true },
    );
  const items = restoreOrder(failoverItems(deps, source, p.backupId));
  const children = childJobs(deps, ctx.jobId);
  const total = items.reduce((n, i) => n + i.bytes, 0);

  // A resumed failover resumes its failed restores: they continue without fetching again what they wrote.
  for (const [item, job] of children) {
    if (job.status === 'failed' || job.status === 'paused') {
      if (job.resumable) deps.runner.resume(job.id);
      else children.delete(item);
    } else if (job.status === 'cancelled') children.delete(item);
  }
  for (const item of items) {
    const folder = path.join(target.root, item.kind === 'share' ? 'shares' : 'volumes');
    if (!item.inBackup) {
      // Made after the backup: it comes back empty, as it was created.
      const dest = path.join(folder, item.name);
      if (!(await deps.devices.agent.exists(dest))) {
        if (item.kind === 'share') await deps.devices.agent.createShare(dest);
        else await deps.devices.agent.createVolume(dest, deps.devices.store.volume(source.id, item.name)!.size);
      }
      continue;
    }
    if (children.has(item.name.toLowerCase())) continue;
    const params: RestoreParams = {
      accountId: account.id,
      accountName: account.name,
      backupId: p.backupId,
      to: folder,
      sources: [item.name],
      overwrite: true,
      priority: restorePriority(deps, p.backupId, item.name),
      label: `Restore ${item.kind} ${item.name} to ${target.name}`,
    };
    const job = deps.runner.create('backup.restore', params, { parentId: ctx.jobId });
    children.set(item.name.toLowerCase(), job);
    // A crash here leaves a restore job the state does not name: the next run adopts it from the job table.
    await faultPoint(deps, ctx, 'restore');
    ctx.checkpoint({ children: Object.fromEntries([...children].map(([k, j]) => [k, j.id])) });
    note(
      deps,
      ctx,
      `Restoring the ${item.kind} ${item.name} (${formatBytes(item.bytes)}${item.tier === 'locally-pinned' ? ', locally pinned' : ''}) in job ${job.id}.`,
    );
  }

  const restoring = items.filter((i) => i.inBackup);
  for (;;) {
    ctx.throwIfStopped();
    const jobs = restoring.map((i) => ({ item: i, job: deps.runner.get(children.get(i.name.toLowerCase())!.id) }));
    const done = jobs.reduce(
      (n, { item, job }) => n + (job.status === 'succeeded' ? item.bytes : Math.min(item.bytes, job.bytesDone)),
      0,
    );
    const open = jobs.filter(({ job }) => jobUnderway(job.status));
    ctx.progress({
      fraction: total ? done / total : 1,
      bytesDone: done,
      bytesTotal: total,
      message: `${jobs.length - open.length} of ${jobs.length} restore jobs ended; ${formatBytes(done)} of ${formatBytes(total)} restored.`,
    });
    if (open.length) {
      await deps.runner.wait(open[0].job.id, 1000, ctx.signal);
      continue;
    }
    const bad = jobs.filter(({ job }) => job.status !== 'succeeded');
    if (!bad.length) return;
    const what = bad.map(
      ({ item, job }) =>
        `the ${item.kind} ${item.name} ${job.status === 'failed' ? `failed (job ${job.id}): ${(job.error?.message ?? 'unknown error').replace(/\.+$/, '')}` : `was ${job.status} (job ${job.id})`}`,
    );
    const cancelled = bad.every(({ job }) => job.status === 'cancelled');
    // A restore that failed for good (say a backup holding unsafe paths) fails again however often it is resumed.
    const final = bad.some(({ job }) => job.status === 'failed' && !job.resumable);
    throw new LifeboatError(
      cancelled ? 'cancelled' : ((bad.find(({ job }) => job.error)?.job.error?.code ?? 'io_error') as ErrorCode),
      `The failover of ${p.sourceName} to ${p.targetName} stopped: restoring ${what.join('; ')}.`,
      final
        ? `This backup cannot be restored as it is: abandon the failover with \`lifeboat failover abandon ${ctx.jobId}\` (the target is cleaned and released).`
        : `Fix the cause, then resume it with \`lifeboat failover resume ${ctx.jobId}\` (what is restored is kept), or abandon it with \`lifeboat failover abandon ${ctx.jobId}\`.`,
      { retryable: true },
    );
  }
}

/**
 * Once the failover succeeded, the alerts that asked for it are done: the deactivation's "next, fail it over" and
 * the failures of earlier attempts at failing this source over. They are acknowledged, so the bell and the
 * Dashboard stop showing them (the Alerts page keeps them, with All).
 */
function settleAlerts(deps: FailoverDeps, ctx: FailoverCtx): void {
  const p = ctx.params;
  const jobs = [
    ...deps.runner.store.find({ types: ['device.deactivate'], param: { key: 'deviceId', value: p.sourceId } }),
    ...deps.runner.store.find({ types: [FAILOVER_JOB], param: { key: 'sourceId', value: p.sourceId } }),
  ].flatMap((j) => (j.id === ctx.jobId ? [] : [j.id]));
  const open = deps.alerts.ids({ jobIds: jobs });
  if (open.length) deps.alerts.acknowledge(open);
}

/** Errors after the prechecks leave the failover resumable: the data is not lost, the cause is usually outside. */
const resumableOnError =
  (f: (ctx: FailoverCtx) => Promise<void>) =>
  async (ctx: FailoverCtx): Promise<void> => {
    try {
      await f(ctx);
    } catch (err) {
      if (err instanceof LifeboatError && err.retryable) throw err;
      if (ctx.signal.aborted) throw err; // a cancel or pause: the runner handles it
      const info = toErrorInfo(err);
      throw new LifeboatError(
        info.code,
        info.message,
        info.hint ?? `Fix the cause, then resume it with \`lifeboat failover resume ${ctx.jobId}\`.`,
        { cause: err, retryable: true },
      );
    }
  };

export function failoverJob(deps: FailoverDeps): JobKind<FailoverParams, FailoverState> {
  return {
    type: FAILOVER_JOB,
    params: FailoverParamsSchema,
    title: (p) => `Fail over ${p.sourceName} to ${p.targetName}`,
    object: (p) => ({ kind: 'device', name: p.sourceName }),
    resumable: false,
    cancellable: (s) =>
      s.transferStarted ? 'the ownership transfer has begun; the failover can only finish now.' : true,
    steps: [
      {
        name: 'prechecks',
        title: 'Check the storage account, the cloud connection, space on the target and iSCSI settings',
        weight: 1,
        run: (ctx) => prechecksOrRelease(deps, ctx),
      },
      {
        name: 'restore',
        title: 'Restore every share or volume on the target, hot data first',
        weight: 20,
        run: resumableOnError((ctx) => runRestores(deps, ctx)),
      },
      {
        name: 'transfer',
        title: 'Transfer ownership of the cloud data to the target',
        weight: 1,
        run: resumableOnError((ctx) => transferStep(deps, ctx)),
      },
      {
        name: 'finish',
        title: "Bring the target's shares or volumes online",
        weight: 1,
        run: resumableOnError(async (ctx) => {
          await finishStep(deps, ctx);
          settleAlerts(deps, ctx);
        }),
      },
    ],
    cleanup: async (ctx) => {
      if (ctx.state.transferStarted) {
        ctx.log.error('a failover was cancelled after its ownership transfer began; the target is left as it is', {
          jobId: ctx.jobId,
        });
        return;
      }
      await cleanTarget(deps, ctx.jobId, ctx.params);
    },
  };
}
