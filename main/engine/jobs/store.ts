/** Jobs as durable rows: every change of status, step or checkpoint is one transaction. */
import type { Db } from '../db/database';
import type { ErrorInfo } from '../../shared/errors';
import { jobEnded, UNDERWAY, UNFINISHED } from '../../shared/job-status';
import type { Job, JobStatus, JobStep } from '../../shared/schemas';

export interface JobRow {
  id: string;
  parent_id: string | null;
  type: string;
  title: string;
  object_kind: string | null;
  object_name: string | null;
  status: JobStatus;
  progress: number;
  message: string | null;
  bytes_done: number;
  bytes_total: number;
  params: string;
  state: string;
  error_code: string | null;
  error_message: string | null;
  error_hint: string | null;
  resumable: number;
  control: 'cancel' | 'pause' | null;
  attempts: number;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  /** The process that runs or last ran the job: its pid and kernel start time (null where unknown). */
  owner_pid: number | null;
  owner_start: string | null;
}

interface StepRow {
  job_id: string;
  idx: number;
  name: string;
  title: string;
  status: JobStep['status'];
  progress: number;
  started_at: string | null;
  ended_at: string | null;
  error_code: string | null;
  error_message: string | null;
  error_hint: string | null;
}

const errorOf = (code: string | null, message: string | null, hint: string | null): ErrorInfo | null =>
  code ? ({ code, message: message ?? '', ...(hint ? { hint } : {}) } as ErrorInfo) : null;

/** A job's result: the `result` its kind keeps in its state, so it is checkpointed (and survives a crash) with it. */
function resultOf(state: string): Record<string, unknown> | undefined {
  if (!state.includes('"result":')) return undefined; // most states have none: those are not parsed
  const result = (JSON.parse(state) as { result?: unknown }).result;
  return result && typeof result === 'object' ? (result as Record<string, unknown>) : undefined;
}

/** Which jobs JobStore.find returns: each filter given must hold. */
export interface JobMatch {
  types?: readonly string[];
  statuses?: readonly JobStatus[];
  param?: { key: string; value: string };
  objectKind?: string;
  objectName?: string;
}

export class JobStore {
  constructor(readonly db: Db) {}

  row(id: string): JobRow | undefined {
    return this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
  }

  steps(id: string): StepRow[] {
    return this.db.prepare('SELECT * FROM job_steps WHERE job_id = ? ORDER BY idx').all(id) as StepRow[];
  }

  toJob(row: JobRow, live?: { rate: number; cancellable: boolean }): Job {
    const result = resultOf(row.state);
    return {
      id: row.id,
      parentId: row.parent_id,
      type: row.type,
      title: row.title,
      objectKind: row.object_kind,
      objectName: row.object_name,
      status: row.status,
      progress: row.progress,
      message: row.message,
      bytesDone: row.bytes_done,
      bytesTotal: row.bytes_total,
      rate: live?.rate ?? 0,
      createdAt: row.created_at,
      startedAt: row.started_at,
      endedAt: row.ended_at,
      error: errorOf(row.error_code, row.error_message, row.error_hint),
      cancellable: live?.cancellable ?? !jobEnded(row.status),
      // A queued job that has run before was interrupted: `jobs resume` runs it now rather than at the next start.
      resumable:
        row.resumable === 1 &&
        (row.status === 'failed' || row.status === 'paused' || (row.status === 'queued' && row.attempts > 0)),
      attempts: row.attempts,
      steps: this.steps(row.id).map((s) => ({
        index: s.idx,
        name: s.name,
        title: s.title,
        status: s.status,
        progress: s.progress,
        startedAt: s.started_at,
        endedAt: s.ended_at,
        error: errorOf(s.error_code, s.error_message, s.error_hint),
      })),
      ...(result ? { result } : {}),
    };
  }

  insert(
    job: Omit<
      JobRow,
      | 'owner_pid'
      | 'owner_start'
      | 'state'
      | 'progress'
      | 'message'
      | 'bytes_done'
      | 'bytes_total'
      | 'error_code'
      | 'error_message'
      | 'error_hint'
      | 'control'
      | 'attempts'
      | 'started_at'
      | 'ended_at'
    >,
    steps: { name: string; title: string }[],
  ): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO jobs (id, parent_id, type, title, object_kind, object_name, status, params, resumable, created_at)
           VALUES (@id, @parent_id, @type, @title, @object_kind, @object_name, @status, @params, @resumable, @created_at)`,
        )
        .run(job);
      const insertStep = this.db.prepare(
        "INSERT INTO job_steps (job_id, idx, name, title, status) VALUES (?, ?, ?, ?, 'pending')",
      );
      steps.forEach((s, i) => insertStep.run(job.id, i, s.name, s.title));
      this.event(job.id, 'created', job.title);
    })();
  }

  list(opts: { status?: JobStatus; limit: number; parentId?: string }): JobRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (opts.status) {
      where.push('status = ?');
      args.push(opts.status);
    }
    if (opts.parentId) {
      where.push('parent_id = ?');
      args.push(opts.parentId);
    }
    const sql = `SELECT * FROM jobs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at DESC, rowid DESC LIMIT ?`;
    return this.db.prepare(sql).all(...args, opts.limit) as JobRow[];
  }

  /**
   * The jobs that match every filter given: one of `types` and of `statuses`, a `params` field holding `value`, an
   * object (name in any case); oldest first, or newest first with a limit. Other modules ask this, not the jobs table.
   */
  find(match: JobMatch, order: { newest: number } | 'oldest' = 'oldest'): JobRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    const oneOf = (column: string, values: readonly string[] | undefined) => {
      if (!values) return;
      where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
      args.push(...values);
    };
    oneOf('type', match.types);
    oneOf('status', match.statuses);
    if (match.param) {
      where.push('json_extract(params, ?) = ?');
      args.push(`$.${match.param.key}`, match.param.value);
    }
    if (match.objectKind !== undefined) {
      where.push('object_kind = ?');
      args.push(match.objectKind);
    }
    if (match.objectName !== undefined) {
      where.push('object_name = ? COLLATE NOCASE');
      args.push(match.objectName);
    }
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    if (order === 'oldest')
      return this.db.prepare(`SELECT * FROM jobs ${filter} ORDER BY created_at, rowid`).all(...args) as JobRow[];
    return this.db
      .prepare(`SELECT * FROM jobs ${filter} ORDER BY created_at DESC, rowid DESC LIMIT ?`)
      .all(...args, order.newest) as JobRow[];
  }

  /** The ids of the jobs not ended (or, with `underway`, queued or running) that match, oldest first. */
  unfinished(match: Omit<JobMatch, 'statuses'> & { underway?: boolean }): string[] {
    return this.find({ ...match, statuses: match.underway ? UNDERWAY : UNFINISHED }).map((r) => r.id);
  }

  queued(): JobRow[] {
    return this.db.prepare("SELECT * FROM jobs WHERE status = 'queued' ORDER BY created_at, rowid").all() as JobRow[];
  }

  update(id: string, patch: Partial<JobRow>, event?: { kind: string; message: string }): void {
    const keys = Object.keys(patch);
    this.db.transaction(() => {
      if (keys.length)
        this.db
          .prepare(`UPDATE jobs SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`)
          .run({ ...patch, id });
      if (event) this.event(id, event.kind, event.message);
    })();
  }

  /** A job resumed by the user: queued again, its error cleared, its unfinished steps pending again. */
  requeue(id: string): void {
    this.db.transaction(() => {
      this.update(
        id,
        { status: 'queued', error_code: null, error_message: null, error_hint: null, ended_at: null, control: null },
        { kind: 'resumed', message: 'Resumed by the user.' },
      );
      this.db
        .prepare(
          "UPDATE job_steps SET status = 'pending', error_code = NULL, error_message = NULL, error_hint = NULL WHERE job_id = ? AND status IN ('failed', 'cancelled', 'running')",
        )
        .run(id);
    })();
  }

  /** A cancelled job: its steps not done are cancelled too, and it cannot be resumed; `message` goes to its events. */
  markCancelled(id: string, message = 'Cancelled.'): void {
    this.db.transaction(() => {
      this.db
        .prepare("UPDATE job_steps SET status = 'cancelled' WHERE job_id = ? AND status IN ('pending', 'running')")
        .run(id);
      this.update(
        id,
        { status: 'cancelled', ended_at: new Date().toISOString(), control: null, resumable: 0 },
        { kind: 'cancelled', message },
      );
    })();
  }

  updateStep(id: string, idx: number, patch: Partial<StepRow>, jobPatch?: Partial<JobRow>): void {
    this.db.transaction(() => {
      const keys = Object.keys(patch);
      this.db
        .prepare(
          `UPDATE job_steps SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE job_id = @job_id AND idx = @idx`,
        )
        .run({ ...patch, job_id: id, idx });
      if (jobPatch && Object.keys(jobPatch).length) this.update(id, jobPatch);
    })();
  }

  /**
   * Progress figures are shown, not relied on: they are committed without waiting for the disk (synchronous=NORMAL;
   * in WAL mode a later FULL commit makes them durable in order). Checkpoints and status changes stay FULL, so a
   * busy disk cannot stall the main loop on every progress tick.
   */
  updateProgress(id: string, idx: number, stepProgress: number, jobPatch: Partial<JobRow>): void {
    this.db.pragma('synchronous = NORMAL');
    try {
      this.updateStep(id, idx, { progress: stepProgress }, jobPatch);
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  event(id: string, kind: string, message: string): void {
    this.db
      .prepare('INSERT INTO job_events (job_id, at, kind, message) VALUES (?, ?, ?, ?)')
      .run(id, new Date().toISOString(), kind, message);
  }

  events(id: string): { at: string; kind: string; message: string }[] {
    return this.db.prepare('SELECT at, kind, message FROM job_events WHERE job_id = ? ORDER BY seq').all(id) as {
      at: string;
      kind: string;
      message: string;
    }[];
  }

  /**
   * After a crash: running jobs whose owner process is gone go back to the queue, their running steps to pending
   * (steps are idempotent). A job whose owner still runs is left to it.
   */
  recoverInterrupted(ownerGone: (row: JobRow) => boolean): JobRow[] {
    return this.db.transaction(() => {
      const rows = (this.db.prepare("SELECT * FROM jobs WHERE status = 'running'").all() as JobRow[]).filter(ownerGone);
      for (const row of rows) {
        this.db.prepare("UPDATE job_steps SET status = 'pending' WHERE job_id = ? AND status = 'running'").run(row.id);
        const who = row.owner_pid
          ? `the Lifeboat process that ran it (pid ${row.owner_pid}) stopped`
          : 'Lifeboat stopped';
        // A cancel asked before the stop is finished by the runner, which runs the job's cleanup first.
        if (row.control !== 'cancel') {
          this.update(
            row.id,
            { status: 'queued', control: null },
            {
              kind: 'interrupted',
              message: `Interrupted: ${who}. It resumes from its last committed step when Lifeboat next runs jobs, or now with \`lifeboat jobs resume ${row.id}\`.`,
            },
          );
        }
      }
      return rows;
    })();
  }

  countByStatus(): Record<JobStatus, number> {
    const counts = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0, paused: 0 } as Record<
      JobStatus,
      number
    >;
    for (const r of this.db.prepare('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status').all() as {
      status: JobStatus;
      n: number;
    }[])
      counts[r.status] = r.n;
    return counts;
  }
}
