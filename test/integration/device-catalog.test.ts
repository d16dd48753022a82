/**
 * The catalog step of a device backup reads the backup's manifest and its basis's in the worker pool (so the main
 * event loop stays free with a 200 000-file share: its stall is a figure of `npm run bench`, test/bench/event-loop.ts),
 * and the volume heat is what the block maps give.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Job } from '../../main/shared/schemas';
import { runInPool } from '../../main/engine/backups/maintenance';
import type { DeviceBackupState } from '../../main/engine/devices/backup-job';
import { parseHeatSummary, volumeHeat, type VolumeHeat } from '../../main/engine/devices/heat';
import { heatFile, readHeatFile } from '../../main/engine/devices/heat-store';
import { Engine } from '../../main/engine/engine';
import type { ProgressUpdate, StepContext } from '../../main/engine/jobs/types';
import {
  loadSnapshot,
  newSnapshotId,
  saveSnapshot,
  type ImageSource,
  type SnapshotManifest,
  type TreeSource,
} from '../../main/engine/repo/snapshot';
import { call, closeEngines, iscsiVolume, lab } from '../helpers/device-lab';
import { tempHome } from '../helpers/home';
import { stepContext } from '../helpers/step-context';

afterEach(closeEngines);

async function backedUp(engine: Engine, device: string): Promise<Job> {
  const job = await engine.runner.wait((await call(engine, 'devices.backup', { name: device })).id, 120_000);
  expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
  return job;
}

/** A step context as the job runner gives one, recording the progress messages. */
function stepContextOf(
  engine: Engine,
  deviceId: string,
  state: DeviceBackupState,
): StepContext<unknown, DeviceBackupState> & { updates: ProgressUpdate[] } {
  const updates: ProgressUpdate[] = [];
  return {
    ...stepContext(
      engine,
      `job-catalog-test-${crypto.randomBytes(4).toString('hex')}`,
      { deviceId },
      state,
      (u) => void updates.push(u),
    ),
    updates,
  };
}

describe('device backup catalog step', () => {
  it('records a 200 000-file backup against a 200 000-file basis from the whole manifest, both manifests read in the worker pool', async () => {
    const { engine, key } = await lab();
    const root = path.join(tempHome('lifeboat-dev-'), 'root');
    const device = await call(engine, 'devices.create', {
      name: 'FS1',
      type: 'file',
      root,
      capacity: '1GiB',
      account: 'lab',
      registrationKey: key,
    });
    const docs = (await call(engine, 'shares.create', { device: 'FS1', name: 'docs', quota: '100MiB' })).path;
    for (let i = 0; i < 8; i++) fs.writeFileSync(path.join(docs, `f${i}.bin`), crypto.randomBytes(64 << 10));
    await backedUp(engine, 'FS1');
    const [real] = engine.deviceBackups.listFor(device.id);

    // Two large backups of the share without 200 000 real files: manifests whose files reuse the stored chunks, the
    // second incremental on the first. Built in a function so none of it stays reachable while measuring.
    const repo = await engine.accounts.repository(engine.accounts.store.byName('lab')!, { loadIndex: false });
    const files = 200_000;
    const [basis, big] = await (async () => {
      const m = await loadSnapshot(repo, real.id);
      const share = m.sources[0] as TreeSource;
      const chunks = share.entries.flatMap((e) => e.chunks ?? []);
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
      const bytes = entries.reduce((n, e) => n + e.size, 0);
      const manifests: SnapshotManifest[] = [];
      for (let k = 1; k <= 2; k++) {
        const parent = manifests[k - 2]?.id ?? real.id;
        const next: SnapshotManifest = {
          ...m,
          id: newSnapshotId(),
          time: new Date(Date.parse(m.time) + k * 1000).toISOString(),
          parent,
          sources: [{ ...share, entries }],
          stats: { ...m.stats, files, bytes },
        };
        await saveSnapshot(repo, next);
        manifests.push(next);
      }
      return manifests.map((x) => ({ id: x.id, bytes }));
    })();

    const steps = engine.deviceBackups.steps;
    const ctx = stepContextOf(engine, device.id, { basis: basis.id, snapshotId: big.id });
    const pooled = vi.spyOn(engine.workers, 'run');
    engine.eventLoop.reset();
    await steps.catalog(ctx, device.id, 'manual');
    // A stall is recorded when the monitor's next timer fires: give it the chance before reading (for the log only).
    await new Promise((resolve) => setTimeout(resolve, 50));
    const catalogMax = engine.eventLoop.stats().maxMs;
    // The main thread hands the pool the backup and its basis by id, and gets their digest back: it parses neither.
    expect(pooled.mock.calls.map(([task]) => task)).toEqual([
      expect.objectContaining({ op: 'device-volume-heat', id: big.id, basis: basis.id }),
    ]);
    pooled.mockRestore();

    // Recorded as the whole manifest says: the catalog row with per-source totals, the device row and the message.
    const shown = await call(engine, 'backups.show', { id: big.id });
    expect(shown).toMatchObject({
      files,
      label: 'device:FS1',
      sources: [{ name: 'docs', kind: 'tree', files, bytes: big.bytes }],
    });
    const row = engine.deviceBackups.store.row(big.id)!;
    expect(row).toMatchObject({ device_id: device.id, kind: 'manual' });
    expect(JSON.parse(row.items)).toEqual([expect.objectContaining({ name: 'docs', kind: 'share' })]);
    expect(parseHeatSummary(row.heat)?.items.map((i) => i.name)).toEqual(['docs']);
    expect(ctx.updates.at(-1)?.message).toMatch(new RegExp(`^Backup ${big.id}: ${files} files, `));
    expect(fs.existsSync(heatFile(engine.dataDir, big.id))).toBe(true);

    // What the same two manifests cost on the main thread, as the step read them before (for the log only).
    const started = performance.now();
    await loadSnapshot(repo, big.id);
    await loadSnapshot(repo, basis.id);
    const mainThreadMs = Math.round(performance.now() - started);
    console.log(
      `event loop max in the catalog step with ${files}-file manifests: ${catalogMax.toFixed(1)} ms (parsing both on the main thread: ${mainThreadMs} ms)`,
    );
  }, 180_000);

  it('rates a volume from the block maps of the backup and its basis, as the main thread did; a missing basis counts every block as changed', async () => {
    const { engine, key } = await lab();
    const { device, write } = await iscsiVolume(engine, key, '24MiB');
    write(0, crypto.randomBytes(256 << 10));
    write(10 << 20, crypto.randomBytes(128 << 10));
    await backedUp(engine, 'ISCSI1');
    write(10 << 20, crypto.randomBytes(128 << 10));
    write(20 << 20, crypto.randomBytes(64 << 10));
    await backedUp(engine, 'ISCSI1');
    write(10 << 20, crypto.randomBytes(128 << 10));
    await backedUp(engine, 'ISCSI1');
    const ids = engine.deviceBackups
      .listFor(device.id)
      .map((b) => b.id)
      .reverse();
    expect(ids).toHaveLength(3);

    // Each backup's volume heat, as the heat file keeps it, is volumeHeat of its image, its basis's image and the
    // basis's heat, computed here on the main thread from the whole manifests.
    const repo = await engine.accounts.repository(engine.accounts.store.byName('lab')!, { loadIndex: false });
    const image = async (id: string) =>
      (await loadSnapshot(repo, id)).sources.find((s): s is ImageSource => s.kind === 'image')!;
    const volumeOf = async (id: string) =>
      (await readHeatFile(heatFile(engine.dataDir, id)))!.items.find((i): i is VolumeHeat => i.kind === 'volume')!;
    let previous: VolumeHeat | undefined;
    for (const [n, id] of ids.entries()) {
      const expected = await volumeHeat(
        'vol1',
        false,
        await image(id),
        n ? await image(ids[n - 1]) : undefined,
        previous,
      );
      const recorded = await volumeOf(id);
      expect(recorded).toEqual(expected);
      previous = recorded;
    }
    // The block rewritten before every backup changed at each of the three; the one written once, only at the first.
    const last = await volumeOf(ids[2]);
    expect(last.ranges.find((r) => r[0] === 10 << 20)?.[2]).toBe(0b111);
    expect(last.ranges.find((r) => r[0] === 0)?.[2]).toBe(0b100);
    expect(last.ranges.find((r) => r[0] === 20 << 20)?.[2]).toBe(0b10);

    // A basis that is gone from the account is tolerated: the history carried by the previous heat shifts, and every
    // block with data counts as changed at this backup. A volume the backup holds no image of is left out.
    const account = engine.accounts.store.byName('lab')!;
    const target = engine.accounts.repoTarget(account);
    const prior = await volumeOf(ids[1]);
    const asked = [
      { name: 'vol1', pinned: true, previous: prior },
      { name: 'gone', pinned: false },
    ];
    const result = await runInPool(engine.workers, {
      ...target,
      op: 'device-volume-heat',
      id: ids[2],
      basis: newSnapshotId(),
      volumes: asked,
    });
    expect(result.volumes).toEqual([await volumeHeat('vol1', true, await image(ids[2]), undefined, prior)]);
    expect(result.volumes[0].ranges.every((r) => (r[2] & 1) === 1 && r[4] >= 0.9)).toBe(true);
    expect(result.digest).toMatchObject({
      id: ids[2],
      sources: [{ name: 'vol1', kind: 'image', extents: [] }],
      totals: [{ files: 1, bytes: 24 << 20 }],
    });

    // A backup that is not in the account fails the task with the message the main thread gave.
    const missing = newSnapshotId();
    await expect(
      runInPool(engine.workers, { ...target, op: 'device-volume-heat', id: missing, basis: null, volumes: asked }),
    ).rejects.toMatchObject({
      code: 'not_found',
      message: `There is no backup ${missing} in the storage account.`,
    });
  }, 180_000);
});
