/** Tables of the protection half: replication policies, protected items with their disks and folders, recovery points. */
import type { Db } from '../db/database';
import { LifeboatError } from '../errors';

export interface PolicyRow {
  id: string;
  name: string;
  frequency_seconds: number;
  rpo_threshold_seconds: number;
  retention_seconds: number;
  app_consistent_seconds: number;
  builtin: number;
  created_at: string;
}

export interface ItemRow {
  id: string;
  name: string;
  primary_site_id: string;
  recovery_site_id: string;
  active_site_id: string;
  policy_id: string;
  account: string | null;
  group_name: string | null;
  commands: string;
  phase: string;
  paused: number;
  /** JSON {code, message, hint?, at} of the last failed cycle, cleared by the next good one. */
  last_error: string | null;
  job_id: string | null;
  /** JSON of the cycle handed to the site but not yet recorded here (replication/cycle.ts). */
  pending: string | null;
  next_cycle_at: string | null;
  last_cycle_at: string | null;
  created_at: string;
}

export interface SourceRow {
  item_id: string;
  idx: number;
  kind: 'disk' | 'folder';
  name: string;
  source_path: string;
  /** JSON: a disk's size and mtime at its last point, a folder's nothing (its index is a file). */
  state: string | null;
}

export interface PointRow {
  id: string;
  item_id: string;
  seq: number;
  created_at: string;
  kind: 'crash' | 'app';
  bytes: number;
  group_point: string | null;
}

export class ReplicationStore {
  constructor(readonly db: Db) {}

  policy(id: string): PolicyRow {
    return this.db.prepare('SELECT * FROM replication_policies WHERE id = ?').get(id) as PolicyRow;
  }

  policyByName(name: string): PolicyRow | undefined {
    return this.db.prepare('SELECT * FROM replication_policies WHERE name = ?').get(name.trim()) as PolicyRow | undefined;
  }

  requirePolicy(name: string): PolicyRow {
    const row = this.policyByName(name);
    if (!row) throw new LifeboatError('not_found', `There is no replication policy ${name}.`, 'List policies with `lifeboat policy list`, or create one with `lifeboat policy create NAME`.');
    return row;
  }

  policies(): PolicyRow[] {
    return this.db.prepare('SELECT * FROM replication_policies ORDER BY builtin DESC, name').all() as PolicyRow[];
  }

  insertPolicy(row: PolicyRow): void {
    this.db
      .prepare(
        'INSERT INTO replication_policies(id, name, frequency_seconds, rpo_threshold_seconds, retention_seconds, app_consistent_seconds, builtin, created_at) ' +
          'VALUES (@id, @name, @frequency_seconds, @rpo_threshold_seconds, @retention_seconds, @app_consistent_seconds, @builtin, @created_at) ON CONFLICT DO NOTHING',
      )
      .run(row);
  }

  updatePolicy(id: string, patch: Partial<PolicyRow>): void {
    const keys = Object.keys(patch);
    if (keys.length) this.db.prepare(`UPDATE replication_policies SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`).run({ ...patch, id });
  }

  item(id: string): ItemRow | undefined {
    return this.db.prepare('SELECT * FROM protected_items WHERE id = ?').get(id) as ItemRow | undefined;
  }

  itemByName(name: string): ItemRow | undefined {
    return this.db.prepare('SELECT * FROM protected_items WHERE name = ?').get(name.trim()) as ItemRow | undefined;
  }

  requireItem(name: string): ItemRow {
    const row = this.itemByName(name);
    if (!row) throw new LifeboatError('not_found', `There is no protected item ${name}.`, 'List protected items with `lifeboat item list`.');
    return row;
  }

  items(): ItemRow[] {
    return this.db.prepare('SELECT * FROM protected_items ORDER BY name').all() as ItemRow[];
  }

  itemsUsingSite(siteId: string): string[] {
    return this.db
      .prepare('SELECT name FROM protected_items WHERE recovery_site_id = ? OR primary_site_id = ? OR active_site_id = ? ORDER BY name')
      .pluck()
      .all(siteId, siteId, siteId) as string[];
  }

  itemsUsingPolicy(policyId: string): string[] {
    return this.db.prepare('SELECT name FROM protected_items WHERE policy_id = ? ORDER BY name').pluck().all(policyId) as string[];
  }

  /** Items whose next cycle is due at `now` (protected, not paused). */
  due(now: string): ItemRow[] {
    return this.db
      .prepare("SELECT * FROM protected_items WHERE phase = 'protected' AND paused = 0 AND next_cycle_at IS NOT NULL AND next_cycle_at <= ? ORDER BY next_cycle_at")
      .all(now) as ItemRow[];
  }

  insertItem(row: ItemRow, sources: SourceRow[]): void {
    this.db.transaction(() => {
      const cols = Object.keys(row);
      this.db.prepare(`INSERT INTO protected_items(${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`).run(row);
      const ins = this.db.prepare('INSERT INTO protected_sources(item_id, idx, kind, name, source_path, state) VALUES (@item_id, @idx, @kind, @name, @source_path, @state)');
      for (const s of sources) ins.run(s);
    })();
  }

  updateItem(id: string, patch: Partial<ItemRow>): void {
    const keys = Object.keys(patch);
    if (keys.length) this.db.prepare(`UPDATE protected_items SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`).run({ ...patch, id });
  }

  deleteItem(id: string): void {
    this.db.prepare('DELETE FROM protected_items WHERE id = ?').run(id);
  }

  sources(itemId: string): SourceRow[] {
    return this.db.prepare('SELECT * FROM protected_sources WHERE item_id = ? ORDER BY idx').all(itemId) as SourceRow[];
  }

  setSourceState(itemId: string, idx: number, state: string | null): void {
    this.db.prepare('UPDATE protected_sources SET state = ? WHERE item_id = ? AND idx = ?').run(state, itemId, idx);
  }

  points(itemId: string): PointRow[] {
    return this.db.prepare('SELECT * FROM recovery_points WHERE item_id = ? ORDER BY seq').all(itemId) as PointRow[];
  }

  latestPoint(itemId: string): PointRow | undefined {
    return this.db.prepare('SELECT * FROM recovery_points WHERE item_id = ? ORDER BY seq DESC LIMIT 1').get(itemId) as PointRow | undefined;
  }

  insertPoint(row: PointRow): void {
    this.db
      .prepare('INSERT INTO recovery_points(id, item_id, seq, created_at, kind, bytes, group_point) VALUES (@id, @item_id, @seq, @created_at, @kind, @bytes, @group_point) ON CONFLICT DO NOTHING')
      .run(row);
  }

  deletePoints(ids: string[]): void {
    const del = this.db.prepare('DELETE FROM recovery_points WHERE id = ?');
    for (const id of ids) del.run(id);
  }
}
