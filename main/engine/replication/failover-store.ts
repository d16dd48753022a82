/**
 * Tables of item failover: each item's failover (type, point, the sites it went from and to; kept after commit until
 * reprotect) and its test failover while one is up, and the drill reports of test failovers.
 */
import type { Db } from '../db/database';
import type { CommandRun } from './commands';

export interface FailoverPointRef {
  id: string;
  createdAt: string;
  kind: 'crash' | 'app';
  groupPoint: string | null;
}

/** A real failover of an item, from its job's failover step on. */
export interface FailoverRecord {
  type: 'planned' | 'unplanned';
  point: FailoverPointRef;
  at: string;
  fromSiteId: string;
  toSiteId: string;
  jobId: string;
}

/** A test failover on its way or up: its drill and job. */
export interface TestRecord {
  drillId: string;
  jobId: string;
  point: FailoverPointRef | null;
  startedAt: string;
  /** Started by the drill schedule (replication/drill-schedule.ts). */
  scheduled?: boolean;
}

export interface DrillRow {
  id: string;
  item_id: string;
  job_id: string | null;
  /** JSON FailoverPointRef. */
  point: string;
  started_at: string;
  time_to_start_ms: number | null;
  /** JSON CommandRun[]. */
  command_runs: string;
  test_path: string;
  cleaned_up_at: string | null;
  notes: string | null;
  /** 1: started by the drill schedule. */
  scheduled?: number;
}

export class FailoverStore {
  constructor(readonly db: Db) {}

  private row(itemId: string): { failover: string | null; test: string | null } | undefined {
    const row = this.db.prepare('SELECT failover, test FROM item_failovers WHERE item_id = ?').get(itemId);
    return row as { failover: string | null; test: string | null } | undefined;
  }

  failover(itemId: string): FailoverRecord | null {
    const text = this.row(itemId)?.failover;
    return text ? (JSON.parse(text) as FailoverRecord) : null;
  }

  test(itemId: string): TestRecord | null {
    const text = this.row(itemId)?.test;
    return text ? (JSON.parse(text) as TestRecord) : null;
  }

  private set(itemId: string, column: 'failover' | 'test', value: unknown): void {
    this.db
      .prepare(
        `INSERT INTO item_failovers(item_id, ${column}) VALUES (?, ?) ON CONFLICT(item_id) DO UPDATE SET ${column} = excluded.${column}`,
      )
      .run(itemId, value === null ? null : JSON.stringify(value));
  }

  setFailover(itemId: string, record: FailoverRecord | null): void {
    this.set(itemId, 'failover', record);
  }

  setTest(itemId: string, record: TestRecord | null): void {
    this.set(itemId, 'test', record);
  }

  /** The kinds of the members' points of a group point (multi-item app-consistent: all of them app). */
  groupPointKinds(groupPoint: string): ('crash' | 'app')[] {
    return this.db.prepare('SELECT kind FROM recovery_points WHERE group_point = ?').pluck().all(groupPoint) as (
      'crash' | 'app'
    )[];
  }

  insertDrill(row: DrillRow): void {
    const cols = Object.keys(row);
    this.db
      .prepare(
        `INSERT INTO failover_drills(${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')}) ON CONFLICT(id) DO NOTHING`,
      )
      .run(row);
  }

  updateDrill(id: string, patch: Partial<DrillRow>): void {
    const keys = Object.keys(patch);
    if (keys.length)
      this.db
        .prepare(`UPDATE failover_drills SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`)
        .run({ ...patch, id });
  }

  drill(id: string): DrillRow | undefined {
    return this.db.prepare('SELECT * FROM failover_drills WHERE id = ?').get(id) as DrillRow | undefined;
  }

  drills(itemId: string): DrillRow[] {
    return this.db
      .prepare('SELECT * FROM failover_drills WHERE item_id = ? ORDER BY started_at, rowid')
      .all(itemId) as DrillRow[];
  }
}

export const drillRuns = (d: DrillRow): CommandRun[] => JSON.parse(d.command_runs) as CommandRun[];
