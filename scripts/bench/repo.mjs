// `node scripts/bench/repo.mjs [--size MiB] [--small N] [--dir DIR] [--keep] [--only small]`: the repository sections of the bench
// alone (issue 18), for quick runs while working on the repository: the varied dataset, each kind backed up and
// restored alone by the `lifeboat` bin (no app) and restic, then the whole share's restore against the floor,
// `cp -a` and `restic restore`. `npm run bench` runs the same sections after its own.
// Last, the chunk index at scale (scripts/bench/index-scale.mjs): `--index-chunks N`, default 10,000,000, 0 skips it.
// `--only small` makes and times only the small-files tree (lifeboat, restic and `cp -a` in the same run), `--runs N`
// times it N times and reports each run and the median.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { indexScale, printIndexScale } from './index-scale.mjs';
import { makeRepoDataset, makeSmallFiles } from './repo-dataset.mjs';
import { kindsSection, lifeboatBin, measure, printKinds, printRestore, restoreComparison } from './repo-sections.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const indexChunks = { 'index-chunks': { type: 'string', default: '10000000' } };
const str = (d) => ({ type: 'string', default: d });
const options = {
  ...indexChunks,
  size: str('256'),
  small: str('20000'),
  dir: { type: 'string' },
  keep: { type: 'boolean', default: false },
  only: { type: 'string' },
  runs: str('1'),
};
const { values: opts } = parseArgs({ options });
const work = opts.dir ? path.resolve(opts.dir) : fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-bench-repo-'));
const hasRestic = spawnSync('sh', ['-c', 'command -v restic']).status === 0;

const data = path.join(work, 'data');
fs.rmSync(data, { recursive: true, force: true });
if (opts.only === 'small') {
  const small = { path: path.join(data, 'small'), ...makeSmallFiles(path.join(data, 'small'), Number(opts.small)) };
  const runs = [];
  for (let i = 0; i < Number(opts.runs); i++) {
    const load = os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
    console.error(
      `[bench] small files run ${i + 1}: ${small.files} files, ${(small.bytes / 1e6).toFixed(0)} MB; load ${load}`,
    );
    runs.push(kindsSection(root, work, { small }, hasRestic).small);
    printKinds({ small: runs.at(-1) });
  }
  const median = (f) => runs.map(f).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
  const m = {
    backup: median((r) => r.backup.seconds),
    restore: median((r) => r.restore.seconds),
    cpA: median((r) => r.cpA.seconds),
    resticBackup: hasRestic ? median((r) => r.restic.backupSeconds) : null,
    resticRestore: hasRestic ? median((r) => r.restic.restoreSeconds) : null,
    cpu: {
      backup: median((r) => r.backup.cpuSeconds),
      restore: median((r) => r.restore.cpuSeconds),
      cpA: median((r) => r.cpA.cpuSeconds),
      resticBackup: hasRestic ? median((r) => r.restic.backupCpuSeconds) : null,
      resticRestore: hasRestic ? median((r) => r.restic.restoreCpuSeconds) : null,
    },
  };
  const x = (a, b) => (a && b ? Math.round((a / b) * 100) / 100 : null);
  const s2 = (v) => v?.toFixed(2);
  console.log(
    `\nsmall files, median of ${runs.length} (s): backup ${s2(m.backup)} restic ${s2(m.resticBackup)}; restore ${s2(m.restore)} restic ${s2(m.resticRestore)} cp -a ${s2(m.cpA)}`,
  );
  console.log(
    `backup x restic ${x(m.resticBackup, m.backup)} (goal >= 3); restore x restic ${x(m.resticRestore, m.restore)} (goal >= 2); restore / cp -a ${x(m.restore, m.cpA)} (goal <= 2)`,
  );
  const c = m.cpu;
  console.log(
    `CPU (user + system, s): backup ${s2(c.backup)} restic ${s2(c.resticBackup)}; restore ${s2(c.restore)} restic ${s2(c.resticRestore)} cp -a ${s2(c.cpA)}`,
  );
  console.log(
    JSON.stringify({
      loadavg: os.loadavg(),
      files: small.files,
      bytes: small.bytes,
      median: m,
      runs: runs.map((r) => r.figures),
    }),
  );
  if (!opts.keep && !opts.dir) fs.rmSync(work, { recursive: true, force: true });
  process.exit(0);
}
const ds = makeRepoDataset(data, Number(opts.size), Number(opts.small));
console.error(
  `[bench] dataset in ${work}: share ${ds.files} files ${(ds.bytes / 1e6).toFixed(0)} MB; ${ds.kinds.small.files} small files; ${os.loadavg()[0].toFixed(1)} load`,
);
const kinds = kindsSection(root, work, ds.kinds, hasRestic);

// The whole share: one backup by the bin and by restic, then the restore comparison.
const home = path.join(work, 'home');
fs.rmSync(home, { recursive: true, force: true });
const lb = lifeboatBin(root, home);
const sdek = lb(['service', 'init', '--name', 'Bench']).json.sdek;
const account = path.join(work, 'account');
fs.rmSync(account, { recursive: true, force: true });
lb(['account', 'add', 'bench', '--local', account]);
const full = lb(['backup', 'create', '--account', 'bench', '--source', ds.share]);
const snapshotId = lb(['backup', 'list', '--account', 'bench']).json[0].id;
let resticEnv;
let resticFull;
if (hasRestic) {
  resticEnv = {
    RESTIC_PASSWORD: 'bench-password',
    RESTIC_REPOSITORY: path.join(work, 'restic'),
    RESTIC_CACHE_DIR: path.join(work, 'restic-cache'),
  };
  fs.rmSync(resticEnv.RESTIC_REPOSITORY, { recursive: true, force: true });
  measure('restic', ['init', '--quiet'], resticEnv);
  resticFull = measure('restic', ['backup', '--quiet', ds.share], resticEnv);
}
const restore = await restoreComparison({ root, home, work, account, sdek, snapshotId, source: ds.share, resticEnv });
const report = {
  sizeMiB: Number(opts.size),
  loadavg: os.loadavg(),
  kinds,
  share: {
    backupSeconds: full.seconds,
    rssKiB: full.rssKiB,
    resticSeconds: resticFull?.seconds,
    resticRssKiB: resticFull?.rssKiB,
    fullVsRestic: resticFull ? Math.round((resticFull.seconds / full.seconds) * 100) / 100 : null,
    rssVsRestic: resticFull ? Math.round((full.rssKiB / resticFull.rssKiB) * 100) / 100 : null,
  },
  restore,
  index: Number(opts['index-chunks']) > 0 ? await indexScale(root, { chunks: Number(opts['index-chunks']) }) : null,
};
printKinds(kinds);
console.log(
  `\nwhole share: backup ${full.seconds.toFixed(2)} s (${(full.rssKiB / 1024).toFixed(0)} MiB), restic ${resticFull?.seconds.toFixed(2)} s (${((resticFull?.rssKiB ?? 0) / 1024).toFixed(0)} MiB): throughput x restic ${report.share.fullVsRestic}, RSS x restic ${report.share.rssVsRestic}`,
);
printRestore(restore);
if (report.index) printIndexScale(report.index);
console.log(JSON.stringify(report));
if (!opts.keep && !opts.dir) fs.rmSync(work, { recursive: true, force: true });
