/**
 * The device backup: every share (a tree) and volume (a sparse image) of a device into its storage account, as
 * one backup set, with the configuration of each item (so a failover can recreate them) and a heat map. Steps:
 * heat (look at the files, remember the configuration), backup (under the ownership lease), catalog (record the
 * backup unless the device was fenced meanwhile), retention (delete scheduled backups of the lineage past the
 * policy's count). The deactivation job runs the first three as its final backup. The per-file heat goes to a heat
 * file (heat-store.ts); the row keeps its bounded summary. A device whose data root is at an agent site is backed up
 * from its local mirror, brought up to date from the agent at the start of the heat step (site-mirror.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { BackupKind } from '../../shared/device-schemas';
import { runInPool, type VolumeHeatItem } from '../backups/maintenance';
import { LifeboatError } from '../../shared/errors';
import { backupResult, describeSnapshot, runRepoBackup, type RepoBackupState } from '../backups/backup-job';
import type { JobKind, StepContext } from '../jobs/types';
import type { BackupSource } from '../repo/backup';
import {
  HISTORY,
  parseHeatSummary,
  scanShareHeat,
  summarizeHeat,
  type HeatData,
  type HeatSummary,
  type ShareHeat,
  type VolumeHeat,
} from './heat';
import { heatFile, readHeatFile, writeHeatFile } from './heat-store';
import { claimOwner, fencedError, readOwner } from './ownership';
import { deleteSnapshotQuietly, deviceFaultPoint, pruneScheduled } from './backup-retention';
import { policyOf } from './schedule';
import type { DeviceBackupStore } from './backup-store';
import type { DeviceBackupDeps } from './backup-deps';
import { deviceSiteName } from './site-agents';
import { refuseVolumesAtSite } from './site-choice';
import { deviceSiteReads, dropOtherShares, mirrorSharePath, mirrorTree } from './site-mirror';
import type { DeviceRow } from './store';

export type { DeviceBackupRow, LineageBackup } from './backup-store';

export type BackupKind = z.infer<typeof BackupKind>;

/** The configuration of a share or volume at a backup: what a failover recreates on the target. */
export interface ItemConfig {
  name: string;
  kind: 'share' | 'volume';
  tier: 'tiered' | 'locally-pinned';
  online: boolean;
  /** share */
  quota?: number;
  description?: string;
  users?: string[];
  /** volume */
  size?: number;
  type?: 'general' | 'archival';
  acrs?: Array<{ name: string; iqn: string }>;
  chapUser?: string | null;
}

export interface DeviceBackupState extends RepoBackupState {
  /** The backup this one is incremental against and whose heat it carries forward (null: the first). */
  basis?: string | null;
  /** Bytes read from the agent site into the device's mirror (a device at an agent site only). */
  fetchedBytes?: number;
}

/** What the heat step hands to the catalog step, kept in files beside the job (the share heat can be large). */
interface Prepared {
  items: ItemConfig[];
  heat: HeatData;
}

const Params = z.object({ deviceId: z.string(), deviceName: z.string(), accountId: z.string(), kind: BackupKind });
export type DeviceBackupParams = z.infer<typeof Params>;

/** Why a device cannot take a backup now, as an error that says what to do; the final backup allows an offline device. */
export function assertCanBackUp(deps: Pick<DeviceBackupDeps, 'devices'>, device: DeviceRow, kind: BackupKind): void {
  const n = device.name;
  if (device.status === 'deactivated' || device.status === 'deleted')
    throw new LifeboatError(
      'not_allowed',
      `The device ${n} is ${device.status}: it is read-only and takes no more backups.`,
      `Its backups stay available for a failover (\`lifeboat failover targets ${n}\`).`,
    );
  if (device.status === 'ready-to-set-up')
    throw new LifeboatError(
      'not_allowed',
      `The device ${n} is not registered with the service yet, so it has nothing to back up.`,
      `Register it first with \`lifeboat device register ${n}\`.`,
    );
  if (device.status === 'offline' && kind !== 'final')
    throw new LifeboatError(
      'not_allowed',
      `The device ${n} is offline for maintenance.`,
      'Bring the device online, then back it up.',
    );
  deps.devices.assertNotHeld(device);
  refuseVolumesAtSite(
    device,
    deps.devices.store.volumes(device.id).length,
    deviceSiteName(deps.devices.sites, device.site_id),
  );
  if (!device.account_id)
    throw new LifeboatError(
      'not_allowed',
      `The device ${n} has no storage account for its backups.`,
      'A device gets its storage account when it is created: remove it (`lifeboat device remove NAME`) and create it again with `--account`.',
    );
  if (!deps.devices.store.shares(device.id).length && !deps.devices.store.volumes(device.id).length) {
    const what = device.type === 'file' ? 'share' : 'volume';
    const hint =
      kind === 'final'
        ? `Deactivate it without one: \`lifeboat device deactivate ${n} --confirm ${n} --no-final-backup\`.`
        : `Create a ${what} first with \`lifeboat ${what} create ${n} NAME\`.`;
    throw new LifeboatError('not_allowed', `The device ${n} has no ${what}s, so there is nothing to back up.`, hint);
  }
}

/** The heat summary of a device backup (null: none, or not a device backup). */
export function heatSummaryOf(backups: DeviceBackupStore, backupId: string | null | undefined): HeatSummary | null {
  if (!backupId) return null;
  return parseHeatSummary(backups.heat(backupId));
}

function configOf(deps: Pick<DeviceBackupDeps, 'devices'>, device: DeviceRow): ItemConfig[] {
  const store = deps.devices.store;
  return [
    ...store.shares(device.id).map((s): ItemConfig => ({
      name: s.name,
      kind: 'share',
      tier: s.tier,
      online: s.online === 1,
      quota: s.quota,
      description: s.description,
      users: JSON.parse(s.users) as string[],
    })),
    ...store.volumes(device.id).map((v): ItemConfig => ({
      name: v.name,
      kind: 'volume',
      tier: v.tier,
      online: v.online === 1,
      size: v.size,
      type: v.type,
      acrs: JSON.parse(v.acrs) as ItemConfig['acrs'],
      chapUser: v.chap_user,
    })),
  ];
}

/** Where the backup reads a share: its folder, or for a device at an agent site its mirror on this machine. */
function sharePathOf(deps: Pick<DeviceBackupDeps, 'devices' | 'dataDir'>, device: DeviceRow, share: string): string {
  return device.site_id ? mirrorSharePath(deps.dataDir, device.id, share) : deps.devices.sharePath(device, share);
}

/** Each item with the modes it has online: an offline item is read-only on disk, and a failover must not restore that. */
async function sourcesOf(
  deps: Pick<DeviceBackupDeps, 'devices' | 'dataDir'>,
  device: DeviceRow,
  items: ItemConfig[],
): Promise<BackupSource[]> {
  const out: BackupSource[] = [];
  for (const i of items) {
    const p = i.kind === 'share' ? deps.devices.sharePath(device, i.name) : deps.devices.volumePath(device, i.name);
    const modes = (await deps.devices.agent.onlineModes(p)) ?? undefined;
    out.push({
      name: i.name,
      path: i.kind === 'share' ? sharePathOf(deps, device, i.name) : p,
      kind: i.kind === 'share' ? 'tree' : 'image',
      modes,
    });
  }
  return out;
}

type Ctx = StepContext<unknown, DeviceBackupState>;

/** The result's bytes read from the agent site (a device at an agent site only). */
const fetched = (ctx: Ctx) => (ctx.state.fetchedBytes === undefined ? {} : { fetchedBytes: ctx.state.fetchedBytes });

/** The device backup's steps, shared by the backup job and the deactivation job's final backup. */
export class DeviceBackupSteps {
  constructor(private readonly deps: DeviceBackupDeps) {}

  private device(id: string): DeviceRow {
    const row = this.deps.devices.store.byId(id);
    if (!row)
      throw new LifeboatError(
        'not_found',
        'The device of this backup was removed from Lifeboat while the backup ran.',
        'Nothing is left to back up: cancel this job (`lifeboat jobs cancel ID`).',
      );
    return row;
  }

  private account(device: DeviceRow) {
    const row = device.account_id ? this.deps.accounts.store.byId(device.account_id) : undefined;
    if (!row)
      throw new LifeboatError(
        'not_found',
        `The storage account of ${device.name} was removed.`,
        'Add it again, then resume the job.',
        { retryable: true },
      );
    return row;
  }

  /** The configuration (JSON, written last: it marks the pair complete) and the share heat (a heat file). */
  private preparedFiles(ctx: Ctx): { config: string; heat: string } {
    return preparedFilesOf(ctx.dataDir, ctx.jobId);
  }

  /** The configuration and the share heat as the heat step saw them (computed again if those files were lost). */
  private async prepare(ctx: Ctx, device: DeviceRow): Promise<Prepared> {
    const files = this.preparedFiles(ctx);
    try {
      const { items, at } = JSON.parse(await fs.promises.readFile(files.config, 'utf8')) as {
        items: ItemConfig[];
        at: string;
      };
      const heat = await readHeatFile(files.heat);
      if (heat) return { items, heat: { ...heat, at } };
    } catch {
      // not prepared yet (or the tmp folder was cleaned): compute below
    }
    const basis = ctx.state.basis ?? null;
    const before = basis ? await readHeatFile(heatFile(ctx.dataDir, basis)) : null;
    const ignoreAtime = (before?.reads ?? []).map(([from, to]): [number, number] => [Date.parse(from), Date.parse(to)]);
    const items = configOf(this.deps, device);
    const at = new Date();
    const shares: ShareHeat[] = [];
    for (const i of items.filter((x) => x.kind === 'share')) {
      const prev = before?.items.find((x): x is ShareHeat => x.kind === 'share' && x.name === i.name);
      shares.push(
        await scanShareHeat(i.name, sharePathOf(this.deps, device, i.name), i.tier === 'locally-pinned', prev, {
          now: at.getTime(),
          ignoreAtime,
        }),
      );
    }
    const prepared: Prepared = { items, heat: { v: 1, at: at.toISOString(), items: shares } };
    await writeHeatFile(files.heat, prepared.heat);
    await fs.promises.writeFile(`${files.config}.part`, JSON.stringify({ items, at: prepared.heat.at }));
    await fs.promises.rename(`${files.config}.part`, files.config);
    return prepared;
  }

  /** The configuration alone (the upload needs no heat, so the heat file is not read for it). */
  private async preparedConfig(ctx: Ctx, device: DeviceRow): Promise<{ items: ItemConfig[] }> {
    const files = this.preparedFiles(ctx);
    const config = await fs.promises.readFile(files.config, 'utf8').catch(() => null);
    if (config !== null && (await fs.promises.stat(files.heat).catch(() => null)))
      return JSON.parse(config) as { items: ItemConfig[] };
    return this.prepare(ctx, device);
  }

  /** Step "heat": checks the device, chooses the basis backup, rates the files and saves the configuration. */
  async heat(ctx: Ctx, deviceId: string, kind: BackupKind): Promise<void> {
    if (ctx.state.snapshotId) return;
    const device = this.device(deviceId);
    assertCanBackUp(this.deps, device, kind);
    if (ctx.state.basis === undefined)
      ctx.checkpoint({ basis: this.deps.backups.lineage(device)[0]?.backup_id ?? null });
    if (device.site_id && ctx.state.fetchedBytes === undefined) await this.fetch(ctx, device);
    const p = await this.prepare(ctx, device);
    const files = p.heat.items.reduce((a, i) => a + (i.kind === 'share' ? i.files.length : 0), 0);
    const what =
      device.type === 'file'
        ? `${p.items.length} share(s); heat of ${files} files rated`
        : `${p.items.length} volume(s); their block heat follows from the backup`;
    ctx.progress({ fraction: 1, message: what });
  }

  /** Brings every share of a device at an agent site into its mirror here; the job's result says the bytes read there. */
  private async fetch(ctx: Ctx, device: DeviceRow): Promise<void> {
    const reads = deviceSiteReads(this.deps.devices.sites, device);
    const shares = this.deps.devices.store.shares(device.id).map((s) => s.name);
    await dropOtherShares(this.deps.dataDir, device.id, shares);
    let fetchedBytes = 0;
    let files = 0;
    for (const [k, name] of shares.entries()) {
      const onProgress = (n: number, of: number) =>
        ctx.progress({
          fraction: (k + (of ? n / of : 1)) / (shares.length + 1),
          message: `Fetching ${name} from the site: ${n} of ${of} bytes`,
        });
      const local = mirrorSharePath(this.deps.dataDir, device.id, name);
      const r = await mirrorTree(reads, this.deps.devices.sharePath(device, name), local, {
        signal: ctx.signal,
        onProgress,
      });
      fetchedBytes += r.fetchedBytes;
      files += r.fetchedFiles;
    }
    ctx.log.info('device shares fetched from the site', { device: device.name, fetchedBytes, files });
    ctx.checkpoint({ fetchedBytes });
  }

  /** Step "backup": claims the ownership lease, then writes the backup set (incremental against the basis). */
  async backup(ctx: Ctx, deviceId: string, kind: BackupKind): Promise<void> {
    if (ctx.state.snapshotId) return;
    const device = this.device(deviceId);
    assertCanBackUp(this.deps, device, kind);
    const account = this.account(device);
    const repo = await this.deps.accounts.repository(account, { loadIndex: false });
    await claimOwner(repo.backend, device.lineage, { id: device.id, name: device.name }).catch(async (err: unknown) => {
      // A run before a crash may have written the manifest already: a fenced device leaves nothing in the account.
      if (err instanceof LifeboatError && err.code === 'fenced' && ctx.state.targetId)
        await deleteSnapshotQuietly(repo.backend, ctx.state.targetId, ctx.log);
      return this.forgetThen(ctx)(err);
    });
    const { items } = await this.preparedConfig(ctx, device);
    await runRepoBackup(ctx, this.deps.accounts, account, {
      sources: await sourcesOf(this.deps, device, items),
      label: `device:${device.name}`,
      previous: () => ctx.state.basis ?? null,
    });
  }

  /**
   * Step "catalog": records the backup set with its configuration and heat, unless another device owns the lineage
   * now (then the backup is deleted from the account: a rebuilt catalog must not bring it back). A final backup is
   * recorded as manual: the deactivation promotes it when the device really is deactivated.
   */
  async catalog(ctx: Ctx, deviceId: string, kind: BackupKind): Promise<void> {
    const id = ctx.state.snapshotId;
    if (!id)
      throw new LifeboatError(
        'internal',
        'The backup step ended without writing a backup, so there is nothing to record.',
        'Cancel this job and start the backup again; report it if it happens again.',
      );
    if (this.deps.backups.row(id)) {
      // Recorded by a run that stopped before its result: the result comes from the written manifest's digest.
      if (!ctx.state.result && ctx.state.digest?.id === id)
        ctx.checkpoint({
          result: { ...backupResult(ctx.state.digest), device: this.device(deviceId).name, kind, ...fetched(ctx) },
        });
      return this.forget(ctx);
    }
    await deviceFaultPoint(this.deps, ctx, 'catalog');
    const device = this.device(deviceId);
    const account = this.account(device);
    const repo = await this.deps.accounts.repository(account, { loadIndex: false });
    const owner = await readOwner(repo.backend, device.lineage);
    if (owner && owner.deviceId !== device.id) {
      await deleteSnapshotQuietly(repo.backend, id, ctx.log);
      await this.forgetThen(ctx)(fencedError(owner));
    }
    const basis = ctx.state.basis ?? null;
    const beforeHeat = basis ? await readHeatFile(heatFile(ctx.dataDir, basis)) : null;
    const prepared = await this.prepare(ctx, device);
    const asked: VolumeHeatItem[] = prepared.items
      .filter((i) => i.kind === 'volume')
      .map((i) => ({
        name: i.name,
        pinned: i.tier === 'locally-pinned',
        previous: beforeHeat?.items.find((x): x is VolumeHeat => x.kind === 'volume' && x.name === i.name),
      }));
    // The manifests (~100 MB of JSON for a million-file share) are read in the worker pool, never on the main
    // thread: only the digest and the volumes' heat come back.
    const target = this.deps.accounts.repoTarget(account);
    const { digest: manifest, volumes } = await runInPool(ctx.workers, {
      ...target,
      op: 'device-volume-heat',
      id,
      basis,
      volumes: asked,
    });
    const priorReads = beforeHeat?.reads ?? heatSummaryOf(this.deps.backups, basis)?.reads ?? [];
    const reads: HeatData['reads'] = [...priorReads, [prepared.heat.at, new Date().toISOString()]];
    const heat: HeatData = {
      ...prepared.heat,
      reads: reads.slice(-HISTORY),
      items: [...prepared.heat.items, ...volumes],
    };
    // The heat file first: a crash before the row leaves an orphan file that the sweep removes, never a row without heat.
    await writeHeatFile(heatFile(ctx.dataDir, id), heat);
    const summary = await summarizeHeat(heat);
    this.deps.db.transaction(() => {
      this.deps.accounts.catalog.record(account.id, manifest);
      this.deps.backups.insert({
        backup_id: id,
        device_id: device.id,
        kind: kind === 'final' ? 'manual' : kind,
        items: JSON.stringify(prepared.items),
        heat: JSON.stringify(summary),
        created_at: manifest.time,
      });
    })();
    ctx.checkpoint({ result: { ...backupResult(manifest), device: device.name, kind, ...fetched(ctx) } });
    this.deps.devices.changed(device.name);
    // The backup has just read every item: measure usage now rather than at the next tick.
    void this.deps.devices.usage.refresh(device).catch(() => undefined);
    ctx.progress(describeSnapshot(manifest));
    await this.forget(ctx);
  }

  /** Step "retention": deletes the lineage's scheduled backups beyond the policy's count (never manual or final ones). */
  async retention(ctx: Ctx, deviceId: string): Promise<void> {
    const device = this.device(deviceId);
    const keep = policyOf(device).retention;
    const scheduled = this.deps.backups.lineage(device).filter((b) => b.kind === 'scheduled');
    const excess = scheduled.slice(keep).filter((b) => b.backup_id !== ctx.state.snapshotId);
    const deleted = await pruneScheduled(this.deps, ctx, excess);
    if (!deleted) return ctx.progress({ fraction: 1 }); // the backup's own summary stays the job's message
    this.deps.devices.changed(device.name);
    ctx.progress({
      fraction: 1,
      message: `Deleted ${deleted} scheduled backup(s) past the retention of ${keep}; the data only they used is freed by the next prune.`,
    });
  }

  /** After a cancel: a backup written just before it is complete, so it is recorded rather than lost. */
  async cleanup(ctx: Ctx, deviceId: string, kind: BackupKind): Promise<void> {
    try {
      const device = this.deps.devices.store.byId(deviceId);
      const target = ctx.state.snapshotId ?? ctx.state.targetId;
      if (device && target && !this.deps.backups.row(target)) {
        const repo = await this.deps.accounts.repository(this.account(device), { loadIndex: false });
        if (ctx.state.snapshotId || (await repo.backend.head(`snapshots/${target}`))) {
          ctx.state.snapshotId = target;
          await this.catalog(ctx, deviceId, kind);
        }
      }
    } finally {
      await this.forget(ctx);
    }
  }

  /** A fenced device will not write this backup: its prepared file goes, then the error. */
  private forgetThen(ctx: Ctx) {
    return async (err: unknown): Promise<never> => {
      await this.forget(ctx);
      throw err;
    };
  }

  private async forget(ctx: Ctx): Promise<void> {
    const files = this.preparedFiles(ctx);
    await fs.promises.rm(files.config, { force: true });
    await fs.promises.rm(files.heat, { force: true });
  }
}

/** The files the heat step of a job leaves for its later steps, under <dataDir>/tmp. */
export function preparedFilesOf(dataDir: string, jobId: string): { config: string; heat: string } {
  const base = path.join(dataDir, 'tmp', `device-backup-${jobId}`);
  return { config: `${base}.json`, heat: `${base}.heat.ndjson.gz` };
}

export function deviceBackupJob(steps: DeviceBackupSteps): JobKind<DeviceBackupParams, DeviceBackupState> {
  return {
    type: 'device.backup',
    params: Params,
    title: (p) => `Back up device ${p.deviceName}${p.kind === 'manual' ? '' : ` (${p.kind})`}`,
    object: (p) => ({ kind: 'device', name: p.deviceName }),
    cancellable: (s) => (s.snapshotId ? 'the backup is already written.' : true),
    steps: [
      {
        name: 'heat',
        title: 'Fetch the shares of a device at an agent site; rate how hot each file and block is',
        weight: 2,
        run: (ctx) => steps.heat(ctx, ctx.params.deviceId, ctx.params.kind),
      },
      {
        name: 'backup',
        title: 'Read, deduplicate, compress, encrypt and upload every share or volume',
        weight: 20,
        run: (ctx) => steps.backup(ctx, ctx.params.deviceId, ctx.params.kind),
      },
      {
        name: 'catalog',
        title: 'Record the backup, its configuration and heat map',
        run: (ctx) => steps.catalog(ctx, ctx.params.deviceId, ctx.params.kind),
      },
      {
        name: 'retention',
        title: 'Delete scheduled backups past the retention',
        run: (ctx) => steps.retention(ctx, ctx.params.deviceId),
      },
    ],
    cleanup: (ctx) => steps.cleanup(ctx, ctx.params.deviceId, ctx.params.kind),
  };
}

/** The device's backup or deactivation job that is queued, running or paused, if any. */
export function activeDeviceJob(deps: Pick<DeviceBackupDeps, 'runner'>, deviceId: string): string | undefined {
  return deps.runner.store.unfinished({
    types: ['device.backup', 'device.deactivate'],
    param: { key: 'deviceId', value: deviceId },
  })[0];
}
