// Repository sections of `npm run bench` (issue 18), run from scripts/bench.mjs:
// - kinds: each kind of data (compressible text, random data, a sparse image in a tree, many small files) backed up
//   alone by the `lifeboat` bin as a user runs it from a shell (no app running) and by restic, each into a fresh
//   repository, then restored by both and copied by `cp -a`: throughput, peak RSS and the ratios per kind;
// - restore floor: test/bench/restore-floor.ts on the main backup (decrypt, id check, decompress, write, both cores,
//   nothing else), against which the Lifeboat restore, `cp -a` and `restic restore` are compared.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { bundleTs } from '../bundle-ts.mjs';

const log = (...a) => console.error('[bench]', ...a);

/**
 * Wall seconds, CPU seconds (user + system: on a machine shared with other work, steadier than wall time) and peak RSS
 * (KiB) of one command, after a sync so no run pays for the writes of the one before.
 */
export function measure(cmd, args, env = {}) {
  spawnSync('sync');
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', cmd, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`,
    );
  const [rss, user, sys] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { seconds, cpuSeconds: user + sys, rssKiB: rss, stdout: r.stdout };
}

/** The `lifeboat` bin with no app running, as an administrator runs it from a shell. */
export function lifeboatBin(root, home) {
  const cli = path.join(root, 'bin', 'lifeboat.cjs');
  const run = (args) => {
    const r = measure(process.execPath, [cli, '--home', home, ...args, '--json']);
    return { ...r, json: JSON.parse(r.stdout) };
  };
  return run;
}

const mbps = (bytes, seconds) => Math.round(bytes / 1e6 / seconds);
const ratio = (a, b) => (a && b ? Math.round((a / b) * 100) / 100 : null);

/** Bundles the floor script (as the build bundles the engine) and returns a function that runs it. */
export async function restoreFloor() {
  const outfile = await bundleTs('test/bench/restore-floor.ts', 'dist/bench/restore-floor.cjs');
  return (account, sdek, snapshot, out) => {
    fs.rmSync(out, { recursive: true, force: true });
    return measure(process.execPath, [outfile, account, sdek, snapshot, out]);
  };
}

/**
 * Restores `snapshotId` with the Lifeboat bin, the floor, restic and `cp -a`, alternately, `rounds` times; keeps each
 * one's best time (the VM's page-cache write cost changes several-fold from minute to minute).
 */
export async function restoreComparison({
  root,
  home,
  work,
  account,
  sdek,
  snapshotId,
  source,
  resticEnv,
  rounds = 2,
}) {
  const floor = await restoreFloor();
  const lb = lifeboatBin(root, home);
  const runs = { lifeboat: [], floor: [], restic: [], cpA: [] };
  const out = (k) => path.join(work, `restore-${k}`);
  for (let round = 0; round < rounds; round++) {
    fs.rmSync(out('lifeboat'), { recursive: true, force: true });
    runs.lifeboat.push(lb(['backup', 'restore', snapshotId, '--to', out('lifeboat')]).seconds);
    runs.floor.push(floor(account, sdek, snapshotId, out('floor')).seconds);
    if (resticEnv) {
      fs.rmSync(out('restic'), { recursive: true, force: true });
      runs.restic.push(
        measure('restic', ['restore', 'latest', '--quiet', '--target', out('restic')], resticEnv).seconds,
      );
    }
    fs.rmSync(out('cp'), { recursive: true, force: true });
    runs.cpA.push(measure('cp', ['-a', source, out('cp')]).seconds);
  }
  for (const k of ['lifeboat', 'floor', 'restic', 'cp']) fs.rmSync(out(k), { recursive: true, force: true });
  const best = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, v.length ? Math.min(...v) : null]));
  return {
    runs,
    best,
    vsFloor: ratio(best.lifeboat, best.floor),
    vsCpA: ratio(best.lifeboat, best.cpA),
    speedVsRestic: ratio(best.restic, best.lifeboat),
  };
}

/** One kind alone: fresh Lifeboat account and restic repository, full backup, restore, cp -a. */
function oneKind(root, work, name, kind, hasRestic) {
  const dir = path.join(work, 'kinds', name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const home = path.join(dir, 'home');
  const lb = lifeboatBin(root, home);
  const sdek = lb(['service', 'init', '--name', 'Bench']).json.sdek;
  lb(['account', 'add', name, '--local', path.join(dir, 'account')]);
  const backup = lb(['backup', 'create', '--account', name, '--source', kind.path]);
  if (backup.json.status !== 'succeeded')
    throw new Error(`kind ${name}: backup job ${backup.json.status}: ${JSON.stringify(backup.json.error)}`);
  const snapshotId = lb(['backup', 'list', '--account', name]).json[0].id;
  const r = {
    files: kind.files,
    bytes: kind.bytes,
    backup: { seconds: backup.seconds, cpuSeconds: backup.cpuSeconds, rssKiB: backup.rssKiB },
    sdek,
    snapshotId,
  };
  const restoreOut = path.join(dir, 'out');
  const restore = lb(['backup', 'restore', snapshotId, '--to', restoreOut]);
  r.restore = { seconds: restore.seconds, cpuSeconds: restore.cpuSeconds };
  fs.rmSync(restoreOut, { recursive: true, force: true });
  const cp = measure('cp', ['-a', kind.path, path.join(dir, 'cp')]);
  r.cpA = { seconds: cp.seconds, cpuSeconds: cp.cpuSeconds };
  fs.rmSync(path.join(dir, 'cp'), { recursive: true, force: true });
  if (hasRestic) {
    const env = {
      RESTIC_PASSWORD: 'bench-password',
      RESTIC_REPOSITORY: path.join(dir, 'restic'),
      RESTIC_CACHE_DIR: path.join(dir, 'restic-cache'),
    };
    measure('restic', ['init', '--quiet'], env);
    const rb = measure('restic', ['backup', '--quiet', kind.path], env);
    const rr = measure('restic', ['restore', 'latest', '--quiet', '--target', path.join(dir, 'rout')], env);
    r.restic = {
      backupSeconds: rb.seconds,
      backupCpuSeconds: rb.cpuSeconds,
      rssKiB: rb.rssKiB,
      restoreSeconds: rr.seconds,
      restoreCpuSeconds: rr.cpuSeconds,
    };
    fs.rmSync(path.join(dir, 'rout'), { recursive: true, force: true });
  }
  r.figures = {
    backupMBps: mbps(kind.bytes, r.backup.seconds),
    restoreMBps: mbps(kind.bytes, r.restore.seconds),
    backupVsRestic: ratio(r.restic?.backupSeconds, r.backup.seconds),
    rssVsRestic: ratio(r.backup.rssKiB, r.restic?.rssKiB),
    restoreVsRestic: ratio(r.restic?.restoreSeconds, r.restore.seconds),
    restoreVsCpA: ratio(r.restore.seconds, r.cpA.seconds),
    usPerFileBackup: Math.round((r.backup.seconds / kind.files) * 1e6),
    usPerFileRestore: Math.round((r.restore.seconds / kind.files) * 1e6),
  };
  fs.rmSync(dir, { recursive: true, force: true });
  return r;
}

/** Every kind of the dataset, one after another. */
export function kindsSection(root, work, kinds, hasRestic) {
  const out = {};
  for (const [name, kind] of Object.entries(kinds)) {
    log(`kind ${name}: ${kind.files} files, ${(kind.bytes / 1e6).toFixed(0)} MB`);
    out[name] = oneKind(root, work, name, kind, hasRestic);
  }
  return out;
}

export function printKinds(kinds) {
  console.log(
    '\nper kind, the lifeboat bin with no app vs restic (backup and restore speed: x restic; restore time: x cp -a)',
  );
  console.log(
    'kind      files    MB     backup MB/s  x restic  RSS x restic  restore MB/s  x restic  x cp -a  us/file b/r',
  );
  for (const [name, k] of Object.entries(kinds)) {
    const f = k.figures;
    console.log(
      `${name.padEnd(9)} ${String(k.files).padEnd(8)} ${String(Math.round(k.bytes / 1e6)).padEnd(6)} ${String(f.backupMBps).padEnd(12)} ${String(f.backupVsRestic).padEnd(9)} ` +
        `${String(f.rssVsRestic).padEnd(13)} ${String(f.restoreMBps).padEnd(13)} ${String(f.restoreVsRestic).padEnd(9)} ${String(f.restoreVsCpA).padEnd(8)} ${f.usPerFileBackup}/${f.usPerFileRestore}`,
    );
  }
}

export function printRestore(r) {
  console.log('\nrestore of the main backup (best of runs, seconds)');
  console.log(
    `lifeboat ${r.best.lifeboat?.toFixed(2)}  floor ${r.best.floor?.toFixed(2)}  restic ${r.best.restic?.toFixed(2) ?? '-'}  cp -a ${r.best.cpA?.toFixed(2)}`,
  );
  console.log(
    `restore / floor ${r.vsFloor} (goal <= 1.25)  restore / cp -a ${r.vsCpA}  speed vs restic ${r.speedVsRestic} (goal >= 3)`,
  );
}
