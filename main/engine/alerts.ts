/** Alerts: what an administrator must know, with severity, the object concerned and what to do. */
import type { Alert } from '../shared/schemas';
import type { Db } from './db/database';
import type { EventBus } from './events';
import { newId } from './keys';

interface AlertRow {
  id: string;
  severity: Alert['severity'];
  title: string;
  message: string;
  hint: string | null;
  object_kind: string | null;
  object_name: string | null;
  job_id: string | null;
  created_at: string;
  acknowledged_at: string | null;
}

const toAlert = (r: AlertRow): Alert => ({
  id: r.id,
  severity: r.severity,
  title: r.title,
  message: r.message,
  hint: r.hint,
  objectKind: r.object_kind,
  objectName: r.object_name,
  jobId: r.job_id,
  createdAt: r.created_at,
  acknowledged: r.acknowledged_at !== null,
});

export class Alerts {
  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
  ) {}

  raise(a: Omit<Alert, 'id' | 'createdAt' | 'acknowledged'>): Alert {
    const row: AlertRow = {
      id: newId('alert'),
      severity: a.severity,
      title: a.title,
      message: a.message,
      hint: a.hint,
      object_kind: a.objectKind,
      object_name: a.objectName,
      job_id: a.jobId,
      created_at: new Date().toISOString(),
      acknowledged_at: null,
    };
    this.db
      .prepare(
        'INSERT INTO alerts VALUES (@id, @severity, @title, @message, @hint, @object_kind, @object_name, @job_id, @created_at, @acknowledged_at)',
      )
      .run(row);
    const alert = toAlert(row);
    this.bus.emit({ type: 'alert.raised', alert });
    return alert;
  }

  list(all: boolean): Alert[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM alerts ${all ? '' : 'WHERE acknowledged_at IS NULL'} ORDER BY created_at DESC, rowid DESC LIMIT 500`,
      )
      .all() as AlertRow[];
    return rows.map(toAlert);
  }

  unacknowledged(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM alerts WHERE acknowledged_at IS NULL').get() as { n: number }).n;
  }

  acknowledge(ids: string[] | 'all'): number {
    const at = new Date().toISOString();
    const rows = (
      ids === 'all'
        ? this.db.prepare('SELECT * FROM alerts WHERE acknowledged_at IS NULL').all()
        : ids
            .map((id) => this.db.prepare('SELECT * FROM alerts WHERE id = ? AND acknowledged_at IS NULL').get(id))
            .filter(Boolean)
    ) as AlertRow[];
    this.db.transaction(() => {
      for (const r of rows) this.db.prepare('UPDATE alerts SET acknowledged_at = ? WHERE id = ?').run(at, r.id);
    })();
    for (const r of rows) this.bus.emit({ type: 'alert.updated', alert: toAlert({ ...r, acknowledged_at: at }) });
    return rows.length;
  }

  /**
   * The ids of the alerts that match every filter given: raised by one of `jobIds`, of a severity, on an object, with
   * a title; only those not acknowledged unless `all`. Other modules ask this, not the alerts table.
   */
  ids(match: {
    jobIds?: string[];
    severity?: Alert['severity'];
    objectKind?: string;
    objectName?: string;
    title?: string;
    all?: boolean;
  }): string[] {
    const where = match.all ? [] : ['acknowledged_at IS NULL'];
    const args: unknown[] = [];
    if (match.jobIds) {
      where.push(`job_id IN (${match.jobIds.map(() => '?').join(', ') || 'NULL'})`);
      args.push(...match.jobIds);
    }
    for (const [column, value] of [
      ['severity', match.severity],
      ['object_kind', match.objectKind],
      ['object_name', match.objectName],
      ['title', match.title],
    ]) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      args.push(value);
    }
    return this.db
      .prepare(`SELECT id FROM alerts ${where.length ? 'WHERE ' + where.join(' AND ') : ''}`)
      .pluck()
      .all(...args) as string[];
  }

  exists(id: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM alerts WHERE id = ?').get(id);
  }
}
