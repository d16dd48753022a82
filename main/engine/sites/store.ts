/** The sites table: the primary site (this installation, made on first use) and recovery sites. */
import type { Db } from '../db/database';
import { LifeboatError } from '../../shared/errors';

export interface SiteRow {
  id: string;
  name: string;
  kind: 'primary' | 'local' | 'agent';
  root: string | null;
  created_at: string;
  /** 1: items replicating to or from the site run no cycles (`site pause`); a new row is 0. */
  paused?: number;
  /** The last `site test`: when, and the write throughput it measured (bytes per second). */
  probe_at?: string | null;
  probe_write_bps?: number | null;
}

export const PRIMARY_SITE_ID = 'site-primary';

export class SiteStore {
  constructor(readonly db: Db) {}

  /** The primary site's row, made the first time anything asks for it. */
  primary(): SiteRow {
    this.db
      .prepare(
        "INSERT INTO sites(id, name, kind, root, created_at) VALUES (?, 'primary', 'primary', NULL, ?) ON CONFLICT DO NOTHING",
      )
      .run(PRIMARY_SITE_ID, new Date().toISOString());
    return this.byId(PRIMARY_SITE_ID)!;
  }

  byId(id: string): SiteRow | undefined {
    return this.db.prepare('SELECT * FROM sites WHERE id = ?').get(id) as SiteRow | undefined;
  }

  byName(name: string): SiteRow | undefined {
    return this.db.prepare('SELECT * FROM sites WHERE name = ?').get(name.trim()) as SiteRow | undefined;
  }

  require(name: string): SiteRow {
    if (name.trim().toLowerCase() === 'primary') return this.primary();
    const row = this.byName(name);
    if (!row)
      throw new LifeboatError(
        'not_found',
        `There is no site ${name}.`,
        'List sites with `lifeboat site list`, or add one with `lifeboat site add NAME --root DIR`.',
      );
    return row;
  }

  list(): SiteRow[] {
    this.primary();
    return this.db.prepare("SELECT * FROM sites ORDER BY kind = 'primary' DESC, name").all() as SiteRow[];
  }

  insert(row: SiteRow): void {
    this.db
      .prepare('INSERT INTO sites(id, name, kind, root, created_at) VALUES (@id, @name, @kind, @root, @created_at)')
      .run(row);
  }

  setPaused(id: string, paused: boolean): void {
    this.db.prepare('UPDATE sites SET paused = ? WHERE id = ?').run(paused ? 1 : 0, id);
  }

  /** Keeps the last `site test`'s write throughput: the RTO estimate of a failover to the site is based on it. */
  setProbe(id: string, at: string, writeBytesPerSecond: number): void {
    this.db.prepare('UPDATE sites SET probe_at = ?, probe_write_bps = ? WHERE id = ?').run(at, writeBytesPerSecond, id);
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM sites WHERE id = ?').run(id);
  }
}
