// `node scripts/bench/repo.mjs [--size MiB] [--small N] [--dir DIR] [--keep]`: the repository sections of the bench
// alone (issue 18), for quick runs while working on the repository: the varied dataset, each kind backed up and
// restored alone by the `lifeboat` bin (no app) and restic, then the whole share's restore against the floor,
// `cp -a` and `restic restore`. `npm run bench` runs the same sections after its own.
// Last, the chunk index at scale (scripts/bench/index-scale.mjs): `--index-chunks N`, default 10,000,000, 0 skips it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { indexScale, printIndexScale } from './index-scale.mjs';
import { makeRepoDataset } from './repo-dataset.mjs';
import { kindsSection, lifeboatBin, measure, printKinds, printRestore, restoreComparison } from './repo-sections.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const indexChunks = { 'index-chunks': { type: 'string', default: '10000000' } };
const { values: opts } = parseArgs({ options: { ...indexChunks, size: { type: 'string', default: '256' }, small: { type: 'string', default: '20000' }, dir: { type: 'string' }, keep: { type: 'boolean', default: false } } });
const work = opts.dir ? path.resolve(opts.dir) : fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-bench-repo-'));
const hasRestic = spawnSync('sh', ['-c', 'command -v restic']).status === 0;

const data = path.join(work, 'data');
fs.rmSync(data, { recursive: true, force: true });
const ds = makeRepoDataset(data, Number(opts.size), Number(opts.small));
console.error(`[bench] dataset in ${work}: share ${ds.files} files ${(ds.bytes / 1e6).toFixed(0)} MB; ${ds.kinds.small.files} small files; ${os.loadavg()[0].toFixed(1)} load`);
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
  resticEnv = { RESTIC_PASSWORD: 'bench-password', RESTIC_REPOSITORY: path.join(work, 'restic'), RESTIC_CACHE_DIR: path.join(work, 'restic-cache') };
  fs.rmSync(resticEnv.RESTIC_REPOSITORY, { recursive: true, force: true });
  measure('restic', ['init', '--quiet'], resticEnv);
  resticFull = measure('restic', ['backup', '--quiet', ds.share], resticEnv);
}
const restore = await restoreComparison({ root, home, work, account, sdek, snapshotId, source: ds.share, resticEnv });
const report = {
  sizeMiB: Number(opts.size),
  loadavg: os.loadavg(),
  kinds,
  share: { backupSeconds: full.seconds, rssKiB: full.rssKiB, resticSeconds: resticFull?.seconds, resticRssKiB: resticFull?.rssKiB, fullVsRestic: resticFull ? Math.round((resticFull.seconds / full.seconds) * 100) / 100 : null, rssVsRestic: resticFull ? Math.round((full.rssKiB / resticFull.rssKiB) * 100) / 100 : null },
  restore,
  index: Number(opts['index-chunks']) > 0 ? await indexScale(root, { chunks: Number(opts['index-chunks']) }) : null,
};
printKinds(kinds);
console.log(`\nwhole share: backup ${full.seconds.toFixed(2)} s (${(full.rssKiB / 1024).toFixed(0)} MiB), restic ${resticFull?.seconds.toFixed(2)} s (${((resticFull?.rssKiB ?? 0) / 1024).toFixed(0)} MiB): throughput x restic ${report.share.fullVsRestic}, RSS x restic ${report.share.rssVsRestic}`);
printRestore(restore);
if (report.index) printIndexScale(report.index);
console.log(JSON.stringify(report));
if (!opts.keep && !opts.dir) fs.rmSync(work, { recursive: true, force: true });
