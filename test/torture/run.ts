/**
 * `npm run torture`: crash safety at random moments. Each trial sets up a fresh data directory, starts a backup, a
 * restore, a device failover or a prune through the real CLI (run by a web-mode app, or by the CLI's own engine),
 * sends SIGKILL at a time drawn uniformly over that kind's measured clean run (never at a fault point), restarts
 * (the app again, or `jobs resume` from the CLI), lets every job resume, then checks the database's integrity,
 * `account check --read-data`, byte-identical trees, the backups listed, and that no `.part` file is left behind.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, cli, readDb, startWeb, type WebApp } from '../helpers/home';
import { prng } from './data';
import { KINDS, prepare, type Kind } from './kinds';

export interface TortureOptions {
  trials: number;
  sizeMiB: number;
  seed: number;
  kinds?: Kind[];
  /** Keep every trial's folders (failing trials' folders are always kept). */
  keep?: boolean;
  log?: (line: string) => void;
}

export interface TrialResult {
  trial: number;
  kind: Kind;
  via: 'app' | 'cli';
  /** When the kill was sent after the command started, and as a fraction of the kind's clean run. */
  killMs: number;
  fraction: number;
  /** The job as committed when the kill landed (or how the command had ended). */
  atKill: string;
  failures: string[];
  seconds: number;
  dir: string;
}

export interface TortureReport {
  results: TrialResult[];
  /** The clean run's length in ms, per kind (and for prune, per app or CLI). */
  calibration: Record<string, number>;
  failures: number;
  summary: string;
}

interface JobRow {
  id: string;
  type: string;
  status: string;
  progress: number;
  parent_id: string | null;
}

const jobs = (home: string) =>
  readDb(
    home,
    (db) =>
      db.prepare('SELECT id, type, status, progress, parent_id FROM jobs ORDER BY created_at, rowid').all() as JobRow[],
  );
const integrity = (home: string) => readDb(home, (db) => db.pragma('integrity_check', { simple: true }) as string);

/**
 * Runs the command; once its job exists (the command's start for prune, which has none), waits delayMs and kills
 * (the app when it runs the job, and the command). Resolves when the command is gone, with its exit code (null when
 * killed) and how long the job ran (or the command, without a job).
 */
async function runAndKill(
  home: string,
  args: string[],
  jobType: string | null,
  known: Set<string>,
  delayMs: number,
  app: WebApp | null,
): Promise<{ code: number | null; ms: number }> {
  const child = spawn(process.execPath, [CLI, '--home', home, ...args], { stdio: 'ignore' });
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((r) => child.once('exit', (code) => ((exitCode = code), r())));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  if (jobType) {
    const appeared = () => {
      try {
        return jobs(home).some((j) => !known.has(j.id) && j.type === jobType);
      } catch {
        return false; // the database is being created
      }
    };
    while (exitCode === undefined && !appeared()) await sleep(25);
  }
  const t0 = performance.now();
  await Promise.race([exited, sleep(delayMs)]);
  if (exitCode !== undefined) return { code: exitCode, ms: performance.now() - t0 };
  if (app) await app.stop('SIGKILL');
  child.kill('SIGKILL');
  await exited;
  return { code: null, ms: performance.now() - t0 };
}

/** Files named *.part anywhere under root; the account's `.tmp` holds a killed writer's until prune sweeps it. */
function partFiles(root: string, killedAt: number): string[] {
  const found: string[] = [];
  for (const f of fs.readdirSync(root, { recursive: true }) as string[]) {
    if (!f.endsWith('.part')) continue;
    const full = path.join(root, f);
    const st = fs.statSync(full, { throwIfNoEntry: false });
    if (!st) continue;
    if (path.basename(path.dirname(full)) === '.tmp' && st.mtimeMs <= killedAt) continue;
    found.push(path.relative(root, full));
  }
  return found;
}

/**
 * Resumes every job left unfinished, by the app (restarted) or by `jobs resume` in the CLI, and waits for each. Returns
 * with an app running either way: the checks that follow go through it (a CLI talking to the app starts in a fraction
 * of the time one opening SQLite and its workers does).
 */
async function resumeAll(home: string, via: 'app' | 'cli', apps: WebApp[]): Promise<string[]> {
  const pending = jobs(home).filter((j) => !j.parent_id && !['succeeded', 'failed', 'cancelled'].includes(j.status));
  const failures: string[] = [];
  if (via === 'cli') {
    for (const j of pending) {
      const r = cli(home, ['jobs', 'resume', j.id, '--json']);
      if (r.code !== 0) failures.push(`jobs resume ${j.type} ${j.id}: exit ${r.code} ${r.stderr.trim().slice(0, 300)}`);
    }
  }
  apps.push(await startWeb(home));
  for (const j of via === 'app' ? pending : []) {
    for (let i = 0; i < 10; i++) {
      const r = cli(home, ['jobs', 'wait', j.id, '--timeout-seconds', '100', '--json']);
      if (r.code !== 0 || !['queued', 'running'].includes(r.json<{ status: string }>().status)) break;
    }
  }
  return failures;
}

type Outcome = TrialResult & { cleanMs: number | null };

/** One trial; an error in the harness or the set-up is that trial's failure, and the run goes on. */
async function trial(
  n: number,
  kind: Kind,
  via: 'app' | 'cli',
  delayMs: number | null,
  opts: TortureOptions,
): Promise<Outcome> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lifeboat-torture-${n}-${kind}-`));
  const apps: WebApp[] = [];
  const started = performance.now();
  try {
    return await runTrial(dir, apps, n, kind, via, delayMs, opts);
  } catch (err) {
    for (const a of apps) await a.stop('SIGKILL');
    const failures = [`the trial stopped: ${(err as Error).message.slice(0, 400)}`];
    return {
      trial: n,
      kind,
      via,
      killMs: delayMs ?? 0,
      fraction: 0,
      atKill: '?',
      failures,
      seconds: (performance.now() - started) / 1000,
      dir,
      cleanMs: null,
    };
  }
}

async function runTrial(
  dir: string,
  apps: WebApp[],
  n: number,
  kind: Kind,
  via: 'app' | 'cli',
  delayMs: number | null,
  opts: TortureOptions,
): Promise<Outcome> {
  const home = path.join(dir, 'home');
  const work = path.join(dir, 'work');
  fs.mkdirSync(work);
  const started = performance.now();
  const seed = opts.seed * 1000 + n;
  // Set up through a running app (the CLI's calls then skip opening SQLite each time); a CLI trial stops it first.
  let app: WebApp | null = await startWeb(home);
  apps.push(app);
  const t = prepare(kind, home, work, opts.sizeMiB, seed);
  const before = new Set(jobs(home).map((j) => j.id));
  if (via === 'cli') {
    await app.stop('SIGTERM');
    app = null;
  }
  // A calibration run (delay null) is never killed: it measures the clean run the kill times are drawn over.
  const run = await runAndKill(home, t.args, t.jobType, before, delayMs ?? 3_600_000, app);
  const killedAt = Date.now();
  // The app outlives a command that ended before its kill: it is killed now (or, after a clean run, stopped).
  if (app) await app.stop(delayMs === null ? 'SIGTERM' : 'SIGKILL');
  const failures: string[] = [];
  const mine = () => jobs(home).filter((j) => !before.has(j.id) && !j.parent_id && j.type !== 'account.check');
  const top = mine().find((j) => j.type === t.jobType);
  const atKill =
    run.code !== null
      ? `ended (exit ${run.code})`
      : !t.jobType
        ? 'killed in the call'
        : top
          ? `${top.status} ${Math.round(top.progress * 100)}%`
          : 'not started';
  if (delayMs === null) {
    // A calibration checks only that the clean run succeeded: the trials check everything.
    if (run.code !== 0) failures.push(`the clean run failed (exit ${run.code})`);
    else fs.rmSync(dir, { recursive: true, force: true });
    return {
      trial: 0,
      kind,
      via,
      killMs: run.ms,
      fraction: 1,
      atKill,
      failures,
      seconds: (performance.now() - started) / 1000,
      dir,
      cleanMs: run.ms,
    };
  }
  const ok1 = integrity(home);
  if (ok1 !== 'ok') failures.push(`integrity_check after the kill: ${ok1}`);
  failures.push(...(t.afterKill?.() ?? []));
  if (kind === 'prune' && run.code === null) {
    const r = cli(home, ['account', 'check', 'lab', '--read-data', '--json']);
    if (r.code !== 0) failures.push(`account check --read-data after the kill: ${r.stdout.slice(0, 400)}`);
  }
  failures.push(...(await resumeAll(home, via, apps)));
  // Killed before the command reached the engine: nothing to resume, so it runs now, uninterrupted.
  if (t.jobType && !mine().some((j) => j.type === t.jobType)) {
    const r = cli(home, t.args);
    if (r.code !== 0)
      failures.push(
        `the command, run again after a kill before its job existed: exit ${r.code} ${r.stderr.trim().slice(0, 300)}`,
      );
  }
  const unfinished = jobs(home).filter((j) => j.status !== 'succeeded');
  if (unfinished.length)
    failures.push(`jobs not succeeded: ${unfinished.map((j) => `${j.type} ${j.id} ${j.status}`).join(', ')}`);
  failures.push(...t.verify());
  const check = cli(home, ['account', 'check', 'lab', '--read-data', '--json']);
  if (check.code !== 0)
    failures.push(
      `account check --read-data: exit ${check.code} ${check.stdout.slice(0, 400)}${check.stderr.slice(0, 200)}`,
    );
  await apps.at(-1)!.stop('SIGTERM');
  const ok2 = integrity(home);
  if (ok2 !== 'ok') failures.push(`integrity_check at the end: ${ok2}`);
  const parts = partFiles(dir, killedAt);
  if (parts.length) failures.push(`.part files left behind: ${parts.slice(0, 5).join(', ')}`);
  if (!failures.length && !opts.keep) fs.rmSync(dir, { recursive: true, force: true });
  return {
    trial: n,
    kind,
    via,
    killMs: delayMs,
    fraction: 0,
    atKill,
    failures,
    seconds: (performance.now() - started) / 1000,
    dir,
    cleanMs: null,
  };
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

export async function runTorture(opts: TortureOptions): Promise<TortureReport> {
  const log = opts.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const kinds = opts.kinds?.length ? opts.kinds : KINDS;
  const rand = prng(opts.seed);
  const calibration: Record<string, number> = {};
  const results: TrialResult[] = [];
  log(`torture: ${opts.trials} trials of ${opts.sizeMiB} MiB, seed ${opts.seed}`);
  log(
    `${pad('#', 4)}${pad('kind', 10)}${pad('via', 5)}${pad('kill at', 16)}${pad('job at kill', 20)}${pad('s', 7)}result`,
  );
  for (let n = 1; n <= opts.trials; n++) {
    const kind = kinds[(n - 1) % kinds.length];
    const via = rand() < 0.5 ? 'app' : 'cli';
    // A job's clock starts when its row appears, whoever runs it; prune's at the command's start, so a CLI that
    // opens the engine itself takes longer to get there than one talking to the app: each is measured.
    const key = kind === 'prune' ? `${kind}/${via}` : kind;
    if (calibration[key] === undefined) {
      const clean = await trial(0, kind, kind === 'prune' ? via : 'app', null, opts);
      // A calibration that failed (reported as a failure) still gives the trials a span to draw from.
      calibration[key] = clean.cleanMs ?? 5_000;
      log(
        `${pad('-', 4)}${pad(kind, 10)}${pad(clean.via, 5)}${pad(`clean ${(calibration[key] / 1000).toFixed(1)} s`, 16)}${pad(clean.atKill, 20)}${pad(clean.seconds.toFixed(0), 7)}${clean.failures.length ? `FAIL ${clean.failures.join('; ')} (${clean.dir})` : 'ok (calibration)'}`,
      );
      if (clean.failures.length) results.push({ ...clean, trial: 0 });
    }
    const delay = rand() * calibration[key]!;
    const r = await trial(n, kind, via, delay, opts);
    r.fraction = delay / calibration[key]!;
    results.push(r);
    log(
      `${pad(String(n), 4)}${pad(kind, 10)}${pad(via, 5)}${pad(`${(delay / 1000).toFixed(2)} s (${Math.round(r.fraction * 100)}%)`, 16)}${pad(r.atKill, 20)}${pad(r.seconds.toFixed(0), 7)}${r.failures.length ? `FAIL ${r.failures.join('; ')} (${r.dir})` : 'ok'}`,
    );
  }
  const trials = results.filter((r) => r.trial > 0);
  const counts = kinds.map((k) => `${k} ${trials.filter((r) => r.kind === k).length}`).join(', ');
  const failures = results.filter((r) => r.failures.length).length;
  const summary = `torture: ${trials.length} trials (${counts}), ${failures} failure${failures === 1 ? '' : 's'}`;
  log(summary);
  return { results, calibration, failures, summary };
}
