/** The settings table: small named values (the log level, a device record's last hash, …), read and written here only. */
import type { Db } from './db/database';

export class Settings {
  constructor(private readonly db: Db) {}

  get(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  set(key: string, value: string): void {
    this.db
      .prepare('INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
      .run(key, value);
  }

  delete(key: string): void {
    this.db.prepare('DELETE FROM settings WHERE key = ?').run(key);
  }

  /** Every setting whose key starts with `prefix`. */
  withPrefix(prefix: string): Array<{ key: string; value: string }> {
    return this.db
      .prepare('SELECT key, value FROM settings WHERE substr(key, 1, length(?)) = ?')
      .all(prefix, prefix) as Array<{ key: string; value: string }>;
  }
}
