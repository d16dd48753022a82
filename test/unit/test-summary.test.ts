/** The CI summary line (scripts/test-summary.mjs): a stage that failed before any test ran is a failure, named. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempHome } from '../helpers/home';

/** Runs the summary in a folder holding the given reports, as .ci/run does after its stages. */
function summary(reports: { vitest?: unknown; e2e?: unknown }, args: string[] = []): string[] {
  const cwd = tempHome('lifeboat-summary-');
  fs.mkdirSync(path.join(cwd, 'test-results'));
  if (reports.vitest) fs.writeFileSync(path.join(cwd, 'test-results', 'vitest.json'), JSON.stringify(reports.vitest));
  if (reports.e2e) fs.writeFileSync(path.join(cwd, 'test-results', 'e2e.json'), JSON.stringify(reports.e2e));
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'test-summary.mjs'), ...args], {
    cwd,
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n');
}

const vitest = (passedN: number, failedN: number) => ({
  numPassedTests: passedN,
  numFailedTests: failedN,
  numPendingTests: 1,
  numTodoTests: 0,
  testResults: [
    { status: failedN ? 'failed' : 'passed', assertionResults: [{ status: failedN ? 'failed' : 'passed' }] },
  ],
});
const e2e = (expected: number, unexpected: number) => ({
  stats: { expected, unexpected, flaky: 0, skipped: 0 },
  errors: [],
});

describe('test summary', () => {
  it('counts both reports when every stage ran', () => {
    expect(summary({ vitest: vitest(10, 0), e2e: e2e(5, 0) }).at(-1)).toBe('15 passed, 0 failed, 1 skipped');
    expect(summary({ vitest: vitest(10, 2), e2e: e2e(5, 1) }).at(-1)).toBe('15 passed, 3 failed, 1 skipped');
  });

  it('names a build or lint that failed before any test ran, and counts it as a failure', () => {
    for (const stage of ['build', 'lint', 'npm ci', 'toolchain']) {
      const lines = summary({}, ['--failed-stage', stage]);
      expect(lines[0]).toBe(`FAILED stage: ${stage}, before any test ran`);
      expect(lines).toContain(`vitest did not report (the ${stage} stage failed first)`);
      expect(lines.at(-1)).toBe('0 passed, 1 failed');
    }
  });

  it('counts a failed stage whose report shows no failed test (an unhandled error) as one failure', () => {
    const lines = summary({ vitest: vitest(10, 0) }, ['--failed-stage', 'vitest']);
    expect(lines[0]).toBe('FAILED stage: vitest');
    expect(lines).toContain('Playwright did not report (the vitest stage failed)');
    expect(lines.at(-1)).toBe('10 passed, 1 failed, 1 skipped');
    // Failed tests already count: the stage adds nothing.
    expect(summary({ vitest: vitest(10, 2) }, ['--failed-stage', 'vitest']).at(-1)).toBe(
      '10 passed, 2 failed, 1 skipped',
    );
  });
});
