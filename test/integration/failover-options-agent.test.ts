/**
 * Failover options of an item that runs at an agent site (protected in reverse, dr → primary): the agent is asked
 * whether the failed-over copy can be read. With the agent up a planned failback is offered, `latest` processing the
 * pending data; with the agent killed (kill -9 of the real `lifeboat agent serve` child), planned is unavailable with
 * the reason naming the unreachable site and what an unplanned failover loses, unplanned stays available with its
 * loss, and a planned failback asked anyway is refused before anything is shut down or changed.
 */
import fs from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { change, job, protectedInReverse, show, stopAgents, type Job } from '../helpers/agent-failback';
import { buildMain, cli, ok } from '../helpers/home';

beforeAll(buildMain, 120_000);
afterEach(stopAgents);

interface Option {
  option: string;
  available: boolean;
  reason: string | null;
  point: { id: string } | null;
  processesPending: boolean;
  lossSeconds: number | null;
}
interface Options {
  from: string;
  to: string;
  reversed: boolean;
  source: { readable: boolean; unreachableSite: string | null; reason: string | null };
  options: Option[];
}

const options = (home: string, type: string) =>
  ok(cli(home, ['item', 'failover-options', 'vm', '--type', type, '--json'])).json<Options>();
const latest = (o: Options) => o.options.find((x) => x.option === 'latest')!;

describe('failover options of an item running at an agent site', () => {
  it('asks the agent: planned is offered while it answers, and only unplanned, with its loss, once it is killed', async () => {
    const { home, agent, activeDisk, log } = await protectedInReverse();
    change(activeDisk, 40, 1);
    expect(job(home, ['item', 'replicate', 'vm']).result).toMatchObject({ blocksSent: 1 });

    const up = options(home, 'planned');
    expect(up).toMatchObject({
      from: 'dr',
      to: 'primary',
      reversed: true,
      source: { readable: true, unreachableSite: null, reason: null },
    });
    expect(latest(up)).toMatchObject({ available: true, reason: null, processesPending: true, lossSeconds: 0 });

    await agent.stop('SIGKILL');
    const planned = options(home, 'planned');
    expect(planned.source).toMatchObject({ readable: false, unreachableSite: 'dr' });
    expect(planned.source.reason).toMatch(
      /^The agent site dr is unreachable \(The site agent at \S+ cannot be reached \(ECONNREFUSED\)\)\.$/,
    );
    expect(planned.options.every((o) => !o.available)).toBe(true);
    const refused = latest(planned);
    expect(refused).toMatchObject({ processesPending: false, lossSeconds: expect.any(Number) });
    const loses = /, which loses what vm wrote at dr after this point \(\d+ s\)\.$/;
    expect(refused.reason).toMatch(/^The agent site dr is unreachable: use an unplanned failover, which loses /);
    expect(refused.reason).toMatch(loses);

    const unplanned = options(home, 'unplanned');
    expect(latest(unplanned)).toMatchObject({
      available: true,
      reason: null,
      processesPending: false,
      lossSeconds: expect.any(Number),
    });
    expect(unplanned.options.find((o) => o.option === 'latest-processed')).toMatchObject({
      available: true,
      point: latest(unplanned).point,
    });

    // A planned failback asked anyway fails at once, naming the site and the way on; nothing was shut down or changed.
    const shutdowns = fs.readFileSync(log, 'utf8');
    const r = cli(home, ['item', 'failover', 'vm', '--type', 'planned', '--yes', '--json']);
    const failed = r.json<Job & { error: { code: string; message: string; hint: string } }>();
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'not_allowed' });
    expect(failed.error.message).toMatch(
      /^The agent site dr is unreachable \(.*\)\. A planned failover of vm cannot replicate its last changes/,
    );
    expect(failed.error.hint).toMatch(/lifeboat item failover vm --type unplanned/);
    expect(fs.readFileSync(log, 'utf8')).toBe(shutdowns);
    expect(show(home)).toMatchObject({ phase: 'protected', activeSite: 'dr' });
  }, 300_000);
});
