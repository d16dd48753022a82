// Prints "N passed, N failed" from vitest's and Playwright's JSON reports (test-results/), for .ci/run.
// `--failed-stage NAME` names the stage of .ci/run that failed: it counts as a failure whatever the reports say,
// so a build or lint that fails before any test ran reads "0 passed, 1 failed", never "0 passed, 0 failed".
import fs from 'node:fs';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({ options: { 'failed-stage': { type: 'string' } } });
const failedStage = opts['failed-stage'];

const read = (file) => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null);
let passed = 0;
let failed = 0;
let skipped = 0;
const vitest = read('test-results/vitest.json');
if (vitest) {
  passed += vitest.numPassedTests;
  failed += vitest.numFailedTests;
  skipped += vitest.numPendingTests + vitest.numTodoTests;
  // A file that failed to load, or whose beforeAll failed (its tests then count as skipped), is a failure all the same.
  failed += vitest.testResults.filter(
    (f) => f.status === 'failed' && !f.assertionResults.some((a) => a.status === 'failed'),
  ).length;
}
const e2e = read('test-results/e2e.json');
if (e2e) {
  passed += e2e.stats.expected + e2e.stats.flaky;
  failed += e2e.stats.unexpected;
  skipped += e2e.stats.skipped;
  failed += (e2e.errors ?? []).length;
}
if (failedStage) {
  console.log(`FAILED stage: ${failedStage}${vitest || e2e ? '' : ', before any test ran'}`);
  // The reports may show no failure (vitest exits 1 on an unhandled error it does not count as a test): the stage is one.
  if (failed === 0) failed = 1;
}
if (!vitest) console.log(`vitest did not report${failedStage ? ` (the ${failedStage} stage failed first)` : ''}`);
if (!e2e)
  console.log(
    `Playwright did not report${failedStage ? ` (the ${failedStage} stage failed${vitest ? '' : ' first'})` : ''}`,
  );
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
