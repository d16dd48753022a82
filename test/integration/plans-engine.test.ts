/**
 * Recovery plans in the engine: a real engine, real SQLite and the real job runner; the item operations are a stand-in
 * (each item's part is a real job of its own) so that the plan's own rules are checked apart from failover itself:
 * groups in order with items in parallel, script output kept, a manual action that pauses the run until confirmed,
 * unplanned going on past an item's error, planned stopping at the first, cancel between steps, and the errors a user
 * can make.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../main/engine/engine';
import { LifeboatError } from '../../main/shared/errors';
import type { PlanItemOps, PlanItemState } from '../../main/engine/plans/ops';
import { recoveryPlans } from '../../main/engine/plans/plans';
import type { PlanManager } from '../../main/engine/plans/manager';
import type { Job } from '../../main/shared/schemas';
import { tempHome, until } from '../helpers/home';

let engine: Engine | null = null;
afterEach(async () => {
  await engine?.close();
  engine = null;
});

interface Lab {
  plans: PlanManager;
  items: Map<string, PlanItemState>;
  failing: Set<string>;
  /** Items whose failover waits until the test releases it. */
  held: Set<string>;
  release(): void;
  started: string[];
  marks: string;
}

/** An engine whose plans run against stand-in items: each item's failover is a real job that writes a mark file. */
function lab(names: string[]): Lab {
  const home = tempHome();
  engine = Engine.open({ dataDir: home, mode: 'cli', runJobs: true });
  const e = engine;
  const marks = path.join(home, 'marks');
  fs.mkdirSync(marks);
  const items = new Map(
    names.map((n) => [n, { name: n, phase: 'protected', activeSite: 'primary', recoverySite: 'dr' }]),
  );
  const failing = new Set<string>();
  const held = new Set<string>();
  let release = () => undefined as void;
  const gate = new Promise<void>((r) => (release = r));
  const started: string[] = [];
  e.runner.register({
    type: 'test.item-failover',
    params: z.object({ item: z.string(), fail: z.boolean() }),
    title: (p) => `Failover of ${p.item}`,
    steps: [
      {
        name: 'failover',
        title: 'Fail over',
        run: async (ctx) => {
          if (held.has(ctx.params.item)) await gate;
          if (ctx.params.fail)
            throw new LifeboatError('conflict', `${ctx.params.item}'s disk is gone.`, 'Check the replica.', {
              final: true,
            });
          fs.writeFileSync(path.join(marks, ctx.params.item), String(Date.now()));
          items.get(ctx.params.item)!.phase = 'failed-over';
        },
      },
    ],
  });
  const ops: PlanItemOps = {
    items: async () => [...items.values()].map((i) => ({ ...i })),
    check: (item) => {
      if (item.phase !== 'protected') throw new LifeboatError('not_allowed', `${item.name} is ${item.phase}.`);
    },
    start: async (item) => {
      started.push(item);
      return { jobId: e.runner.create('test.item-failover', { item, fail: failing.has(item) }).id };
    },
    actionSite: (item) => item.recoverySite,
    runScript: async (site, command, opts) => {
      const { runCommand } = await import('../../main/engine/replication/commands');
      const r = await runCommand('start', command, {
        timeoutMs: opts.timeoutMs,
        env: { ...opts.env, SITE: site },
        now: () => new Date(),
      });
      return r;
    },
  };
  return {
    plans: recoveryPlans({ db: e.db, runner: e.runner, ops }),
    items,
    failing,
    held,
    release: () => release(),
    started,
    marks,
  };
}

const failover = (type: 'test' | 'planned' | 'unplanned') => ({
  operation: 'failover' as const,
  type,
  point: 'latest-processed',
  shutdownSource: false,
});

async function settle(id: string): Promise<Job> {
  return engine!.runner.wait(id, 120_000);
}

async function thrown(f: () => unknown): Promise<LifeboatError> {
  try {
    await f();
  } catch (err) {
    if (err instanceof LifeboatError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe('recovery plans', () => {
  it('refuses a plan with an unknown item, an item in two groups, or no group, naming what to do', async () => {
    const l = lab(['web1', 'db1']);
    const unknown = await thrown(() => l.plans.create({ name: 'p', step: ['group: web1, web9'] }));
    expect(unknown.code).toBe('not_found');
    expect(unknown.message).toContain('web9');
    expect(unknown.hint).toContain('lifeboat item list');
    const twice = await thrown(() =>
      l.plans.create({ name: 'p', step: ['group: web1', 'manual: check', 'group: db1, web1'] }),
    );
    expect(twice.message).toBe('web1 is in group 1 and in group 2; an item is in at most one group of a plan.');
    const none = await thrown(() => l.plans.create({ name: 'p', step: ['manual: check'] }));
    expect(none.hint).toContain('--step "group: ITEM, ITEM"');
    const bad = await thrown(() => l.plans.create({ name: 'p', step: ['group: web1', 'scrpt: x'] }));
    expect(bad.message).toContain('step 2');
    expect(l.plans.store.list()).toEqual([]);
  });

  it('runs groups in order with a script action (output kept) and a manual action that waits for its confirmation', async () => {
    const l = lab(['web1', 'web2', 'db1']);
    await l.plans.create({
      name: 'shop',
      step: [
        'group: db1',
        `script 30s: echo "dns at $SITE for $LIFEBOAT_PLAN"; ls ${l.marks}`,
        'manual: Check the shop answers',
        'group: web1, web2',
      ],
    });
    const job = await l.plans.run('shop', failover('test'));
    expect(job.steps.map((s) => s.title)).toEqual([
      'Group 1: db1',
      expect.stringMatching(/^Script: echo/),
      'Manual action: Check the shop answers',
      'Group 2: web1, web2',
      'Report each item',
    ]);
    const paused = await settle(job.id);
    expect(paused.status).toBe('paused');
    expect(paused.message).toContain('Waiting for confirmation: Check the shop answers');
    expect(paused.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'pending', 'pending', 'pending']);
    const result = paused.result as { actions: { output: string; status: string }[]; waiting: { text: string } };
    expect(result.actions[0]).toMatchObject({ status: 'succeeded', output: 'dns at dr for shop\ndb1\n' });
    expect(result.waiting.text).toBe('Check the shop answers');
    // Group 2 has not started: nothing past the manual action ran.
    expect(l.started).toEqual(['db1']);
    expect((await l.plans.show('shop')).state).toBe('waiting');
    // A second run, an edit of the steps or a delete are refused while it waits.
    expect((await thrown(() => l.plans.run('shop', failover('test')))).hint).toContain(
      `lifeboat plan confirm ${job.id}`,
    );
    expect((await thrown(() => l.plans.delete('shop'))).code).toBe('busy');

    l.plans.confirm(job.id);
    const done = await settle(job.id);
    expect(done.status).toBe('succeeded');
    expect(l.started.slice(1).sort()).toEqual(['web1', 'web2']);
    const items = (done.result as { items: { item: string; status: string; jobId: string }[] }).items;
    expect(items.map((i) => [i.item, i.status])).toEqual([
      ['db1', 'succeeded'],
      ['web1', 'succeeded'],
      ['web2', 'succeeded'],
    ]);
    // Groups in order: db1's failover ended before web1's and web2's began.
    const at = (n: string) => Number(fs.readFileSync(path.join(l.marks, n), 'utf8'));
    expect(at('db1')).toBeLessThanOrEqual(Math.min(at('web1'), at('web2')));
    const confirmAgain = await thrown(() => l.plans.confirm(job.id));
    expect(confirmAgain.message).toBe(`Job ${job.id} is not waiting for a confirmation: it is succeeded.`);
  });

  it('an unplanned failover goes on past an item’s error to the end and reports each item', async () => {
    const l = lab(['a', 'bad', 'c']);
    l.failing.add('bad');
    await l.plans.create({ name: 'dc', step: ['group: a, bad', 'script: true', 'group: c'] });
    const done = await settle((await l.plans.run('dc', failover('unplanned'))).id);
    expect(done.status).toBe('failed');
    expect(done.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'failed']);
    expect(done.error?.message).toContain("bad: bad's disk is gone.");
    expect(done.resumable).toBe(false);
    const items = (done.result as { items: { item: string; status: string; error: { message: string } | null }[] })
      .items;
    expect(items.map((i) => [i.item, i.status])).toEqual([
      ['a', 'succeeded'],
      ['bad', 'failed'],
      ['c', 'succeeded'],
    ]);
    expect(fs.existsSync(path.join(l.marks, 'c'))).toBe(true);
  });

  it('a planned failover stops at the first error; resumed after the fix it goes on and keeps what was done', async () => {
    const l = lab(['a', 'bad', 'c']);
    l.failing.add('bad');
    await l.plans.create({ name: 'dc', step: ['group: a, bad', 'group: c'] });
    const job = await l.plans.run('dc', failover('planned'));
    const failed = await settle(job.id);
    expect(failed.status).toBe('failed');
    expect(failed.steps.map((s) => s.status)).toEqual(['failed', 'pending', 'pending']);
    expect(failed.error?.message).toContain("bad: bad's disk is gone.");
    expect(failed.error?.hint).toContain(`lifeboat jobs resume ${job.id}`);
    expect(l.started.sort()).toEqual(['a', 'bad']);
    expect(fs.existsSync(path.join(l.marks, 'c'))).toBe(false);

    l.failing.delete('bad');
    engine!.runner.resume(job.id);
    const done = await settle(job.id);
    expect(done.status).toBe('succeeded');
    // a was not failed over twice; bad was started again (its failed job cannot resume), then c.
    expect(l.started.filter((s) => s === 'a')).toHaveLength(1);
    expect(l.started.filter((s) => s === 'bad')).toHaveLength(2);
    expect(fs.existsSync(path.join(l.marks, 'c'))).toBe(true);
  });

  it('refuses a plan whose items are in different phases, and a confirm of a job that is not a waiting plan run', async () => {
    const l = lab(['a', 'b']);
    await l.plans.create({ name: 'p', step: ['group: a', 'group: b'] });
    l.items.get('b')!.phase = 'failed-over';
    const mixed = await thrown(() => l.plans.run('p', failover('planned')));
    expect(mixed.message).toBe(
      'The items of plan p are in different phases (a protected; b failed-over); a plan runs one operation on items in one phase.',
    );
    expect(mixed.hint).toContain('lifeboat plan edit');
    expect((await l.plans.list())[0].state).toBe('mixed');
    const other = await engine!.call('jobs.selftest', { sizeMiB: 1, seconds: 0 });
    if (!other.ok) throw new Error(other.error.message);
    expect((await thrown(() => l.plans.confirm(other.value.id))).message).toBe(
      `Job ${other.value.id} is not a run of a recovery plan.`,
    );
  });

  it('a plan split between its sites fails over in the direction chosen, skipping the items already there', async () => {
    const l = lab(['a', 'b', 'c']);
    await l.plans.create({ name: 'p', step: ['group: a, b', 'script: true', 'group: c'] });
    // b failed over earlier and was reprotected: it runs at its recovery site, protected in reverse.
    l.items.get('b')!.activeSite = 'dr';
    const split = await thrown(() => l.plans.run('p', failover('planned')));
    expect(split.code).toBe('conflict');
    expect(split.message).toBe('Plan p is split: a, c run at the primary site, b at the recovery site.');
    expect(split.hint).toContain('`--direction to-recovery` fails a, c over and leaves the others');
    expect(split.hint).toContain('`--direction to-primary` fails b back and leaves the others');
    expect((await l.plans.show('p')).itemSites).toEqual({
      a: { activeSite: 'primary', recoverySite: 'dr' },
      b: { activeSite: 'dr', recoverySite: 'dr' },
      c: { activeSite: 'primary', recoverySite: 'dr' },
    });
    expect(l.started).toEqual([]);

    const job = await settle((await l.plans.run('p', { ...failover('planned'), direction: 'to-recovery' })).id);
    expect(job.status).toBe('succeeded');
    expect(job.title).toBe('Planned failover of plan p');
    expect(l.started.sort()).toEqual(['a', 'c']);
    const result = job.result as {
      items: { item: string; status: string }[];
      skipped: { item: string; reason: string }[];
    };
    expect(result.items.map((i) => [i.item, i.status]).sort()).toEqual([
      ['a', 'succeeded'],
      ['b', 'skipped'],
      ['c', 'succeeded'],
    ]);
    expect(result.skipped).toEqual([{ item: 'b', reason: 'b runs at its recovery site dr already' }]);
    expect(job.message).toBe('2 of 2 items done, 1 skipped (b runs at its recovery site dr already)');
  });

  it('to-primary fails back only the items at their recovery site; a direction with nothing to do, or on a commit, is refused', async () => {
    const l = lab(['a', 'b']);
    await l.plans.create({ name: 'p', step: ['group: a', 'group: b'] });
    const none = await thrown(() => l.plans.run('p', { ...failover('planned'), direction: 'to-primary' }));
    expect(none.code).toBe('not_allowed');
    expect(none.message).toBe('No item of plan p runs at its recovery site: there is nothing to fail back.');
    expect(none.hint).toContain('--direction to-recovery');
    const commitReq = {
      operation: 'commit',
      type: 'planned',
      point: 'latest',
      shutdownSource: false,
      direction: 'to-primary',
    } as const;
    const commit = await thrown(() => l.plans.run('p', commitReq));
    expect(commit.code).toBe('invalid_input');

    l.items.get('b')!.activeSite = 'dr';
    const job = await settle((await l.plans.run('p', { ...failover('unplanned'), direction: 'to-primary' })).id);
    expect(job.status).toBe('succeeded');
    expect(job.title).toBe('Unplanned failback of plan p');
    expect(l.started).toEqual(['b']);
    expect((job.result as { skipped: { item: string; reason: string }[] }).skipped).toEqual([
      { item: 'a', reason: 'a runs at its primary site already' },
    ]);
  });

  it('cancel works between steps: refused while a group runs, accepted while the run waits on a manual action', async () => {
    const l = lab(['a', 'b']);
    l.held.add('a');
    await l.plans.create({ name: 'p', step: ['group: a', 'manual: Look', 'group: b'] });
    const job = await l.plans.run('p', failover('test'));
    await until('group 1 running', () => l.started.includes('a') && engine!.runner.get(job.id).cancellable === false);
    const refused = await engine!.call('jobs.cancel', { id: job.id });
    expect(refused).toMatchObject({ ok: false, error: { code: 'not_allowed' } });
    expect(!refused.ok && refused.error.message).toContain('cancel once it ends, between steps');
    l.release();
    expect((await settle(job.id)).status).toBe('paused');
    expect((await engine!.call('jobs.cancel', { id: job.id })).ok).toBe(true);
    const done = await settle(job.id);
    expect(done.status).toBe('cancelled');
    expect(done.steps.map((s) => s.status)).toEqual(['succeeded', 'cancelled', 'cancelled', 'cancelled']);
    expect(l.started).toEqual(['a']);
    // a failed over, b did not: the plan says so.
    expect((await l.plans.show('p')).state).toBe('mixed');
  });

  it('refuses a third plan run while two are on their way (each holds a job slot its items need)', async () => {
    const l = lab(['a', 'b', 'c']);
    l.held.add('a');
    l.held.add('b');
    for (const n of ['a', 'b', 'c']) await l.plans.create({ name: `p-${n}`, step: [`group: ${n}`] });
    const first = await l.plans.run('p-a', failover('test'));
    const second = await l.plans.run('p-b', failover('test'));
    const third = await thrown(() => l.plans.run('p-c', failover('test')));
    expect(third.code).toBe('busy');
    expect(third.message).toContain(`job ${first.id}`);
    expect(third.message).toContain(`job ${second.id}`);
    expect(l.started).not.toContain('c');
    l.release();
    for (const j of [first, second]) expect((await settle(j.id)).status).toBe('succeeded');
    expect((await settle((await l.plans.run('p-c', failover('test'))).id)).status).toBe('succeeded');
  });
});
