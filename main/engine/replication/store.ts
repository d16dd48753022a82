/**
 * Tables of the protection half: replication policies, protected items with their disks and folders, recovery points,
 * group (multi-item) points and the per-cycle history.
 */
import type { Db } from '../db/database';
import type { Settings } from '../settings';
import { LifeboatError } from '../../shared/errors';

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
  /** JSON RetryState (replication/retry.ts): consecutive failed attempts and the next one's time. */
  retry: string | null;
  /** JSON ResyncState (replication/resync.ts): why and since when the item needs resynchronization. */
  resync: string | null;
  /** The item's own resync window, HH:MM-HH:MM; null: the global one. */
  resync_window: string | null;
  /** JSON AppState: the last app-consistent point's time and the warning of a failed quiesce. */
  app_state: string | null;
  /** JSON {quiesce?, thaw?, shutdown?, start?: CommandRun}: each command's last run, output bounded. */
  command_runs: string | null;
  command_timeout_seconds: number;
  /** Bytes the last scan found changed at the source and not yet in a point. */
  pending_bytes: number | null;
  /** While the item replicates in reverse on the failback policy: its own policy, back after failback (replication/reprotect.ts). */
  forward_policy_id?: string | null;
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
  /** JSON of an app-consistent point's quiesce and thaw runs. */
  commands?: string | null;
}

export interface GroupPointRow {
  id: string;
  group_name: string;
  created_at: string;
  /** JSON array of the member item ids. */
  members: string;
  complete: number;
}

export interface CycleRow {
  item_id: string;
  at: string;
  /** crash, app, resync, or failed. */
  kind: string;
  ok: number;
  bytes_sent: number;
  duration_ms: number;
  /** The RPO the cycle ended: the age of the previous newest point when it made its own (or when it failed). */
  rpo_seconds: number | null;
}

export class ReplicationStore {
  constructor(
    readonly db: Db,
    /** The settings store: the global replication settings live there. */
    private readonly settings: Settings,
  ) {}

  policy(id: string): PolicyRow {
    return this.db.prepare('SELECT * FROM replication_policies WHERE id = ?').get(id) as PolicyRow;
  }

  policyByName(name: string): PolicyRow | undefined {
    return this.db.prepare('SELECT * FROM replication_policies WHERE name = ?').get(name.trim()) as
      PolicyRow | undefined;
  }

  requirePolicy(name: string): PolicyRow {
    const row = this.policyByName(name);
    if (!row)
      throw new LifeboatError(
        'not_found',
        `There is no replication policy ${name}.`,
        'List policies with `lifeboat policy list`, or create one with `lifeboat policy create NAME`.',
      );
    return row;
  }

  policies(): PolicyRow[] {
    return this.db.prepare('SELECT * FROM replication_policies ORDER BY builtin DESC, name').all() as PolicyRow[];
  }

  insertPolicy(row: PolicyRow): void {
    this.db
      .prepare(
        'INSERT INTO replication_policies(id, name, frequency_seconds, rpo_threshold_seconds, retention_seconds, app_consistent_seconds, builtin, ' +
          'created_at) VALUES (@id, @name, @frequency_seconds, @rpo_threshold_seconds, @retention_seconds, @app_consistent_seconds, @builtin, ' +
          '@created_at) ON CONFLICT DO NOTHING',
      )
      .run(row);
  }

  updatePolicy(id: string, patch: Partial<PolicyRow>): void {
    const keys = Object.keys(patch);
    if (keys.length)
      this.db
        .prepare(`UPDATE replication_policies SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`)
        .run({ ...patch, id });
  }

  item(id: string): ItemRow | undefined {
    return this.db.prepare('SELECT * FROM protected_items WHERE id = ?').get(id) as ItemRow | undefined;
  }

  itemByName(name: string): ItemRow | undefined {
    return this.db.prepare('SELECT * FROM protected_items WHERE name = ?').get(name.trim()) as ItemRow | undefined;
  }

  requireItem(name: string): ItemRow {
    const row = this.itemByName(name);
    if (!row)
      throw new LifeboatError(
        'not_found',
        `There is no protected item ${name}.`,
        'List protected items with `lifeboat item list`.',
      );
    return row;
  }

  items(): ItemRow[] {
    return this.db.prepare('SELECT * FROM protected_items ORDER BY name').all() as ItemRow[];
  }

  itemsUsingSite(siteId: string): string[] {
    return this.db
      .prepare(
        'SELECT name FROM protected_items WHERE recovery_site_id = ? OR primary_site_id = ? OR active_site_id = ? ORDER BY name',
      )
      .pluck()
      .all(siteId, siteId, siteId) as string[];
  }

  itemsUsingPolicy(policyId: string): string[] {
    return this.db
      .prepare('SELECT name FROM protected_items WHERE policy_id = ? ORDER BY name')
      .pluck()
      .all(policyId) as string[];
  }

  /** Items whose next cycle is due at `now` (protected, not paused). */
  due(now: string): ItemRow[] {
    return this.db
      .prepare(
        "SELECT * FROM protected_items WHERE phase = 'protected' AND paused = 0 AND next_cycle_at IS NOT NULL AND next_cycle_at <= ? " +
          'ORDER BY next_cycle_at',
      )
      .all(now) as ItemRow[];
  }

  insertItem(row: ItemRow, sources: SourceRow[]): void {
    this.db.transaction(() => {
      const cols = Object.keys(row);
      this.db
        .prepare(`INSERT INTO protected_items(${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`)
        .run(row);
      const ins = this.db.prepare(
        'INSERT INTO protected_sources(item_id, idx, kind, name, source_path, state) VALUES (@item_id, @idx, @kind, @name, @source_path, @state)',
      );
      for (const s of sources) ins.run(s);
    })();
  }

  updateItem(id: string, patch: Partial<ItemRow>): void {
    const keys = Object.keys(patch);
    if (keys.length)
      this.db
        .prepare(`UPDATE protected_items SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`)
        .run({ ...patch, id });
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
    return this.db.prepare('SELECT * FROM recovery_points WHERE item_id = ? ORDER BY seq DESC LIMIT 1').get(itemId) as
      PointRow | undefined;
  }

  insertPoint(row: PointRow): void {
    this.db
      .prepare(
        'INSERT INTO recovery_points(id, item_id, seq, created_at, kind, bytes, group_point, commands) ' +
          'VALUES (@id, @item_id, @seq, @created_at, @kind, @bytes, @group_point, @commands) ON CONFLICT DO NOTHING',
      )
      .run({ commands: null, ...row });
  }

  groupMembers(group: string): ItemRow[] {
    return this.db.prepare('SELECT * FROM protected_items WHERE group_name = ? ORDER BY name').all(group) as ItemRow[];
  }

  insertGroupPoint(row: GroupPointRow): void {
    this.db
      .prepare(
        'INSERT INTO group_points VALUES (@id, @group_name, @created_at, @members, @complete) ON CONFLICT DO NOTHING',
      )
      .run(row);
  }

  /** Marks a group point complete once every member recorded its point; returns whether it is. */
  completeGroupPoint(id: string): boolean {
    const row = this.db.prepare('SELECT * FROM group_points WHERE id = ?').get(id) as GroupPointRow | undefined;
    if (!row) return false;
    const members = JSON.parse(row.members) as string[];
    const n = this.db.prepare('SELECT COUNT(*) FROM recovery_points WHERE group_point = ?').pluck().get(id) as number;
    if (n === members.length && !row.complete)
      this.db.prepare('UPDATE group_points SET complete = 1 WHERE id = ?').run(id);
    return n === members.length;
  }

  /** The complete group points among these ids. */
  /** The complete group points among `ids`, each with its members' names (an item since removed: its id). */
  completeGroupPoints(ids: string[]): Map<string, string[]> {
    if (!ids.length) return new Map();
    const sql = `SELECT id, members FROM group_points WHERE complete = 1 AND id IN (${ids.map(() => '?').join(',')})`;
    const rows = this.db.prepare(sql).all(...ids) as { id: string; members: string }[];
    return new Map(rows.map((r) => [r.id, (JSON.parse(r.members) as string[]).map((m) => this.item(m)?.name ?? m)]));
  }

  /** Records a cycle in the history and drops the item's entries older than `keepFrom`. */
  addCycle(row: CycleRow, keepFrom: string): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO replication_cycles VALUES (@item_id, @at, @kind, @ok, @bytes_sent, @duration_ms, @rpo_seconds)',
        )
        .run(row);
      this.db.prepare('DELETE FROM replication_cycles WHERE item_id = ? AND at < ?').run(row.item_id, keepFrom);
    })();
  }

  cycles(itemId: string, since: string): CycleRow[] {
    return this.db
      .prepare('SELECT * FROM replication_cycles WHERE item_id = ? AND at >= ? ORDER BY at, rowid')
      .all(itemId, since) as CycleRow[];
  }

  /** A global replication setting (settings table, key `replication.<key>`). */
  setting(key: string): string | null {
    return this.settings.get(`replication.${key}`);
  }

  setSetting(key: string, value: string | null): void {
    if (value === null) this.settings.delete(`replication.${key}`);
    else this.settings.set(`replication.${key}`, value);
  }

  deletePoints(ids: string[]): void {
    const del = this.db.prepare('DELETE FROM recovery_points WHERE id = ?');
    for (const id of ids) del.run(id);
  }
}
