/** Opens the state database: WAL, synchronous=FULL, foreign keys, numbered migrations; refuses a newer schema. */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { LifeboatError } from '../../shared/errors';
import { FILE_MODE, makeHome, privateFile } from '../private-files';
import { migrations, SCHEMA_VERSION } from './migrations';

export type Db = Database.Database;

export const DB_FILE = 'lifeboat.db';

export interface OpenOptions {
  /** Apply migrations up to this version only (tests of upgrades from earlier versions). */
  targetVersion?: number;
  readonly?: boolean;
}

export function openDatabase(dataDir: string, opts: OpenOptions = {}): Db {
  makeHome(dataDir);
  const file = path.join(dataDir, DB_FILE);
  let db: Db;
  try {
    if (!opts.readonly) {
      // SQLite creates a database 0644 (less the umask) and gives its -wal and -shm the database's mode: creating it
      // 0600 first, and narrowing one an earlier version made, keeps all three private.
      fs.closeSync(fs.openSync(file, 'a', FILE_MODE));
      for (const f of [file, `${file}-wal`, `${file}-shm`]) privateFile(f);
    }
    db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (err) {
    throw new LifeboatError(
      'io_error',
      `Cannot open the database ${file}: ${(err as Error).message}.`,
      'Check that the data directory exists and is writable.',
      { cause: err },
    );
  }
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new LifeboatError(
        'newer_database',
        `The database in ${dataDir} was written by a newer Lifeboat (schema ${version}; this version knows up to ${SCHEMA_VERSION}). It was left untouched.`,
        'Install the newer Lifeboat again, or start this one with another data directory (--home DIR).',
      );
    }
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
    }
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    if (!opts.readonly) migrate(db, opts.targetVersion ?? SCHEMA_VERSION);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Applies each pending migration in its own transaction, bumping user_version with it. */
export function migrate(db: Db, target: number = SCHEMA_VERSION): number {
  let version = db.pragma('user_version', { simple: true }) as number;
  while (version < target) {
    const sql = migrations[version];
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version + 1}`);
    })();
    version += 1;
  }
  return version;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}
