/**
 * The commands of a protected item (quiesce, thaw, shutdown, start), run where the item is active. They are the
 * administrator's own command lines, typed at `item protect` or `item edit`, so they run as written through `sh -c`
 * (pipes and redirections work as in a terminal); nothing Lifeboat composes is ever put into that string: the item's
 * name, the command's name and the point's id reach the command as environment variables (LIFEBOAT_ITEM,
 * LIFEBOAT_COMMAND, LIFEBOAT_POINT). Each run has a timeout, after which its whole process group is killed, and its
 * output (stdout and stderr interleaved) is kept bounded: the last 8 KiB.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { LifeboatError } from '../../shared/errors';

export const COMMANDS = ['quiesce', 'thaw', 'shutdown', 'start'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** Output kept per run: the tail, where the error usually is. */
export const OUTPUT_LIMIT = 8 << 10;

export interface CommandRun {
  name: CommandName;
  command: string;
  startedAt: string;
  durationMs: number;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** The spawn itself failed (no shell): its message. */
  spawnError: string | null;
  output: string;
  /** Bytes of output dropped from the front to keep `output` under the limit. */
  outputCut: number;
}

export const succeeded = (r: CommandRun) => r.exitCode === 0 && !r.timedOut && !r.spawnError;

/** One line that says how a run ended, for health reasons and job messages. */
export function describeRun(r: CommandRun): string {
  if (r.spawnError) return `the ${r.name} command could not start: ${r.spawnError}`;
  if (r.timedOut) return `the ${r.name} command timed out after ${Math.round(r.durationMs / 1000)} s`;
  if (r.exitCode !== 0)
    return `the ${r.name} command exited with ${r.exitCode ?? r.signal}${r.output.trim() ? `: ${r.output.trim().split('\n').at(-1)}` : ''}`;
  return `the ${r.name} command succeeded`;
}

/** An item's command to run where the item is active: its command line as the administrator typed it. */
export interface CommandRequest {
  name: CommandName;
  command: string;
  timeoutMs: number;
  /** Only LIFEBOAT_* variables: the item, the command, the point, the copy's path. */
  env: Record<string, string>;
}

/** Runs a command on this machine, in the home folder of the user Lifeboat runs as (as a login shell would). */
export function runHere(req: CommandRequest, now: () => Date): Promise<CommandRun> {
  return runCommand(req.name, req.command, { timeoutMs: req.timeoutMs, env: req.env, cwd: os.homedir(), now });
}

/** Runs a command at a site: through its agent at an agent site, on this machine at the primary site and a local one. */
export function runAtSite(
  site: { kind: string },
  agent: () => { runCommand(req: CommandRequest): Promise<CommandRun> },
  req: CommandRequest,
  now: () => Date,
): Promise<CommandRun> {
  return site.kind === 'agent' ? agent().runCommand(req) : runHere(req, now);
}

export interface RunOptions {
  timeoutMs: number;
  env: Record<string, string>;
  cwd?: string;
  now: () => Date;
}

/** Runs a command line with `sh -c` in a process group of its own; never throws for the command's own failure. */
export function runCommand(name: CommandName, command: string, opts: RunOptions): Promise<CommandRun> {
  const startedAt = opts.now().toISOString();
  const t0 = performance.now();
  let output = Buffer.alloc(0);
  let cut = 0;
  const keep = (chunk: Buffer) => {
    output = Buffer.concat([output, chunk]);
    if (output.length > OUTPUT_LIMIT) {
      cut += output.length - OUTPUT_LIMIT;
      output = output.subarray(output.length - OUTPUT_LIMIT);
    }
  };
  return new Promise((resolve) => {
    let timedOut = false;
    let spawnError: string | null = null;
    const child = spawn('sh', ['-c', command], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a timeout kills what it started too
    });
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, opts.timeoutMs);
    let done = false;
    const finish = (code: number | null, signal: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.stdout.destroy();
      child.stderr.destroy();
      const durationMs = Math.round(performance.now() - t0);
      resolve({
        name,
        command,
        startedAt,
        durationMs,
        exitCode: code,
        signal,
        timedOut,
        spawnError,
        output: output.toString('utf8'),
        outputCut: cut,
      });
    };
    child.on('error', (err) => {
      spawnError = err.message;
      finish(null, null);
    });
    // 'exit', not 'close': a start command may leave a daemon holding the pipes; what is buffered arrives within 200 ms.
    child.on('exit', (code, signal) => {
      const late = setTimeout(() => finish(code, signal), 200);
      child.once('close', () => {
        clearTimeout(late);
        finish(code, signal);
      });
    });
  });
}

/** Checks a command line given at `item protect` or `item edit`: one line, not empty. */
export function checkCommand(name: CommandName, command: string): string {
  const text = command.trim();
  if (!text)
    throw new LifeboatError(
      'invalid_input',
      `--${name}: the command is empty.`,
      `Give the command line to run, or leave --${name} out.`,
    );
  if (/[\r\n\0]/.test(text))
    throw new LifeboatError(
      'invalid_input',
      `--${name}: give the command on one line.`,
      'Put longer logic in a script and give its path.',
    );
  return text;
}
