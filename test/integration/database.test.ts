import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DB_FILE, openDatabase, schemaVersion } from '../../main/engine/db/database';
import { migrations, SCHEMA_VERSION } from '../../main/engine/db/migrations';
import { Engine } from '../../main/engine/engine';
import { tempHome } from '../helpers/home';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

describe('state database', () => {
  it('creates the schema from an empty database with WAL, synchronous=FULL, foreign keys and STRICT tables', () => {
    const db = openDatabase(tempHome());
    open.push(db);
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    const tables = db
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as { name: string; sql: string }[];
    expect(tables.length).toBeGreaterThan(4);
    for (const t of tables) expect(t.sql, t.name).toMatch(/STRICT$/);
    expect(() =>
      db
        .prepare("INSERT INTO job_steps (job_id, idx, name, title, status) VALUES ('nope', 0, 'a', 'b', 'pending')")
        .run(),
    ).toThrow(/FOREIGN KEY/);
  });

  it('upgrades from every earlier schema version, keeping the data', () => {
    for (let from = 0; from < SCHEMA_VERSION; from++) {
      const home = tempHome();
      const old = openDatabase(home, { targetVersion: from });
      expect(schemaVersion(old)).toBe(from);
      if (from >= 1) old.prepare("INSERT INTO settings (key, value) VALUES ('marker', 'kept')").run();
      old.close();
      const db = openDatabase(home);
      open.push(db);
      expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
      if (from >= 1) expect(db.prepare("SELECT value FROM settings WHERE key = 'marker'").pluck().get()).toBe('kept');
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    }
    expect(migrations.length).toBe(SCHEMA_VERSION);
  });

  it('refuses a database from a newer Lifeboat and leaves it untouched', () => {
    const home = tempHome();
    openDatabase(home).close();
    const raw = new Database(path.join(home, DB_FILE));
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.pragma('journal_mode = DELETE');
    raw.close();
    const hash = () =>
      crypto
        .createHash('sha256')
        .update(fs.readFileSync(path.join(home, DB_FILE)))
        .digest('hex');
    const before = hash();
    expect(() => openDatabase(home)).toThrow(/written by a newer Lifeboat.*left untouched/);
    expect(hash()).toBe(before);
    expect(fs.existsSync(path.join(home, `${DB_FILE}-wal`))).toBe(false);
  });

  it('refuses a second Lifeboat on the same data directory, naming the running one', async () => {
    const home = tempHome();
    const first = Engine.open({ dataDir: home, mode: 'web' });
    open.push(first);
    expect(() => Engine.open({ dataDir: home, mode: 'cli' })).toThrow(
      new RegExp(`already running on the data directory .* \\(pid ${process.pid} in web mode`),
    );
    await first.close();
    open.pop();
    const again = Engine.open({ dataDir: home, mode: 'cli' });
    open.push(again);
    expect(again.service.get()).toBeNull();
  });

  it('takes over a lock left by a process that died', () => {
    const home = tempHome();
    fs.writeFileSync(
      path.join(home, 'lifeboat.lock'),
      JSON.stringify({ pid: 2 ** 22 + 12345, mode: 'web', url: null, socket: null, startedAt: 'x' }),
    );
    const engine = Engine.open({ dataDir: home, mode: 'cli' });
    open.push(engine);
    expect(JSON.parse(fs.readFileSync(path.join(home, 'lifeboat.lock'), 'utf8')).pid).toBe(process.pid);
  });
});
