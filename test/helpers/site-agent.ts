/** A site agent as a real child process (`lifeboat agent serve`), optionally inside a network namespace of the test's own. */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, until } from './home';

export interface AgentProc {
  proc: ChildProcess;
  url: string;
  port: number;
  pairingKey: string | null;
  fingerprint: string;
  output: () => string;
  /** Resolves when the agent printed a line containing `text` (a fault point, a refusal). */
  waitFor: (text: string, timeoutMs?: number) => Promise<void>;
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

export function startAgent(
  root: string,
  listen: string,
  opts: { env?: NodeJS.ProcessEnv; netns?: string; newKey?: boolean } = {},
): Promise<AgentProc> {
  const args = [
    CLI,
    'agent',
    'serve',
    '--root',
    root,
    '--listen',
    listen,
    '--json',
    ...(opts.newKey ? ['--new-pairing-key'] : []),
  ];
  // `ip netns exec` execs the command: the child's pid is the agent's, so signals reach it.
  const proc = opts.netns
    ? spawn('ip', ['netns', 'exec', opts.netns, process.execPath, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...opts.env },
      })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await exited;
  };
  return new Promise<AgentProc>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`agent exited with ${code}:\n${out}`)));
    until('the agent to start', () => out.split('\n').find((l) => l.startsWith('{')), 60_000).then((line) => {
      const r = JSON.parse(line) as {
        url: string;
        port: number;
        pairingKey: string | null;
        fingerprint: string;
        error?: unknown;
      };
      if (!r.url) return reject(new Error(`agent failed: ${line}`));
      resolve({
        proc,
        url: r.url,
        port: r.port,
        pairingKey: r.pairingKey,
        fingerprint: r.fingerprint,
        output: () => out,
        waitFor: async (text, timeoutMs = 60_000) =>
          void (await until(`the agent to print "${text}"`, () => out.includes(text), timeoutMs)),
        stop,
      });
    }, reject);
  });
}
