/**
 * The plan job: one run of a recovery plan (test, planned or unplanned failover, commit, reprotect, failback, cleanup
 * of a test failover). Its steps are the plan's groups and actions as they were when the run started: each group
 * starts its items' own jobs in parallel and waits for them; a script action runs at the recovery site with its
 * output kept; a manual action pauses the job until someone confirms it. Every step is idempotent: an item's job is
 * recorded as soon as it starts (plan_run_items), so after kill -9 the resumed step follows that job instead of
 * starting another, and a confirmed manual action is not asked again.
 */
import { z } from 'zod';
import { LifeboatError, type ErrorInfo } from '../../shared/errors';
import { toErrorInfo } from '../errors';
import type { JobKind, StepContext, StepDef } from '../jobs/types';
import type { Job } from '../../shared/schemas';
import {
  describeScript,
  FAILOVER_TYPES,
  goesOnPastErrors,
  operationTitle,
  PLAN_OPERATIONS,
  runsActions,
  scriptSucceeded,
  type ItemOpRequest,
  type PlanItemOps,
  type PlanJobs,
} from './ops';
import { stepTitle } from './steps';
import type { PlanStore, RunItem } from './store';
import { PlanStep as PlanStepSchema } from '../../shared/contract-plans';
import { jobEnded } from '../../shared/job-status';

export const PlanJobParams = z.object({
  planId: z.string(),
  planName: z.string(),
  operation: z.enum(PLAN_OPERATIONS),
  type: z.enum(FAILOVER_TYPES),
  point: z.string(),
  shutdownSource: z.boolean(),
  notes: z.string().optional(),
  /** Where script actions run: the site the operation brings the items to, known when the run started. */
  site: z.string(),
  /** The plan's steps when the run started: an edit of the plan does not change a run on its way. */
  steps: z.array(PlanStepSchema),
  /** Items the run leaves alone: a failover with a direction skips those already where it goes. */
  skip: z.array(z.object({ item: z.string(), reason: z.string() })).default([]),
});
export type PlanJobParams = z.infer<typeof PlanJobParams>;

export interface ActionResult {
  step: number;
  kind: 'script' | 'manual';
  title: string;
  status: 'succeeded' | 'failed' | 'waiting' | 'confirmed';
  site?: string;
  exitCode?: number | null;
  timedOut?: boolean;
  durationMs?: number;
  output?: string;
  error?: string;
  confirmedAt?: string;
}

export interface PlanJobState {
  /** The job step of the group on its way, while its items run (a cancel then waits for the step's end). */
  inGroup?: number | null;
  waiting?: { step: number; text: string } | null;
  actions?: ActionResult[];
  result?: {
    plan: string;
    operation: string;
    type: string;
    items: RunItem[];
    /** The items skipped, with why (a failover with a direction: they are where it goes already). */
    skipped: { item: string; reason: string }[];
    actions: ActionResult[];
    waiting: { step: number; text: string } | null;
    succeeded: number;
    failed: number;
  };
}

export const PLAN_JOB = 'plan.run';

export interface PlanJobDeps {
  store: PlanStore;
  ops: PlanItemOps;
  jobs: PlanJobs;
}

type Ctx = StepContext<PlanJobParams, PlanJobState>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const requestOf = (p: PlanJobParams): ItemOpRequest => ({
  operation: p.operation,
  type: p.type,
  point: p.point,
  shutdownSource: p.shutdownSource,
  notes: p.notes,
});

/** The plan's steps this operation runs, with their index in the plan: actions only when items are brought up. */
const chosenSteps = (p: PlanJobParams) =>
  p.steps.map((step, index) => ({ step, index })).filter((s) => runsActions(p.operation) || s.step.kind === 'group');

export function planJob(deps: PlanJobDeps): JobKind<PlanJobParams, PlanJobState> {
  const { store, ops, jobs } = deps;

  /** Keeps the job's result (what `--json` shows) in its checkpointed state. */
  const refresh = (ctx: Ctx) => {
    const items = store.runItems(ctx.jobId);
    const actions = ctx.state.actions ?? [];
    ctx.state.result = {
      plan: ctx.params.planName,
      operation: ctx.params.operation,
      type: ctx.params.type,
      items,
      skipped: ctx.params.skip,
      actions,
      waiting: ctx.state.waiting ?? null,
      succeeded: items.filter((i) => i.status === 'succeeded').length,
      failed: items.filter((i) => i.status === 'failed').length + actions.filter((a) => a.status === 'failed').length,
    };
  };

  const setAction = (ctx: Ctx, action: ActionResult) => {
    ctx.state.actions = [...(ctx.state.actions ?? []).filter((a) => a.step !== action.step), action].sort(
      (a, b) => a.step - b.step,
    );
    refresh(ctx);
  };

  /** Follows an item's job to its end (a paused one is waited for: someone paused it on purpose). */
  const follow = async (id: string): Promise<Job> => {
    for (;;) {
      const job = await jobs.wait(id, 60_000);
      if (jobEnded(job.status)) return job;
      if (job.status === 'paused') await sleep(1000);
    }
  };

  /** Runs one item's part of a group, once: a finished part is kept, a started one followed, a failed one retried. */
  const runItem = async (ctx: Ctx, step: number, item: string): Promise<ErrorInfo | null> => {
    const record = (childId: string | null, status: RunItem['status'], error: ErrorInfo | null) =>
      store.setRunItem({
        job_id: ctx.jobId,
        step,
        item,
        child_job_id: childId,
        status,
        error: error ? JSON.stringify(error) : null,
      });
    const before = store.runItem(ctx.jobId, item);
    if (before?.status === 'succeeded' || before?.status === 'skipped') return null;
    if (ctx.params.skip.some((s) => s.item === item)) {
      record(null, 'skipped', null);
      return null;
    }
    let childId: string | null = null;
    if (before?.child_job_id) {
      const child = jobs.get(before.child_job_id);
      if (child.status === 'failed' && child.resumable) childId = jobs.resume(child.id).id;
      else if (child.status !== 'failed' && child.status !== 'cancelled') childId = child.id;
    }
    try {
      if (!childId) {
        childId = (await ops.start(item, requestOf(ctx.params))).jobId;
        record(childId, childId ? 'running' : 'succeeded', null);
        if (!childId) return null;
      }
      const done = await follow(childId);
      const error: ErrorInfo | null =
        done.status === 'succeeded'
          ? null
          : ((done.error as ErrorInfo | null) ?? {
              code: 'cancelled',
              message: `The job of ${item} was ${done.status}.`,
            });
      record(childId, error ? 'failed' : 'succeeded', error);
      return error;
    } catch (err) {
      const error = toErrorInfo(err, { dataDir: ctx.dataDir });
      record(childId, 'failed', error);
      return error;
    }
  };

  const groupStep =
    (at: number, items: string[]): StepDef<PlanJobParams, PlanJobState>['run'] =>
    async (ctx) => {
      ctx.progress({ message: `${operationTitle(ctx.params)}: ${items.join(', ')}`, fraction: 0 });
      ctx.checkpoint({ inGroup: at });
      let done = 0;
      const errors = await Promise.all(
        items.map(async (item) => {
          const error = await runItem(ctx, at, item);
          ctx.progress({ fraction: ++done / items.length });
          return error ? `${item}: ${error.message}` : null;
        }),
      );
      refresh(ctx);
      ctx.checkpoint({ inGroup: null });
      const failed = errors.filter((e): e is string => !!e);
      if (failed.length && !goesOnPastErrors(ctx.params))
        throw new LifeboatError(
          'conflict',
          `${operationTitle(ctx.params)} of plan ${ctx.params.planName} stopped: ${failed.join('; ')}.`,
          `Fix the cause, then resume the run with \`lifeboat jobs resume ${ctx.jobId}\` (finished items are kept).`,
        );
    };

  const scriptStep =
    (at: number, title: string, command: string, timeoutSeconds: number): StepDef<PlanJobParams, PlanJobState>['run'] =>
    async (ctx) => {
      const site = ctx.params.site;
      ctx.progress({ message: `Running at ${site}: ${command}` });
      ctx.checkpoint({ inGroup: at });
      const run = await ops.runScript(site, command, {
        timeoutMs: timeoutSeconds * 1000,
        env: { LIFEBOAT_PLAN: ctx.params.planName, LIFEBOAT_JOB: ctx.jobId, LIFEBOAT_SITE: site },
      });
      const ok = scriptSucceeded(run);
      setAction(ctx, {
        step: at,
        kind: 'script',
        title,
        status: ok ? 'succeeded' : 'failed',
        site,
        exitCode: run.exitCode,
        timedOut: run.timedOut,
        durationMs: run.durationMs,
        output: run.output,
        error: ok ? undefined : describeScript(run),
      });
      ctx.checkpoint({ inGroup: null });
      if (!ok && !goesOnPastErrors(ctx.params))
        throw new LifeboatError(
          run.timedOut ? 'timeout' : 'io_error',
          `${title}: ${describeScript(run)}.`,
          `See its output in the job; fix the script, then resume with \`lifeboat jobs resume ${ctx.jobId}\`.`,
        );
    };

  const manualStep =
    (at: number, title: string, text: string): StepDef<PlanJobParams, PlanJobState>['run'] =>
    async (ctx) => {
      if (store.confirmed(ctx.jobId, at)) {
        setAction(ctx, { step: at, kind: 'manual', title, status: 'confirmed', confirmedAt: new Date().toISOString() });
        ctx.state.waiting = null;
        refresh(ctx);
        ctx.progress({ message: `Confirmed: ${text}` });
        return;
      }
      ctx.state.waiting = { step: at, text };
      setAction(ctx, { step: at, kind: 'manual', title, status: 'waiting' });
      ctx.progress({ message: `Waiting for confirmation: ${text} (lifeboat plan confirm ${ctx.jobId})` });
      ctx.checkpoint();
      jobs.pause(ctx.jobId); // the runner stops the job here: paused, this step pending, until `plan confirm` resumes it
      ctx.throwIfStopped();
    };

  const reportStep: StepDef<PlanJobParams, PlanJobState>['run'] = async (ctx) => {
    refresh(ctx);
    const r = ctx.state.result!;
    const failed = [
      ...r.items.filter((i) => i.status === 'failed').map((i) => `${i.item}: ${i.error?.message ?? 'failed'}`),
      ...r.actions.filter((a) => a.status === 'failed').map((a) => `${a.title}: ${a.error}`),
    ];
    const skipped = r.skipped.length
      ? `, ${r.skipped.length} skipped (${r.skipped.map((x) => x.reason).join('; ')})`
      : '';
    ctx.progress({ message: `${r.succeeded} of ${r.items.length - r.skipped.length} items done${skipped}` });
    if (failed.length)
      throw new LifeboatError(
        'conflict',
        `${operationTitle(ctx.params)} of plan ${ctx.params.planName} ended with ${failed.length} error(s): ${failed.join('; ')}.`,
        'Each item is reported in the job; fail the failed items over one by one with `lifeboat item failover NAME` once fixed.',
        { final: true },
      );
  };

  return {
    type: PLAN_JOB,
    params: PlanJobParams,
    title: (p) => `${operationTitle(p)} of plan ${p.planName}`,
    object: (p) => ({ kind: 'recovery-plan', name: p.planName }),
    steps: [],
    stepsFor: (p) => [
      ...chosenSteps(p).map(({ step, index }): StepDef<PlanJobParams, PlanJobState> => {
        const title = stepTitle(p.steps, index);
        const run =
          step.kind === 'group'
            ? groupStep(index, step.items)
            : step.kind === 'script'
              ? scriptStep(index, title, step.command, step.timeoutSeconds)
              : manualStep(index, title, step.text);
        return { name: `${step.kind}-${index}`, title, weight: step.kind === 'group' ? 4 : 1, run };
      }),
      { name: 'report', title: 'Report each item', weight: 0.2, run: reportStep },
    ],
    cancellable: (s) =>
      s.inGroup === null || s.inGroup === undefined
        ? true
        : 'a group or script of the plan is running; cancel once it ends, between steps.',
  };
}
