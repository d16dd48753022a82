// `npm run bench [-- --size MiB] [--small-files N] [--dir DIR] [--keep] [--no-azure] [--event-loop-only]`
// Makes a varied dataset (scripts/bench/repo-dataset.mjs), then in one run times Lifeboat (the real CLI, through a running web-mode app) against the
// tools an administrator would pick instead: restic (local repository), `cp -a` and `rsync -a`; and, on Azurite,
// Lifeboat against a plain @azure/storage-blob upload of the same files. Then the main event loop's longest stall
// during each kind of heavy work, in-process (test/bench/event-loop.ts), against the 50 ms goal. Prints a table and
// the ratios as JSON.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeRepoDataset } from './bench/repo-dataset.mjs';
import { kindsSection, printKinds, printRestore, restoreComparison } from './bench/repo-sections.mjs';
import { replicationSection } from './bench/replication.mjs';
import { bundleTs } from './bundle-ts.mjs';
import { webModeArgs } from './web-mode.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    size: { type: 'string', default: '1024' },
    'small-files': { type: 'string', default: '100000' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'no-azure': { type: 'boolean', default: false },
    'event-loop-only': { type: 'boolean', default: false },
    'replication-only': { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
  },
});
const sizeMiB = Number(opts.size);
const work = opts.dir ? path.resolve(opts.dir) : fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-bench-'));
fs.mkdirSync(work, { recursive: true });
const MiB = 1 << 20;
const log = (...a) => console.error('[bench]', ...a);

// ---------- tools ----------
function ensureTool(bin, pkg) {
  if (spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0) return true;
  log(`${bin} is missing: installing Debian's ${pkg}`);
  const r = spawnSync('sh', [
    '-c',
    `apt-get install -y -qq ${pkg} >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq ${pkg} >/dev/null 2>&1)`,
  ]);
  return r.status === 0;
}
const hasRestic = ensureTool('restic', 'restic');
const hasRsync = ensureTool('rsync', 'rsync');

/** Runs a command, returning wall seconds and the peak RSS (KiB) of the process tree's main process. */
function timed(cmd, args, env = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const rssKiB = Number(r.stderr.trim().split('\n').at(-1));
  return { seconds, rssKiB, stdout: r.stdout };
}

function du(dir) {
  return Number(execFileSync('du', ['-s', '--block-size=1', dir], { encoding: 'utf8' }).split('\t')[0]);
}

// ---------- dataset: scripts/bench/repo-dataset.mjs ----------
/** Overwrites about 1% of the bytes in scattered 64 KiB runs; returns the bytes changed. */
function change1Percent(files, target) {
  let changed = 0;
  let k = 0;
  const big = files.filter((f) => f.size >= 256 * 1024);
  while (changed < target && big.length) {
    const f = big[(k * 2654435761) % big.length];
    const off = ((k * 40503) % Math.max(1, Math.floor((f.size - 65536) / 65536))) * 65536;
    const fd = fs.openSync(f.path, 'r+');
    fs.writeSync(fd, crypto.randomBytes(65536), 0, 65536, off);
    fs.closeSync(fd);
    changed += 65536;
    k++;
  }
  return changed;
}

function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push({ path: p, size: fs.statSync(p).size });
    }
  };
  walk(dir);
  return out;
}

function treeHash(dir) {
  const h = crypto.createHash('sha256');
  for (const f of listFiles(dir).sort((a, b) => (a.path < b.path ? -1 : 1)))
    h.update(path.relative(dir, f.path)).update(crypto.createHash('sha256').update(fs.readFileSync(f.path)).digest());
  return h.digest('hex');
}

// ---------- Lifeboat through a running app ----------
const CLI = path.join(root, 'bin', 'lifeboat.cjs');
function lifeboat(home, args) {
  const r = spawnSync(process.execPath, [CLI, '--home', home, ...args, '--json'], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`lifeboat ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

function startApp(home) {
  const proc = spawn(process.execPath, webModeArgs(root, ['--home', home, '--no-open']), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Lifeboat is running at')) resolve(proc);
    });
    proc.on('exit', (c) => reject(new Error(`web mode exited ${c}: ${out}`)));
  });
}

const stopApp = (proc) =>
  new Promise((r) => {
    proc.once('exit', r);
    proc.kill('SIGTERM');
  });

/** Peak RSS (VmHWM) of a running process, in KiB. */
const peakRss = (pid) => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

async function lifeboatRun(label, home, args) {
  const t = process.hrtime.bigint();
  const job = lifeboat(home, args);
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (job.status !== 'succeeded')
    throw new Error(`${label}: job ${job.id} ${job.status}: ${JSON.stringify(job.error)}`);
  return { seconds, job };
}

// ---------- Azurite ----------
function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// ---------- the main event loop under heavy work ----------
/** Bundles test/bench/event-loop.ts (as the build bundles the engine) and runs it: the longest stall per kind of work. */
async function eventLoopFigures() {
  const outfile = await bundleTs('test/bench/event-loop.ts', 'dist/bench/event-loop.cjs');
  log('event loop: a 256 MiB backup and restore, a self-test, heat files and a 200 000-file manifest, in-process');
  const r = spawnSync(process.execPath, [outfile], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`the event-loop bench failed (${r.status})`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

function printEventLoop(loop) {
  console.log(`\nmain event loop, longest stall per kind of work (goal: <= ${loop.goalMs} ms each)`);
  for (const [k, ms] of Object.entries(loop.maxStallMs))
    console.log(`${k.padEnd(32)} ${`${ms} ms`.padEnd(10)} ${ms <= loop.goalMs ? 'met' : 'NOT met'}`);
}

async function main() {
  if (opts['replication-only']) {
    console.log(JSON.stringify({ replication: await replicationSection({ quick: opts.quick, log }) }));
    return;
  }
  if (opts['event-loop-only']) {
    const loop = await eventLoopFigures();
    printEventLoop(loop);
    console.log(JSON.stringify({ eventLoop: loop }));
    if (!opts.dir) fs.rmSync(work, { recursive: true, force: true });
    return;
  }
  log(`work directory ${work}; dataset ${sizeMiB} MiB`);
  const data = path.join(work, 'data');
  fs.rmSync(data, { recursive: true, force: true });
  // Text, random data and a sparse image in one share; many small files beside it (timed alone, in the kinds section).
  const ds = makeRepoDataset(data, sizeMiB, Number(opts['small-files']));
  ds.tree = ds.share;
  // Every timed run starts with no dirty pages of its own making or the dataset's: otherwise whoever runs first pays
  // for writing the dataset back (its fsyncs wait behind it) and the comparison measures the order of the runs.
  spawnSync('sync');
  log(
    `dataset: a share of ${ds.files} files with a sparse image in it, ${(ds.bytes / MiB).toFixed(0)} MiB of data; ${ds.kinds.small.files} small files`,
  );
  const results = {};

  // Lifeboat: a running app, a local account, full backup.
  const home = path.join(work, 'lifeboat-home');
  fs.rmSync(home, { recursive: true, force: true });
  const app = await startApp(home);
  try {
    const { sdek } = lifeboat(home, ['service', 'init', '--name', 'Bench']);
    const repo = path.join(work, 'lifeboat-repo');
    fs.rmSync(repo, { recursive: true, force: true });
    lifeboat(home, ['account', 'add', 'bench', '--local', repo]);
    const full = await lifeboatRun('full backup', home, [
      'backup',
      'create',
      '--account',
      'bench',
      '--source',
      ds.tree,
    ]);
    results.lifeboatFull = { seconds: full.seconds, peakRssKiB: peakRss(app.pid), repoBytes: du(repo) };
    results.eventLoopMaxMs = lifeboat(home, ['settings', 'show']).eventLoop.sinceStartMaxMs;

    // restic: same data, local repository.
    const resticRepo = path.join(work, 'restic-repo');
    const resticEnv = {
      RESTIC_PASSWORD: 'bench-password',
      RESTIC_REPOSITORY: resticRepo,
      RESTIC_CACHE_DIR: path.join(work, 'restic-cache'),
    };
    if (hasRestic) {
      fs.rmSync(resticRepo, { recursive: true, force: true });
      timed('restic', ['init', '--quiet'], resticEnv);
      spawnSync('sync');
      const r = timed('restic', ['backup', '--quiet', ds.tree], resticEnv);
      results.resticFull = { seconds: r.seconds, peakRssKiB: r.rssKiB, repoBytes: du(resticRepo) };
    }

    // 1% change in scattered 64 KiB runs, then incremental backups.
    const changed = change1Percent(listFiles(ds.tree), Math.round(ds.bytes * 0.01));
    results.changedBytes = changed;
    const before = du(repo);
    spawnSync('sync');
    const inc = await lifeboatRun('incremental backup', home, [
      'backup',
      'create',
      '--account',
      'bench',
      '--source',
      ds.tree,
    ]);
    results.lifeboatIncremental = { seconds: inc.seconds, addedBytes: du(repo) - before };
    if (hasRestic) {
      const rb = du(resticRepo);
      spawnSync('sync');
      const r = timed('restic', ['backup', '--quiet', ds.tree], resticEnv);
      results.resticIncremental = { seconds: r.seconds, addedBytes: du(resticRepo) - rb };
    }

    // Restore against cp -a and rsync -a of the same data. What writing new file pages costs this VM's kernel changes
    // several-fold from one minute to the next (cp -a of the same GiB took 0.4 s and 3 s), so the restore and cp -a
    // run twice, alternately, and each keeps its best time.
    const out = path.join(work, 'restore-lifeboat');
    const cpOut = path.join(work, 'restore-cp');
    const newest = lifeboat(home, ['backup', 'list', '--account', 'bench'])[0];
    const restoreRuns = [];
    const cpRuns = [];
    for (let round = 0; round < 2; round++) {
      fs.rmSync(out, { recursive: true, force: true });
      spawnSync('sync');
      restoreRuns.push((await lifeboatRun('restore', home, ['backup', 'restore', newest.id, '--to', out])).seconds);
      fs.rmSync(cpOut, { recursive: true, force: true });
      spawnSync('sync');
      cpRuns.push(timed('cp', ['-a', data, cpOut]).seconds);
    }
    results.lifeboatRestore = { seconds: Math.min(...restoreRuns), runs: restoreRuns };
    results.cpA = { seconds: Math.min(...cpRuns), runs: cpRuns };
    if (hasRsync) {
      const rsOut = path.join(work, 'restore-rsync');
      fs.rmSync(rsOut, { recursive: true, force: true });
      results.rsyncA = { seconds: timed('rsync', ['-a', `${data}/`, rsOut]).seconds };
    }
    // Each source is restored under its base name.
    results.restoreIdentical = treeHash(path.join(out, path.basename(ds.tree))) === treeHash(ds.tree);
    // Issue 18: the same backup restored by the bin, the floor, restic and cp -a; then each kind of data alone.
    results.restoreFloor = await restoreComparison({
      root,
      home,
      work,
      account: repo,
      sdek,
      snapshotId: newest.id,
      source: ds.tree,
      resticEnv: hasRestic ? resticEnv : undefined,
    });
  } finally {
    await stopApp(app);
  }

  // Azure (Azurite on loopback): Lifeboat backup vs a plain upload of the same files.
  if (!opts['no-azure']) {
    const port = await freePort();
    const location = path.join(work, 'azurite');
    fs.rmSync(location, { recursive: true, force: true });
    const azurite = spawn(
      path.join(root, 'node_modules/.bin/azurite-blob'),
      [
        '--blobHost',
        '127.0.0.1',
        '--blobPort',
        String(port),
        '--location',
        location,
        '--silent',
        '--disableTelemetry',
        '--skipApiVersionCheck',
        '--loose',
      ],
      { stdio: 'ignore' },
    );
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const conn = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
      const { BlobServiceClient } = await import('@azure/storage-blob');
      const container = BlobServiceClient.fromConnectionString(conn).getContainerClient('plain');
      await container.create();
      // The share only: a plain upload of a sparse image would send its holes as zeros.
      const files = listFiles(ds.tree);
      const t = process.hrtime.bigint();
      for (let i = 0; i < files.length; i += 4)
        await Promise.all(
          files
            .slice(i, i + 4)
            .map((f, j) => container.getBlockBlobClient(`f-${i + j}`).uploadFile(f.path, { concurrency: 4 })),
        );
      const plainSeconds = Number(process.hrtime.bigint() - t) / 1e9;
      const azHome = path.join(work, 'lifeboat-home-azure');
      fs.rmSync(azHome, { recursive: true, force: true });
      const app2 = await startApp(azHome);
      try {
        lifeboat(azHome, ['service', 'init', '--name', 'Bench']);
        lifeboat(azHome, [
          'account',
          'add',
          'azure',
          '--azure',
          '--connection-string',
          conn,
          '--container',
          'lifeboat',
          '--create-container',
        ]);
        const az = await lifeboatRun('azure backup', azHome, [
          'backup',
          'create',
          '--account',
          'azure',
          '--source',
          ds.tree,
        ]);
        results.azure = {
          lifeboatSeconds: az.seconds,
          plainUploadSeconds: plainSeconds,
          bytes: files.reduce((a, f) => a + f.size, 0),
        };
      } finally {
        await stopApp(app2);
      }
    } finally {
      await new Promise((r) => {
        azurite.once('exit', r);
        azurite.kill('SIGTERM');
      });
    }
  }

  const ratio = (a, b) => (a && b ? Math.round((a / b) * 100) / 100 : null);
  const ratios = {
    fullThroughputVsRestic: ratio(results.resticFull?.seconds, results.lifeboatFull.seconds),
    peakRssVsRestic: ratio(results.lifeboatFull.peakRssKiB, results.resticFull?.peakRssKiB),
    incrementalTimeVsRestic: ratio(results.lifeboatIncremental.seconds, results.resticIncremental?.seconds),
    incrementalAddedVsChanged: ratio(results.lifeboatIncremental.addedBytes, results.changedBytes),
    restoreTimeVsCpA: ratio(results.lifeboatRestore.seconds, results.cpA.seconds),
    restoreTimeVsRsyncA: ratio(results.lifeboatRestore.seconds, results.rsyncA?.seconds),
    eventLoopMaxMs: results.eventLoopMaxMs,
    azureThroughputVsPlainUpload: results.azure
      ? ratio(results.azure.plainUploadSeconds, results.azure.lifeboatSeconds)
      : null,
  };
  const targets = {
    fullThroughputVsRestic: '>= 3',
    peakRssVsRestic: '<= 1',
    incrementalTimeVsRestic: '<= 0.5',
    incrementalAddedVsChanged: '<= 2.5',
    restoreTimeVsCpA: '<= 1.2',
    restoreTimeVsRsyncA: '(info)',
    eventLoopMaxMs: '<= 50',
    azureThroughputVsPlainUpload: '>= 0.8',
  };
  console.log(
    `\nLifeboat bench: ${sizeMiB} MiB dataset (${ds.files} files + sparse volume), ${os.cpus().length} cores\n`,
  );
  console.log('measure                          value      target');
  for (const [k, v] of Object.entries(ratios)) console.log(`${k.padEnd(32)} ${String(v).padEnd(10)} ${targets[k]}`);
  console.log(`restore byte-identical: ${results.restoreIdentical}`);
  printRestore(results.restoreFloor);
  results.kinds = kindsSection(root, work, ds.kinds, hasRestic);
  printKinds(results.kinds);
  const eventLoop = await eventLoopFigures();
  printEventLoop(eventLoop);
  const replication = await replicationSection({ quick: opts.quick, log });
  const report = { sizeMiB, results, ratios, targets, eventLoop, replication };
  fs.writeFileSync(path.join(work, 'bench.json'), JSON.stringify(report, null, 2));
  console.log(JSON.stringify(report));
  if (!opts.keep && !opts.dir) fs.rmSync(work, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
