/**
 * The backup catalog: one row per backup (snapshot) so lists and the UI never read the account. It is a cache of
 * the account's snapshot manifests: `account rebuild-catalog` recreates it from the account alone. What the last
 * `account check` found wrong with a backup (its manifest missing or damaged, data it needs lost) is kept beside its
 * row, so the list says which backups cannot be restored whole without reading the account.
 */
import type { Backup } from '../../shared/schemas';
import type { Db } from '../db/database';
import { LifeboatError } from '../../shared/errors';
import type { Settings } from '../settings';
import { summarize, type SnapshotManifest } from '../repo/snapshot';

interface BackupRow {
  id: string;
  account_id: string;
  label: string | null;
  hostname: string;
  parent_id: string | null;
  created_at: string;
  source_key: string;
  sources: string;
  files: number;
  bytes: number;
  bytes_read: number;
  bytes_new: number;
  stored_new: number;
  chunks_new: number;
  duration_ms: number;
  /** From the settings store (backup-problem:<id>), not a column of backups. */
  problem?: string | null;
}

/** A backup's problem lives in settings under this key: per-object flags there need no schema change (like share-over-quota). */
const PROBLEM = 'backup-problem:';
const problemKey = (id: string) => `${PROBLEM}${id}`;

/** Identifies "the same sources": the previous backup of the same key is what an incremental compares with. */
export function sourceKey(sources: Array<{ name: string; kind: string; path: string }>): string {
  return JSON.stringify(
    sources.map((s) => [s.name, s.kind, s.path]).sort((a, b) => (a.join('\0') < b.join('\0') ? -1 : 1)),
  );
}

export class BackupCatalog {
  constructor(
    readonly db: Db,
    /** The settings store, where each backup's problem is kept. */
    private readonly settings: Settings,
  ) {}

  /** Idempotent: a step that re-runs after a crash records the same backup once. */
  record(accountId: string, m: SnapshotManifest): void {
    const summary = summarize(m);
    const sources = summary.sources.map((s) => ({
      ...s,
      path: m.sources.find((x) => x.name === s.name)?.path ?? null,
    }));
    this.db
      .prepare(
        `INSERT INTO backups VALUES (@id, @account_id, @label, @hostname, @parent_id, @created_at, @source_key, @sources, @files, @bytes,
           @bytes_read, @bytes_new, @stored_new, @chunks_new, @duration_ms) ON CONFLICT(id) DO NOTHING`,
      )
      .run({
        id: m.id,
        account_id: accountId,
        label: m.label ?? null,
        hostname: m.hostname,
        parent_id: m.parent ?? null,
        created_at: m.time,
        source_key: sourceKey(m.sources),
        sources: JSON.stringify(sources),
        files: m.stats.files,
        bytes: m.stats.bytes,
        bytes_read: m.stats.bytesRead,
        bytes_new: m.stats.bytesNew,
        stored_new: m.stats.storedNew,
        chunks_new: m.stats.chunksNew,
        duration_ms: m.stats.durationMs,
      } satisfies BackupRow);
  }

  latestOf(accountId: string, key: string): string | undefined {
    return this.db
      .prepare('SELECT id FROM backups WHERE account_id = ? AND source_key = ? ORDER BY created_at DESC LIMIT 1')
      .pluck()
      .get(accountId, key) as string | undefined;
  }

  row(id: string): BackupRow | undefined {
    const row = this.db.prepare('SELECT * FROM backups WHERE id = ?').get(id) as BackupRow | undefined;
    return row && { ...row, problem: this.settings.get(problemKey(id)) };
  }

  require(id: string): BackupRow {
    const row = this.row(id);
    if (!row)
      throw new LifeboatError(
        'not_found',
        `There is no backup ${id}.`,
        'List backups with `lifeboat backup list`; after a fresh install run `lifeboat account rebuild-catalog NAME`.',
      );
    return row;
  }

  list(accountId?: string): BackupRow[] {
    const rows = (
      accountId
        ? this.db.prepare('SELECT * FROM backups WHERE account_id = ? ORDER BY created_at DESC').all(accountId)
        : this.db.prepare('SELECT * FROM backups ORDER BY created_at DESC').all()
    ) as BackupRow[];
    // One read of every problem rather than one a row: lists run to thousands of backups.
    const problems = new Map(this.settings.withPrefix(PROBLEM).map((p) => [p.key.slice(PROBLEM.length), p.value]));
    return rows.map((r) => ({ ...r, problem: problems.get(r.id) ?? null }));
  }

  ids(accountId: string): string[] {
    return this.db.prepare('SELECT id FROM backups WHERE account_id = ?').pluck().all(accountId) as string[];
  }

  /** How many backups an account holds, and the bytes of the newest backup of each source. */
  usage(accountId: string): { n: number; bytes: number } {
    return this.db
      .prepare(
        `SELECT COUNT(*) AS n, COALESCE((SELECT SUM(b.bytes) FROM backups b WHERE b.account_id = @id
           AND b.created_at = (SELECT MAX(c.created_at) FROM backups c WHERE c.account_id = @id AND c.source_key = b.source_key)), 0) AS bytes
         FROM backups WHERE account_id = @id`,
      )
      .get({ id: accountId }) as { n: number; bytes: number };
  }

  count(accountId: string): number {
    return this.db.prepare('SELECT COUNT(*) FROM backups WHERE account_id = ?').pluck().get(accountId) as number;
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM backups WHERE id = ?').run(id);
    this.settings.delete(problemKey(id));
  }

  /** What a check of the whole account found, per backup id: replaces every earlier mark of the account's backups. */
  markProblems(accountId: string, problems: Map<string, string>): void {
    this.db.transaction(() => {
      for (const id of this.ids(accountId)) {
        const problem = problems.get(id);
        if (problem) this.settings.set(problemKey(id), problem);
        else this.settings.delete(problemKey(id));
      }
    })();
  }

  /** Makes the account's rows exactly the given manifests, in one transaction. */
  replace(accountId: string, manifests: SnapshotManifest[]): { added: number; removed: number } {
    return this.db.transaction(() => {
      const before = new Set(this.ids(accountId));
      const now = new Set(manifests.map((m) => m.id));
      let removed = 0;
      for (const id of before)
        if (!now.has(id)) {
          this.delete(id);
          removed++;
        }
      for (const m of manifests) this.record(accountId, m);
      return { added: manifests.filter((m) => !before.has(m.id)).length, removed };
    })();
  }

  toBackup(row: BackupRow, accountName: string): Backup {
    const sources = JSON.parse(row.sources) as Backup['sources'];
    return {
      id: row.id,
      account: accountName,
      label: row.label,
      hostname: row.hostname,
      parentId: row.parent_id,
      createdAt: row.created_at,
      sources,
      sourceNames: sources.map((s) => s.name).join(', '),
      files: row.files,
      bytes: row.bytes,
      bytesRead: row.bytes_read,
      bytesNew: row.bytes_new,
      storedNew: row.stored_new,
      dedupRatio: ratio(row.bytes, row.bytes_new),
      compressionRatio: ratio(row.bytes_new, row.stored_new),
      durationMs: row.duration_ms,
      problem: row.problem ?? null,
    };
  }
}

/** Two decimals; a backup that stored nothing new has an unbounded ratio, shown as its logical size over 1 byte. */
const ratio = (a: number, b: number) => Math.round((a / Math.max(b, 1)) * 100) / 100;
