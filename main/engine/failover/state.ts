/** The failover job's parameters and checkpointed state, and its restore jobs (shared by its steps and the manager). */
import { z } from 'zod';
import type { Job } from '../../shared/schemas';
import { fault, untilAborted } from '../faults';
import type { FailoverDeps } from './deps';
import type { RestoreParams } from '../backups/restore-job';
import type { StepContext } from '../jobs/types';
import type { Precheck } from './prechecks';

export const FAILOVER_JOB = 'device.failover';

export const FailoverParamsSchema = z.object({
  sourceId: z.string(),
  sourceName: z.string(),
  targetId: z.string(),
  targetName: z.string(),
  /** Chosen when the failover starts, so a resume restores the same backup. */
  backupId: z.string(),
});
export type FailoverParams = z.infer<typeof FailoverParamsSchema>;

export interface FailoverState {
  prechecks?: Precheck[];
  /** Share/volume name → its restore job, checkpointed as each is created (the job table is the fallback). */
  children?: Record<string, string>;
  /** Set as the transfer step begins: from then on the failover can only go forward (no cancel, no abandon). */
  transferStarted?: boolean;
  /** Set when it succeeds: the target, the backup, the bytes its restore jobs wrote (transfer.ts, finishStep). */
  result?: {
    source: string;
    target: string;
    backupId: string;
    planned: boolean;
    items: number;
    restoreJobs: number;
    bytesRestored: number;
  };
}

export type FailoverCtx = StepContext<FailoverParams, FailoverState>;

/** Restore jobs of this failover, per item the newest (a cancelled one replaced on resume is older). */
export function childJobs(deps: FailoverDeps, jobId: string): Map<string, Job> {
  const out = new Map<string, Job>();
  for (const row of deps.runner.store.list({ parentId: jobId, limit: 10_000 })) {
    const item = (JSON.parse(row.params) as RestoreParams).sources?.[0];
    if (item && !out.has(item.toLowerCase())) out.set(item.toLowerCase(), deps.runner.toJob(row));
  }
  return out;
}

/**
 * Crash tests stop a failover at a named point (LIFEBOAT_FAILOVER_FAULT=prechecks|restore|transfer) so that a
 * kill -9 lands exactly there: the job notes the point in its events and waits until the process dies or stops.
 */
export async function faultPoint(
  deps: FailoverDeps,
  ctx: FailoverCtx,
  point: 'prechecks' | 'restore' | 'transfer',
): Promise<void> {
  if (!fault('failover', point)) return;
  deps.runner.store.event(ctx.jobId, 'fault-point', point);
  await untilAborted(ctx.signal);
  ctx.throwIfStopped();
}
