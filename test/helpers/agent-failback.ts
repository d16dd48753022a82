/**
 * An item failed over to an agent site (`lifeboat agent serve` as a real child process, paired through the CLI), for
 * the tests of reprotect, failback and failover options from it: a home, the agent site `dr`, a half-full 16 MiB disk
 * and a folder protected as `vm`, and the CLI calls those tests make. Call `stopAgents` after each test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cli, ok, tempHome } from './home';
import { age, BLOCK, makeDisk, MiB, writeAt } from './replication-lab';
import { startAgent, type AgentProc } from './site-agent';

export const SIZE = 16 * MiB;
export const ONE_PERCENT = Math.ceil((SIZE * 0.01) / BLOCK); // 3 blocks

export interface Job<R = Record<string, unknown>> {
  id: string;
  title: string;
  status: string;
  attempts: number;
  result: R;
}
export interface ReprotectResult {
  direction: string;
  policy: string;
  bytesCompared: number;
  bytesSent: number;
  blocksSent: number;
  filesSent: number;
  filesDeleted: number;
}
export interface FailoverResult {
  from: string;
  to: string;
  point: { id: string; createdAt: string };
  finalCycleBytes: number | null;
  sourceUnreachable: boolean;
  lossSeconds: number;
  warnings: string[];
}
export interface Shown {
  phase: string;
  activeSite: string;
  direction: string;
  policy: string;
}

const agents: AgentProc[] = [];

/** Kills every agent the helpers started (afterEach). */
export async function stopAgents(): Promise<void> {
  for (const a of agents.splice(0)) await a.stop('SIGKILL');
}

/** A home, an agent site `dr` (a real agent process), a half-full 16 MiB disk and a folder, protected as `vm`. */
export async function protectedVm() {
  const home = tempHome();
  const root = path.join(tempHome('lifeboat-agent-'), 'dr');
  const src = tempHome('lifeboat-src-');
  const disk = makeDisk(path.join(src, 'vm.img'), SIZE, [...Array(128).keys()]);
  const folder = path.join(src, 'data');
  fs.mkdirSync(folder);
  fs.writeFileSync(path.join(folder, 'a.txt'), 'first');
  for (const p of [disk, path.join(folder, 'a.txt'), folder]) age(p);
  const agent = await startAgent(root, '127.0.0.1:0');
  agents.push(agent);
  ok(cli(home, ['site', 'add', 'dr', '--agent', agent.url, '--pairing-key', agent.pairingKey!]));
  ok(cli(home, ['policy', 'create', 'fast', '--frequency', '30s']));
  const log = path.join(src, 'shutdowns.log');
  const shutdown = `echo "$LIFEBOAT_ITEM" >> ${log}`;
  ok(cli(home, ['item', 'protect', 'vm', '--disk', disk, '--folder', folder, '--recovery-site', 'dr', '--policy', 'fast', '--shutdown', shutdown]));
  const active = path.join(root, '_active', 'vm');
  return { home, root, agent, disk, folder, log, activeDisk: path.join(active, 'disks', 'vm.img'), activeFolder: path.join(active, 'folders', 'data') };
}

export const job = <R>(home: string, args: string[]) => ok(cli(home, [...args, '--json'])).json<Job<R>>();
export const yes = <R>(home: string, args: string[]) => job<R>(home, [...args, '--yes']);
export const show = (home: string) => ok(cli(home, ['item', 'show', 'vm', '--json'])).json<Shown>();
export const points = (home: string) => ok(cli(home, ['item', 'points', 'vm', '--json'])).json<{ id: string; createdAt: string }[]>();
export const same = (a: string, b: string) => fs.readFileSync(a).equals(fs.readFileSync(b));

export function change(file: string, first: number, count: number): void {
  for (let b = first; b < first + count; b++) writeAt(file, b * BLOCK, BLOCK);
  age(file);
}

/** `vm` failed over to dr (planned), committed and reprotected: it runs at the agent site and replicates to the primary. */
export async function protectedInReverse() {
  const vm = await protectedVm();
  yes(vm.home, ['item', 'failover', 'vm', '--type', 'planned']);
  ok(cli(vm.home, ['item', 'commit', 'vm', '--yes', '--json']));
  yes(vm.home, ['item', 'reprotect', 'vm']);
  return vm;
}
