/**
 * The data directory's files are private (0600 files, 0700 folders) whatever the home's mode and the umask, and an
 * exposed home is reported: a log line, one alert, status warnings and the diagnostics bundle.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DB_FILE } from '../../main/engine/db/database';
import { writeHeatFile } from '../../main/engine/devices/heat-store';
import { Engine } from '../../main/engine/engine';
import { tempHome } from '../helpers/home';

const mode = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);
const posix = process.platform !== 'win32';

let engine: Engine | null = null;
let umask = 0;
beforeEach(() => {
  // The loosest umask there is: every mode below must come from Lifeboat, not from the environment.
  umask = process.umask(0);
});
afterEach(async () => {
  process.umask(umask);
  await engine?.close();
  engine = null;
});

/** Every file and folder under the home, the home excepted, with its mode. */
function modes(home: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isSocket()) continue;
      out[path.relative(home, p)] = mode(p);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(home);
  return out;
}

describe.skipIf(!posix)('data directory privacy', () => {
  it('creates the database, its WAL, logs, heat and tmp private in a world-readable home under umask 0', async () => {
    const home = tempHome();
    fs.chmodSync(home, 0o755);
    engine = Engine.open({ dataDir: home, mode: 'cli' });
    const init = await engine.call('service.init', { name: 'Private' });
    expect(init.ok).toBe(true);
    engine.log.info('a line');
    await writeHeatFile(path.join(home, 'heat', 'bk-1.ndjson.gz'), { v: 1, at: new Date().toISOString(), items: [] });
    await engine.call('history.add', { line: 'status' });
    const found = modes(home);
    for (const f of [
      DB_FILE,
      `${DB_FILE}-wal`,
      `${DB_FILE}-shm`,
      'lifeboat.lock',
      'secrets.key',
      'logs/lifeboat.log',
      'heat/bk-1.ndjson.gz',
    ])
      expect(found[f], f).toBe('600');
    for (const d of ['logs', 'heat', 'tmp']) expect(found[d], d).toBe('700');
    // Nothing else in the home is open to others either.
    for (const [p, m] of Object.entries(found)) expect(Number.parseInt(m, 8) & 0o077, `${p} is ${m}`).toBe(0);
  });

  it('narrows what an earlier version left 0644/0755', async () => {
    const home = tempHome();
    engine = Engine.open({ dataDir: home, mode: 'cli' });
    engine.log.info('a line');
    await engine.close();
    engine = null;
    for (const f of [DB_FILE, 'logs/lifeboat.log']) fs.chmodSync(path.join(home, f), 0o644);
    for (const d of ['logs', 'tmp']) fs.chmodSync(path.join(home, d), 0o755);
    engine = Engine.open({ dataDir: home, mode: 'cli' });
    engine.log.info('another line');
    expect(mode(path.join(home, DB_FILE))).toBe('600');
    expect(mode(path.join(home, 'logs/lifeboat.log'))).toBe('600');
    expect(mode(path.join(home, 'logs'))).toBe('700');
    expect(mode(path.join(home, 'tmp'))).toBe('700');
  });

  it('creates a new home 0700', () => {
    const home = path.join(tempHome(), 'new', 'home');
    engine = Engine.open({ dataDir: home, mode: 'cli' });
    expect(mode(home)).toBe('700');
    expect(engine.alerts.list(false)).toEqual([]);
  });

  it('warns once, in the log, an alert, status and diagnostics, when the home is open to other users', async () => {
    const home = tempHome();
    fs.chmodSync(home, 0o755);
    engine = Engine.open({ dataDir: home, mode: 'cli' });
    const alerts = engine.alerts.list(false).filter((a) => a.title.includes('open to other users'));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      severity: 'warning',
      message: expect.stringContaining('0755'),
      hint: expect.stringContaining(`chmod 700 ${home}`),
    });
    const log = fs.readFileSync(path.join(home, 'logs', 'lifeboat.log'), 'utf8');
    expect(log).toContain('"msg":"data directory open to other users"');
    const status = await engine.call('status.get', {});
    expect(status.ok && status.value.warnings).toEqual([
      expect.stringContaining('is open to every user of this machine (mode 0755)'),
    ]);
    const out = path.join(tempHome(), 'diag.json');
    expect((await engine.call('diagnostics.collect', { out })).ok).toBe(true);
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).warnings).toEqual([expect.stringContaining('mode 0755')]);
    // The next start logs it again but does not pile up alerts while the first is unacknowledged.
    await engine.close();
    engine = Engine.open({ dataDir: home, mode: 'cli' });
    expect(engine.alerts.list(false).filter((a) => a.title.includes('open to other users'))).toHaveLength(1);
    // Fixed: nothing to warn about.
    fs.chmodSync(home, 0o700);
    const fixed = await engine.call('status.get', {});
    expect(fixed.ok && fixed.value.warnings).toEqual([]);
  });
});

describe('diagnostics --out', () => {
  it('refuses to overwrite a file without force, and replaces it (0600) with it', async () => {
    const home = tempHome();
    engine = Engine.open({ dataDir: home, mode: 'cli' });
    const out = path.join(home, 'kept.json');
    fs.writeFileSync(out, 'the only copy of something', { mode: 0o644 });
    const r = await engine.call('diagnostics.collect', { out });
    expect(r).toMatchObject({
      ok: false,
      error: {
        code: 'already_exists',
        message: `The file ${out} already exists.`,
        hint: expect.stringContaining('--force'),
      },
    });
    expect(fs.readFileSync(out, 'utf8')).toBe('the only copy of something');
    const forced = await engine.call('diagnostics.collect', { out, force: true });
    expect(forced).toMatchObject({ ok: true, value: { path: out, integrity: 'ok' } });
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).integrity).toBe('ok');
    if (posix) expect(mode(out)).toBe('600');
    expect(fs.readdirSync(home).filter((n) => n.endsWith('.part'))).toEqual([]);
  });

  it('gives a clear error for a folder, and for a path through a file', async () => {
    const home = tempHome();
    engine = Engine.open({ dataDir: home, mode: 'cli' });
    const dir = tempHome();
    for (const force of [false, true]) {
      const r = await engine.call('diagnostics.collect', { out: dir, force });
      expect(r).toMatchObject({
        ok: false,
        error: {
          code: 'invalid_input',
          message: `out: ${dir} is a folder.`,
          hint: expect.stringContaining(path.join(dir, 'lifeboat-diagnostics.json')),
        },
      });
    }
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'x');
    const through = await engine.call('diagnostics.collect', { out: path.join(file, 'bundle.json') });
    expect(through).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: expect.stringContaining('is a file, not a folder') },
    });
  });
});
