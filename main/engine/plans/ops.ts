/**
 * What a recovery plan needs from the rest of the engine, as explicit dependencies: the operations on one protected
 * item (failover, commit, reprotect, failback, cleanup of a test failover; each starts that item's own job), the
 * item's phase, and running a script action at a site. The plan never reads the items' tables; the engine wires
 * these to the protection module (plans/item-ops.ts).
 */
import type { Job } from '../../shared/schemas';
import type { CommandRun } from '../replication/commands';

export const PLAN_OPERATIONS = ['failover', 'commit', 'reprotect', 'failback', 'cleanup-test'] as const;
export type PlanOperation = (typeof PLAN_OPERATIONS)[number];
export const FAILOVER_TYPES = ['test', 'planned', 'unplanned'] as const;
export type FailoverType = (typeof FAILOVER_TYPES)[number];
/** Which way a failover of a plan goes: to the items' recovery site, or back to their primary site (a failback). */
export const PLAN_DIRECTIONS = ['to-recovery', 'to-primary'] as const;
export type PlanDirection = (typeof PLAN_DIRECTIONS)[number];

/** One operation as asked of every item of a plan. */
export interface ItemOpRequest {
  operation: PlanOperation;
  /** For failover and failback. */
  type: FailoverType;
  /** For failover and failback: latest, latest-processed, … (a point id makes no sense for a whole plan). */
  point: string;
  shutdownSource: boolean;
  /** For cleanup-test: the drill's notes. */
  notes?: string;
  /**
   * For failover and failback, when some items of the plan already failed over: only the items running where this
   * direction starts take part; the others are skipped (they are where it goes already).
   */
  direction?: PlanDirection;
}

/** How a script action ended: the site agent's command run, whose name (start, …) means nothing here. */
export type ScriptRun = Omit<CommandRun, 'name'>;

/** Whether the item runs at its recovery site (failed over, committed or protected in reverse). */
export const atRecoverySite = (item: Pick<PlanItemState, 'activeSite' | 'recoverySite'>) =>
  item.activeSite === item.recoverySite;

/** A protected item as a plan sees it. */
export interface PlanItemState {
  name: string;
  phase: string;
  /** Where it runs now: its primary site, or the recovery site after a failover. */
  activeSite: string;
  recoverySite: string;
}

export interface PlanItemOps {
  /** Every protected item, with its phase. */
  items(): Promise<PlanItemState[]>;
  /**
   * Throws the item module's own error when the item cannot take the operation in its phase; called for every item
   * before a run starts, so a plan does not stop half-way for what could be known at the start.
   */
  check(item: PlanItemState, req: ItemOpRequest): void;
  /**
   * Does the item's part: starts its job (returned, to be followed) or does it at once (null: a commit, a cleanup),
   * or nothing when the item already is where the operation brings it (a step run again after a crash).
   */
  start(item: string, req: ItemOpRequest): Promise<{ jobId: string | null }>;
  /** The site where a script action runs: where the operation brings the item up. */
  actionSite(item: PlanItemState, req: ItemOpRequest): string;
  /** Runs a script action's command at a site, with a timeout; never throws for the command's own failure. */
  runScript(
    site: string,
    command: string,
    opts: { timeoutMs: number; env: Record<string, string> },
  ): Promise<ScriptRun>;
}

/** The job runner's calls a plan job makes about its own job and its items' jobs. */
export interface PlanJobs {
  get(id: string): Job;
  wait(id: string, timeoutMs: number): Promise<Job>;
  resume(id: string): Job;
  pause(id: string): Job;
}

export const scriptSucceeded = (r: ScriptRun) => r.exitCode === 0 && !r.timedOut && !r.spawnError;

/** How a script action ended, in one line. */
export function describeScript(r: ScriptRun): string {
  if (r.spawnError) return `the script could not start: ${r.spawnError}`;
  if (r.timedOut) return `the script timed out after ${Math.round(r.durationMs / 1000)} s`;
  const last = r.output.trim().split('\n').at(-1);
  if (r.exitCode !== 0) return `the script exited with ${r.exitCode ?? r.signal}${last ? `: ${last}` : ''}`;
  return 'the script succeeded';
}

/** What the operation is called in titles and messages. */
export function operationTitle(req: Pick<ItemOpRequest, 'operation' | 'type'>): string {
  const type = req.type === 'test' ? 'Test' : req.type === 'planned' ? 'Planned' : 'Unplanned';
  switch (req.operation) {
    case 'failover':
      return `${type} failover`;
    case 'failback':
      return `${type} failback`;
    case 'commit':
      return 'Commit';
    case 'reprotect':
      return 'Reprotect';
    case 'cleanup-test':
      return 'Cleanup of the test failover';
  }
}

/** Operations that bring items up somewhere, so the plan's script and manual actions run between their groups. */
export const runsActions = (op: PlanOperation) => op === 'failover' || op === 'failback';

/** An unplanned failover (or failback) goes on past an item's error to the end; everything else stops at the first. */
export const goesOnPastErrors = (req: Pick<ItemOpRequest, 'operation' | 'type'>) =>
  runsActions(req.operation) && req.type === 'unplanned';
