/**
 * Reprotect of an item failed over to an agent site (`lifeboat agent serve` as a real child process, paired through
 * the CLI): replicating back from an agent site is not done yet, so reprotect is refused at once, with its reason and
 * the way on, before anything runs: the original machine is not shut down and the item stays committed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMain, cli, ok } from '../helpers/home';
import { vmLab } from '../helpers/replication-lab';
import { startAgent, type AgentProc } from '../helpers/site-agent';

beforeAll(buildMain, 120_000);

let agent: AgentProc | null = null;
afterAll(async () => {
  await agent?.stop('SIGKILL');
});

describe('reprotect from an agent site', () => {
  it('is refused before the original machine is shut down, naming why and what to do', async () => {
    const { home, root, disk } = vmLab(2 << 20);
    agent = await startAgent(root, '127.0.0.1:0');
    ok(cli(home, ['site', 'add', 'dr', '--agent', agent.url, '--pairing-key', agent.pairingKey!]));
    ok(cli(home, ['policy', 'create', 'fast', '--frequency', '30s']));
    const log = path.join(path.dirname(disk), 'shutdowns.log');
    ok(cli(home, ['item', 'protect', 'vm', '--disk', disk, '--recovery-site', 'dr', '--policy', 'fast', '--shutdown', `echo down >> ${log}`]));
    ok(cli(home, ['item', 'failover', 'vm', '--type', 'unplanned', '--point', 'latest-processed', '--yes', '--json']));
    ok(cli(home, ['item', 'commit', 'vm', '--yes', '--json']));

    const r = cli(home, ['item', 'reprotect', 'vm', '--yes', '--json']);
    expect(r.code).not.toBe(0);
    expect(r.json<{ error: { code: string; message: string; hint: string } }>().error).toMatchObject({
      code: 'not_allowed',
      message: 'vm runs at the agent site dr: replicating back from an agent site is not supported yet.',
      hint: 'Until it is, the item runs there unprotected: copy its disks and folders back to this machine and protect them again.',
    });
    expect(fs.existsSync(log)).toBe(false);
    const shown = ok(cli(home, ['item', 'show', 'vm', '--json'])).json<{ phase: string; activeSite: string }>();
    expect(shown).toMatchObject({ phase: 'committed', activeSite: 'dr' });
  }, 180_000);
});
