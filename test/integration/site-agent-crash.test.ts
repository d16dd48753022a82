/**
 * kill -9 of a site agent in the middle of a cycle's commit (LIFEBOAT_AGENT_FAULT=mid-apply holds it after the
 * journal said "applying" and the first block reached the replica). The installation's cycle fails as recoverable
 * (`unavailable`, the site unreachable), no half-applied point is listed; once the agent is started again its
 * journal rolls the cycle forward, the next cycle succeeds, and every point materializes byte-identical.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMain, cli, ok } from '../helpers/home';
import { age, BLOCK, cliAsync, materialize, vmLab, writeAt } from '../helpers/replication-lab';
import { startAgent, type AgentProc } from '../helpers/site-agent';

beforeAll(buildMain, 120_000);

const agents: AgentProc[] = [];
afterAll(async () => {
  for (const a of agents) await a.stop('SIGKILL');
});

describe('kill -9 of the site agent mid-cycle', () => {
  it('fails the cycle as recoverable; after a restart the next cycle succeeds and every point is complete', async () => {
    const { home, root, disk } = vmLab(4 << 20);

    let agent = await startAgent(root, '127.0.0.1:0');
    agents.push(agent);
    const listen = `127.0.0.1:${agent.port}`;
    ok(cli(home, ['site', 'add', 'dr', '--agent', agent.url, '--pairing-key', agent.pairingKey!]));
    ok(cli(home, ['policy', 'create', 'fast', '--frequency', '30s']));
    const atStart = fs.readFileSync(disk);
    ok(cli(home, ['item', 'protect', 'vm', '--disk', disk, '--recovery-site', 'dr', '--policy', 'fast']));
    const before = ok(cli(home, ['item', 'points', 'vm', '--json'])).json<{ id: string }[]>();

    // The agent again, now holding its next commit mid-apply.
    await agent.stop();
    agent = await startAgent(root, listen, { env: { LIFEBOAT_AGENT_FAULT: 'mid-apply' } });
    agents.push(agent);
    expect(agent.pairingKey).toBeNull(); // paired: no key is open after a restart
    for (let b = 5; b < 40; b += 2) writeAt(disk, b * BLOCK, BLOCK);
    age(disk);
    const atKill = fs.readFileSync(disk);
    const cycle = cliAsync(home, ['item', 'replicate', 'vm', '--json']);
    await agent.waitFor('fault-point mid-apply');
    const replica = path.join(root, 'vm', 'disks', 'vm.img');
    expect(fs.existsSync(path.join(root, 'vm', '.lifeboat', 'cycle', 'APPLYING'))).toBe(true);
    expect(fs.readFileSync(replica).equals(atKill)).toBe(false); // half applied
    await agent.stop('SIGKILL');

    const failed = await cycle;
    expect(failed.code).not.toBe(0);
    expect(failed.stdout).toContain('unavailable');
    expect(failed.stdout).toContain(agent.url);
    // No point for the half-applied cycle, and the item waits to retry (recoverable), not Critical.
    expect(
      ok(cli(home, ['item', 'points', 'vm', '--json']))
        .json<{ id: string }[]>()
        .map((p) => p.id),
    ).toEqual(before.map((p) => p.id));
    expect(ok(cli(home, ['item', 'show', 'vm', '--json'])).json<{ health: string }>().health).not.toBe('critical');

    agent = await startAgent(root, listen);
    agents.push(agent);
    const next = ok(cli(home, ['item', 'replicate', 'vm', '--json'])).json<{ status: string }>();
    expect(next.status).toBe('succeeded');
    expect(fs.existsSync(path.join(root, 'vm', '.lifeboat', 'cycle'))).toBe(false);
    expect(fs.readFileSync(replica).equals(atKill)).toBe(true);

    writeAt(disk, 60 * BLOCK, BLOCK);
    age(disk);
    const atLast = fs.readFileSync(disk);
    expect(
      ok(cli(home, ['item', 'replicate', 'vm', '--json'])).json<{ status: string; result: { blocksSent: number } }>(),
    ).toMatchObject({ status: 'succeeded', result: { blocksSent: 1 } });
    const points = ok(cli(home, ['item', 'points', 'vm', '--json'])).json<{ id: string }[]>();
    expect(points.slice(0, before.length).map((p) => p.id)).toEqual(before.map((p) => p.id));
    expect(points.length).toBeGreaterThan(before.length + 1);
    for (const [i, p] of points.entries()) {
      const to = materialize(home, 'vm', p.id);
      const want = i < before.length ? atStart : i === points.length - 1 ? atLast : atKill;
      expect(fs.readFileSync(path.join(to, 'disks', 'vm.img')).equals(want), `point ${i + 1} of ${points.length}`).toBe(
        true,
      );
    }
  }, 300_000);
});
