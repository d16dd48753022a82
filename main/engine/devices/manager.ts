/** Virtual arrays: devices on data roots with their shares and volumes (configuration, validation, status). */
import path from 'node:path';
import crypto from 'node:crypto';
import type { CallOutput, CallParsedInput } from '../api/contract';
import type { Device, Share, Volume } from '../api/device-schemas';
import type { Engine } from '../engine';
import { LifeboatError } from '../errors';
import { newId } from '../keys';
import { VERSION } from '../paths';
import { formatBytes, parseSize } from '../units';
import { LocalDeviceAgent, type DeviceAgent } from './agent';
import { DeviceItems } from './items';
import { DeviceStore, type DeviceRow, type ShareRow, type VolumeRow } from './store';
import { checkDeviceName, checkDomain, checkTimeZone } from './validation';

export const DEVICE_MODEL = 'Lifeboat Virtual Array';
const DEFAULT_POLICY = { frequency: 'off', time: '22:00', weekday: null, retention: 7 } as const;
/** Past this share of the root's free space a capacity is allowed, with a warning alert. */
const CAPACITY_WARN = 0.9;

const pct = (part: number, whole: number) => `${Math.round((100 * part) / whole)}%`;

export class DeviceManager {
  readonly store: DeviceStore;
  readonly items: DeviceItems;
  /** Bytes on disk per share/volume id, and whether each device root was found, as of the last refresh. */
  private readonly usageCache = new Map<string, number>();
  private readonly rootMissing = new Set<string>();

  constructor(
    readonly engine: Engine,
    readonly agent: DeviceAgent = new LocalDeviceAgent(),
  ) {
    this.store = new DeviceStore(engine.db, engine.secrets);
    this.items = new DeviceItems(this);
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

  /** TODO(E1): inspect a folder as a data root (see RootCheck). */
  async inspectRoot(root: string): Promise<CallOutput<'devices.checkRoot'>> {
    throw new LifeboatError('not_allowed', `Checking ${root} is not available yet.`);
  }

  /** TODO(E1): device maintenance (offline/online). */
  async setDeviceOnline(name: string, online: boolean): Promise<CallOutput<'devices.online'>> {
    throw new LifeboatError('not_allowed', `Taking ${name} ${online ? 'online' : 'offline'} is not available yet.`);
  }

  /** The device for a change of its configuration, shares or volumes: registered, online, and not held by a failover. */
  requireWritable(name: string): DeviceRow {
    const device = this.store.require(name);
    this.assertNotHeld(device);
    const n = device.name;
    switch (device.status) {
      case 'online':
        return device;
      case 'ready-to-set-up':
        throw new LifeboatError('not_allowed', `The device ${n} is not registered with the service yet, so nothing can change on it.`, `Register it first with \`lifeboat device register ${n} --registration-key KEY\` (get the key with \`lifeboat service registration-key\`).`);
      case 'offline':
        throw new LifeboatError('not_allowed', `The device ${n} is offline for maintenance, so nothing can change on it.`, 'Bring the device online first.');
      case 'deactivated':
        throw new LifeboatError('not_allowed', `The device ${n} is deactivated: it is read-only for good and its shares and volumes cannot change.`, `Fail it over to another device (\`lifeboat failover targets ${n}\`) and make changes there.`);
      default:
        throw new LifeboatError('not_allowed', `The device ${n} was deleted from the service, so nothing can change on it.`, 'List the live devices with `lifeboat device list`.');
    }
  }

  /**
   * The device for a change of access settings only (a volume's ACRs and CHAP): also a deactivated one, whose data
   * is read-only for good, so that a failover precheck refusing those settings can be fixed and the failover rerun.
   */
  requireConfigurable(name: string): DeviceRow {
    const device = this.store.require(name);
    this.assertNotHeld(device);
    return device.status === 'deactivated' ? device : this.requireWritable(name);
  }

  /** Engine writes into an offline share or volume are refused (tests run as root, where mode bits do not stop a write). */
  assertItemWritable(device: DeviceRow, kind: 'share' | 'volume', name: string): void {
    const row = kind === 'share' ? this.store.share(device.id, name) : this.store.volume(device.id, name);
    if (row && !row.online)
      throw new LifeboatError('not_allowed', `The ${kind} ${name} on ${device.name} is offline and read-only.`, `Bring it online with \`lifeboat ${kind} online ${device.name} ${name}\`.`);
  }

  /** Takes every share or volume of a device offline or online, with no status checks (deactivation and failover). */
  async setItemsOnline(device: DeviceRow, online: boolean): Promise<void> {
    for (const s of this.store.shares(device.id)) await this.items.applyOnline(device, 'share', s, online);
    for (const v of this.store.volumes(device.id)) await this.items.applyOnline(device, 'volume', v, online);
    this.changed(device.name);
  }

  private queue: Promise<unknown> = Promise.resolve();
  /** Changes run one at a time, so that two at once cannot both pass a name, root or capacity check. */
  private serial<T>(f: () => T | Promise<T>): Promise<T> {
    const run = this.queue.then(() => f());
    this.queue = run.catch(() => undefined);
    return run;
  }

  changed(device: string): void {
    this.engine.bus.emit({ type: 'device.changed', device });
  }

  usageOf(itemId: string): number {
    return this.usageCache.get(itemId) ?? 0;
  }

  /** Measures what each share and volume of a device uses on disk; raises or clears over-quota alerts. */
  async refreshUsage(device: DeviceRow): Promise<void> {
    if (device.status === 'deleted') return;
    if (!(await this.agent.exists(device.root))) this.rootMissing.add(device.id);
    else this.rootMissing.delete(device.id);
    for (const s of this.store.shares(device.id)) this.usageCache.set(s.id, await this.agent.usage(this.sharePath(device, s.name)));
    for (const v of this.store.volumes(device.id)) this.usageCache.set(v.id, await this.agent.usage(this.volumePath(device, v.name)));
    this.items.checkQuotas(device);
  }

  toDevice(row: DeviceRow): Device {
    const shares = this.store.shares(row.id);
    const volumes = this.store.volumes(row.id);
    const provisioned = shares.reduce((a, s) => a + s.quota, 0) + volumes.reduce((a, v) => a + v.size, 0);
    const used = [...shares, ...volumes].reduce((a, i) => a + this.usageOf(i.id), 0);
    const last = this.engine.db.prepare('SELECT backup_id, created_at FROM device_backups WHERE device_id = ? ORDER BY created_at DESC LIMIT 1').get(row.id) as
      | { backup_id: string; created_at: string }
      | undefined;
    return {
      id: row.id,
      name: row.name,
      type: row.type,
      status: row.status,
      root: row.root,
      capacity: row.capacity,
      provisioned,
      used,
      domain: row.domain,
      timeZone: row.time_zone,
      fips: row.fips === 1,
      account: row.account_id ? (this.engine.accounts.store.byId(row.account_id)?.name ?? null) : null,
      model: DEVICE_MODEL,
      softwareVersion: VERSION,
      serial: row.serial,
      health: this.health(row, shares, volumes, provisioned, used),
      shares: shares.length,
      volumes: volumes.length,
      lastBackupAt: last?.created_at ?? null,
      lastBackupId: last?.backup_id ?? null,
      policy: { ...DEFAULT_POLICY, ...(JSON.parse(row.policy) as object), nextAt: row.next_backup_at },
      replaces: row.replaces,
      failoverJobId: row.failover_job_id,
      createdAt: row.created_at,
      registeredAt: row.registered_at,
      deactivatedAt: row.deactivated_at,
    };
  }

  /** Critical: the data root is gone, a share is over quota, or more is used than the capacity. Warning: the device is offline, provisioned past 90%, or an item is offline on an online device. */
  private health(row: DeviceRow, shares: ShareRow[], volumes: VolumeRow[], provisioned: number, used: number): Device['health'] {
    if (row.status === 'deleted') return 'healthy';
    if (this.rootMissing.has(row.id) || used > row.capacity || shares.some((s) => this.usageOf(s.id) > s.quota)) return 'critical';
    const offlineItem = row.status === 'online' && [...shares, ...volumes].some((i) => !i.online);
    if (row.status === 'offline' || provisioned > CAPACITY_WARN * row.capacity || offlineItem) return 'warning';
    return 'healthy';
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

  // ---- devices ----

  create(input: CallParsedInput<'devices.create'>): Promise<CallOutput<'devices.create'>> {
    return this.serial(() => this.createNow(input));
  }

  private async createNow(input: CallParsedInput<'devices.create'>): Promise<CallOutput<'devices.create'>> {
    const name = checkDeviceName(input.name);
    const clash = this.store.byName(name);
    if (clash) throw new LifeboatError('conflict', `name: there is already a device named ${clash.name}.`, 'Choose another name, or see the devices with `lifeboat device list`.');
    if (input.domain !== undefined && input.type === 'iscsi')
      throw new LifeboatError('invalid_input', 'domain: only a file server joins a domain; an iSCSI server has none.', 'Leave out --domain, or create a file server (--type file).');
    const domain = input.domain === undefined ? null : checkDomain(input.domain);
    const timeZone = checkTimeZone(input.timeZone);
    const root = await this.checkRoot(input.root);
    const capacity = parseSize(input.capacity, 'capacity');
    const free = await this.agent.freeBytes(root);
    if (capacity > free)
      throw new LifeboatError('invalid_input', `capacity: ${formatBytes(capacity)} is more than the ${formatBytes(free)} free on the filesystem of ${root}.`, `Give a capacity of at most ${formatBytes(free)}, or choose a data root on a larger disk.`);
    const key = input.registrationKey?.trim() || null;
    if (key !== null) this.checkRegistrationKey(key);
    const account = await this.accountFor(input.account);

    const now = new Date().toISOString();
    const row: DeviceRow = {
      id: newId('dev'),
      name,
      type: input.type,
      status: key ? 'online' : 'ready-to-set-up',
      root,
      capacity,
      domain,
      time_zone: timeZone,
      fips: input.fips ? 1 : 0,
      account_id: account,
      serial: `LBVA-${crypto.randomBytes(5).toString('hex').toUpperCase()}`,
      lineage: newId('lineage'),
      replaces: null,
      policy: JSON.stringify(DEFAULT_POLICY),
      next_backup_at: null,
      failover_job_id: null,
      created_at: now,
      updated_at: now,
      registered_at: key ? now : null,
      deactivated_at: null,
      deleted_at: null,
    };
    await this.agent.prepareRoot(root, { id: row.id, name, type: row.type, createdAt: now });
    try {
      this.store.insert(row);
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) throw new LifeboatError('conflict', `name: there is already a device named ${name}.`, 'Choose another name.');
      throw err;
    }
    this.engine.log.info('device created', { device: name, type: row.type, root, capacity, status: row.status });
    if (capacity > CAPACITY_WARN * free)
      this.engine.alerts.raise({
        severity: 'warning',
        title: `Device ${name}: capacity close to the free disk space`,
        message: `The capacity of ${name} (${formatBytes(capacity)}) is ${pct(capacity, free)} of the ${formatBytes(free)} free on the filesystem of ${root}; shares or volumes may not fit once they fill up.`,
        hint: 'Free space on that disk, or keep the provisioned size of shares and volumes below the free space.',
        objectKind: 'device',
        objectName: name,
        jobId: null,
      });
    this.changed(name);
    await this.refreshUsage(row);
    return this.toDevice(row);
  }

  /** Absolute; empty or missing (created), or the root of a previous device that is no longer live here. */
  private async checkRoot(given: string): Promise<string> {
    const hint = 'Choose an empty folder (or one that does not exist yet), or the data root of a device that was removed.';
    if (!path.isAbsolute(given)) throw new LifeboatError('invalid_input', `root: give an absolute path (got ${given}).`, hint);
    const root = path.resolve(given);
    for (const d of this.store.list()) {
      const inside = (a: string, b: string) => a === b || a.startsWith(b.endsWith(path.sep) ? b : b + path.sep);
      if (inside(root, d.root) || inside(d.root, root))
        throw new LifeboatError('conflict', `root: ${root} ${root === d.root ? 'is' : 'overlaps'} the data root of the device ${d.name} (${d.root}).`, hint);
    }
    const state = await this.agent.inspectRoot(root);
    if (state.exists && !state.isDirectory) throw new LifeboatError('invalid_input', `root: ${root} is a file, not a folder.`, hint);
    if (state.marker) {
      const owner = this.store.byId(state.marker.id);
      if (owner && owner.status !== 'deleted')
        throw new LifeboatError('conflict', `root: ${root} is the data root of the device ${owner.name}.`, hint);
      return root;
    }
    if (state.entries.length > 0) {
      const shown = state.entries.slice(0, 3).join(', ') + (state.entries.length > 3 ? ', …' : '');
      throw new LifeboatError('invalid_input', `root: ${root} is not empty (it holds ${shown}) and is not the data root of a previous Lifeboat device.`, hint);
    }
    return root;
  }

  private checkRegistrationKey(key: string): void {
    if (!this.engine.service.get())
      throw new LifeboatError('not_initialized', 'registrationKey: no service is set up yet, so a device cannot register with it.', 'Create the service first with `lifeboat service init --name NAME` (or join one with `lifeboat service join`), then register the device.');
    const expected = Buffer.from(this.engine.service.registrationKey().trim());
    const given = Buffer.from(key);
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected))
      throw new LifeboatError('invalid_input', 'registrationKey: this is not the service registration key.', 'Get the key with `lifeboat service registration-key` and paste it whole.');
  }

  /** The named account, else the default one (which needs a service; without one the device gets it when it registers). */
  private async accountFor(name: string | undefined): Promise<string | null> {
    if (name) return this.engine.accounts.store.require(name).id;
    if (!this.engine.service.get()) return null;
    return (await this.engine.accounts.ensureDefault()).id;
  }

  register(input: CallParsedInput<'devices.register'>): Promise<CallOutput<'devices.register'>> {
    return this.serial(() => this.registerNow(input));
  }

  private async registerNow(input: CallParsedInput<'devices.register'>): Promise<CallOutput<'devices.register'>> {
    const device = this.store.require(input.name);
    this.assertNotHeld(device);
    if (device.status === 'online' || device.status === 'offline')
      throw new LifeboatError('conflict', `The device ${device.name} is already registered.`, 'Nothing to do.');
    if (device.status !== 'ready-to-set-up') this.requireWritable(device.name);
    this.checkRegistrationKey(input.registrationKey.trim());
    const accountId = device.account_id ?? (await this.accountFor(undefined));
    const now = new Date().toISOString();
    this.store.update(device.id, { status: 'online', registered_at: now, account_id: accountId });
    this.engine.log.info('device registered', { device: device.name });
    this.changed(device.name);
    const row = this.store.byId(device.id)!;
    await this.refreshUsage(row);
    return this.toDevice(row);
  }

  async list(input: CallParsedInput<'devices.list'>): Promise<CallOutput<'devices.list'>> {
    const rows = this.store.list({ all: input.all });
    for (const r of rows) await this.refreshUsage(r);
    return rows.map((r) => this.toDevice(r));
  }

  async show(name: string): Promise<CallOutput<'devices.show'>> {
    const row = this.store.byName(name, { includeDeleted: true }) ?? this.store.require(name);
    await this.refreshUsage(row);
    const jobs = this.engine.db
      .prepare("SELECT id FROM jobs WHERE object_kind = 'device' AND object_name = ? COLLATE NOCASE ORDER BY created_at DESC, rowid DESC LIMIT 10")
      .all(row.name) as { id: string }[];
    return {
      device: this.toDevice(row),
      shares: this.store.shares(row.id).map((s) => this.toShare(row, s)),
      volumes: this.store.volumes(row.id).map((v) => this.toVolume(row, v)),
      backups: this.engine.deviceBackups.listFor(row.id),
      heat: this.engine.deviceBackups.heatMap(row.id),
      jobs: jobs.map((j) => j.id),
    };
  }

  remove(name: string): Promise<CallOutput<'devices.remove'>> {
    return this.serial(() => this.removeNow(name));
  }

  private removeNow(name: string): CallOutput<'devices.remove'> {
    const device = this.store.require(name);
    this.assertNotHeld(device);
    const shares = this.store.shares(device.id).length;
    const volumes = this.store.volumes(device.id).length;
    if (shares + volumes > 0) {
      const what = shares ? `${shares} share${shares > 1 ? 's' : ''}` : `${volumes} volume${volumes > 1 ? 's' : ''}`;
      const how = device.status === 'deactivated' ? `fail it over first (\`lifeboat failover targets ${device.name}\`)` : `delete them first with \`lifeboat ${shares ? 'share' : 'volume'} delete\``;
      throw new LifeboatError('not_allowed', `The device ${device.name} still has ${what}, so it cannot be removed.`, `To remove it, ${how}.`);
    }
    // A device with backups stays as a deleted record so its backups keep their owner; the data root is left as is
    // (with its marker, so a new device can take it over).
    const hasBackups = !!this.engine.db.prepare('SELECT 1 FROM device_backups WHERE device_id = ? LIMIT 1').get(device.id);
    if (hasBackups) this.store.update(device.id, { status: 'deleted', deleted_at: new Date().toISOString() });
    else this.store.remove(device.id);
    this.engine.log.info('device removed', { device: device.name, keptAsDeleted: hasBackups });
    this.changed(device.name);
    return { removed: device.name };
  }

  // ---- shares and volumes (items.ts) ----

  createShare(input: CallParsedInput<'shares.create'>): Promise<CallOutput<'shares.create'>> {
    return this.serial(() => this.items.createShare(input));
  }
  listShares(device: string): Promise<CallOutput<'shares.list'>> {
    return this.items.listShares(device);
  }
  editShare(input: CallParsedInput<'shares.edit'>): Promise<CallOutput<'shares.edit'>> {
    return this.serial(() => this.items.editShare(input));
  }
  setShareOnline(device: string, name: string, online: boolean): Promise<CallOutput<'shares.online'>> {
    return this.serial(() => this.items.setShareOnline(device, name, online));
  }
  deleteShare(device: string, name: string): Promise<CallOutput<'shares.delete'>> {
    return this.serial(() => this.items.deleteShare(device, name));
  }
  createVolume(input: CallParsedInput<'volumes.create'>): Promise<CallOutput<'volumes.create'>> {
    return this.serial(() => this.items.createVolume(input));
  }
  listVolumes(device: string): Promise<CallOutput<'volumes.list'>> {
    return this.items.listVolumes(device);
  }
  editVolume(input: CallParsedInput<'volumes.edit'>): Promise<CallOutput<'volumes.edit'>> {
    return this.serial(() => this.items.editVolume(input));
  }
  setVolumeOnline(device: string, name: string, online: boolean): Promise<CallOutput<'volumes.online'>> {
    return this.serial(() => this.items.setVolumeOnline(device, name, online));
  }
  deleteVolume(device: string, name: string): Promise<CallOutput<'volumes.delete'>> {
    return this.serial(() => this.items.deleteVolume(device, name));
  }
}
