/**
 * An item's commands at an agent site: `lifeboat agent serve` as a real child process (with a home of its own, so a
 * command that ran there says so), paired through the CLI. A test failover and a planned failover to the agent site
 * run the item's start command through the agent (`SiteAgent.runCommand`), in the agent's home, with the copy's path;
 * cleanup of the test leaves nothing at the agent's root. The agent checks every request itself: a command on two
 * lines, a variable other than LIFEBOAT_*, an out-of-range timeout are refused; a timeout kills the command and its
 * output is bounded to the last 8 KiB.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../main/engine/engine';
import { buildMain, cli, ok, tempHome } from '../helpers/home';
import { vmLab } from '../helpers/replication-lab';
import { startAgent, type AgentProc } from '../helpers/site-agent';

beforeAll(buildMain, 120_000);

let agent: AgentProc | null = null;
afterAll(async () => {
  await agent?.stop('SIGKILL');
});

interface Run {
  exitCode: number | null;
  timedOut: boolean;
  output: string;
  outputCut: number;
}

describe('commands at an agent site', () => {
  it('runs the start command at the agent after a test and a planned failover, and the agent checks what it runs', async () => {
    const { home, root, disk } = vmLab(2 << 20);
    const agentHome = tempHome('lifeboat-agent-home-');
    agent = await startAgent(root, '127.0.0.1:0', { env: { HOME: agentHome } });
    ok(cli(home, ['site', 'add', 'dr', '--agent', agent.url, '--pairing-key', agent.pairingKey!]));
    ok(cli(home, ['policy', 'create', 'fast', '--frequency', '30s']));
    const start = 'echo "$LIFEBOAT_COMMAND $LIFEBOAT_ITEM in $(pwd) from $LIFEBOAT_PATH"';
    const shutdown = 'echo down in $(pwd)';
    ok(
      cli(home, [
        'item',
        'protect',
        'vm',
        '--disk',
        disk,
        '--recovery-site',
        'dr',
        '--policy',
        'fast',
        '--start',
        start,
        '--shutdown',
        shutdown,
      ]),
    );

    const testArgs = ['item', 'failover', 'vm', '--type', 'test', '--point', 'latest-processed', '--yes', '--json'];
    const test = ok(cli(home, testArgs)).json<{ status: string; result: { start: Run } }>();
    expect(test.status).toBe('succeeded');
    expect(test.result.start).toMatchObject({
      exitCode: 0,
      output: `start vm in ${agentHome} from ${path.join(root, '_test', 'vm')}\n`,
    });
    expect(fs.readFileSync(path.join(root, '_test', 'vm', 'disks', 'vm.img')).equals(fs.readFileSync(disk))).toBe(true);
    const report = ok(cli(home, ['item', 'cleanup-test', 'vm', '--notes', 'ran at the agent', '--json'])).json<{
      commandRuns: Run[];
      notes: string;
    }>();
    expect(report).toMatchObject({ notes: 'ran at the agent', commandRuns: [{ exitCode: 0 }] });
    expect(fs.existsSync(path.join(root, '_test'))).toBe(false);
    const { drills } = ok(cli(home, ['item', 'drills', 'vm', '--json'])).json<{
      drills: { notes: string; cleanedUpAt: string | null }[];
    }>();
    expect(drills).toHaveLength(1);
    expect(drills[0].notes).toBe('ran at the agent');
    expect(drills[0].cleanedUpAt).not.toBeNull();

    const planned = ok(cli(home, ['item', 'failover', 'vm', '--type', 'planned', '--yes', '--json'])).json<{
      status: string;
      result: Record<string, Run>;
    }>();
    expect(planned.status).toBe('succeeded');
    expect(planned.result.shutdown).toMatchObject({ exitCode: 0, output: `down in ${process.env.HOME ?? ''}\n` }); // at the primary: here
    expect(planned.result.start).toMatchObject({
      exitCode: 0,
      output: `start vm in ${agentHome} from ${path.join(root, '_active', 'vm')}\n`,
    });
    const shown = ok(cli(home, ['item', 'show', 'vm', '--json'])).json<{
      phase: string;
      disks: { activePath: string }[];
      commandRuns: { start: Run };
    }>();
    expect(shown.phase).toBe('failed-over');
    expect(shown.disks[0].activePath).toBe(path.join(root, '_active', 'vm', 'disks', 'vm.img'));
    expect(shown.commandRuns.start.output).toBe(planned.result.start.output);
    expect(fs.readFileSync(shown.disks[0].activePath).equals(fs.readFileSync(disk))).toBe(true);

    // The agent's own checks, through the paired TLS channel as the engine calls it.
    const engine = Engine.open({ dataDir: home, mode: 'cli' });
    try {
      const site = engine.sites.agentFor(engine.sites.store.byName('dr')!);
      const run = (command: string, opts: { timeoutMs?: number; env?: Record<string, string> } = {}) =>
        site.runCommand({
          name: 'start',
          command,
          timeoutMs: opts.timeoutMs ?? 10_000,
          env: opts.env ?? { LIFEBOAT_ITEM: 'vm' },
        });
      await expect(run('echo one\necho two')).rejects.toMatchObject({ code: 'invalid_input' });
      await expect(run('echo hi', { env: { LD_PRELOAD: '/tmp/x.so' } })).rejects.toMatchObject({
        code: 'invalid_input',
      });
      await expect(run('echo hi', { timeoutMs: 10 })).rejects.toMatchObject({ code: 'invalid_input' });
      expect(await run('echo failing; exit 3')).toMatchObject({ exitCode: 3, timedOut: false, output: 'failing\n' });
      expect(await run('sleep 30', { timeoutMs: 1000 })).toMatchObject({ timedOut: true, exitCode: null });
      const big = await run('head -c 20000 /dev/zero | tr "\\0" x');
      expect(big).toMatchObject({ exitCode: 0, outputCut: 20000 - 8192 });
      expect(big.output).toBe('x'.repeat(8192));
    } finally {
      await engine.close();
    }
  }, 300_000);
});
