/** Temp data directories and processes for tests: real files, real SQLite, real child processes. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'bin', 'lifeboat.cjs');
export const WEB = path.join(ROOT, 'dist', 'main', 'web.cjs');

function build(args: string[]): void {
  const r = spawnSync(process.execPath, ['scripts/build.mjs', ...args], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
}

/** Set by the global setup (test/helpers/global-setup.ts) once it has built dist/main for the whole run. */
export const BUILT_ENV = 'LIFEBOAT_TEST_BUILT';

/**
 * Builds dist/main, which the spawned CLI and web mode run, when a source is newer than the last whole build: a test
 * file run on its own must not use a stale one, and under `npm test` (built just before) no file rewrites dist/main
 * while another file's CLI is loading it. Under vitest the global setup has built it once for the run already.
 */
export const buildMain = () => {
  if (!process.env[BUILT_ENV]) build(['main', '--if-stale']);
};
/** Builds the whole app (renderer included) unless dist/ is newer than every source, as it is under `npm test`. */
export const buildApp = () => build(['--if-stale']);

const made: string[] = [];

/** Test data runs to gigabytes: removed after each test file (test/helpers/cleanup.ts); LIFEBOAT_KEEP_TEST_DIRS=1 keeps it. */
export function removeTempHomes(): void {
  if (process.env.LIFEBOAT_KEEP_TEST_DIRS) return;
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export function tempHome(prefix = 'lifeboat-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json<T = unknown>(): T;
}

/** Runs the real `lifeboat` binary (as `npx lifeboat` would) and captures its output. */
export function cli(home: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, '--home', home, ...args], {
    encoding: 'utf8',
    input: opts.input,
    env: { ...process.env, ...opts.env },
    timeout: 120_000,
  });
  return {
    code: r.status ?? -1,
    stdout: r.stdout,
    stderr: r.stderr,
    json: <T>() => JSON.parse(r.stdout) as T,
  };
}

/** The result of a command that must succeed; otherwise the error says its exit code and output. */
export function ok(r: CliResult): CliResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}${r.stdout}`);
  return r;
}

/** Reads the committed database directly, without the engine (which may be dead or running elsewhere). */
export function readDb<T>(home: string, f: (db: Database.Database) => T): T {
  const db = new Database(path.join(home, 'lifeboat.db'), { readonly: true });
  try {
    return f(db);
  } finally {
    db.close();
  }
}

export interface WebApp {
  proc: ChildProcess;
  url: string;
  port: number;
  token: string;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts web mode on a free port and resolves when it prints its address. */
export function startWeb(home: string, extra: string[] = []): Promise<WebApp> {
  const proc = spawn(process.execPath, [WEB, '--home', home, '--no-open', '--port', '0', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web mode did not start:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /Lifeboat is running at (http:\/\/127\.0\.0\.1:(\d+)\/#token=(\S+))/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          proc,
          url: m[1],
          port: Number(m[2]),
          token: m[3],
          output: () => out,
          stop: (signal = 'SIGTERM') =>
            new Promise((res) => {
              if (proc.exitCode !== null || proc.signalCode !== null) return res();
              proc.once('exit', () => res());
              proc.kill(signal);
            }),
        });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`web mode exited with ${code}:\n${out}`));
    });
  });
}

export async function until<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
