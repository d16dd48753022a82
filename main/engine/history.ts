/** The console's command history, in the database so it survives restarts (web mode's origin changes each launch). */
import type { Db } from './db/database';

const KEEP = 5000;
/** A value after a flag that names a secret is never stored: `--sdek X` becomes `--sdek ***`. */
const SECRET_FLAG =
  /(--[\w-]*(?:sdek|secret|password|key|token|sas|connection-string)[\w-]*)(=|\s+)("[^"]*"|'[^']*'|\S+)/gi;

export function maskSecrets(line: string): string {
  return line.replace(SECRET_FLAG, (_m, flag: string, sep: string, value: string) =>
    value.startsWith('--') ? `${flag}${sep}${value}` : `${flag}${sep}***`,
  );
}

export class ConsoleHistory {
  constructor(private readonly db: Db) {}

  list(limit: number): string[] {
    const rows = this.db
      .prepare('SELECT line FROM console_history ORDER BY seq DESC LIMIT ?')
      .pluck()
      .all(limit) as string[];
    return rows.reverse();
  }

  add(line: string): number {
    const masked = maskSecrets(line);
    return this.db.transaction(() => {
      const last = this.db.prepare('SELECT line FROM console_history ORDER BY seq DESC LIMIT 1').pluck().get();
      if (last !== masked)
        this.db.prepare('INSERT INTO console_history (line, at) VALUES (?, ?)').run(masked, new Date().toISOString());
      this.db.prepare('DELETE FROM console_history WHERE seq <= (SELECT MAX(seq) FROM console_history) - ?').run(KEEP);
      return this.db.prepare('SELECT COUNT(*) FROM console_history').pluck().get() as number;
    })();
  }
}
