/**
 * `npm run bench`'s event-loop figures: the longest stall of the main event loop while the engine does heavy work
 * in this process (a 256 MiB backup and its restore, a 64 MiB self-test, the heat file of a 200 000-file share,
 * rebuild-catalog, check and prune of a 200 000-file manifest, a device backup's catalog step with 200 000-file
 * manifests). The goal is 50 ms for each. These are figures, not
 * test assertions: a loaded machine pauses a whole process now and then, which no test should fail on.
 * scripts/bench.mjs bundles this file, runs it and prints one JSON line it writes on stdout.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Job } from '../../main/shared/schemas';
import type { FileHeat, HeatData } from '../../main/engine/devices/heat';
import { summarizeHeat } from '../../main/engine/devices/heat';
import { readHeatFile, writeHeatFile } from '../../main/engine/devices/heat-store';
import type { DeviceBackupSteps } from '../../main/engine/devices/backup-job';
import { Engine } from '../../main/engine/engine';
import type { Result } from '../../main/shared/errors';
import { loadAllSnapshots, newSnapshotId, saveSnapshot, type SnapshotManifest } from '../../main/engine/repo/snapshot';

const log = (...a: unknown[]) => console.error('[bench:event-loop]', ...a);

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-bench-loop-'));
  const engine = Engine.open({ dataDir: path.join(work, 'home'), mode: 'cli', runJobs: true });
  const figures: Record<string, number> = {};
  /**
   * The longest stall while f runs (the monitor records a stall when its next timer fires, so wait for it). With
   * runs > 1, the least of them: code that blocks the loop does so every time, a pause of the whole process rarely.
   */
  const measure = async <T>(name: string, f: () => Promise<T>, runs = 1): Promise<T> => {
    let out: T | undefined;
    let least = Infinity;
    for (let i = 0; i < runs; i++) {
      engine.eventLoop.reset();
      out = await f();
      await new Promise((resolve) => setTimeout(resolve, 50));
      least = Math.min(least, engine.eventLoop.stats().maxMs);
    }
    figures[name] = least;
    log(`${name}: ${least} ms${runs > 1 ? ` (least of ${runs} runs)` : ''}`);
    return out as T;
  };
  const job = async (started: Job) => {
    const done = await engine.runner.wait(started.id, 600_000);
    if (done.status !== 'succeeded') throw new Error(`${done.title}: ${done.status} ${done.error?.message ?? ''}`);
    return done;
  };
  try {
    value(await engine.call('service.init', { name: 'Bench' }));
    value(await engine.call('accounts.add', { name: 'lab', local: path.join(work, 'account') }));

    // 256 MiB of incompressible data with a compressible tail per file.
    const src = path.join(work, 'big');
    fs.mkdirSync(src);
    const key = crypto.randomBytes(32);
    for (let i = 0; i < 16; i++) {
      const noise = crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16, i)).update(Buffer.alloc(12 << 20));
      fs.writeFileSync(path.join(src, `f${i}.bin`), Buffer.concat([noise, Buffer.alloc(4 << 20, i)]));
    }
    await measure('backup256MiB', async () =>
      job(value(await engine.call('backups.create', { account: 'lab', source: [src] }))),
    );
    const [backup] = value(await engine.call('backups.list', {}));
    await measure('restore256MiB', async () =>
      job(value(await engine.call('backups.restore', { id: backup.id, to: path.join(work, 'out') }))),
    );
    await measure('selftest64MiB', async () =>
      job(value(await engine.call('jobs.selftest', { sizeMiB: 64, seconds: 0 }))),
    );

    // Heat of a 200 000-file share: written, summarized and read back.
    const heat = bigShare(200_000);
    const heatFile = path.join(work, 'heat', 'b1.ndjson.gz');
    await measure('heatWrite200kFiles', () => writeHeatFile(heatFile, heat), 3);
    await measure('heatSummary200kFiles', () => summarizeHeat(heat), 3);
    await measure('heatRead200kFiles', () => readHeatFile(heatFile), 3);

    // A 200 000-file manifest reusing the real backup's chunks: read in the worker pool by each of these.
    const repo = await engine.accounts.repository(engine.accounts.store.byName('lab')!, { loadIndex: false });
    const [real] = (await loadAllSnapshots(repo)).manifests;
    const chunks = real.sources.flatMap((s) => (s.kind === 'tree' ? s.entries.flatMap((e) => e.chunks ?? []) : []));
    const files = 200_000;
    const entries = Array.from({ length: files }, (_, i) => ({
      path: `d${Math.floor(i / 1000)}/file-${i}.bin`,
      type: 'file' as const,
      mode: 0o644,
      mtimeMs: 1.7e12 + i,
      size: 1000 + i,
      uid: 0,
      gid: 0,
      ino: i,
      chunks: [chunks[i % chunks.length]],
    }));
    const m: SnapshotManifest = {
      ...real,
      id: newSnapshotId(),
      time: new Date(Date.parse(real.time) + 1000).toISOString(),
      parent: real.id,
      sources: [{ name: 'big', kind: 'tree', path: '/big', entries }],
      stats: { ...real.stats, files },
    };
    await saveSnapshot(repo, m);
    await measure('rebuildCatalog200kFiles', async () =>
      value(await engine.call('accounts.rebuildCatalog', { name: 'lab' })),
    );
    await measure('check200kFiles', async () =>
      job(value(await engine.call('accounts.check', { name: 'lab', readData: false }))),
    );
    await measure('prune200kFiles', async () =>
      value(await engine.call('backups.prune', { account: 'lab', keepLast: 2 })),
    );

    // A device backup's catalog step (test/integration/device-catalog.test.ts checks what it records): a file
    // server's share backed up once for real, then two 200 000-file manifests reusing its chunks, the second
    // incremental on the first, recorded by the step as the job runner would run it.
    const { registrationKey } = value(await engine.call('service.registrationKey', {}));
    const device = value(
      await engine.call('devices.create', {
        name: 'FS1',
        type: 'file',
        root: path.join(work, 'fs1'),
        capacity: '1GiB',
        account: 'lab',
        registrationKey,
      }),
    );
    const docs = value(await engine.call('shares.create', { device: 'FS1', name: 'docs', quota: '100MiB' })).path;
    for (let i = 0; i < 8; i++) fs.writeFileSync(path.join(docs, `f${i}.bin`), crypto.randomBytes(64 << 10));
    await job(value(await engine.call('devices.backup', { name: 'FS1' })));
    const [deviceBackup] = engine.deviceBackups.listFor(device.id);
    const real2 = (await loadAllSnapshots(repo)).manifests.find((x) => x.id === deviceBackup.id)!;
    const share = real2.sources[0];
    const shareChunks = share.kind === 'tree' ? share.entries.flatMap((e) => e.chunks ?? []) : [];
    const shareEntries = entries.map((e, i) => ({ ...e, chunks: [shareChunks[i % shareChunks.length]] }));
    const made: SnapshotManifest[] = [];
    for (let k = 1; k <= 2; k++) {
      const next: SnapshotManifest = {
        ...real2,
        id: newSnapshotId(),
        time: new Date(Date.parse(real2.time) + k * 1000).toISOString(),
        parent: made.at(-1)?.id ?? real2.id,
        sources: [{ ...share, entries: shareEntries } as SnapshotManifest['sources'][number]],
        stats: { ...real2.stats, files },
      };
      await saveSnapshot(repo, next);
      made.push(next);
    }
    const state = { basis: made[0].id, snapshotId: made[1].id };
    const stepContext = {
      jobId: 'bench-device-catalog',
      params: { deviceId: device.id },
      state,
      signal: new AbortController().signal,
      dataDir: engine.dataDir,
      log: engine.log,
      workers: engine.workers,
      checkpoint: (patch: object) => void Object.assign(state, patch),
      progress: () => undefined,
      throwIfStopped: () => undefined,
    };
    await measure('deviceCatalog200kFiles', () =>
      engine.deviceBackups.steps.catalog(
        stepContext as unknown as Parameters<DeviceBackupSteps['catalog']>[0],
        device.id,
        'manual',
      ),
    );
  } finally {
    await engine.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify({ goalMs: 50, maxStallMs: figures })}\n`);
}

/** A share of n files with pseudo-random heat (deterministic), sizes and change histories. */
function bigShare(n: number): HeatData {
  let seed = 42;
  const rnd = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const files: FileHeat[] = [];
  for (let i = 0; i < n; i++)
    files.push([
      `dir${i % 97}/sub${i % 13}/file-${i}.dat`,
      Math.round(rnd() * 1000) / 1000,
      i & 0xff,
      1000 + (i % 5000),
      1_700_000_000_000 + i,
    ]);
  return {
    v: 1,
    at: new Date().toISOString(),
    reads: [],
    items: [{ name: 'docs', kind: 'share', pinned: false, files }],
  };
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
