/**
 * Recovery plans through the real `lifeboat` CLI on real protected items (sparse disk images replicated to a local
 * recovery site): bad plans refused with what to do; a test failover of a plan with a script action (its output in
 * the job) and a manual action confirmed with `plan confirm`; kill -9 of the CLI in the middle of a plan, then
 * `jobs resume` finishes it without failing an item over twice; an unplanned failover going on past an item whose
 * replica is gone, a planned one stopping at it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../main/shared/schemas';
import { buildMain, CLI, cli, ok, readDb, tempHome, until } from '../helpers/home';
import { age, MiB, makeDisk } from '../helpers/replication-lab';

beforeAll(buildMain, 180_000);

interface RunResult {
  items: { item: string; status: string; jobId: string | null }[];
  actions: { step: number; kind: string; status: string; output?: string }[];
  waiting: { step: number; text: string } | null;
}

const resultOf = (job: Job) => job.result as unknown as RunResult;

/** A home with a recovery site `dr` (its root in `roots`) and the protected items named, each a small sparse disk. */
const roots = new Map<string, string>();
/** The folder of each home's source disks. */
const sources = new Map<string, string>();
function lab(items: string[]): string {
  const home = tempHome();
  const src = tempHome('lifeboat-src-');
  sources.set(home, src);
  roots.set(home, path.join(tempHome('lifeboat-site-'), 'dr'));
  ok(cli(home, ['site', 'add', 'dr', '--root', roots.get(home)!]));
  ok(cli(home, ['policy', 'create', 'fast', '--frequency', '30s']));
  for (const name of items) {
    const disk = makeDisk(path.join(src, `${name}.img`), 2 * MiB, [0, 3]);
    age(disk);
    ok(cli(home, ['item', 'protect', name, '--disk', disk, '--recovery-site', 'dr', '--policy', 'fast']));
  }
  return home;
}

function failed(r: ReturnType<typeof cli>): string {
  expect(r.code, r.stdout).not.toBe(0);
  return r.stderr + r.stdout;
}

describe('recovery plans through the CLI', () => {
  it('refuses bad plans, runs a test failover with a script action and a manual action confirmed with plan confirm', () => {
    const home = lab(['vm1', 'vm2']);
    expect(failed(cli(home, ['plan', 'create', 'p', '--step', 'group: vm1, vm9']))).toContain(
      'error (not_found): Group 1 names vm9, which is not a protected item.',
    );
    expect(failed(cli(home, ['plan', 'create', 'p', '--step', 'group: vm1', '--step', 'group: vm2, vm1']))).toContain(
      'vm1 is in group 1 and in group 2; an item is in at most one group of a plan.',
    );
    expect(failed(cli(home, ['plan', 'confirm', 'job-nothing']))).toContain(
      'error (not_found): Job job-nothing is not a run of a recovery plan.',
    );

    const steps = [
      'group: vm1',
      'script 1m: echo "warming up at $LIFEBOAT_SITE for $LIFEBOAT_PLAN"',
      'manual: Check that vm1 answers',
      'group: vm2',
    ];
    const created = ok(
      cli(home, [
        'plan',
        'create',
        'drill',
        '--description',
        'the drill',
        ...steps.flatMap((s) => ['--step', s]),
        '--json',
      ]),
    ).json<{ groups: number; lines: string[] }>();
    expect(created.groups).toBe(2);
    expect(created.lines[1]).toBe('script 60s: echo "warming up at $LIFEBOAT_SITE for $LIFEBOAT_PLAN"');
    expect(ok(cli(home, ['plan', 'list'])).stdout).toMatch(/drill\s+2\s+\["vm1","vm2"\]\s+protected\s+the drill/);

    // The run stops at the manual action: the CLI returns the paused job with what it waits for, and exits 0.
    const paused = ok(cli(home, ['plan', 'failover', 'drill', '--type', 'test', '--yes', '--json'])).json<Job>();
    expect(paused.status).toBe('paused');
    expect(paused.steps.map((s) => [s.title, s.status])).toEqual([
      ['Group 1: vm1', 'succeeded'],
      ['Script: echo "warming up at $LIFEBOAT_SITE for $LIFEBOAT_PLAN"', 'succeeded'],
      ['Manual action: Check that vm1 answers', 'pending'],
      ['Group 2: vm2', 'pending'],
      ['Report each item', 'pending'],
    ]);
    const waiting = resultOf(paused);
    expect(waiting.waiting).toEqual({ step: 2, text: 'Check that vm1 answers' });
    expect(waiting.actions[0]).toMatchObject({
      kind: 'script',
      status: 'succeeded',
      output: 'warming up at dr for drill\n',
    });
    expect(waiting.items.map((i) => [i.item, i.status])).toEqual([['vm1', 'succeeded']]);
    expect(failed(cli(home, ['plan', 'failover', 'drill', '--type', 'test', '--yes']))).toContain(
      `lifeboat plan confirm ${paused.id}`,
    );

    const done = ok(cli(home, ['plan', 'confirm', paused.id, '--json'])).json<Job>();
    expect(done.status).toBe('succeeded');
    const r = resultOf(done);
    expect(r.items.map((i) => [i.item, i.status])).toEqual([
      ['vm1', 'succeeded'],
      ['vm2', 'succeeded'],
    ]);
    expect(r.actions.map((a) => [a.kind, a.status])).toEqual([
      ['script', 'succeeded'],
      ['manual', 'confirmed'],
    ]);
    for (const i of r.items)
      expect(ok(cli(home, ['jobs', 'show', i.jobId!, '--json'])).json<{ job: Job }>().job.status).toBe('succeeded');
    expect(failed(cli(home, ['plan', 'confirm', paused.id]))).toContain(
      `Job ${paused.id} is not waiting for a confirmation: it is succeeded.`,
    );
    const shown = ok(cli(home, ['plan', 'show', 'drill', '--json'])).json<{
      runs: { jobId: string; status: string }[];
    }>();
    expect(shown.runs[0]).toMatchObject({ jobId: paused.id, status: 'succeeded' });

    const cleaned = ok(cli(home, ['plan', 'cleanup-test', 'drill', '--json'])).json<Job>();
    expect(resultOf(cleaned).items.map((i) => [i.item, i.status])).toEqual([
      ['vm1', 'succeeded'],
      ['vm2', 'succeeded'],
    ]);
  }, 600_000);

  it('kill -9 of the CLI in the middle of a plan: jobs resume finishes it, no item failed over twice', async () => {
    const home = lab(['vm1', 'vm2']);
    const mark = path.join(tempHome('lifeboat-mark-'), 'ran-once');
    // The script sleeps the first time only, so the kill lands while it runs and the resumed step is quick.
    const script = `if [ -e ${mark} ]; then echo again; else touch ${mark}; sleep 20; fi`;
    ok(
      cli(home, [
        'plan',
        'create',
        'p',
        '--step',
        'group: vm1',
        '--step',
        `script 2m: ${script}`,
        '--step',
        'group: vm2',
      ]),
    );
    const child = spawn(process.execPath, [CLI, '--home', home, 'plan', 'failover', 'p', '--type', 'test', '--yes'], {
      stdio: 'ignore',
    });
    const jobId = await until('the script step running', () =>
      readDb(
        home,
        (db) =>
          db.prepare("SELECT job_id FROM job_steps WHERE name = 'script-1' AND status = 'running'").get() as
            { job_id: string } | undefined,
      ),
    ).then((r) => r.job_id);
    await until('the script started', () => fs.existsSync(mark));
    const vm1Job = readDb(
      home,
      (db) =>
        db.prepare("SELECT child_job_id FROM plan_run_items WHERE job_id = ? AND item = 'vm1'").get(jobId) as {
          child_job_id: string;
        },
    ).child_job_id;
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const resumed = ok(cli(home, ['jobs', 'resume', jobId, '--json'])).json<Job>();
    expect(resumed.status).toBe('succeeded');
    const r = resultOf(resumed);
    expect(r.items.map((i) => [i.item, i.status])).toEqual([
      ['vm1', 'succeeded'],
      ['vm2', 'succeeded'],
    ]);
    // vm1's failover is the one from before the kill, not a second one; the script ran again after the crash.
    expect(r.items[0].jobId).toBe(vm1Job);
    expect(r.actions[0]).toMatchObject({ status: 'succeeded', output: 'again\n' });
    const vm1Runs = readDb(
      home,
      (db) =>
        db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE object_name = 'vm1' AND type LIKE '%failover%'").get() as {
          n: number;
        },
    ).n;
    expect(vm1Runs).toBe(1);
  }, 600_000);

  it('an unplanned failover goes on past an item whose replica is gone and reports each item; a planned one stops there', () => {
    const home = lab(['a', 'bad', 'c', 'bad2', 'd']);
    // Their replicas vanish from the site: their failover finds no recovery point. The source of bad goes too, so
    // a planned failover cannot make one by resynchronizing it first (as it does when only the replica is gone).
    for (const gone of ['bad', 'bad2']) fs.rmSync(path.join(roots.get(home)!, gone), { recursive: true });
    fs.rmSync(path.join(sources.get(home)!, 'bad.img'));

    ok(cli(home, ['plan', 'create', 'careful', '--step', 'group: bad', '--step', 'group: a']));
    const stopped = cli(home, ['plan', 'failover', 'careful', '--type', 'planned', '--yes', '--json']).json<Job>();
    expect(stopped.status).toBe('failed');
    expect(stopped.steps.map((s) => s.status)).toEqual(['failed', 'pending', 'pending']);
    expect(stopped.error?.message).toMatch(/^Planned failover of plan careful stopped: bad: ./);
    expect(stopped.error?.hint).toContain(`lifeboat jobs resume ${stopped.id}`);
    expect(resultOf(stopped).items.map((i) => [i.item, i.status])).toEqual([['bad', 'failed']]);
    expect(ok(cli(home, ['item', 'show', 'a', '--json'])).json<{ phase: string }>().phase).toBe('protected');

    ok(cli(home, ['plan', 'create', 'dc', '--step', 'group: c, bad2', '--step', 'script: true', '--step', 'group: d']));
    const r = cli(home, ['plan', 'failover', 'dc', '--type', 'unplanned', '--yes', '--json']);
    expect(r.code).not.toBe(0);
    const all = r.json<Job>();
    expect(all.status).toBe('failed');
    expect(all.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'failed']);
    expect(all.error?.message).toMatch(/^Unplanned failover of plan dc ended with 1 error\(s\): bad2: /);
    expect(resultOf(all).items.map((i) => [i.item, i.status])).toEqual([
      ['c', 'succeeded'],
      ['bad2', 'failed'],
      ['d', 'succeeded'],
    ]);
    for (const up of ['c', 'd'])
      expect(ok(cli(home, ['item', 'show', up, '--json'])).json<{ phase: string }>().phase).toBe('failed-over');
  }, 600_000);

  it('a whole plan goes round: planned failover, commit, reprotect, failback, commit, reprotect', () => {
    const home = lab(['vm1', 'vm2']);
    ok(
      cli(home, [
        'plan',
        'create',
        'round',
        '--step',
        'group: vm1',
        '--step',
        'script: echo "up at $LIFEBOAT_SITE"',
        '--step',
        'group: vm2',
      ]),
    );
    const run = (args: string[]) => ok(cli(home, ['plan', ...args, 'round', '--yes', '--json'])).json<Job>();
    const where = () =>
      ['vm1', 'vm2'].map((n) =>
        ok(cli(home, ['item', 'show', n, '--json'])).json<{ phase: string; activeSite: string }>(),
      );
    expect(failed(cli(home, ['plan', 'failback', 'round', '--yes']))).toContain(
      'vm1 runs at its primary site: there is nothing to fail back.',
    );

    const over = run(['failover', '--type', 'planned']);
    expect(resultOf(over).actions[0].output).toBe('up at dr\n');
    expect(where()).toEqual([
      expect.objectContaining({ phase: 'failed-over', activeSite: 'dr' }),
      expect.objectContaining({ phase: 'failed-over', activeSite: 'dr' }),
    ]);
    expect(failed(cli(home, ['plan', 'reprotect', 'round', '--yes']))).toMatch(
      /vm1 is failed over \(not committed\), so reprotect is not possible now/,
    );
    expect(resultOf(run(['commit'])).items.map((i) => i.status)).toEqual(['succeeded', 'succeeded']);
    expect(where().map((i) => i.phase)).toEqual(['committed', 'committed']);
    run(['reprotect']);
    expect(where()).toEqual([
      expect.objectContaining({ phase: 'protected', activeSite: 'dr' }),
      expect.objectContaining({ phase: 'protected', activeSite: 'dr' }),
    ]);

    const back = run(['failback']);
    expect(back.title).toBe('Planned failback of plan round');
    expect(resultOf(back).actions[0].output).toBe('up at primary\n');
    expect(where().map((i) => [i.phase, i.activeSite])).toEqual([
      ['failed-over', 'primary'],
      ['failed-over', 'primary'],
    ]);
    run(['commit']);
    run(['reprotect']);
    expect(where().map((i) => [i.phase, i.activeSite])).toEqual([
      ['protected', 'primary'],
      ['protected', 'primary'],
    ]);
  }, 900_000);
});
