/**
 * Recovery plans: create, list, show, edit and delete them; run one (test, planned or unplanned failover, commit,
 * reprotect, failback, cleanup of a test failover) as a plan job; confirm a manual action a run waits on. Refuses up
 * front what would stop a run half-way: an unknown item, items in different phases, an item that cannot take the
 * operation, a second run of the same plan. When some items of a plan already failed over (the plan is split between
 * its sites), a failover needs a direction ("change direction"): to the recovery site fails over the items still at
 * their primary site, to the primary site fails back the items at their recovery site; the others are skipped.
 */
import { LifeboatError } from '../../shared/errors';
import type { Job } from '../../shared/schemas';
import { newId } from '../keys';
import { PLAN_JOB, type PlanJobParams, type PlanJobState } from './job';
import {
  atRecoverySite,
  operationTitle,
  type ItemOpRequest,
  type PlanDirection,
  type PlanItemOps,
  type PlanItemState,
} from './ops';
import { formatStep, parseSteps, planItems, type PlanStep } from './steps';
import { stepsOf, type PlanRow, type PlanStore } from './store';
import { jobUnfinished } from '../../shared/job-status';

export interface PlanInput {
  name: string;
  description?: string;
  /** Step lines (`group: a, b`, `script 2m: cmd`, `manual: text`), in order. */
  step?: string[];
  /** The same, one per line, from a file. */
  stepsText?: string;
}

export interface PlanRunSummary {
  jobId: string;
  operation: string;
  title: string;
  status: Job['status'];
  createdAt: string;
  endedAt: string | null;
  waiting: { step: number; text: string } | null;
}

export interface PlanView {
  name: string;
  description: string;
  steps: PlanStep[];
  /** The steps as lines, as `plan edit --step` takes them. */
  lines: string[];
  items: string[];
  groups: number;
  /** The items' common phase, `mixed`, or `running`/`waiting` while a run is on its way. */
  state: string;
  itemPhases: Record<string, string>;
  /** Where each item runs now and its recovery site: a plan whose items run at both is split (see `run`'s direction). */
  itemSites: Record<string, { activeSite: string; recoverySite: string }>;
  lastRun: PlanRunSummary | null;
  createdAt: string;
  updatedAt: string;
}

/** Plan runs going at once (the runner runs 3 jobs at a time: each plan needs a slot besides its items'). */
export const MAX_RUNNING = 2;

export interface PlanJobsApi {
  create(type: string, params: PlanJobParams): Job;
  get(id: string): Job;
  resume(id: string): Job;
}

const waitingOf = (job: Job) => (job.result as PlanJobState['result'] | undefined)?.waiting ?? null;

export class PlanManager {
  constructor(
    readonly store: PlanStore,
    private readonly ops: PlanItemOps,
    private readonly jobs: PlanJobsApi,
  ) {}

  private lines(input: PlanInput): string[] | undefined {
    if (input.step === undefined && input.stepsText === undefined) return undefined;
    return [...(input.step ?? []), ...(input.stepsText ?? '').split(/\r?\n/).filter((l) => !l.trim().startsWith('#'))];
  }

  private async known(): Promise<Map<string, PlanItemState>> {
    return new Map((await this.ops.items()).map((i) => [i.name, i]));
  }

  async create(input: PlanInput): Promise<PlanView> {
    if (this.store.byName(input.name))
      throw new LifeboatError(
        'already_exists',
        `A recovery plan ${input.name} already exists.`,
        `Change it with \`lifeboat plan edit ${input.name}\`, or choose another name.`,
      );
    const lines = this.lines(input);
    if (!lines)
      throw new LifeboatError(
        'invalid_input',
        'A recovery plan needs its steps.',
        'Give them with --step "group: ITEM, ITEM" (repeatable, in order) or --steps-file FILE.',
      );
    const known = await this.known();
    const steps = parseSteps(lines, (i) => known.has(i));
    const now = new Date().toISOString();
    this.store.insert({
      id: newId('plan'),
      name: input.name.trim(),
      description: input.description ?? '',
      steps: JSON.stringify(steps),
      created_at: now,
      updated_at: now,
    });
    return this.show(input.name);
  }

  async edit(input: PlanInput): Promise<PlanView> {
    const row = this.store.require(input.name);
    const active = this.activeRun(row);
    const lines = this.lines(input);
    if (lines && active) throw this.busy(row, active, 'change its steps');
    const known = await this.known();
    const steps = lines ? parseSteps(lines, (i) => known.has(i)) : stepsOf(row);
    this.store.update(row.id, { description: input.description ?? row.description, steps: JSON.stringify(steps) });
    return this.show(row.name);
  }

  delete(name: string): { deleted: string } {
    const row = this.store.require(name);
    const active = this.activeRun(row);
    if (active) throw this.busy(row, active, 'delete it');
    this.store.delete(row.id);
    return { deleted: row.name };
  }

  async list(): Promise<PlanView[]> {
    const known = await this.known();
    return this.store.list().map((r) => this.view(r, known));
  }

  async show(name: string): Promise<PlanView & { runs: PlanRunSummary[] }> {
    const row = this.store.require(name);
    return {
      ...this.view(row, await this.known()),
      runs: this.store.runs(row.id).flatMap((r) => this.summary(r.job_id, r.operation)),
    };
  }

  /** Starts a run of the plan after checking every item can take the operation. */
  async run(name: string, req: ItemOpRequest): Promise<Job> {
    const row = this.store.require(name);
    const active = this.activeRun(row);
    if (active) throw this.busy(row, active, 'start another run');
    this.checkRoomForRun();
    const steps = stepsOf(row);
    const items = planItems(steps);
    const known = await this.known();
    const missing = items.filter((i) => !known.has(i));
    if (missing.length)
      throw new LifeboatError(
        'not_found',
        `Plan ${row.name} names ${missing.join(', ')}, no longer protected.`,
        `Remove ${missing.length > 1 ? 'them' : 'it'} from the plan with \`lifeboat plan edit ${row.name} --step …\`.`,
      );
    const { acted, skip, request } = this.direct(row.name, items, known, req);
    const phases = this.phases(acted, known);
    const distinct = [...new Set(Object.values(phases))];
    if (distinct.length > 1) {
      const byPhase = distinct.map((p) => `${acted.filter((i) => phases[i] === p).join(', ')} ${p}`).join('; ');
      throw new LifeboatError(
        'conflict',
        `The items of plan ${row.name} are in different phases (${byPhase}); a plan runs one operation on items in one phase.`,
        'Bring them to one phase with the item commands (`lifeboat item failover|commit|reprotect NAME`), or take the odd ones out of the plan with `lifeboat plan edit`.',
      );
    }
    for (const item of acted) this.ops.check(known.get(item)!, request);
    const site = this.ops.actionSite(known.get(acted[0])!, request);
    const { operation, type, point, shutdownSource, notes } = request;
    const params: PlanJobParams = {
      planId: row.id,
      planName: row.name,
      operation,
      type,
      point,
      shutdownSource,
      notes,
      site,
      steps,
      skip,
    };
    const job = this.jobs.create(PLAN_JOB, params);
    this.store.addRun({
      job_id: job.id,
      plan_id: row.id,
      operation: operationTitle(request),
      created_at: job.createdAt,
    });
    return job;
  }

  /**
   * Which items a run acts on, and the operation it is for them. A failover of a plan split between its sites needs a
   * direction: to-recovery takes the items at their primary site, to-primary those at their recovery site (as a
   * failback); the others are skipped, with the reason. Without a direction every item takes part, as before.
   */
  private direct(plan: string, items: string[], known: Map<string, PlanItemState>, req: ItemOpRequest) {
    const all = { acted: items, skip: [] as { item: string; reason: string }[], request: req };
    if (req.operation !== 'failover' && req.operation !== 'failback') {
      const what = `--direction is for a failover or failback of a plan, not a ${req.operation}.`;
      if (req.direction) throw new LifeboatError('invalid_input', what, 'Leave it out.');
      return all;
    }
    const back = items.filter((i) => atRecoverySite(known.get(i)!));
    const there = items.filter((i) => !back.includes(i));
    const direction: PlanDirection | undefined = req.direction;
    if (!direction) {
      if (req.operation === 'failover' && back.length && there.length)
        throw new LifeboatError(
          'conflict',
          `Plan ${plan} is split: ${there.join(', ')} ${there.length > 1 ? 'run' : 'runs'} at the primary site, ${back.join(', ')} at the recovery site.`,
          `Choose the direction: \`--direction to-recovery\` fails ${there.join(', ')} over and leaves the others; ` +
            `\`--direction to-primary\` fails ${back.join(', ')} back and leaves the others.`,
        );
      return all;
    }
    if (req.operation === 'failback' && direction === 'to-recovery')
      throw new LifeboatError(
        'invalid_input',
        'A failback goes to the primary site: --direction to-recovery contradicts it.',
        `Run \`lifeboat plan failover ${plan} --direction to-recovery\`.`,
      );
    const home = direction === 'to-primary';
    const acted = home ? back : there;
    const others = home ? there : back;
    if (!acted.length)
      throw new LifeboatError(
        'not_allowed',
        `No item of plan ${plan} runs at its ${home ? 'recovery' : 'primary'} site: there is nothing to fail ${home ? 'back' : 'over'}.`,
        `Every item is at its ${home ? 'primary' : 'recovery'} site already; run it the other way with \`--direction ${home ? 'to-recovery' : 'to-primary'}\`.`,
      );
    const where = (i: string) => (home ? 'its primary site' : `its recovery site ${known.get(i)!.recoverySite}`);
    const skip = others.map((item) => ({ item, reason: `${item} runs at ${where(item)} already` }));
    const request: ItemOpRequest = { ...req, operation: home ? 'failback' : 'failover' };
    return { acted, skip, request };
  }

  /** Confirms the manual action a run waits on, and resumes the run. */
  confirm(jobId: string): Job {
    const run = this.store.run(jobId);
    if (!run)
      throw new LifeboatError(
        'not_found',
        `Job ${jobId} is not a run of a recovery plan.`,
        'List runs with `lifeboat plan show PLAN`.',
      );
    const job = this.jobs.get(jobId);
    const waiting = waitingOf(job);
    if (job.status !== 'paused' || !waiting) {
      const now = job.status === 'paused' ? 'paused, not at a manual action' : job.status;
      throw new LifeboatError(
        'not_allowed',
        `Job ${jobId} is not waiting for a confirmation: it is ${now}.`,
        job.status === 'paused'
          ? `Resume it with \`lifeboat jobs resume ${jobId}\`.`
          : `See it with \`lifeboat jobs show ${jobId}\`.`,
      );
    }
    this.store.confirm(jobId, waiting.step);
    return this.jobs.resume(jobId);
  }

  private phases(items: string[], known: Map<string, PlanItemState>): Record<string, string> {
    return Object.fromEntries(items.map((i) => [i, known.get(i)?.phase ?? 'missing']));
  }

  private summary(jobId: string, operation: string): PlanRunSummary[] {
    let job: Job;
    try {
      job = this.jobs.get(jobId);
    } catch {
      return []; // the job was removed: the run is no longer shown
    }
    return [
      {
        jobId,
        operation,
        title: job.title,
        status: job.status,
        createdAt: job.createdAt,
        endedAt: job.endedAt,
        waiting: job.status === 'paused' ? waitingOf(job) : null,
      },
    ];
  }

  /**
   * A plan job holds one of the runner's job slots while its items' jobs need others: with MAX_RUNNING plans on their
   * way a further one would leave its items no slot, so it is refused (a run waiting on a manual action holds none).
   */
  private checkRoomForRun(): void {
    const running = this.store
      .latestRuns(50)
      .flatMap((r) => this.summary(r.job_id, r.operation))
      .filter((s) => s.status === 'queued' || s.status === 'running');
    if (running.length < MAX_RUNNING) return;
    throw new LifeboatError(
      'busy',
      `${running.length} recovery plan runs are on their way (${running.map((r) => `${r.title}, job ${r.jobId}`).join('; ')}); another would wait for their items' jobs.`,
      `Start it when one ends (\`lifeboat jobs wait ${running[0].jobId}\`).`,
    );
  }

  private activeRun(row: PlanRow): PlanRunSummary | null {
    return (
      this.store
        .runs(row.id, 5)
        .flatMap((r) => this.summary(r.job_id, r.operation))
        .find((s) => jobUnfinished(s.status)) ?? null
    );
  }

  private busy(row: PlanRow, run: PlanRunSummary, what: string): LifeboatError {
    const hint = run.waiting
      ? `It waits for a manual action: confirm it with \`lifeboat plan confirm ${run.jobId}\`, or cancel the run with \`lifeboat jobs cancel ${run.jobId}\`.`
      : `Wait for it (\`lifeboat jobs wait ${run.jobId}\`) or cancel it (\`lifeboat jobs cancel ${run.jobId}\`).`;
    return new LifeboatError(
      'busy',
      `Plan ${row.name} has a run on its way (${run.title}, job ${run.jobId}, ${run.waiting ? 'waiting for a confirmation' : run.status}); cannot ${what} now.`,
      hint,
    );
  }

  private view(row: PlanRow, known: Map<string, PlanItemState>): PlanView {
    const steps = stepsOf(row);
    const items = planItems(steps);
    const itemPhases = this.phases(items, known);
    const distinct = [...new Set(Object.values(itemPhases))];
    const last = this.store.runs(row.id, 1).flatMap((r) => this.summary(r.job_id, r.operation))[0] ?? null;
    const active = last && jobUnfinished(last.status);
    const state = active ? (last.waiting ? 'waiting' : 'running') : distinct.length === 1 ? distinct[0] : 'mixed';
    return {
      name: row.name,
      description: row.description,
      steps,
      lines: steps.map(formatStep),
      items,
      groups: steps.filter((s) => s.kind === 'group').length,
      state,
      itemPhases,
      itemSites: Object.fromEntries(
        items.flatMap((i) => {
          const k = known.get(i);
          return k ? [[i, { activeSite: k.activeSite, recoverySite: k.recoverySite }]] : [];
        }),
      ),
      lastRun: last,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }
}
