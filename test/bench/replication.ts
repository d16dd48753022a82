/**
 * `npm run bench`'s replication figures (issue #16): an engine in this process protects a 1 GiB sparse disk image to
 * a recovery site on this machine with a 30 s policy, while a writer process changes 1 MiB/s of it in scattered
 * 64 KiB writes. It prints one JSON line on stdout: the achieved RPO (age of the newest point, sampled every second)
 * p50/p99 against the frequency, bytes sent per cycle against bytes changed in it, the engine's CPU at idle, and the
 * initial replication's time against `cp --sparse=always` of the image. scripts/bench/replication.mjs bundles and
 * runs it. Figures, not assertions: a loaded machine moves them.
 * Arguments: --seconds N (writer phase, default 180), --idle N (idle phase, default 60), --work DIR, --src DIR (where the
 * image is made: scripts/bench/replication.mjs gives a file system with reflinks when it can mount one), --initial-runs N
 * (only the first copy against cp, N times, each with a fresh engine and site: the median ratio).
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../../main/engine/engine';
import { failoverFigures } from './failover';
import { reprotectFigures } from './reprotect';

const MiB = 1 << 20;
const BLOCK = 64 * 1024;
const DISK = 1024 * MiB;
const FREQUENCY = 30;
const log = (...a: unknown[]) => console.error('[bench:replication]', ...a);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Outcome<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };
function value<T>(r: Outcome<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '180' },
    idle: { type: 'string', default: '60' },
    work: { type: 'string' },
    src: { type: 'string' },
    'initial-runs': { type: 'string' },
  },
});

/** The p-th percentile (0-100) of numbers, nearest rank. */
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] : NaN;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** A 1 GiB sparse image with 1 MiB of random data every 4 MiB (256 MiB of data). */
function makeImage(file: string): void {
  const fd = fs.openSync(file, 'w');
  fs.ftruncateSync(fd, DISK);
  for (let off = 0; off < DISK; off += 4 * MiB) fs.writeSync(fd, crypto.randomBytes(MiB), 0, MiB, off);
  fs.closeSync(fd);
}

/**
 * Best of two `cp --sparse=always` runs of the image into the site's file system, each with the copy fsynced (`sync
 * FILE`), in seconds: a replica is durable when its job says so, and so must the copy it is compared with be.
 */
function cpSeconds(image: string, to: string, cold = false): number {
  const runs: number[] = [];
  for (let i = 0; i < 2; i++) {
    fs.rmSync(to, { force: true });
    spawnSync('sync');
    if (cold) evict(image);
    const t = process.hrtime.bigint();
    const r = spawnSync('cp', ['--sparse=always', '--reflink=never', image, to]);
    if (r.status !== 0) throw new Error(`cp --sparse=always failed: ${r.stderr}`);
    spawnSync('sync', [to]);
    runs.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  fs.rmSync(to, { force: true });
  return Math.min(...runs);
}

/**
 * Drops a file's pages from the page cache (written back first): a reflink snapshot is a new file whose pages are never
 * cached, so a first copy always reads from the disk; `cp` of a cold image reads the same way.
 */
function evict(file: string): void {
  spawnSync('sync', [file]);
  spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0'], { stdio: 'ignore' });
}

/**
 * The writer, a process of its own (its CPU is not the engine's): every 62.5 ms one random 64 KiB block, aligned to
 * 64 KiB, anywhere in the image (1 MiB/s); each write's time (ms since the epoch) and offset go to its log.
 */
const WRITER = `
const fs = require('node:fs'), crypto = require('node:crypto');
const [image, logFile, seconds] = process.argv.slice(1);
const fd = fs.openSync(image, 'r+'), out = fs.openSync(logFile, 'w');
const blocks = ${DISK / BLOCK}, end = Date.now() + Number(seconds) * 1000;
let next = Date.now();
const tick = () => {
  if (Date.now() >= end) return fs.closeSync(fd);
  const off = crypto.randomInt(blocks) * ${BLOCK};
  fs.writeSync(fd, crypto.randomBytes(${BLOCK}), 0, ${BLOCK}, off);
  fs.writeSync(out, Date.now() + ' ' + off + '\\n');
  next += 62.5;
  setTimeout(tick, Math.max(0, next - Date.now()));
};
tick();
`;

/** Seconds of an Enable protection job of `image` (prerequisites, initial replication, finalize) with a fresh engine and site. */
async function initialSeconds(
  image: string,
  home: string,
  siteRoot: string,
): Promise<{ seconds: number; cpuSeconds: number; engine: Engine }> {
  const engine = Engine.open({ dataDir: home, mode: 'cli', runJobs: true });
  try {
    value(await engine.call('sites.add', { name: 'dr', root: siteRoot }));
    value(
      await engine.call('policies.create', {
        name: 'bench',
        frequency: `${FREQUENCY}s`,
        appConsistent: '0',
        retention: '24h',
      }),
    );
    spawnSync('sync');
    const t0 = process.hrtime.bigint();
    // CPU of every thread of this process (the engine's, its workers' and libuv's): the job's cost beside the time.
    const cpu0 = process.cpuUsage();
    const job = value(
      await engine.call('items.protect', { name: 'vm', disk: [image], recoverySite: 'dr', policy: 'bench' }),
    ) as { id: string };
    const done = await engine.runner.wait(job.id, 1_800_000);
    if (done.status !== 'succeeded')
      throw new Error(`enable protection ended ${done.status}: ${done.error?.message ?? ''}`);
    const cpu = process.cpuUsage(cpu0);
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpuSeconds: (cpu.user + cpu.system) / 1e6, engine };
  } catch (err) {
    await engine.close();
    throw err;
  }
}

/** `--initial-runs N`: the first copy only, N times, each against a cp of the same image just before it. */
async function initialOnly(work: string, image: string, srcFs: string, runs: number): Promise<void> {
  const rows: { cp: number; cpCold: number; initial: number; ratio: number; ratioCold: number; cpuSeconds: number }[] =
    [];
  for (let i = 0; i < runs; i++) {
    const cp = cpSeconds(image, path.join(work, 'site', 'cp.img'));
    const cpCold = cpSeconds(image, path.join(work, 'site', 'cp.img'), true);
    evict(image);
    const home = path.join(work, `home-${i}`);
    const site = path.join(work, 'site', `dr-${i}`);
    const { seconds, cpuSeconds, engine } = await initialSeconds(image, home, site);
    await engine.close();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(site, { recursive: true, force: true });
    rows.push({
      cp: round(cp),
      cpCold: round(cpCold),
      initial: round(seconds),
      ratio: round(cp / seconds),
      ratioCold: round(cpCold / seconds),
      cpuSeconds: round(cpuSeconds),
    });
    log(
      `run ${i + 1}: cp ${round(cp)} s (image not cached: ${round(cpCold)} s), initial replication ${round(seconds)} s (CPU ${round(cpuSeconds)} s, all threads)`,
    );
  }
  const median = (k: 'ratio' | 'ratioCold') =>
    percentile(
      rows.map((r) => r[k]),
      50,
    );
  console.log(
    JSON.stringify({
      sourceFileSystem: srcFs,
      initialRuns: rows,
      initialSpeedVsCp: median('ratio'),
      initialSpeedVsColdCp: median('ratioCold'),
    }),
  );
}

async function main(): Promise<void> {
  const work = opts.work ? path.resolve(opts.work) : fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-bench-repl-'));
  const writeSeconds = Number(opts.seconds);
  const idleSeconds = Number(opts.idle);
  const src = opts.src ? path.resolve(opts.src) : path.join(work, 'src');
  const siteRoot = path.join(work, 'site', 'dr');
  fs.mkdirSync(src, { recursive: true });
  fs.mkdirSync(path.dirname(siteRoot), { recursive: true });
  const image = path.join(src, 'vm.img');
  makeImage(image);
  fs.utimesSync(image, Date.now() / 1000 - 3600, Date.now() / 1000 - 3600);
  const srcFs = spawnSync('stat', ['-f', '-c', '%T', src], { encoding: 'utf8' }).stdout.trim();
  if (opts['initial-runs']) {
    try {
      await initialOnly(work, image, srcFs, Number(opts['initial-runs']));
    } finally {
      if (!opts.work) fs.rmSync(work, { recursive: true, force: true });
    }
    return;
  }
  const cp = cpSeconds(image, path.join(work, 'site', 'cp.img'));
  log(`source on ${srcFs}; cp --sparse=always of the 1 GiB image (256 MiB of data), fsynced: ${round(cp)} s`);

  const { seconds: initial, engine } = await initialSeconds(image, path.join(work, 'home'), siteRoot);
  try {
    log(`initial replication (enable protection job): ${round(initial)} s`);

    const show = async () =>
      value(await engine.call('items.show', { name: 'vm' })) as {
        rpoSeconds: number | null;
        health: string;
        healthReasons: string[];
      };

    // Idle: no writes. Cycles fall due every 30 s and find the image's size and mtime unchanged.
    await sleep(5_000);
    const cpu0 = process.cpuUsage();
    const w0 = process.hrtime.bigint();
    for (let s = 0; s < idleSeconds; s++) {
      await sleep(1_000);
      await show();
    }
    const cpu1 = process.cpuUsage(cpu0);
    const idleWall = Number(process.hrtime.bigint() - w0) / 1e3;
    const idleCpuPercent = ((cpu1.user + cpu1.system) / idleWall) * 100;
    log(`engine CPU at idle: ${round(idleCpuPercent)}% of one core over ${idleSeconds} s`);

    // The writer, and the RPO sampled every second.
    const writerLog = path.join(work, 'writes.log');
    const writer = spawn(process.execPath, ['-e', WRITER, image, writerLog, String(writeSeconds)], {
      stdio: 'inherit',
    });
    const writerDone = new Promise((r) => writer.once('exit', r));
    const writeStart = Date.now();
    const rpo: number[] = [];
    const reasons = new Set<string>();
    for (let s = 0; s < writeSeconds; s++) {
      await sleep(1_000);
      const item = await show();
      rpo.push(item.rpoSeconds ?? Infinity);
      for (const r of item.healthReasons) reasons.add(r);
      if (s % 30 === 29) log(`${s + 1} s: RPO ${item.rpoSeconds} s, ${item.health}`);
    }
    await writerDone;
    const writes = fs
      .readFileSync(writerLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ').map(Number) as [number, number]);

    // Each delta point made while the writer ran: the distinct blocks written since the previous point, against the
    // bytes its cycle sent (the point's time is taken after its read, so a write is counted in the point after it).
    const points = (
      value(await engine.call('items.points', { name: 'vm' })) as { createdAt: string; bytes: number }[]
    ).map((p) => ({ at: Date.parse(p.createdAt), bytes: p.bytes }));
    const cycles: { changed: number; sent: number }[] = [];
    for (let i = 1; i < points.length; i++) {
      if (points[i].at < writeStart) continue;
      const blocks = new Set(writes.filter(([t]) => t > points[i - 1].at && t <= points[i].at).map(([, off]) => off));
      if (blocks.size) cycles.push({ changed: blocks.size * BLOCK, sent: points[i].bytes });
    }
    const history = value(await engine.call('items.history', { name: 'vm' })) as { kind: string; ok: boolean }[];
    const changed = cycles.reduce((a, c) => a + c.changed, 0);
    const sent = cycles.reduce((a, c) => a + c.sent, 0);
    const figures = {
      sourceFileSystem: srcFs,
      diskBytes: DISK,
      dataBytes: 256 * MiB,
      frequencySeconds: FREQUENCY,
      writeSeconds,
      idleSeconds,
      rpoSamples: rpo.length,
      rpoP50Seconds: percentile(rpo, 50),
      rpoP99Seconds: percentile(rpo, 99),
      rpoP99VsFrequency: round(percentile(rpo, 99) / FREQUENCY),
      deltaPoints: cycles.length,
      failedCycles: history.filter((c) => !c.ok).length,
      healthReasons: [...reasons],
      bytesChanged: changed,
      bytesSent: sent,
      sentVsChanged: changed ? round(sent / changed) : null,
      worstCycleSentVsChanged: cycles.length ? round(Math.max(...cycles.map((c) => c.sent / c.changed))) : null,
      idleCpuPercentOfOneCore: round(idleCpuPercent),
      initialSeconds: round(initial),
      cpSparseSeconds: round(cp),
      initialSpeedVsCp: round(cp / initial),
      ...(await failoverFigures(engine, image, work, log)),
      ...(await reprotectFigures(engine, image, log)),
    };
    console.log(JSON.stringify(figures));
  } finally {
    await engine.close();
    if (!opts.work) fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
