/**
 * `lifeboat` in a system terminal. With an app running on the data directory it goes through the app's local socket
 * (so the app sees its jobs live); otherwise it opens the data directory itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { contract, isCallName } from '../shared/contract';
import type { Engine } from '../engine/engine';
import { toErrorInfo } from '../engine/errors';
import { LifeboatError } from '../shared/errors';
import { readInstance } from '../engine/lock';
import { resolveDataDir } from '../engine/paths';
import { colour, formatError, noColour } from '../shared/language/format';
import type { CommandIO } from '../shared/language/io';
import { EXIT_FAILED, EXIT_USAGE, run } from '../shared/language/run';
import { SocketClient } from './socket-client';

/** Takes --home DIR (or --home=DIR) out of argv: it chooses the data directory, not an input of any call. */
function takeHome(argv: string[]): { home: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let home: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--home') home = argv[++i];
    else if (argv[i].startsWith('--home=')) home = argv[i].slice(7);
    else rest.push(argv[i]);
  }
  return { home, rest };
}

const startsJobs = new Set(
  Object.entries(contract)
    .filter(([, s]) => s.cli.startsJob)
    .map(([n]) => n),
);

/** Opens the engine in this process, waiting briefly if another CLI command holds the data directory. */
async function openLocal(dataDir: string): Promise<Engine> {
  // Loaded here only: a command that goes to a running app needs neither SQLite nor the worker pool (a tenth of its
  // start-up).
  const { Engine } = await import('../engine/engine');
  for (let attempt = 0; ; attempt++) {
    try {
      return Engine.open({ dataDir, mode: 'cli' });
    } catch (err) {
      const holder = readInstance(dataDir);
      if (!(err instanceof LifeboatError && err.code === 'locked' && holder?.mode === 'cli' && attempt < 50)) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function main(argv: string[]): Promise<number> {
  const { home, rest } = takeHome(argv);
  // A site agent is its own long-running process: no data directory, no engine.
  if (rest[0] === 'agent') return (await import('./agent')).agentCommand(rest.slice(1));
  if (home === '') throw new LifeboatError('invalid_input', '--home needs a directory.');
  const dataDir = resolveDataDir(home);
  const interactive = !!process.stdout.isTTY && !process.env.NO_COLOR;
  const st = interactive ? colour : noColour;
  if (rest.length === 0 || rest[0] === 'help' || rest[0] === '--help' || rest[0] === '-h') {
    const io = baseIO(
      interactive,
      async () => ({ ok: false, error: { code: 'internal', message: 'no call' } }),
      () => () => undefined,
    );
    return run(['help', ...rest.slice(1)], io);
  }
  const instance = readInstance(dataDir);
  let client: SocketClient | null = null;
  let engine: Engine | null = null;
  if (instance?.socket && instance.pid !== process.pid) {
    try {
      client = await SocketClient.connect(instance.socket);
    } catch (err) {
      process.stderr.write(
        formatError(
          {
            code: 'unavailable',
            message: `Lifeboat is running (pid ${instance.pid}) but its socket ${instance.socket} does not answer: ${(err as Error).message}.`,
            hint: 'Wait until it has started, or restart it.',
          },
          st,
        ),
      );
      return EXIT_FAILED;
    }
  } else {
    engine = await openLocal(dataDir);
  }
  const local = engine;
  const call = client
    ? (name: string, input: unknown) => client!.call(name, input)
    : (name: string, input: unknown) => {
        // Without the app, this process runs the job it starts or waits for.
        if (startsJobs.has(name) || name === 'jobs.wait') local!.runner.start();
        return isCallName(name)
          ? local!.call(name, input as never)
          : Promise.resolve({
              ok: false as const,
              error: { code: 'invalid_input' as const, message: `Unknown call ${name}.` },
            });
      };
  const onEvent = client ? client.onEvent.bind(client) : local!.bus.on.bind(local!.bus);
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const io: CommandIO = { ...baseIO(interactive, call, onEvent), signal: controller.signal };
    const code = await run(rest, io);
    if (engine && rest.includes('--detach'))
      process.stdout.write(
        interactive ? st.dim('No Lifeboat app is running: the job runs when Lifeboat next starts.\n') : '',
      );
    return code;
  } finally {
    process.off('SIGINT', onSigint);
    client?.close();
    await engine?.close();
  }
}

function baseIO(interactive: boolean, call: CommandIO['call'], onEvent: CommandIO['onEvent']): CommandIO {
  return {
    call,
    onEvent,
    interactive,
    columns: process.stdout.columns ?? 120,
    write: (t) => process.stdout.write(t),
    writeError: (t) => process.stderr.write(t),
    readFile: (p) => fs.promises.readFile(path.resolve(p), 'utf8'),
    resolvePath: (p) => path.resolve(p),
    prompt: (question) =>
      new Promise((resolve) => {
        if (!process.stdin.isTTY) return resolve(null);
        process.stdout.write(question);
        process.stdin.resume();
        process.stdin.setEncoding('utf8');
        process.stdin.once('data', (d: string) => {
          process.stdin.pause();
          resolve(d.split(/\r?\n/)[0]);
        });
      }),
  };
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    // With the data directory, a full disk (the lock, the database) is named with what to free.
    let dataDir: string | undefined;
    try {
      dataDir = resolveDataDir(takeHome(process.argv.slice(2)).home);
    } catch {
      dataDir = undefined;
    }
    const info = toErrorInfo(err, { dataDir });
    const json = process.argv.includes('--json');
    if (json) process.stdout.write(JSON.stringify({ ok: false, error: info }, null, 2) + '\n');
    else process.stderr.write(formatError(info, process.stderr.isTTY ? colour : noColour));
    process.exit(info.code === 'invalid_input' ? EXIT_USAGE : EXIT_FAILED);
  },
);
