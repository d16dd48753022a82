/**
 * Device records in the storage account: what a fresh install needs, beside the backups, to get a lost
 * installation's devices back (docs/repository-format.md, "Device records"). One sealed object per device under
 * `devices/<keyed name>/`, rewritten (under a new name: names are never reused) whenever what it holds changes:
 * the device row, its shares and volumes with their CHAP secrets, its policy and lineage, and its device backups
 * (kind and item settings; heat for the newest only). The keyed name is an HMAC of the device id, so the account's
 * listing shows neither ids nor names; the body is sealed with the data key like every other object.
 *
 * Writing is off the caller's path: a `device.changed` event marks the device dirty and one loop writes dirty
 * devices whose record differs from the last one written (its hash is kept in settings), so usage refreshes and
 * other events that change nothing recorded cost a few queries. A failed write is retried at the next change and at
 * every start. Engine.close() waits for the loop (flush), so a one-shot CLI command's change reaches the account.
 */
import crypto from 'node:crypto';
import type { AccountManager } from '../accounts/manager';
import type { EventBus } from '../events';
import type { Logger } from '../log';
import { deriveKeys, randomId, seal, unseal, type RepoKeys } from '../repo/crypto';
import type { ServiceManager } from '../service';
import type { Settings } from '../settings';
import type { StorageBackend } from '../storage/backend';
import type { DeviceBackupRow, DeviceBackupStore } from './backup-store';
import type { DeviceRow, DeviceStore, ShareRow, VolumeRow } from './store';

export interface DeviceRecord {
  lifeboat: 'device-record';
  format: 1;
  writtenAt: string;
  /** The row as this installation had it; account_id, failover_job_id and next_backup_at are local and left out. */
  device: Omit<DeviceRow, 'account_id' | 'failover_job_id' | 'next_backup_at' | 'updated_at'>;
  shares: Array<Omit<ShareRow, 'device_id'>>;
  volumes: Array<Omit<VolumeRow, 'device_id'> & { chap_secret: string | null }>;
  /** This device's backups, newest first; `heat` is '' on all but the newest (enough to order a failover's restore). */
  backups: Array<Omit<DeviceBackupRow, 'device_id'>>;
}

const PREFIX = 'devices/';
const SETTING = 'device-record:';
const aadOf = (object: string) => `device-record:${object}`;

/** `devices/<32 hex>/`: keyed by the device id under a key derived from the data key (itself from the SDEK). */
export function recordPrefix(keys: RepoKeys, deviceId: string): string {
  const nameKey = crypto.createHmac('sha256', keys.dataKey).update('device-record-name').digest();
  return `${PREFIX}${crypto.createHmac('sha256', nameKey).update(deviceId).digest('hex').slice(0, 32)}/`;
}

/** The record of a device as this installation has it now (synchronous reads only). */
export function recordOf(store: DeviceStore, deviceBackups: DeviceBackupStore, device: DeviceRow): DeviceRecord {
  const { account_id: _a, failover_job_id: _f, next_backup_at: _n, updated_at: _u, ...row } = device;
  // Heat summaries run to ~100 KB: only the newest is read (this runs at every change event, usage ticks included).
  const backups = deviceBackups.forRecord(device.id);
  return {
    lifeboat: 'device-record',
    format: 1,
    writtenAt: new Date().toISOString(),
    device: row,
    shares: store.shares(device.id).map(({ device_id: _d, ...s }) => s),
    volumes: store.volumes(device.id).map(({ device_id: _d, ...v }) => ({ ...v, chap_secret: store.chapSecret(v.id) })),
    backups,
  };
}

/** What decides whether a record must be written again: everything but the time it was written. */
const hashOf = (r: DeviceRecord) =>
  crypto
    .createHash('sha256')
    .update(JSON.stringify({ ...r, writtenAt: '' }))
    .digest('hex');

/** Writes the record under a new name, then deletes the device's older records. Returns the new object's name. */
export async function writeRecord(backend: StorageBackend, keys: RepoKeys, record: DeviceRecord): Promise<string> {
  const prefix = recordPrefix(keys, record.device.id);
  // Names sort by time: a reader takes the greatest one it can open.
  const name = `${prefix}${String(Date.now()).padStart(13, '0')}-${randomId(4)}`;
  await backend.put(name, seal(keys.dataKey, aadOf(name), Buffer.from(JSON.stringify(record))), { ifNoneMatch: true });
  for await (const o of backend.list(prefix)) if (o.name < name) await backend.delete(o.name);
  return name;
}

export async function deleteRecords(backend: StorageBackend, keys: RepoKeys, deviceId: string): Promise<void> {
  for await (const o of backend.list(recordPrefix(keys, deviceId))) await backend.delete(o.name);
}

/**
 * Every device's newest record that opens. A record that does not (damaged, or sealed under another SDEK) is passed
 * over for an older one of the same device, and named in `damaged` when none opens.
 */
export async function readRecords(
  backend: StorageBackend,
  keys: RepoKeys,
): Promise<{ records: DeviceRecord[]; damaged: string[] }> {
  const byDevice = new Map<string, string[]>();
  for await (const o of backend.list(PREFIX)) {
    const group = o.name.slice(0, o.name.lastIndexOf('/') + 1);
    (byDevice.get(group) ?? byDevice.set(group, []).get(group)!).push(o.name);
  }
  const records: DeviceRecord[] = [];
  const damaged: string[] = [];
  for (const names of byDevice.values()) {
    names.sort().reverse();
    let found: DeviceRecord | undefined;
    for (const name of names) {
      try {
        const parsed = JSON.parse(
          unseal(keys.dataKey, aadOf(name), await backend.get(name)).toString('utf8'),
        ) as DeviceRecord;
        if (parsed?.lifeboat === 'device-record' && parsed.format === 1 && typeof parsed.device?.id === 'string')
          found = parsed;
      } catch {
        // damaged or vanished since the listing: try the older one
      }
      if (found) break;
    }
    if (found) records.push(found);
    else damaged.push(names[0]);
  }
  return { records, damaged };
}

interface Written {
  hash: string;
  account: string;
}

/** What the records need: the devices and their changes, the service key, the accounts, and where the last hashes are kept. */
export interface RecordDeps {
  bus: EventBus;
  log: Logger;
  devices: DeviceStore;
  backups: DeviceBackupStore;
  service: Pick<ServiceManager, 'get' | 'sdekText' | 'sdekKey'>;
  accounts: Pick<AccountManager, 'store' | 'backend'>;
  settings: Settings;
}

/** Keeps every device's record in its storage account up to date (see the file comment). */
export class DeviceRecords {
  private readonly dirty = new Set<string>();
  private all = false;
  private running: Promise<void> | null = null;
  private keys?: { sdek: string; keys: RepoKeys };

  constructor(private readonly deps: RecordDeps) {
    deps.bus.on((e) => {
      if (e.type !== 'device.changed') return;
      this.dirty.add(e.device.toLowerCase());
      this.kick();
    });
  }

  /** Writes every device whose record is not in its account yet (new to this version) or failed to go there. */
  syncAll(): void {
    this.all = true;
    this.kick();
  }

  /** Resolves once nothing is left to write (what was dirty when called, and what became dirty meanwhile). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private kick(): void {
    this.running ??= (async () => {
      await Promise.resolve(); // let the change that fired the event finish first
      while (this.dirty.size || this.all) await this.pass();
    })()
      .catch((err: unknown) => this.deps.log.warn('device records: pass failed', { error: (err as Error).message }))
      .finally(() => {
        this.running = null;
        if (this.dirty.size || this.all) this.kick(); // marked between the loop's last look and here
      });
  }

  private async pass(): Promise<void> {
    const names = this.all ? null : new Set(this.dirty);
    this.all = false;
    this.dirty.clear();
    const devices = this.deps.devices.list({ all: true });
    for (const d of devices)
      if (!names || names.has(d.name.toLowerCase()))
        await this.write(d).catch((err: unknown) => this.failed(d.name, err));
    // Devices removed from this installation take their records with them (only those this installation wrote).
    const known = new Set(devices.map((d) => d.id));
    for (const { key, value } of this.deps.settings.withPrefix(SETTING)) {
      const id = key.slice(SETTING.length);
      if (known.has(id)) continue;
      await this.forget(id, JSON.parse(value) as Written).catch((err: unknown) => this.failed(id, err));
    }
  }

  private repoKeys(): RepoKeys {
    const sdek = this.deps.service.sdekText();
    if (this.keys?.sdek !== sdek) this.keys = { sdek, keys: deriveKeys(this.deps.service.sdekKey()) };
    return this.keys.keys;
  }

  private async write(device: DeviceRow): Promise<void> {
    if (!device.account_id || !this.deps.service.get()) return;
    const account = this.deps.accounts.store.byId(device.account_id);
    if (!account) return;
    const record = recordOf(this.deps.devices, this.deps.backups, device);
    const before = this.deps.settings.get(`${SETTING}${device.id}`);
    const hash = hashOf(record);
    if (
      before &&
      (JSON.parse(before) as Written).hash === hash &&
      (JSON.parse(before) as Written).account === account.id
    )
      return;
    const keys = this.repoKeys();
    const backend = await this.deps.accounts.backend(account);
    await writeRecord(backend, keys, record);
    const previous = before ? (JSON.parse(before) as Written) : undefined;
    // A device moved to another account leaves no record behind in the old one.
    if (previous && previous.account !== account.id) await this.deleteIn(previous.account, device.id);
    this.deps.settings.set(`${SETTING}${device.id}`, JSON.stringify({ hash, account: account.id } satisfies Written));
  }

  private async forget(deviceId: string, written: Written): Promise<void> {
    await this.deleteIn(written.account, deviceId);
    this.deps.settings.delete(`${SETTING}${deviceId}`);
  }

  private async deleteIn(accountId: string, deviceId: string): Promise<void> {
    const account = this.deps.accounts.store.byId(accountId);
    if (account) await deleteRecords(await this.deps.accounts.backend(account), this.repoKeys(), deviceId);
  }

  private failed(device: string, err: unknown): void {
    this.deps.log.warn('device record not written to the storage account; retried at the next change', {
      device,
      error: (err as Error).message,
    });
  }
}
