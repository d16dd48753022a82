/**
 * The site agent as another host: inside a network namespace of this test's own (`ip netns add`, a veth pair,
 * 10.231.N.1/30 here and 10.231.N.2/30 there, on that veth only), started with `ip netns exec`. The link is cut (the
 * veth taken down) while a cycle's commit is held at the agent: the installation's cycle fails as recoverable
 * (`unavailable`) while the agent finishes the commit unheard; with the link up again the next cycle succeeds, the
 * point whose answer was lost is recorded, and every point materializes byte-identical. Where network namespaces
 * cannot be made (no permission, no iproute2), the test is reported skipped with the reason.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMain, cli, ok, until } from '../helpers/home';
import { age, BLOCK, cliAsync, materialize, vmLab, writeAt } from '../helpers/replication-lab';
import { startAgent, type AgentProc } from '../helpers/site-agent';

const tag = String(process.pid % 100000);
const ns = `lbagent${tag}`;
const hostIf = `lbh${tag}`;
const nsIf = `lba${tag}`;
const net = `10.231.${(process.pid % 250) + 1}`;
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

let skipped: string | null = null;
try {
  try {
    ip('netns', 'add', ns);
  } catch (err) {
    // A namespace of the same name left by a killed run of this test: take it back.
    if (!String((err as { stderr?: Buffer }).stderr ?? '').includes('File exists')) throw err;
    ip('netns', 'del', ns);
    ip('netns', 'add', ns);
  }
} catch (err) {
  const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
  skipped =
    e.code === 'ENOENT'
      ? 'iproute2 (ip) is not installed'
      : `ip netns add is not permitted here: ${
          String(e.stderr ?? e.message)
            .trim()
            .split('\n')[0]
        }`;
  console.warn(`site-agent-netns.test.ts skipped: ${skipped}`);
}

function cleanup(): void {
  if (skipped) return;
  for (const args of [
    ['netns', 'del', ns],
    ['link', 'del', hostIf],
  ]) {
    try {
      ip(...args);
    } catch {
      // already gone: deleting the namespace takes its end of the veth pair, and the pair with it
    }
  }
}

const agents: AgentProc[] = [];
beforeAll(() => {
  if (skipped) return;
  try {
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    ip('link', 'set', nsIf, 'netns', ns);
    ip('addr', 'add', `${net}.1/30`, 'dev', hostIf);
    ip('link', 'set', hostIf, 'up');
    ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${net}.2/30`, 'dev', nsIf);
    ip('netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up');
  } catch (err) {
    cleanup();
    throw err;
  }
  buildMain();
}, 120_000);
afterAll(async () => {
  for (const a of agents) await a.stop('SIGKILL');
  cleanup();
});

/** A request with nothing back for this long fails: the cut link is noticed in seconds. */
const env = { LIFEBOAT_AGENT_TIMEOUT_SECONDS: '5' };

describe.skipIf(!!skipped)(
  `site agent on another host (network namespace)${skipped ? `: skipped, ${skipped}` : ''}`,
  () => {
    it('survives a cut link mid-cycle: the cycle fails recoverably, the next one succeeds, every point is complete', async () => {
      const { home, root, disk } = vmLab(4 << 20);

      let agent = await startAgent(root, `${net}.2:0`, { netns: ns });
      agents.push(agent);
      expect(agent.url).toBe(`https://${net}.2:${agent.port}`);
      ok(cli(home, ['site', 'add', 'dr', '--agent', agent.url, '--pairing-key', agent.pairingKey!], { env }));
      ok(cli(home, ['policy', 'create', 'fast', '--frequency', '30s'], { env }));
      const atStart = fs.readFileSync(disk);
      ok(cli(home, ['item', 'protect', 'vm', '--disk', disk, '--recovery-site', 'dr', '--policy', 'fast'], { env }));
      const before = ok(cli(home, ['item', 'points', 'vm', '--json'], { env })).json<{ id: string }[]>();

      await agent.stop();
      agent = await startAgent(root, `${net}.2:${agent.port}`, {
        netns: ns,
        env: { LIFEBOAT_AGENT_FAULT: 'mid-apply' },
      });
      agents.push(agent);
      for (let b = 5; b < 30; b += 2) writeAt(disk, b * BLOCK, BLOCK);
      age(disk);
      const atCut = fs.readFileSync(disk);
      const cycle = cliAsync(home, ['item', 'replicate', 'vm', '--json'], env);
      await agent.waitFor('fault-point mid-apply');
      ip('link', 'set', hostIf, 'down');
      const failed = await cycle;
      expect(failed.code).not.toBe(0);
      expect(failed.stdout).toContain('unavailable');
      expect(ok(cli(home, ['item', 'show', 'vm', '--json'], { env })).json<{ health: string }>().health).not.toBe(
        'critical',
      );

      // The agent finishes the commit while the link is down; its answer never arrives.
      process.kill(agent.proc.pid!, 'SIGUSR2');
      await until(
        'the commit to finish at the agent',
        () => !fs.existsSync(path.join(root, 'vm', '.lifeboat', 'cycle')),
        60_000,
      );
      ip('link', 'set', hostIf, 'up');

      expect(ok(cli(home, ['item', 'replicate', 'vm', '--json'], { env })).json<{ status: string }>().status).toBe(
        'succeeded',
      );
      writeAt(disk, 50 * BLOCK, BLOCK);
      age(disk);
      const atLast = fs.readFileSync(disk);
      expect(
        ok(cli(home, ['item', 'replicate', 'vm', '--json'], { env })).json<{
          status: string;
          result: { blocksSent: number };
        }>(),
      ).toMatchObject({
        status: 'succeeded',
        result: { blocksSent: 1 },
      });
      const points = ok(cli(home, ['item', 'points', 'vm', '--json'], { env })).json<{ id: string }[]>();
      expect(points.slice(0, before.length).map((p) => p.id)).toEqual(before.map((p) => p.id));
      expect(points.length).toBeGreaterThan(before.length + 1);
      for (const [i, p] of points.entries()) {
        const to = materialize(home, 'vm', p.id, env);
        const want = i < before.length ? atStart : i === points.length - 1 ? atLast : atCut;
        expect(
          fs.readFileSync(path.join(to, 'disks', 'vm.img')).equals(want),
          `point ${i + 1} of ${points.length}`,
        ).toBe(true);
      }
    }, 300_000);
  },
);
