// `npm run torture [-- --trials N] [--size-mib M] [--seed S] [--kinds backup,restore,failover,prune] [--keep]`
// Kills Lifeboat with SIGKILL at random moments of a backup, a restore, a device failover or a prune, restarts it,
// lets every job resume and checks that nothing was lost (test/torture/run.ts says what is checked). Prints a table
// and a final line `torture: N trials (...), F failures`; exits 1 on any failure. The trials run the built dist/.
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { bundleTs } from './bundle-ts.mjs';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '10' },
    'size-mib': { type: 'string', default: '256' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
    kinds: { type: 'string', default: 'backup,restore,failover,prune' },
    keep: { type: 'boolean', default: false },
  },
});
const number = (name, min) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < min) {
    console.error(`error (invalid_input): --${name} must be a whole number of at least ${min}, not ${values[name]}.`);
    process.exit(2);
  }
  return n;
};
const kinds = values.kinds.split(',').filter(Boolean);
const unknown = kinds.filter((k) => !['backup', 'restore', 'failover', 'prune'].includes(k));
if (unknown.length || !kinds.length) {
  console.error(
    `error (invalid_input): unknown kind ${unknown.join(', ') || '(none)'}.\n  hint: choose among backup, restore, failover, prune.`,
  );
  process.exit(2);
}

// The runner is TypeScript beside the test helpers it shares: bundled here (dist/torture/, so the helpers' paths
// relative to their file still lead to the repository) rather than copied.
const out = await bundleTs('test/torture/run.ts', 'dist/torture/run.cjs');
const { runTorture } = createRequire(import.meta.url)(out);
const t0 = Date.now();
const report = await runTorture({
  trials: number('trials', 1),
  sizeMiB: number('size-mib', 1),
  seed: number('seed', 0),
  kinds,
  keep: values.keep,
});
console.log(`wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
process.exit(report.failures ? 1 : 0);
