/** Virtual arrays: devices on data roots with their shares and volumes (configuration, validation, status). */
import path from 'node:path';
import type { CallParsedInput } from '../../shared/contract';
import type { Device, DeviceDetail, Share, Volume } from '../../shared/device-schemas';
import { LifeboatError } from '../../shared/errors';
import { VERSION } from '../paths';
import type { DeviceAgent } from './agent';
import { DeviceItems } from './items';
import { nextBackupAt, policyOf } from './schedule';
import { DeviceBackupStore } from './backup-store';
import type { DeviceDeps } from './deps';
import type { SiteManager } from '../sites/manager';
import { assessHealth } from '../../shared/device-health';
import { DeviceSetup } from './setup';
import { deviceSiteName, engineDeviceAgents } from './site-agents';
import { DeviceStore, type DeviceRow, type ShareRow, type VolumeRow } from './store';
import { DeviceUsage } from './usage';

export const DEVICE_MODEL = 'Lifeboat Virtual Array';

export class DeviceManager {
  readonly store: DeviceStore;
  readonly items: DeviceItems;
  readonly setup: DeviceSetup;
  readonly usage: DeviceUsage;
  /** The device_backups table (the device backups write it; a device's page and health read it). */
  readonly backups: DeviceBackupStore;
  /** The sweep at start of what a crash left half done (changes wait for it). */
  readonly swept: Promise<void>;
  /** The clock health is judged by (how old the last backup is): tests set it to look days ahead without waiting. */
  now: () => number = () => Date.now();

  constructor(
    readonly deps: DeviceDeps,
    readonly agent: DeviceAgent = engineDeviceAgents(deps.db, deps.sites),
  ) {
    this.store = new DeviceStore(deps.db, deps.secrets, deps.jobs);
    this.backups = new DeviceBackupStore(deps.db);
    this.items = new DeviceItems(this);
    this.setup = new DeviceSetup(this);
    this.usage = new DeviceUsage(this);
    // Changes wait for the sweep of what a crash left half done.
    this.swept = this.items.sweep().catch((err: Error) => deps.log.warn('device sweep failed', { error: err.message }));
    this.queue = this.swept;
    if (deps.mode !== 'cli') this.usage.start();
  }

  /** The sites a device's root may be at. */
  get sites(): SiteManager {
    return this.deps.sites();
  }

  // ---- public helpers that device backups and failover use ----

  sharePath(device: DeviceRow, name: string): string {
    return path.join(device.root, 'shares', name);
  }

  volumePath(device: DeviceRow, name: string): string {
    return path.join(device.root, 'volumes', name);
  }

  freeBytes(device: DeviceRow): Promise<number> {
    return this.agent.freeBytes(device.root);
  }

  assertNotHeld(device: DeviceRow): void {
    if (device.failover_job_id)
      throw new LifeboatError(
        'busy',
        `The device ${device.name} is held by the failover job ${device.failover_job_id}.`,
        `Wait for the failover to finish, or abandon it with \`lifeboat failover abandon ${device.failover_job_id}\`.`,
      );
  }

  /**
   * Maintenance: offline makes every share or volume unavailable (read-only on disk, refused to engine writes) and
   * scheduled backups skip the device; online gives back what was online before.
   */
  setDeviceOnline(name: string, online: boolean): Promise<Device> {
    return this.serial(async () => {
      const device = this.store.require(name);
      this.assertNotHeld(device);
      if (device.status === (online ? 'online' : 'offline')) return this.toDevice(device);
      // Offline needs what any change needs; online needs an offline device (else this says why: not registered, deactivated).
      if (!online || device.status !== 'offline') this.writableRow(device);
      const items = [
        ...this.store
          .shares(device.id)
          .filter((s) => s.online)
          .map((s) => this.sharePath(device, s.name)),
        ...this.store
          .volumes(device.id)
          .filter((v) => v.online)
          .map((v) => this.volumePath(device, v.name)),
      ];
      // The status changes first going offline (engine writes stop at once) and last coming back.
      if (!online) this.commit(device.id, 'writable', () => this.store.update(device.id, { status: 'offline' }));
      for (const p of items) if (await this.agent.exists(p)) await this.agent.setWritable(p, online);
      if (online)
        this.deps.db.transaction(() => {
          const now = this.store.byId(device.id);
          if (now?.status !== 'offline')
            throw new LifeboatError(
              'conflict',
              `The device ${device.name} changed meanwhile (it is ${now?.status ?? 'gone'}).`,
              'Look at it again with `lifeboat device show`.',
            );
          this.assertNotHeld(now);
          this.store.update(device.id, { status: 'online' });
        })();
      this.deps.log.info(online ? 'device online' : 'device offline', { device: device.name, items: items.length });
      this.changed(device.name);
      const row = this.store.byId(device.id)!;
      await this.refreshUsage(row);
      return this.toDevice(row);
    });
  }

  /** The device for a change of its configuration, shares or volumes: registered, online, not held by a failover, and not being deactivated. */
  requireWritable(name: string): DeviceRow {
    return this.writableRow(this.store.require(name));
  }

  /** The same checks on a row already read. */
  writableRow(device: DeviceRow): DeviceRow {
    this.assertNotHeld(device);
    const n = device.name;
    switch (device.status) {
      case 'online': {
        const job = this.store.activeDeactivation(n);
        if (job)
          throw new LifeboatError(
            'busy',
            `The device ${n} is being deactivated (job ${job}), so its shares and volumes cannot change.`,
            `Wait for the deactivation to end (\`lifeboat job show ${job}\`), or cancel it with \`lifeboat job cancel ${job}\` to keep using the device.`,
          );
        return device;
      }
      case 'ready-to-set-up':
        throw new LifeboatError(
          'not_allowed',
          `The device ${n} is not registered with the service yet, so nothing can change on it.`,
          `Register it first with \`lifeboat device register ${n} --registration-key KEY\` (get the key with \`lifeboat service registration-key\`).`,
        );
      case 'offline':
        throw new LifeboatError(
          'not_allowed',
          `The device ${n} is offline for maintenance, so nothing can change on it.`,
          `Bring the device online first with \`lifeboat device online ${n}\`.`,
        );
      case 'deactivated':
        throw new LifeboatError(
          'not_allowed',
          `The device ${n} is deactivated: it is read-only for good and its shares and volumes cannot change.`,
          `Fail it over to another device (\`lifeboat failover targets ${n}\`) and make changes there.`,
        );
      default:
        throw new LifeboatError(
          'not_allowed',
          `The device ${n} was deleted from the service, so nothing can change on it.`,
          'List the live devices with `lifeboat device list`.',
        );
    }
  }

  /**
   * The device for a change of access settings only (a volume's ACRs and CHAP): also a deactivated one, whose data
   * is read-only for good, so that a failover precheck refusing those settings can be fixed and the failover rerun.
   */
  requireConfigurable(name: string): DeviceRow {
    return this.configurableRow(this.store.require(name));
  }

  private configurableRow(device: DeviceRow): DeviceRow {
    this.assertNotHeld(device);
    return device.status === 'deactivated' ? device : this.writableRow(device);
  }

  /**
   * Runs a change's final write in one transaction that first re-reads the device: checks passed before disk I/O may
   * no longer hold (a deactivation or failover started meanwhile), and then nothing is written.
   */
  commit<T>(deviceId: string, need: 'writable' | 'configurable', write: () => T): T {
    return this.deps.db.transaction(() => {
      const now = this.store.byId(deviceId);
      if (!now)
        throw new LifeboatError(
          'not_found',
          'The device was removed meanwhile.',
          'List devices with `lifeboat device list`.',
        );
      if (need === 'writable') this.writableRow(now);
      else this.configurableRow(now);
      return write();
    })();
  }

  /** Engine writes into an offline share or volume are refused (tests run as root, where mode bits do not stop a write). */
  assertItemWritable(device: DeviceRow, kind: 'share' | 'volume', name: string): void {
    const row = kind === 'share' ? this.store.share(device.id, name) : this.store.volume(device.id, name);
    if (row && !row.online)
      throw new LifeboatError(
        'not_allowed',
        `The ${kind} ${name} on ${device.name} is offline and read-only.`,
        `Bring it online with \`lifeboat ${kind} online ${device.name} ${name}\`.`,
      );
  }

  /** Takes every share or volume of a device offline or online, with no status checks (deactivation and failover). */
  async setItemsOnline(device: DeviceRow, online: boolean): Promise<void> {
    for (const s of this.store.shares(device.id)) await this.items.applyOnline(device, 'share', s, online);
    for (const v of this.store.volumes(device.id)) await this.items.applyOnline(device, 'volume', v, online);
    this.changed(device.name);
  }

  private queue: Promise<unknown>;
  /** Changes run one at a time, so that two at once cannot both pass a name, root or capacity check. */
  private serial<T>(f: () => T | Promise<T>): Promise<T> {
    const run = this.queue.then(() => f());
    this.queue = run.catch(() => undefined);
    return run;
  }

  changed(device: string): void {
    this.deps.bus.emit({ type: 'device.changed', device });
  }

  usageOf(itemId: string): number {
    return this.usage.of(itemId);
  }

  /** Whether the data root is there (checked on every look, it is one lstat), and usage as of at most the TTL ago. */
  async refreshUsage(device: DeviceRow, opts: { now?: boolean } = {}): Promise<void> {
    if (device.status === 'deleted') return;
    if (opts.now) return this.usage.refresh(device);
    if (await this.usage.checkRoot(device)) await this.usage.fresh(device);
  }

  toDevice(row: DeviceRow): Device {
    const shares = this.store.shares(row.id);
    const volumes = this.store.volumes(row.id);
    const provisioned = shares.reduce((a, s) => a + s.quota, 0) + volumes.reduce((a, v) => a + v.size, 0);
    const used = [...shares, ...volumes].reduce((a, i) => a + this.usageOf(i.id), 0);
    const last = this.backups.newestOf(row.id);
    const health = this.health(row, shares, volumes, provisioned, used);
    return {
      id: row.id,
      name: row.name,
      type: row.type,
      status: row.status,
      root: row.root,
      site: deviceSiteName(this.sites, row.site_id),
      capacity: row.capacity,
      provisioned,
      used,
      domain: row.domain,
      timeZone: row.time_zone,
      fips: row.fips === 1,
      account: row.account_id ? (this.deps.accounts.store.byId(row.account_id)?.name ?? null) : null,
      model: DEVICE_MODEL,
      softwareVersion: VERSION,
      serial: row.serial,
      health: health.health,
      healthReasons: health.reasons,
      shares: shares.length,
      volumes: volumes.length,
      lastBackupAt: last?.created_at ?? null,
      lastBackupId: last?.backup_id ?? null,
      policy: policyOf(row),
      // The column holds the replaced device's id (names are reused); the API shows its name.
      replaces: row.replaces ? (this.store.byId(row.replaces)?.name ?? null) : null,
      failoverJobId: row.failover_job_id,
      createdAt: row.created_at,
      registeredAt: row.registered_at,
      deactivatedAt: row.deactivated_at,
    };
  }

  /** Health by the one rule (health.ts), with the newest backup of the device's data: its own or its lineage's. */
  private health(row: DeviceRow, shares: ShareRow[], volumes: VolumeRow[], provisioned: number, used: number) {
    return assessHealth(
      {
        name: row.name,
        status: row.status,
        ...this.usage.rootFacts(row.id),
        capacity: row.capacity,
        provisioned,
        used,
        overQuota: shares.filter((s) => this.usageOf(s.id) > s.quota).map((s) => s.name),
        offlineItems: [...shares, ...volumes].filter((i) => !i.online).map((i) => i.name),
        items: shares.length + volumes.length,
        policy: policyOf(row),
        lastBackupAt: row.status === 'online' ? (this.backups.lineage(row)[0]?.created_at ?? null) : null,
      },
      this.now(),
    );
  }

  toShare(device: DeviceRow, row: ShareRow): Share {
    const used = this.usageOf(row.id);
    return {
      id: row.id,
      device: device.name,
      name: row.name,
      description: row.description,
      tier: row.tier,
      quota: row.quota,
      used,
      overQuota: used > row.quota,
      users: JSON.parse(row.users) as string[],
      online: row.online === 1,
      path: this.sharePath(device, row.name),
      createdAt: row.created_at,
    };
  }

  toVolume(device: DeviceRow, row: VolumeRow): Volume {
    return {
      id: row.id,
      device: device.name,
      name: row.name,
      size: row.size,
      allocated: this.usageOf(row.id),
      tier: row.tier,
      type: row.type,
      acrs: JSON.parse(row.acrs) as Volume['acrs'],
      chapUser: row.chap_user,
      online: row.online === 1,
      path: this.volumePath(device, row.name),
      createdAt: row.created_at,
    };
  }

  // ---- devices (the wizard's steps are in setup.ts) ----

  create(input: CallParsedInput<'devices.create'>): Promise<Device> {
    return this.serial(async () => {
      const row = this.firstSchedule(await this.setup.create(input));
      this.changed(row.name);
      await this.refreshUsage(row, { now: true });
      return this.toDevice(row);
    });
  }

  register(input: CallParsedInput<'devices.register'>): Promise<Device> {
    return this.serial(async () => {
      const row = this.firstSchedule(await this.setup.register(input));
      this.changed(row.name);
      await this.refreshUsage(row, { now: true });
      return this.toDevice(row);
    });
  }

  /** A device that has just come online under its (default daily) policy gets the time of its first scheduled backup. */
  private firstSchedule(row: DeviceRow): DeviceRow {
    if (row.status !== 'online' || row.next_backup_at) return row;
    const next = nextBackupAt(policyOf(row), row.time_zone, new Date(this.now()));
    if (!next) return row;
    this.store.update(row.id, { next_backup_at: next.toISOString() });
    return this.store.byId(row.id)!;
  }

  async list(input: CallParsedInput<'devices.list'>): Promise<Device[]> {
    const rows = this.store.list({ all: input.all });
    for (const r of rows) await this.refreshUsage(r);
    return rows.map((r) => this.toDevice(r));
  }

  /** The device with its shares, volumes and newest jobs (the API adds its backups and heat map: devices/handlers.ts). */
  async show(name: string, opts: { refresh?: boolean } = {}): Promise<Omit<DeviceDetail, 'backups' | 'heat'>> {
    const row = this.store.byName(name, { includeDeleted: true }) ?? this.store.require(name);
    await this.refreshUsage(row, { now: opts.refresh });
    const jobs = this.deps.jobs.find({ objectKind: 'device', objectName: row.name }, { newest: 10 });
    return {
      device: this.toDevice(row),
      shares: this.store.shares(row.id).map((s) => this.toShare(row, s)),
      volumes: this.store.volumes(row.id).map((v) => this.toVolume(row, v)),
      jobs: jobs.map((j) => j.id),
    };
  }

  remove(name: string): Promise<{ removed: string }> {
    return this.serial(() => this.removeNow(name));
  }

  private removeNow(name: string): { removed: string } {
    const device = this.store.require(name);
    this.assertNotHeld(device);
    const job = this.store.activeDeactivation(device.name);
    if (job)
      throw new LifeboatError(
        'busy',
        `The device ${device.name} is being deactivated (job ${job}).`,
        `Wait for the deactivation to end, or cancel it with \`lifeboat job cancel ${job}\`.`,
      );
    const shares = this.store.shares(device.id).length;
    const volumes = this.store.volumes(device.id).length;
    if (shares + volumes > 0) {
      const what = shares ? `${shares} share${shares > 1 ? 's' : ''}` : `${volumes} volume${volumes > 1 ? 's' : ''}`;
      const how =
        device.status === 'deactivated'
          ? `fail it over first (\`lifeboat failover targets ${device.name}\`)`
          : `delete them first with \`lifeboat ${shares ? 'share' : 'volume'} delete\``;
      throw new LifeboatError(
        'not_allowed',
        `The device ${device.name} still has ${what}, so it cannot be removed.`,
        `To remove it, ${how}.`,
      );
    }
    // A device with backups stays as a deleted record so its backups keep their owner; the data root is left as is
    // (with its marker, so a new device can take it over).
    const hasBackups = this.backups.hasAny(device.id);
    if (hasBackups) this.store.update(device.id, { status: 'deleted', deleted_at: new Date().toISOString() });
    else this.store.remove(device.id);
    this.deps.log.info('device removed', { device: device.name, keptAsDeleted: hasBackups });
    this.changed(device.name);
    return { removed: device.name };
  }

  // ---- shares and volumes (items.ts) ----

  createShare(input: CallParsedInput<'shares.create'>): Promise<Share> {
    return this.serial(() => this.items.createShare(input));
  }
  listShares(device: string): Promise<Share[]> {
    return this.items.listShares(device);
  }
  editShare(input: CallParsedInput<'shares.edit'>): Promise<Share> {
    return this.serial(() => this.items.editShare(input));
  }
  setShareOnline(device: string, name: string, online: boolean): Promise<Share> {
    return this.serial(() => this.items.setShareOnline(device, name, online));
  }
  deleteShare(device: string, name: string): Promise<{ deleted: string; device: string }> {
    return this.serial(() => this.items.deleteShare(device, name));
  }
  createVolume(input: CallParsedInput<'volumes.create'>): Promise<Volume> {
    return this.serial(() => this.items.createVolume(input));
  }
  listVolumes(device: string): Promise<Volume[]> {
    return this.items.listVolumes(device);
  }
  editVolume(input: CallParsedInput<'volumes.edit'>): Promise<Volume> {
    return this.serial(() => this.items.editVolume(input));
  }
  setVolumeOnline(device: string, name: string, online: boolean): Promise<Volume> {
    return this.serial(() => this.items.setVolumeOnline(device, name, online));
  }
  deleteVolume(device: string, name: string): Promise<{ deleted: string; device: string }> {
    return this.serial(() => this.items.deleteVolume(device, name));
  }
}
