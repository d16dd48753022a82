/**
 * A short `npm run torture` in the test summary: one trial of each kind (backup, restore, failover, prune) with small
 * data, each killed with SIGKILL at a random moment of its job (the seed varies per run and is printed), then resumed
 * and checked by test/torture/run.ts. Any trial that loses or damages data fails this test with its reasons.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../helpers/home';
import { runTorture } from '../torture/run';

beforeAll(buildApp, 180_000);

describe('torture: kill -9 at random moments', () => {
  it('loses nothing over one trial of each kind', async () => {
    const seed = Number(process.env.LIFEBOAT_TORTURE_SEED ?? Date.now() % 100_000);
    const lines: string[] = [];
    const report = await runTorture({ trials: 4, sizeMiB: 24, seed, log: (l) => lines.push(l) });
    console.log(lines.join('\n'));
    expect(report.results.filter((r) => r.trial > 0).map((r) => r.kind)).toEqual([
      'backup',
      'restore',
      'failover',
      'prune',
    ]);
    expect(
      report.results.filter((r) => r.failures.length).map((r) => `${r.kind} #${r.trial}: ${r.failures.join('; ')}`),
    ).toEqual([]);
    expect(report.summary).toMatch(/^torture: 4 trials \(backup 1, restore 1, failover 1, prune 1\), 0 failures$/);
  }, 420_000);
});
