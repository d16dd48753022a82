/**
 * The job scheduler: durable queue in SQLite, a concurrency limit, cancel/pause/resume, and recovery after a crash.
 * Progress is published at most every 100 ms per job and persisted at most once a second (and at each checkpoint).
 * Each running job names its process; a runner is made only by the engine holding the data directory's lock, so at
 * that moment a running job whose process is gone (a crash, a killed CLI command) is put back in the queue, whether
 * or not this engine runs jobs: `jobs list` no longer shows it running and `jobs resume` runs it.
 */
import type { Job } from '../../shared/schemas';
import type { Db } from '../db/database';
import { toErrorInfo } from '../errors';
import { LifeboatError, type ErrorInfo } from '../../shared/errors';
import { checkFaults } from '../faults';
import { ownerAlive, processStart } from '../lock';
import type { EventBus } from '../events';
import { newId } from '../keys';
import type { Logger } from '../log';
import type { WorkerPool } from '../workers/pool';
import { jobEnded } from '../../shared/job-status';
import { JobStore, type JobRow } from './store';
import type { JobKind, ProgressUpdate, StepContext } from './types';

interface Live {
  controller: AbortController;
  stepIndex: number;
  stepFraction: number;
  lastEmit: number;
  lastPersist: number;
  samples: { t: number; bytes: number }[];
  cancellable: true | string;
  /** The latest reported values, persisted with the next write. */
  message: string | null;
  bytesDone: number;
  bytesTotal: number;
}

function newLive(row?: JobRow): Live {
  return {
    controller: new AbortController(),
    stepIndex: -1,
    stepFraction: 0,
    lastEmit: 0,
    lastPersist: 0,
    samples: [],
    cancellable: true,
    message: row?.message ?? null,
    bytesDone: row?.bytes_done ?? 0,
    bytesTotal: row?.bytes_total ?? 0,
  };
}

/** How a job's steps share its progress bar, computed once per job rather than on every tick. */
interface ProgressPlan {
  weights: number[];
  /** Where each step starts, as a fraction of the whole job. */
  starts: number[];
  total: number;
}

/** A job's steps: its kind's, or those its params decide. */
const stepsOf = <P, S extends object>(kind: JobKind<P, S>, params: P) => kind.stepsFor?.(params) ?? kind.steps;

function progressPlan(steps: { weight?: number }[]): ProgressPlan {
  const weights = steps.map((s) => s.weight ?? 1);
  const total = weights.reduce((a, b) => a + b, 0);
  const starts = weights.map((_, i) => weights.slice(0, i).reduce((a, b) => a + b, 0) / total);
  return { weights, starts, total };
}

/** The job's overall progress from its current step and how far that step is. */
const overall = (plan: ProgressPlan, live: Live) =>
  live.stepIndex < 0
    ? 0
    : plan.starts[live.stepIndex] + (plan.weights[live.stepIndex] / plan.total) * live.stepFraction;

/** The progress columns as the job row stores them. */
const progressRow = (plan: ProgressPlan, live: Live): Partial<JobRow> => ({
  progress: overall(plan, live),
  message: live.message,
  bytes_done: live.bytesDone,
  bytes_total: live.bytesTotal,
});

class StopRequested extends Error {
  constructor(readonly kind: 'cancel' | 'pause') {
    super(kind === 'cancel' ? 'The job was cancelled.' : 'The job was paused.');
  }
}

export class JobRunner {
  readonly store: JobStore;
  private kinds = new Map<string, JobKind<any, any>>();
  private live = new Map<string, Live>();
  private started = false;
  private stopping = false;
  private waiters = new Set<() => void>();
  /** Jobs whose failure could not be written (a full disk): failed in memory, never run again in a loop by pump(). */
  private unrecorded = new Map<string, ErrorInfo>();
  /** This process, as job rows name their owner. */
  private readonly owner = { pid: process.pid, start: processStart(process.pid) };
  /** Jobs found running for a process that is gone, put back in the queue when this runner was made. */
  private readonly recovered: JobRow[];

  constructor(
    db: Db,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly workers: WorkerPool,
    private readonly dataDir: string,
    private readonly concurrency = 3,
  ) {
    checkFaults(); // a test's mistyped fault point (engine/faults.ts) fails the engine's start
    this.store = new JobStore(db);
    this.recovered = this.store.recoverInterrupted((row) => this.ownerGone(row));
    for (const row of this.recovered)
      this.log.warn('job interrupted: the process that ran it is gone', {
        jobId: row.id,
        type: row.type,
        ownerPid: row.owner_pid,
      });
  }

  /** An earlier engine in this very process left it (none runs here yet), or its process no longer runs. */
  private ownerGone(row: JobRow): boolean {
    if (row.owner_pid === null || row.owner_pid === this.owner.pid) return !this.live.has(row.id);
    return !ownerAlive(row.owner_pid, row.owner_start);
  }

  register<P, S extends object>(kind: JobKind<P, S>): void {
    this.kinds.set(kind.type, kind as JobKind<any, any>);
  }

  /** Starts executing queued jobs, those interrupted by a crash (requeued when the runner was made) among them. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const row of this.recovered) {
      if (row.control === 'cancel') {
        // Cancelled before the stop: clean up now (cleanups are idempotent), then it is cancelled.
        this.log.warn('job cancelled before a restart; cleaning up', { jobId: row.id, type: row.type });
        void this.finishCancel(row);
        continue;
      }
      this.log.warn('job interrupted by a restart; resuming', { jobId: row.id, type: row.type });
      this.publish(row.id);
    }
    this.pump();
  }

  /** Stops taking jobs and pauses running ones at their next checkpoint (as a crash would, but cleanly). */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const live of this.live.values()) live.controller.abort();
    const deadline = Date.now() + 10_000;
    while (this.live.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  get isStarted(): boolean {
    return this.started;
  }

  create<P>(type: string, params: P, opts: { parentId?: string } = {}): Job {
    const kind = this.kinds.get(type);
    if (!kind) throw new LifeboatError('internal', `Unknown job type ${type}.`);
    const parsed = kind.params.parse(params);
    const object = kind.object?.(parsed) ?? null;
    const id = newId('job');
    this.store.insert(
      {
        id,
        parent_id: opts.parentId ?? null,
        type,
        title: kind.title(parsed),
        object_kind: object?.kind ?? null,
        object_name: object?.name ?? null,
        status: 'queued',
        params: JSON.stringify(parsed),
        resumable: kind.resumable === false ? 0 : 1,
        created_at: new Date().toISOString(),
      },
      stepsOf(kind, parsed).map((s) => ({ name: s.name, title: s.title })),
    );
    this.log.info('job created', { jobId: id, type });
    const job = this.publish(id);
    this.pump();
    return job;
  }

  get(id: string): Job {
    const row = this.store.row(id);
    if (!row) throw new LifeboatError('not_found', `There is no job ${id}.`, 'List jobs with `lifeboat jobs list`.');
    return this.toJob(row);
  }

  toJob(row: JobRow): Job {
    const live = this.live.get(row.id);
    const job = this.store.toJob(row, {
      rate: live ? this.rate(live) : 0,
      cancellable: this.isCancellable(row) === true,
    });
    const failed = this.unrecorded.get(row.id);
    return failed && !jobEnded(row.status)
      ? { ...job, status: 'failed', message: failed.message, error: failed, resumable: false, cancellable: false }
      : job;
  }

  private isCancellable(row: JobRow): true | string {
    if (jobEnded(row.status)) return `The job has already ${row.status}.`;
    return this.live.get(row.id)?.cancellable ?? true;
  }

  cancel(id: string): Job {
    const row = this.requireRow(id);
    const allowed = this.isCancellable(row);
    if (allowed !== true) throw new LifeboatError('not_allowed', `Job ${id} cannot be cancelled now: ${allowed}`);
    const live = this.live.get(id);
    if (live) {
      this.store.update(id, { control: 'cancel' }, { kind: 'cancel-requested', message: 'Cancel requested.' });
      live.controller.abort();
      return this.publish(id);
    }
    void this.finishCancel(row);
    return this.publish(id);
  }

  pause(id: string): Job {
    const row = this.requireRow(id);
    const live = this.live.get(id);
    if (row.status === 'queued') {
      this.store.update(
        id,
        { status: 'paused', resumable: 1 },
        { kind: 'paused', message: 'Paused before it started.' },
      );
    } else if (live) {
      this.store.update(id, { control: 'pause' }, { kind: 'pause-requested', message: 'Pause requested.' });
      live.controller.abort();
    } else {
      throw new LifeboatError('not_allowed', `Job ${id} is ${row.status}; only a queued or running job can be paused.`);
    }
    return this.publish(id);
  }

  resume(id: string): Job {
    const row = this.requireRow(id);
    // Already on its way (an interrupted job back in the queue, perhaps already taken by this runner): nothing to do.
    if (row.status === 'queued' || (row.status === 'running' && this.live.has(id))) {
      this.pump();
      return this.publish(id);
    }
    const resumable = (row.status === 'paused' || row.status === 'failed') && row.resumable === 1;
    if (!resumable)
      throw new LifeboatError(
        'not_allowed',
        `Job ${id} is ${row.status} and cannot be resumed.`,
        row.status === 'failed' ? 'Start the operation again.' : undefined,
      );
    this.store.requeue(id);
    const job = this.publish(id);
    this.pump();
    return job;
  }

  /** Resolves when the job is no longer queued or running (or the timeout passes, with the job as it is). */
  wait(id: string, timeoutMs: number, signal?: AbortSignal): Promise<Job> {
    return new Promise((resolve) => {
      const settledNow = () => {
        const job = this.get(id);
        return job.status !== 'queued' && job.status !== 'running' ? job : null;
      };
      const now = settledNow();
      if (now) return resolve(now);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        signal?.removeEventListener('abort', done);
        resolve(this.get(id));
      };
      const check = () => {
        if (settledNow()) done();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done);
      this.waiters.add(check);
    });
  }

  private requireRow(id: string): JobRow {
    const row = this.store.row(id);
    if (!row) throw new LifeboatError('not_found', `There is no job ${id}.`, 'List jobs with `lifeboat jobs list`.');
    return row;
  }

  private publish(id: string): Job {
    const job = this.toJob(this.requireRow(id));
    this.bus.emit({ type: 'job.updated', job });
    for (const check of [...this.waiters]) check();
    return job;
  }

  private pump(): void {
    if (!this.started || this.stopping) return;
    for (const row of this.store.queued()) {
      if (this.live.size >= this.concurrency) break;
      if (this.live.has(row.id) || this.unrecorded.has(row.id)) continue;
      void this.execute(row);
    }
  }

  private rate(live: Live): number {
    const s = live.samples;
    if (s.length < 2) return 0;
    const dt = (s[s.length - 1].t - s[0].t) / 1000;
    return dt > 0 ? Math.round((s[s.length - 1].bytes - s[0].bytes) / dt) : 0;
  }

  private async execute(initial: JobRow): Promise<void> {
    const kind = this.kinds.get(initial.type);
    const live = newLive(initial);
    this.live.set(initial.id, live);
    const id = initial.id;
    const now = () => new Date().toISOString();
    try {
      if (!kind)
        throw new LifeboatError(
          'internal',
          `This version of Lifeboat cannot run jobs of type ${initial.type}.`,
          'Update Lifeboat or cancel the job.',
        );
      const resumed = initial.attempts > 0;
      this.store.update(
        id,
        {
          status: 'running',
          started_at: initial.started_at ?? now(),
          attempts: initial.attempts + 1,
          control: null,
          owner_pid: this.owner.pid,
          owner_start: this.owner.start,
        },
        {
          kind: resumed ? 'resumed' : 'started',
          message: resumed ? 'Resumed from the last committed step.' : 'Started.',
        },
      );
      this.publish(id);
      const params = kind.params.parse(JSON.parse(initial.params));
      const defs = stepsOf(kind, params);
      const plan = progressPlan(defs);
      const ctx = this.context(id, params, JSON.parse(initial.state), live, kind, plan);
      const steps = this.store.steps(id);
      for (let i = 0; i < defs.length; i++) {
        if (steps[i]?.status === 'succeeded' || steps[i]?.status === 'skipped') continue;
        ctx.throwIfStopped();
        live.stepIndex = i;
        live.stepFraction = 0;
        this.store.updateStep(
          id,
          i,
          { status: 'running', started_at: steps[i]?.started_at ?? now(), progress: 0 },
          { progress: overall(plan, live) },
        );
        this.publish(id);
        await defs[i].run(ctx);
        live.stepFraction = 1;
        this.store.updateStep(
          id,
          i,
          { status: 'succeeded', progress: 1, ended_at: now() },
          { state: JSON.stringify(ctx.state), ...progressRow(plan, live) },
        );
        this.publish(id);
      }
      this.store.update(
        id,
        { status: 'succeeded', progress: 1, ended_at: now(), resumable: 0 },
        { kind: 'succeeded', message: 'Succeeded.' },
      );
      this.log.info('job succeeded', { jobId: id });
    } catch (err) {
      await this.settleFailure(id, err, live, kind).catch((again: unknown) => this.unrecordable(id, again));
    } finally {
      this.live.delete(id);
      this.publish(id);
      this.pump();
    }
  }

  private async settleFailure(
    id: string,
    err: unknown,
    live: Live,
    kind: JobKind<any, any> | undefined,
  ): Promise<void> {
    const now = new Date().toISOString();
    const row = this.requireRow(id);
    // The step that was running, if any: a stop asked between two steps must not touch the one that succeeded.
    const step =
      live.stepIndex >= 0 && this.store.steps(id)[live.stepIndex]?.status === 'running' ? live.stepIndex : -1;
    // A checkpoint during shutdown throws StopRequested too: with no cancel or pause asked, that is the shutdown.
    const shutdown = this.stopping && live.controller.signal.aborted && !row.control;
    const stop = shutdown
      ? 'shutdown'
      : err instanceof StopRequested
        ? err.kind
        : live.controller.signal.aborted
          ? (row.control ?? 'cancel')
          : null;
    if (stop === 'shutdown') {
      // Lifeboat is closing: leave the job queued so it resumes on the next start.
      if (step >= 0) this.store.updateStep(id, step, { status: 'pending' });
      this.store.update(
        id,
        { status: 'queued', control: null },
        { kind: 'interrupted', message: 'Lifeboat was closed; the job resumes on the next start.' },
      );
      return;
    }
    if (stop === 'pause') {
      if (step >= 0) this.store.updateStep(id, step, { status: 'pending' });
      this.store.update(
        id,
        { status: 'paused', control: null, resumable: 1 },
        { kind: 'paused', message: 'Paused at a checkpoint.' },
      );
      return;
    }
    if (stop === 'cancel') {
      if (step >= 0) this.store.updateStep(id, step, { status: 'cancelled', ended_at: now });
      await this.finishCancel(row, kind);
      return;
    }
    const found = toErrorInfo(err, { dataDir: this.dataDir });
    const retryable =
      err instanceof LifeboatError
        ? err.retryable || (!err.final && kind?.resumable !== false)
        : kind?.resumable !== false;
    this.log.error('job failed', { jobId: id, error: found });
    // Written first: whether the log works decides if the hint may send the user to it.
    const info = this.log.explain(found);
    if (step >= 0)
      this.store.updateStep(id, step, {
        status: 'failed',
        ended_at: now,
        error_code: info.code,
        error_message: info.message,
        error_hint: info.hint ?? null,
      });
    this.store.update(
      id,
      {
        status: 'failed',
        ended_at: now,
        control: null,
        resumable: retryable ? 1 : 0,
        error_code: info.code,
        error_message: info.message,
        error_hint: info.hint ?? null,
      },
      { kind: 'failed', message: info.message },
    );
  }

  /** The job's end cannot be written (the database's disk is full): said in memory, so waiters learn why. */
  private unrecordable(id: string, err: unknown): void {
    const info = toErrorInfo(err, { dataDir: this.dataDir });
    const next = 'Lifeboat runs the job again when it next opens this data directory with room on its disk.';
    this.unrecorded.set(id, { ...info, hint: info.hint ? `${info.hint} ${next}` : next });
    this.log.error('job failure not recorded', { jobId: id, error: info });
    for (const check of [...this.waiters]) check();
  }

  private async finishCancel(row: JobRow, kind = this.kinds.get(row.type)): Promise<void> {
    if (kind?.cleanup) {
      const live = newLive(row);
      try {
        const params = kind.params.parse(JSON.parse(row.params));
        await kind.cleanup(
          this.context(row.id, params, JSON.parse(row.state), live, kind, progressPlan(stepsOf(kind, params))),
        );
      } catch (err) {
        this.log.error('cleanup after cancel failed', { jobId: row.id, error: toErrorInfo(err) });
      }
    }
    this.store.markCancelled(row.id);
    this.publish(row.id);
  }

  private context<P, S extends object>(
    id: string,
    params: P,
    state: S,
    live: Live,
    kind: JobKind<P, S>,
    plan: ProgressPlan,
  ): StepContext<P, S> {
    const ctx: StepContext<P, S> = {
      jobId: id,
      params,
      state,
      signal: live.controller.signal,
      dataDir: this.dataDir,
      log: this.log,
      workers: this.workers,
      throwIfStopped: () => {
        if (live.controller.signal.aborted) {
          const control = this.store.row(id)?.control;
          throw new StopRequested(control === 'pause' ? 'pause' : 'cancel');
        }
      },
      checkpoint: (patch) => {
        if (patch) Object.assign(ctx.state, patch);
        live.cancellable = kind.cancellable?.(ctx.state) ?? true;
        // The state and the progress it stands for, in one durable commit.
        this.store.updateStep(
          id,
          live.stepIndex,
          { progress: live.stepFraction },
          { state: JSON.stringify(ctx.state), ...progressRow(plan, live) },
        );
        live.lastPersist = Date.now();
        this.onProgress(id, live, {}, plan);
        ctx.throwIfStopped();
      },
      progress: (update: ProgressUpdate) => {
        this.onProgress(id, live, update, plan);
      },
    };
    return ctx;
  }

  private onProgress(id: string, live: Live, update: ProgressUpdate, plan: ProgressPlan): void {
    if (update.fraction !== undefined) live.stepFraction = Math.min(1, Math.max(0, update.fraction));
    const t = Date.now();
    if (update.bytesDone !== undefined) {
      live.bytesDone = update.bytesDone;
      live.samples.push({ t, bytes: update.bytesDone });
      while (live.samples.length > 2 && t - live.samples[0].t > 5000) live.samples.shift();
    }
    if (update.message !== undefined) live.message = update.message;
    if (update.bytesTotal !== undefined) live.bytesTotal = update.bytesTotal;
    if (t - live.lastPersist >= 1000) {
      live.lastPersist = t;
      this.store.updateProgress(id, live.stepIndex, live.stepFraction, progressRow(plan, live));
    }
    if (t - live.lastEmit >= 100 || live.stepFraction === 1) {
      live.lastEmit = t;
      this.bus.emit({
        type: 'job.progress',
        jobId: id,
        progress: overall(plan, live),
        message: live.message,
        bytesDone: live.bytesDone,
        bytesTotal: live.bytesTotal,
        rate: this.rate(live),
        stepIndex: live.stepIndex,
        stepProgress: live.stepFraction,
      });
    }
  }
}
