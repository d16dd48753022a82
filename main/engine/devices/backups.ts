/**
 * Device backups: the backup policy and scheduler, backup jobs with heat maps, and deactivation. A device's
 * backup history includes the backups of the devices it replaced by failover (same lineage): the data it serves
 * came from them, its first backup is incremental against them, and its heat map starts from theirs.
 */
import type { z } from 'zod';
import type { CallParsedInput } from '../../shared/contract';
import type { Device, DeviceBackup, HeatMap } from '../../shared/device-schemas';
import type { Backup, Job } from '../../shared/schemas';
import { LifeboatError } from '../../shared/errors';
import {
  activeDeviceJob,
  assertCanBackUp,
  deviceBackupJob,
  DeviceBackupSteps,
  heatSummaryOf,
  type BackupKind,
  type DeviceBackupParams,
  type ItemConfig,
} from './backup-job';
import type { DeviceBackupRow, DeviceBackupStore } from './backup-store';
import type { DeviceBackupDeps } from './backup-deps';
import { sweepLeftovers } from './backup-retention';
import { deactivateJob, type DeactivateParams } from './deactivate-job';
import { DeviceRecords } from './records';
import { restoreDevices } from './records-restore';
import { heatMapOf, itemHeatOf, restoreOrderOf } from './heat';
import { BackupScheduler, nextBackupAt, parseTime, policyOf, type StoredPolicy } from './schedule';
import type { DeviceRow } from './store';

type DeviceBackupOut = z.infer<typeof DeviceBackup>;

/** How often leftovers of ended jobs are swept while the app runs (also once at start). */
const SWEEP_MS = 3600_000;

export class DeviceBackups {
  /** The backup's steps (the deactivation's final backup runs them too). */
  readonly steps: DeviceBackupSteps;
  readonly scheduler: BackupScheduler;
  private sweeper: NodeJS.Timeout | null = null;
  /** Every device's record in its storage account, so a fresh install's rebuild gets the devices back (records.ts). */
  readonly records: DeviceRecords;

  /** The device_backups table. */
  readonly store: DeviceBackupStore;
  private readonly deps: DeviceBackupDeps;

  constructor(deps: Omit<DeviceBackupDeps, 'backups'>) {
    this.store = deps.devices.backups;
    this.deps = { ...deps, backups: this.store };
    this.records = new DeviceRecords({
      bus: deps.bus,
      log: deps.log,
      devices: deps.devices.store,
      backups: this.store,
      service: deps.service,
      accounts: deps.accounts,
      settings: deps.settings,
    });
    deps.accounts.onRebuild((account, repo) => restoreDevices(this.deps, account, repo));
    this.steps = new DeviceBackupSteps(this.deps);
    deps.runner.register(deviceBackupJob(this.steps));
    deps.runner.register(deactivateJob(this.deps, this.steps));
    this.scheduler = new BackupScheduler(
      deps,
      (d) => this.startJob(d, 'scheduled'),
      (id) => activeDeviceJob(deps, id),
    );
  }

  /** Starts the backup scheduler (the app and web mode do; a one-shot CLI command does not). */
  start(): void {
    this.scheduler.start();
    this.records.syncAll();
    if (this.sweeper) return;
    this.sweep(true);
    this.sweeper = setInterval(() => this.sweep(false), SWEEP_MS);
    this.sweeper.unref();
  }

  stop(): void {
    this.scheduler.stop();
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  /** Removes what ended or vanished jobs and deleted backups left behind; in the background, never failing a start. */
  sweep(heat: boolean): Promise<void> {
    return sweepLeftovers(this.deps, { heat }).then(
      () => undefined,
      (err: unknown) =>
        this.deps.log.warn('sweep of device backup leftovers failed', { error: (err as Error).message }),
    );
  }

  private startJob(device: DeviceRow, kind: BackupKind): Job {
    const params: DeviceBackupParams = {
      deviceId: device.id,
      deviceName: device.name,
      accountId: device.account_id!,
      kind,
    };
    return this.deps.runner.create('device.backup', params);
  }

  private assertIdle(device: DeviceRow): void {
    const job = activeDeviceJob(this.deps, device.id);
    if (job)
      throw new LifeboatError(
        'busy',
        `A backup or deactivation of ${device.name} has not ended yet (job ${job}).`,
        `Wait for it (\`lifeboat jobs wait ${job}\`) or cancel it, then try again.`,
      );
  }

  backup(name: string): Job {
    const device = this.deps.devices.store.require(name);
    assertCanBackUp(this.deps, device, 'manual');
    this.assertIdle(device);
    return this.startJob(device, 'manual');
  }

  policy(input: CallParsedInput<'devices.policy'>): Device {
    const device = this.deps.devices.store.require(input.name);
    if (device.status === 'deactivated' || device.status === 'deleted')
      throw new LifeboatError(
        'not_allowed',
        `The device ${device.name} is ${device.status}: it takes no more backups, so it has no backup policy.`,
        device.status === 'deactivated'
          ? `Fail it over (\`lifeboat failover targets ${device.name}\`) and set the policy on the device that takes over.`
          : 'Set the policy on the device that took over its shares and volumes.',
      );
    this.deps.devices.assertNotHeld(device);
    if (input.frequency !== 'weekly' && input.weekday !== undefined)
      throw new LifeboatError(
        'invalid_input',
        'weekday: only a weekly policy has a weekday; leave it out or use --frequency weekly.',
      );
    const policy: StoredPolicy = {
      frequency: input.frequency,
      time: parseTime(input.time),
      weekday: input.frequency === 'weekly' ? (input.weekday ?? 0) : null,
      retention: input.retention,
    };
    let next: Date | null;
    try {
      next = nextBackupAt(policy, device.time_zone, new Date());
    } catch (err) {
      if (err instanceof RangeError)
        throw new LifeboatError(
          'invalid_input',
          `The time zone "${device.time_zone}" of ${device.name} is not known to this system.`,
          'Use an IANA time zone such as Europe/Amsterdam.',
        );
      throw err;
    }
    this.deps.devices.store.update(device.id, {
      policy: JSON.stringify(policy),
      next_backup_at: next?.toISOString() ?? null,
    });
    this.deps.log.info('device backup policy set', {
      device: device.name,
      ...policy,
      nextAt: next?.toISOString() ?? null,
    });
    this.deps.devices.changed(device.name);
    return this.deps.devices.toDevice(this.deps.devices.store.byId(device.id)!);
  }

  deactivate(input: CallParsedInput<'devices.deactivate'>): Job {
    const device = this.deps.devices.store.require(input.name);
    const n = device.name;
    if (input.confirm !== n)
      throw new LifeboatError(
        'invalid_input',
        `confirm: type the device name "${n}" exactly to deactivate it.`,
        'Deactivation is permanent: the device goes read-only for good and takes no more backups.',
      );
    if (device.status === 'deactivated')
      throw new LifeboatError(
        'not_allowed',
        `The device ${n} is already deactivated.`,
        `Fail it over to another device: \`lifeboat failover targets ${n}\`.`,
      );
    if (device.status === 'deleted')
      throw new LifeboatError(
        'not_allowed',
        `The device ${n} was deleted from the service (failed over), so there is nothing left to deactivate.`,
        'Deactivate the device that took over, if that is what you meant: `lifeboat device list`.',
      );
    if (device.status === 'ready-to-set-up')
      throw new LifeboatError(
        'not_allowed',
        `The device ${n} is not registered yet, so there is nothing to deactivate.`,
        `Remove it instead: \`lifeboat device remove ${n}\`.`,
      );
    this.deps.devices.assertNotHeld(device);
    this.assertIdle(device);
    if (input.finalBackup) assertCanBackUp(this.deps, device, 'final');
    const params: DeactivateParams = {
      deviceId: device.id,
      deviceName: n,
      accountId: device.account_id,
      finalBackup: input.finalBackup,
    };
    return this.deps.runner.create('device.deactivate', params);
  }

  /** The heat map of the device's newest backup (or of the device it replaced, before its own first backup). */
  heat(name: string): HeatMap {
    const device =
      this.deps.devices.store.byName(name, { includeDeleted: true }) ?? this.deps.devices.store.require(name);
    return this.heatMap(device.id);
  }

  heatMap(deviceId: string): HeatMap {
    const device = this.deps.devices.store.byId(deviceId);
    const newest = device ? this.store.lineage(device)[0] : undefined;
    return heatMapOf(heatSummaryOf(this.store, newest?.backup_id), newest?.backup_id ?? null);
  }

  /** The device's backups, newest first, including those of the devices it replaced (their `device` says whose). */
  listFor(deviceId: string): DeviceBackupOut[] {
    const device = this.deps.devices.store.byId(deviceId);
    if (!device) return [];
    return this.store.lineage(device).map((r) => {
      const b = this.deps.accounts.catalog.row(r.backup_id)!;
      return {
        id: r.backup_id,
        device: r.device_name,
        kind: r.kind,
        createdAt: r.created_at,
        files: b.files,
        bytes: b.bytes,
        storedNew: b.stored_new,
      };
    });
  }

  /** The newest backup of the device's lineage: what a failover restores (`row.kind === 'final'` means planned). */
  latest(deviceId: string): { row: DeviceBackupRow; items: ItemConfig[]; backup: Backup } | null {
    const device = this.deps.devices.store.byId(deviceId);
    const newest = device ? this.store.lineage(device)[0] : undefined;
    const row = newest && this.store.row(newest.backup_id);
    if (!row) return null;
    const catalog = this.deps.accounts.catalog.row(row.backup_id)!;
    const account = this.deps.accounts.store.byId(catalog.account_id)?.name ?? catalog.account_id;
    return {
      row,
      items: JSON.parse(row.items) as ItemConfig[],
      backup: this.deps.accounts.catalog.toBackup(catalog, account),
    };
  }

  /** The configuration of every share or volume at a backup. */
  items(backupId: string): ItemConfig[] {
    const row = this.store.row(backupId);
    if (!row)
      throw new LifeboatError(
        'not_found',
        `Backup ${backupId} is not a device backup.`,
        'List the device backups with `lifeboat device show NAME`.',
      );
    return JSON.parse(row.items) as ItemConfig[];
  }

  /** The `priority` of a restore job for one item of a device backup: its hot files first. */
  restoreOrder(backupId: string, itemName: string): string[] {
    return restoreOrderOf(heatSummaryOf(this.store, backupId), itemName);
  }

  /** Per item of a device backup, one heat number (0..1) to start the hot items' restores first. */
  itemHeat(backupId: string): Record<string, number> {
    return itemHeatOf(heatSummaryOf(this.store, backupId));
  }

  /** The stored policy as the API shows it. */
  policyOf(deviceId: string) {
    const device = this.deps.devices.store.byId(deviceId);
    return device ? policyOf(device) : null;
  }
}
