/**
 * An item failed over to an agent site (`lifeboat agent serve` as a real child process, paired through the CLI), for
 * the tests of reprotect, failback and failover options from it: a home, the agent site `dr`, a half-full 16 MiB disk
 * and a folder protected as `vm`, and the CLI calls those tests make. Call `stopAgents` after each test. The source, its
 * protection and the four phases' shared steps also serve the same tests with a local recovery site.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
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
  shutdown: { exitCode: number } | null;
  warnings: string[];
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
  disks: { activePath: string }[];
}

const agents: AgentProc[] = [];

/** Kills every agent the helpers started (afterEach). */
export async function stopAgents(): Promise<void> {
  for (const a of agents.splice(0)) await a.stop('SIGKILL');
}

/** A half-full 16 MiB disk `vm.img` and a folder `data` holding a.txt, aged, in a new source folder (with `shutdowns.log`). */
export function sourceVm() {
  const src = tempHome('lifeboat-src-');
  const disk = makeDisk(path.join(src, 'vm.img'), SIZE, [...Array(128).keys()]);
  const folder = path.join(src, 'data');
  fs.mkdirSync(folder);
  fs.writeFileSync(path.join(folder, 'a.txt'), 'first');
  for (const p of [disk, path.join(folder, 'a.txt'), folder]) age(p);
  return { disk, folder, log: path.join(src, 'shutdowns.log') };
}

/**
 * Protects the source as `vm` to site `dr` (added already, its root at `root`) with a policy `fast` of 30 s and a
 * shutdown command that appends the item's name to `log`; returns where its failed-over copy goes.
 */
export function protectVm(home: string, root: string, { disk, folder, log }: ReturnType<typeof sourceVm>) {
  ok(cli(home, ['policy', 'create', 'fast', '--frequency', '30s']));
  const shutdown = `echo "$LIFEBOAT_ITEM" >> ${log}`;
  ok(
    cli(home, [
      'item',
      'protect',
      'vm',
      '--disk',
      disk,
      '--folder',
      folder,
      '--recovery-site',
      'dr',
      '--policy',
      'fast',
      '--shutdown',
      shutdown,
    ]),
  );
  const active = path.join(root, '_active', 'vm');
  return { activeDisk: path.join(active, 'disks', 'vm.img'), activeFolder: path.join(active, 'folders', 'data') };
}

/** A home, an agent site `dr` (a real agent process), a half-full 16 MiB disk and a folder, protected as `vm`. */
export async function protectedVm() {
  const home = tempHome();
  const root = path.join(tempHome('lifeboat-agent-'), 'dr');
  const source = sourceVm();
  const agent = await startAgent(root, '127.0.0.1:0');
  agents.push(agent);
  ok(cli(home, ['site', 'add', 'dr', '--agent', agent.url, '--pairing-key', agent.pairingKey!]));
  return { home, root, agent, ...source, ...protectVm(home, root, source) };
}

/** The item `vm` of a home, its source and its failed-over copy. */
export interface VmLab {
  home: string;
  disk: string;
  folder: string;
  activeDisk: string;
  activeFolder: string;
}

export const job = <R>(home: string, args: string[]) => ok(cli(home, [...args, '--json'])).json<Job<R>>();
export const yes = <R>(home: string, args: string[]) => job<R>(home, [...args, '--yes']);
export const show = (home: string) => ok(cli(home, ['item', 'show', 'vm', '--json'])).json<Shown>();
export const points = (home: string) =>
  ok(cli(home, ['item', 'points', 'vm', '--json'])).json<{ id: string; createdAt: string }[]>();
export const same = (a: string, b: string) => fs.readFileSync(a).equals(fs.readFileSync(b));

export function change(file: string, first: number, count: number): void {
  for (let b = first; b < first + count; b++) writeAt(file, b * BLOCK, BLOCK);
  age(file);
}

/** 1% of the disk changes on each side (the failed-over copy and the original disk), a.txt at the copy, a new file at the original. */
export function changeBothSides({ disk, folder, activeDisk, activeFolder }: VmLab): void {
  change(activeDisk, 10, ONE_PERCENT);
  change(disk, 60, ONE_PERCENT);
  fs.writeFileSync(path.join(activeFolder, 'a.txt'), 'second');
  fs.writeFileSync(path.join(folder, 'stale.txt'), 'written at the primary after the failover');
  for (const p of [path.join(activeFolder, 'a.txt'), activeFolder, folder]) age(p);
}

/** After reprotect from dr: the original disk and folder equal the failed-over copy, and the item replicates dr → primary. */
export function expectReprotectedFromDr({ home, disk, folder, activeDisk }: VmLab): void {
  expect(same(disk, activeDisk)).toBe(true);
  expect(fs.readdirSync(folder)).toEqual(['a.txt']);
  expect(fs.readFileSync(path.join(folder, 'a.txt'), 'utf8')).toBe('second');
  expect(show(home)).toMatchObject({
    phase: 'protected',
    activeSite: 'dr',
    direction: 'dr → primary',
    policy: 'failback',
  });
}

/**
 * A reverse delta cycle sends one changed block into the original disk; then the failback (a planned failover back)
 * sends one more in its final cycle, and the original disk equals the copy at failback. Returns the failback's job.
 */
export function deltaThenFailback({ home, disk, activeDisk }: VmLab): Job<FailoverResult> {
  change(activeDisk, 20, 1);
  expect(job(home, ['item', 'replicate', 'vm']).result).toMatchObject({ blocksSent: 1, bytesSent: BLOCK });
  expect(same(disk, activeDisk)).toBe(true);
  change(activeDisk, 30, 1);
  const atFailback = fs.readFileSync(activeDisk);
  const failback = yes<FailoverResult>(home, ['item', 'failover', 'vm', '--type', 'planned']);
  expect(failback.result).toMatchObject({ from: 'dr', to: 'primary', finalCycleBytes: BLOCK });
  expect(fs.readFileSync(disk).equals(atFailback)).toBe(true);
  return failback;
}

/** `vm` failed over to dr (planned), committed and reprotected: it runs at the agent site and replicates to the primary. */
export async function protectedInReverse() {
  const vm = await protectedVm();
  yes(vm.home, ['item', 'failover', 'vm', '--type', 'planned']);
  ok(cli(vm.home, ['item', 'commit', 'vm', '--yes', '--json']));
  yes(vm.home, ['item', 'reprotect', 'vm']);
  return vm;
}
