/**
 * Devices, shares and volumes as rows. CHAP secrets live in the secret store under `volume-chap:<id>`, never in a
 * table, the log or an API answer. Device backups, ownership and failover build on this store.
 */
import type { DeviceStatus, DeviceType } from '../../shared/device-schemas';
import type { Db } from '../db/database';
import type { JobStore } from '../jobs/store';
import { LifeboatError } from '../../shared/errors';
import type { SecretStore } from '../secrets';

export interface DeviceRow {
  id: string;
  name: string;
  type: DeviceType;
  status: DeviceStatus;
  root: string;
  capacity: number;
  domain: string | null;
  time_zone: string;
  fips: number;
  account_id: string | null;
  serial: string;
  lineage: string;
  /** The id of the device this one took over by failover (the API shows its name). */
  replaces: string | null;
  /** JSON of the BackupPolicy without nextAt (that is next_backup_at). */
  policy: string;
  next_backup_at: string | null;
  failover_job_id: string | null;
  created_at: string;
  updated_at: string;
  registered_at: string | null;
  deactivated_at: string | null;
  deleted_at: string | null;
  /** The agent site holding the data root (its root is a path on the agent's host); null: this machine. */
  site_id: string | null;
}

export interface ShareRow {
  id: string;
  device_id: string;
  name: string;
  description: string;
  tier: 'tiered' | 'locally-pinned';
  quota: number;
  /** JSON string[] */
  users: string;
  online: number;
  created_at: string;
  updated_at: string;
}

export interface VolumeRow {
  id: string;
  device_id: string;
  name: string;
  size: number;
  tier: 'tiered' | 'locally-pinned';
  type: 'general' | 'archival';
  /** JSON Acr[] */
  acrs: string;
  chap_user: string | null;
  online: number;
  created_at: string;
  updated_at: string;
}

const chapName = (volumeId: string) => `volume-chap:${volumeId}`;
const DEVICE_COLUMNS = new Set([
  'name',
  'type',
  'status',
  'root',
  'capacity',
  'domain',
  'time_zone',
  'fips',
  'account_id',
  'serial',
  'lineage',
  'replaces',
  'policy',
  'next_backup_at',
  'failover_job_id',
  'created_at',
  'registered_at',
  'deactivated_at',
  'deleted_at',
]);
const ITEM_COLUMNS = {
  shares: new Set(['name', 'description', 'tier', 'quota', 'users', 'online']),
  volumes: new Set(['name', 'size', 'tier', 'type', 'acrs', 'chap_user', 'online']),
};

export class DeviceStore {
  constructor(
    readonly db: Db,
    private readonly secrets: SecretStore,
    /** The jobs' store: which deactivation job still works on a device. */
    private readonly jobs: JobStore,
  ) {}

  byId(id: string): DeviceRow | undefined {
    return this.db.prepare('SELECT * FROM devices WHERE id = ?').get(id) as DeviceRow | undefined;
  }

  /** The live device of that name (names are unique among live devices only), else the newest deleted one if asked. */
  byName(name: string, opts: { includeDeleted?: boolean } = {}): DeviceRow | undefined {
    const live = this.db.prepare("SELECT * FROM devices WHERE name = ? AND status <> 'deleted'").get(name) as
      DeviceRow | undefined;
    if (live || !opts.includeDeleted) return live;
    return this.db
      .prepare(
        "SELECT * FROM devices WHERE name = ? AND status = 'deleted' ORDER BY deleted_at DESC, created_at DESC LIMIT 1",
      )
      .get(name) as DeviceRow | undefined;
  }

  require(name: string): DeviceRow {
    const row = this.byName(name);
    if (!row)
      throw new LifeboatError('not_found', `There is no device ${name}.`, 'List devices with `lifeboat device list`.');
    return row;
  }

  list(opts: { all?: boolean } = {}): DeviceRow[] {
    const where = opts.all ? '' : "WHERE status <> 'deleted'";
    return this.db.prepare(`SELECT * FROM devices ${where} ORDER BY name, created_at`).all() as DeviceRow[];
  }

  insert(row: DeviceRow): void {
    this.db
      .prepare(
        `INSERT INTO devices VALUES (@id, @name, @type, @status, @root, @capacity, @domain, @time_zone, @fips, @account_id, @serial, @lineage,
         @replaces, @policy, @next_backup_at, @failover_job_id, @created_at, @updated_at, @registered_at, @deactivated_at, @deleted_at, @site_id)`,
      )
      .run({ ...row, site_id: row.site_id ?? null }); // a device record from an older backup has no site_id
  }

  update(id: string, patch: Partial<DeviceRow>): void {
    this.updateRow('devices', DEVICE_COLUMNS, id, patch);
  }

  /** The id of a deactivation job of the device that has not ended (queued, running or paused), if any. */
  activeDeactivation(deviceName: string): string | null {
    return this.jobs.unfinished({ types: ['device.deactivate'], objectName: deviceName })[0] ?? null;
  }

  /** Lets go of the devices a failover job holds, if it still holds them (a hold another job took stays). */
  releaseHold(deviceIds: string[], jobId: string): void {
    const release = this.db.prepare(
      'UPDATE devices SET failover_job_id = NULL, updated_at = ? WHERE id = ? AND failover_job_id = ?',
    );
    const now = new Date().toISOString();
    this.db.transaction(() => deviceIds.forEach((id) => release.run(now, id, jobId)))();
  }

  /** Removes a device row and (by cascade) its shares, volumes and device backups; CHAP secrets go too. */
  /** The name of a live (not deleted) device that keeps its backups in the account, the first by name. */
  liveUsingAccount(accountId: string): string | undefined {
    const row = this.db
      .prepare("SELECT name FROM devices WHERE account_id = ? AND status <> 'deleted' ORDER BY name LIMIT 1")
      .get(accountId);
    return (row as { name: string } | undefined)?.name;
  }

  /** Deleted devices kept for their backups lose them with the account (device_backups follow backups by cascade). */
  detachDeleted(accountId: string): void {
    this.db.prepare("UPDATE devices SET account_id = NULL WHERE account_id = ? AND status = 'deleted'").run(accountId);
  }

  remove(id: string): void {
    this.db.transaction(() => {
      this.deleteVolumes(id);
      this.db.prepare('DELETE FROM devices WHERE id = ?').run(id);
    })();
  }

  shares(deviceId: string): ShareRow[] {
    return this.db.prepare('SELECT * FROM shares WHERE device_id = ? ORDER BY name').all(deviceId) as ShareRow[];
  }

  share(deviceId: string, name: string): ShareRow | undefined {
    return this.db.prepare('SELECT * FROM shares WHERE device_id = ? AND name = ?').get(deviceId, name) as
      ShareRow | undefined;
  }

  volumes(deviceId: string): VolumeRow[] {
    return this.db.prepare('SELECT * FROM volumes WHERE device_id = ? ORDER BY name').all(deviceId) as VolumeRow[];
  }

  volume(deviceId: string, name: string): VolumeRow | undefined {
    return this.db.prepare('SELECT * FROM volumes WHERE device_id = ? AND name = ?').get(deviceId, name) as
      VolumeRow | undefined;
  }

  insertShare(row: ShareRow): void {
    this.db
      .prepare(
        'INSERT INTO shares VALUES (@id, @device_id, @name, @description, @tier, @quota, @users, @online, @created_at, @updated_at)',
      )
      .run(row);
  }

  insertVolume(row: VolumeRow): void {
    this.db
      .prepare(
        'INSERT INTO volumes VALUES (@id, @device_id, @name, @size, @tier, @type, @acrs, @chap_user, @online, @created_at, @updated_at)',
      )
      .run(row);
  }

  updateShare(id: string, patch: Partial<ShareRow>): void {
    this.updateRow('shares', ITEM_COLUMNS.shares, id, patch);
  }

  updateVolume(id: string, patch: Partial<VolumeRow>): void {
    this.updateRow('volumes', ITEM_COLUMNS.volumes, id, patch);
  }

  /** Sets the given columns (undefined ones are left as they are) and updated_at. */
  private updateRow(table: 'devices' | 'shares' | 'volumes', columns: Set<string>, id: string, patch: object): void {
    const p = patch as Record<string, unknown>;
    const keys = Object.keys(p).filter((k) => columns.has(k) && p[k] !== undefined);
    const sets = [...keys.map((k) => `${k} = @${k}`), 'updated_at = @updated_at'].join(', ');
    const values = Object.fromEntries(keys.map((k) => [k, p[k]]));
    this.db
      .prepare(`UPDATE ${table} SET ${sets} WHERE id = @id`)
      .run({ ...values, id, updated_at: new Date().toISOString() });
  }

  deleteShare(id: string): void {
    this.db.prepare('DELETE FROM shares WHERE id = ?').run(id);
  }

  deleteVolume(id: string): void {
    this.db.transaction(() => {
      this.secrets.delete(chapName(id));
      this.db.prepare('DELETE FROM volumes WHERE id = ?').run(id);
    })();
  }

  deleteShares(deviceId: string): void {
    this.db.prepare('DELETE FROM shares WHERE device_id = ?').run(deviceId);
  }

  deleteVolumes(deviceId: string): void {
    this.db.transaction(() => {
      for (const v of this.volumes(deviceId)) this.secrets.delete(chapName(v.id));
      this.db.prepare('DELETE FROM volumes WHERE device_id = ?').run(deviceId);
    })();
  }

  chapSecret(volumeId: string): string | null {
    return this.secrets.get(chapName(volumeId));
  }

  setChapSecret(volumeId: string, secret: string | null): void {
    if (secret === null) this.secrets.delete(chapName(volumeId));
    else this.secrets.set(chapName(volumeId), secret);
  }
}
