// The `replication` section of `npm run bench` (issue #16): bundles test/bench/replication.ts (as the build bundles
// the engine), runs it, and prints its figures against the goals: RPO p99 <= 2x the 30 s frequency, bytes sent per
// cycle <= 1.5x the bytes changed in it, engine CPU at idle <= 2% of one core, initial replication >= 0.8x the speed of
// `cp --sparse=always`. A full run takes about 6 minutes (3 of them with the writer); `--quick` runs 60 s of writes
// and 20 s idle. Run alone: `node scripts/bench/replication.mjs [--quick]`; `--initial-runs N` measures only the first
// copy against cp, N times (a fresh engine and site each), and prints the median ratio.
// As root with xfsprogs (installed from Debian when missing) the source image lives on an XFS file system with
// reflinks, made in a loop-mounted file, so that cycles read a reflink snapshot (replication/snapshot.ts); the recovery
// site stays on the work directory's file system. Elsewhere the image is read in place, and a continuous writer tears
// every read: the figures then say so.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleTs } from '../bundle-ts.mjs';

export const replicationGoals = {
  rpoP99VsFrequency: { goal: '<= 2', met: (v) => v <= 2 },
  sentVsChanged: { goal: '<= 1.5', met: (v) => v !== null && v <= 1.5 },
  idleCpuPercentOfOneCore: { goal: '<= 2', met: (v) => v <= 2 },
  initialSpeedVsCp: { goal: '>= 0.8', met: (v) => v >= 0.8 },
  // issue #17: failover to latest processed, from its start to the start command; planned: <= 2x the frequency + 5 s
  failoverToStartSeconds: { goal: '<= 5', met: (v) => v <= 5 },
  plannedFailoverSeconds: { goal: '<= 65', met: (v) => v <= 65 },
  plannedIdentical: { goal: 'true', met: (v) => v === true },
  // reprotect with 1% of the disk changed on each side, and failback end to end on the same data: bytes sent / disk size
  reprotectSentVsDisk: { goal: '<= 0.03', met: (v) => v <= 0.03 },
  failbackSentVsDisk: { goal: '<= 0.03', met: (v) => v <= 0.03 },
};

const sh = (cmd) => spawnSync('sh', ['-c', cmd], { stdio: 'ignore' }).status === 0;

/** Mounts a fresh 4 GiB XFS (reflink=1) from a loop file; returns its folder and how to undo it, or null. */
function reflinkFileSystem(log) {
  if (process.getuid?.() !== 0) return null;
  if (
    !sh('command -v mkfs.xfs') &&
    !sh('apt-get install -y -qq xfsprogs >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq xfsprogs)')
  )
    return null;
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-bench-xfs-'));
  const file = path.join(base, 'fs.img');
  const dir = path.join(base, 'mnt');
  fs.mkdirSync(dir);
  fs.closeSync(fs.openSync(file, 'w'));
  fs.truncateSync(file, 4 * 1024 ** 3);
  const cleanup = () => {
    sh(`umount '${dir}'`);
    fs.rmSync(base, { recursive: true, force: true });
  };
  if (sh(`mkfs.xfs -q -m reflink=1 '${file}' && mount -o loop '${file}' '${dir}'`)) return { dir, cleanup };
  log('no XFS loop mount here (mount refused): the image is read in place');
  cleanup();
  return null;
}

/** Runs the section; returns its figures (also printed, with each goal met or not). */
export async function replicationSection({ quick = false, log = (...a) => console.error('[bench]', ...a) } = {}) {
  const outfile = await bundleTs('test/bench/replication.ts', 'dist/bench/replication.cjs');
  const xfs = reflinkFileSystem(log);
  const args = [...(quick ? ['--seconds', '60', '--idle', '20'] : []), ...(xfs ? ['--src', xfs.dir] : [])];
  log(
    `replication: a 1 GiB sparse image, 1 MiB/s of scattered 64 KiB writes, 30 s frequency${quick ? ' (quick)' : ''}`,
  );
  let r;
  try {
    r = spawnSync(process.execPath, [outfile, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 20,
    });
  } finally {
    xfs?.cleanup();
  }
  if (r.status !== 0) throw new Error(`the replication bench failed (${r.status})`);
  const figures = JSON.parse(r.stdout.trim().split('\n').at(-1));
  console.log(
    `\nreplication (source on ${figures.sourceFileSystem}): ${figures.writeSeconds} s of writes, ${figures.deltaPoints} delta points, ${figures.failedCycles} failed cycles`,
  );
  console.log(
    `RPO p50 ${figures.rpoP50Seconds} s, p99 ${figures.rpoP99Seconds} s (frequency ${figures.frequencySeconds} s)`,
  );
  console.log(
    `sent ${figures.bytesSent} B for ${figures.bytesChanged} B changed; initial ${figures.initialSeconds} s vs cp ${figures.cpSparseSeconds} s`,
  );
  for (const [k, g] of Object.entries(replicationGoals))
    console.log(
      `${k.padEnd(32)} ${String(figures[k]).padEnd(10)} ${g.goal.padEnd(8)} ${g.met(figures[k]) ? 'met' : 'NOT met'}`,
    );
  return figures;
}

/** `--initial-runs N`: only the first copy against cp, N times; prints each run and the median ratio. */
async function initialOnly(runs, log = (...a) => console.error('[bench]', ...a)) {
  const outfile = await bundleTs('test/bench/replication.ts', 'dist/bench/replication.cjs');
  const xfs = reflinkFileSystem(log);
  let r;
  try {
    r = spawnSync(process.execPath, [outfile, '--initial-runs', String(runs), ...(xfs ? ['--src', xfs.dir] : [])], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  } finally {
    xfs?.cleanup();
  }
  if (r.status !== 0) throw new Error(`the replication bench failed (${r.status})`);
  const figures = JSON.parse(r.stdout.trim().split('\n').at(-1));
  for (const [i, row] of figures.initialRuns.entries())
    console.log(
      `run ${i + 1}: initial ${row.initial} s (CPU ${row.cpuSeconds} s) vs cp ${row.cp} s: ${row.ratio}; vs cp of the image not cached ${row.cpCold} s: ${row.ratioCold}`,
    );
  const g = replicationGoals.initialSpeedVsCp;
  console.log(
    `initialSpeedVsCp (median, source on ${figures.sourceFileSystem}) ${figures.initialSpeedVsCp} ${g.goal} ${g.met(figures.initialSpeedVsCp) ? 'met' : 'NOT met'}`,
  );
  console.log(
    `initialSpeedVsColdCp (median, the image not in the page cache) ${figures.initialSpeedVsColdCp} ${g.goal} ${g.met(figures.initialSpeedVsColdCp) ? 'met' : 'NOT met'}`,
  );
  return figures;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--initial-runs');
  if (at > 0) {
    console.log(JSON.stringify({ replication: await initialOnly(Number(process.argv[at + 1] ?? 3)) }));
    process.exit(0);
  }
  const figures = await replicationSection({ quick: process.argv.includes('--quick') });
  console.log(JSON.stringify({ replication: figures }));
}
