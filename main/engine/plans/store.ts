/**
 * Tables of recovery plans: the plans (their steps as JSON), each run of a plan (a job), each item's part in a run
 * (the item's own job and how it ended) and the confirmations of manual actions. Written by the plan manager and the
 * plan job only; other modules read plans through this store.
 */
import type { Db } from '../db/database';
import { LifeboatError, type ErrorInfo } from '../../shared/errors';
import type { PlanStep } from './steps';

export interface PlanRow {
  id: string;
  name: string;
  description: string;
  steps: string;
  created_at: string;
  updated_at: string;
}

export interface RunRow {
  job_id: string;
  plan_id: string;
  operation: string;
  created_at: string;
}

export type RunItemStatus = 'running' | 'succeeded' | 'failed' | 'skipped';

export interface RunItemRow {
  job_id: string;
  step: number;
  item: string;
  child_job_id: string | null;
  status: RunItemStatus;
  error: string | null;
}

export interface RunItem {
  item: string;
  step: number;
  jobId: string | null;
  status: RunItemStatus;
  error: ErrorInfo | null;
}

export const stepsOf = (row: PlanRow): PlanStep[] => JSON.parse(row.steps) as PlanStep[];

export class PlanStore {
  constructor(readonly db: Db) {}

  list(): PlanRow[] {
    return this.db.prepare('SELECT * FROM recovery_plans ORDER BY name').all() as PlanRow[];
  }

  byName(name: string): PlanRow | undefined {
    return this.db.prepare('SELECT * FROM recovery_plans WHERE name = ?').get(name.trim()) as PlanRow | undefined;
  }

  byId(id: string): PlanRow | undefined {
    return this.db.prepare('SELECT * FROM recovery_plans WHERE id = ?').get(id) as PlanRow | undefined;
  }

  require(name: string): PlanRow {
    const row = this.byName(name);
    if (!row)
      throw new LifeboatError(
        'not_found',
        `There is no recovery plan ${name}.`,
        'List plans with `lifeboat plan list`, or create one with `lifeboat plan create NAME --step "group: ITEM"`.',
      );
    return row;
  }

  insert(row: PlanRow): void {
    this.db
      .prepare(
        'INSERT INTO recovery_plans(id, name, description, steps, created_at, updated_at) VALUES (@id, @name, @description, @steps, @created_at, @updated_at)',
      )
      .run(row);
  }

  update(id: string, patch: { description: string; steps: string }): void {
    this.db
      .prepare('UPDATE recovery_plans SET description = ?, steps = ?, updated_at = ? WHERE id = ?')
      .run(patch.description, patch.steps, new Date().toISOString(), id);
  }

  delete(id: string): void {
    this.db.transaction(() => {
      const runs = this.db.prepare('SELECT job_id FROM plan_runs WHERE plan_id = ?').all(id) as { job_id: string }[];
      for (const r of runs) this.db.prepare('DELETE FROM plan_run_items WHERE job_id = ?').run(r.job_id);
      this.db.prepare('DELETE FROM plan_runs WHERE plan_id = ?').run(id);
      this.db.prepare('DELETE FROM recovery_plans WHERE id = ?').run(id);
    })();
  }

  addRun(row: RunRow): void {
    this.db
      .prepare(
        'INSERT INTO plan_runs(job_id, plan_id, operation, created_at) VALUES (@job_id, @plan_id, @operation, @created_at)',
      )
      .run(row);
  }

  run(jobId: string): RunRow | undefined {
    return this.db.prepare('SELECT * FROM plan_runs WHERE job_id = ?').get(jobId) as RunRow | undefined;
  }

  /** A plan's runs, newest first. */
  runs(planId: string, limit = 20): RunRow[] {
    return this.db
      .prepare('SELECT * FROM plan_runs WHERE plan_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?')
      .all(planId, limit) as RunRow[];
  }

  /** The newest runs of every plan, newest first. */
  latestRuns(limit: number): RunRow[] {
    return this.db
      .prepare('SELECT * FROM plan_runs ORDER BY created_at DESC, rowid DESC LIMIT ?')
      .all(limit) as RunRow[];
  }

  runItem(jobId: string, item: string): RunItemRow | undefined {
    return this.db.prepare('SELECT * FROM plan_run_items WHERE job_id = ? AND item = ?').get(jobId, item) as
      RunItemRow | undefined;
  }

  runItems(jobId: string): RunItem[] {
    const rows = this.db
      .prepare('SELECT * FROM plan_run_items WHERE job_id = ? ORDER BY step, rowid')
      .all(jobId) as RunItemRow[];
    return rows.map((r) => ({
      item: r.item,
      step: r.step,
      jobId: r.child_job_id,
      status: r.status,
      error: r.error ? (JSON.parse(r.error) as ErrorInfo) : null,
    }));
  }

  /** Records an item's part in a run (its job once started, its end once known). */
  setRunItem(row: RunItemRow): void {
    this.db
      .prepare(
        `INSERT INTO plan_run_items(job_id, step, item, child_job_id, status, error) VALUES (@job_id, @step, @item, @child_job_id, @status, @error)
         ON CONFLICT(job_id, item) DO UPDATE SET child_job_id = excluded.child_job_id, status = excluded.status, error = excluded.error`,
      )
      .run(row);
  }

  confirmed(jobId: string, step: number): boolean {
    return !!this.db.prepare('SELECT 1 FROM plan_confirmations WHERE job_id = ? AND step = ?').get(jobId, step);
  }

  confirm(jobId: string, step: number): void {
    this.db
      .prepare('INSERT INTO plan_confirmations(job_id, step, confirmed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING')
      .run(jobId, step, new Date().toISOString());
  }
}
