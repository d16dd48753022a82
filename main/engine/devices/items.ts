/**
 * Shares (file servers) and volumes (iSCSI servers): what a device serves. The sum of their provisioned sizes never
 * exceeds the device capacity, and locally pinned ones must also fit on the local disk.
 */
import type { CallOutput, CallParsedInput } from '../api/contract';
import type { Share, Volume } from '../api/device-schemas';
import { LifeboatError } from '../errors';
import { newId } from '../keys';
import { formatBytes, parseSize } from '../units';
import type { DeviceManager } from './manager';
import type { DeviceRow, ShareRow, VolumeRow } from './store';
import { checkAcrs, checkChap, checkItemName } from './validation';

const DEFAULT_QUOTA = 2 ** 30;
const OVER_QUOTA = 'Share over quota';

export class DeviceItems {
  constructor(private readonly m: DeviceManager) {}

  private get store() {
    return this.m.store;
  }

  private requireType(device: DeviceRow, kind: 'share' | 'volume'): void {
    if (kind === 'share' && device.type !== 'file')
      throw new LifeboatError('invalid_input', `device: ${device.name} is an iSCSI server; shares belong to file servers.`, `Create a volume instead with \`lifeboat volume create ${device.name} NAME --size SIZE\`.`);
    if (kind === 'volume' && device.type !== 'iscsi')
      throw new LifeboatError('invalid_input', `device: ${device.name} is a file server; volumes belong to iSCSI servers.`, `Create a share instead with \`lifeboat share create ${device.name} NAME\`.`);
  }

  private requireShare(device: DeviceRow, name: string): ShareRow {
    const row = this.store.share(device.id, name);
    if (!row) throw new LifeboatError('not_found', `There is no share ${name} on ${device.name}.`, `List its shares with \`lifeboat share list ${device.name}\`.`);
    return row;
  }

  private requireVolume(device: DeviceRow, name: string): VolumeRow {
    const row = this.store.volume(device.id, name);
    if (!row) throw new LifeboatError('not_found', `There is no volume ${name} on ${device.name}.`, `List its volumes with \`lifeboat volume list ${device.name}\`.`);
    return row;
  }

  private provisioned(device: DeviceRow, exceptId?: string): number {
    const shares = this.store.shares(device.id).filter((s) => s.id !== exceptId);
    const volumes = this.store.volumes(device.id).filter((v) => v.id !== exceptId);
    return shares.reduce((a, s) => a + s.quota, 0) + volumes.reduce((a, v) => a + v.size, 0);
  }

  /** The provisioned sum stays within the capacity; a locally pinned item must also fit in the free space of the root. */
  private async checkSize(device: DeviceRow, field: 'quota' | 'size', bytes: number, pinned: boolean, exceptId?: string): Promise<void> {
    const left = device.capacity - this.provisioned(device, exceptId);
    if (bytes > left)
      throw new LifeboatError(
        'invalid_input',
        `${field}: ${formatBytes(bytes)} does not fit: only ${formatBytes(Math.max(0, left))} of the ${formatBytes(device.capacity)} capacity of ${device.name} is not provisioned.`,
        `Give a ${field} of at most ${formatBytes(Math.max(0, left))}, or make room by shrinking or deleting other shares or volumes.`,
      );
    if (pinned) {
      const free = await this.m.freeBytes(device);
      if (bytes > free)
        throw new LifeboatError('invalid_input', `${field}: a locally pinned ${field === 'quota' ? 'share' : 'volume'} is kept whole on the local disk, but ${formatBytes(bytes)} is more than the ${formatBytes(free)} free there.`, 'Make it tiered instead, give a smaller size, or free space on the disk of the data root.');
    }
  }

  private unique(device: DeviceRow, kind: 'share' | 'volume', name: string): void {
    const clash = kind === 'share' ? this.store.share(device.id, name) : this.store.volume(device.id, name);
    if (clash) throw new LifeboatError('conflict', `name: ${device.name} already has a ${kind} named ${clash.name}.`, `Choose another name (names are compared without regard to case).`);
  }

  /** A folder or image left behind on a reused data root is never overwritten. */
  private async freePath(device: DeviceRow, kind: 'share' | 'volume', target: string): Promise<void> {
    const leftover = kind === 'share' ? (await this.m.agent.inspectRoot(target)).entries.length > 0 : await this.m.agent.exists(target);
    if (leftover)
      throw new LifeboatError('conflict', `name: ${target} already exists on ${device.name} (left from an earlier device on this data root).`, 'Choose another name, or move that data away first.');
  }

  /**
   * Raises one warning when a share goes over quota (a setting remembers it, so an acknowledged alert is not raised
   * again on the next look), and clears it once the share is under quota again.
   */
  checkQuotas(device: DeviceRow): void {
    const db = this.m.engine.db;
    for (const s of this.store.shares(device.id)) {
      const flag = `share-over-quota:${s.id}`;
      const flagged = !!db.prepare('SELECT 1 FROM settings WHERE key = ?').get(flag);
      const used = this.m.usageOf(s.id);
      if (used > s.quota && !flagged) {
        this.m.engine.setSetting(flag, new Date().toISOString());
        this.m.engine.alerts.raise({
          severity: 'warning',
          title: OVER_QUOTA,
          message: `The share ${s.name} on ${device.name} uses ${formatBytes(used)}, more than its quota of ${formatBytes(s.quota)}.`,
          hint: `Raise the quota with \`lifeboat share edit ${device.name} ${s.name} --quota SIZE\`, or delete data from the share.`,
          objectKind: 'share',
          objectName: `${device.name}/${s.name}`,
          jobId: null,
        });
      } else if (used <= s.quota && flagged) this.clearQuotaAlert(device, s);
    }
  }

  private clearQuotaAlert(device: DeviceRow, share: ShareRow): void {
    const db = this.m.engine.db;
    db.prepare('DELETE FROM settings WHERE key = ?').run(`share-over-quota:${share.id}`);
    const open = db.prepare("SELECT id FROM alerts WHERE object_kind = 'share' AND object_name = ? AND title = ? AND acknowledged_at IS NULL").all(`${device.name}/${share.name}`, OVER_QUOTA) as { id: string }[];
    if (open.length) this.m.engine.alerts.acknowledge(open.map((r) => r.id));
  }

  /** Offline = read-only on disk (and refused by the engine); online gives write access back. */
  async applyOnline(device: DeviceRow, kind: 'share' | 'volume', row: ShareRow | VolumeRow, online: boolean): Promise<void> {
    const target = kind === 'share' ? this.m.sharePath(device, row.name) : this.m.volumePath(device, row.name);
    if (await this.m.agent.exists(target)) await this.m.agent.setWritable(target, online);
    if (kind === 'share') this.store.updateShare(row.id, { online: online ? 1 : 0 });
    else this.store.updateVolume(row.id, { online: online ? 1 : 0 });
  }

  // ---- shares ----

  async createShare(input: CallParsedInput<'shares.create'>): Promise<CallOutput<'shares.create'>> {
    const device = this.m.requireWritable(input.device);
    this.requireType(device, 'share');
    const name = checkItemName(input.name, 'share');
    this.unique(device, 'share', name);
    let quota: number;
    if (input.quota !== undefined) quota = parseSize(input.quota, 'quota');
    else {
      const left = device.capacity - this.provisioned(device);
      if (left <= 0)
        throw new LifeboatError('invalid_input', `quota: all of the ${formatBytes(device.capacity)} capacity of ${device.name} is provisioned; there is nothing left for a new share.`, 'Shrink or delete another share first.');
      quota = Math.min(DEFAULT_QUOTA, left);
    }
    await this.checkSize(device, 'quota', quota, input.pinned);
    const dir = this.m.sharePath(device, name);
    await this.freePath(device, 'share', dir);
    await this.m.agent.createShare(dir);
    const now = new Date().toISOString();
    const row: ShareRow = {
      id: newId('share'),
      device_id: device.id,
      name,
      description: input.description,
      tier: input.pinned ? 'locally-pinned' : 'tiered',
      quota,
      users: JSON.stringify(input.user ?? []),
      online: 1,
      created_at: now,
      updated_at: now,
    };
    this.store.insertShare(row);
    this.m.engine.log.info('share created', { device: device.name, share: name, quota, tier: row.tier });
    this.m.changed(device.name);
    return this.m.toShare(device, row);
  }

  async listShares(deviceName: string): Promise<Share[]> {
    const device = this.store.require(deviceName);
    this.requireType(device, 'share');
    await this.m.refreshUsage(device);
    return this.store.shares(device.id).map((s) => this.m.toShare(device, s));
  }

  async editShare(input: CallParsedInput<'shares.edit'>): Promise<CallOutput<'shares.edit'>> {
    const device = this.m.requireWritable(input.device);
    this.requireType(device, 'share');
    const share = this.requireShare(device, input.name);
    let quota: number | undefined;
    if (input.quota !== undefined) {
      quota = parseSize(input.quota, 'quota');
      await this.m.refreshUsage(device);
      const used = this.m.usageOf(share.id);
      if (quota < used)
        throw new LifeboatError('invalid_input', `quota: ${formatBytes(quota)} is less than the ${formatBytes(used)} the share ${share.name} already uses.`, `Give a quota of at least ${formatBytes(used)}, or delete data from the share first.`);
      await this.checkSize(device, 'quota', quota, share.tier === 'locally-pinned', share.id);
    }
    this.store.updateShare(share.id, { description: input.description, quota, users: input.user ? JSON.stringify(input.user) : undefined });
    this.m.changed(device.name);
    const row = this.requireShare(device, share.name);
    this.checkQuotas(device);
    return this.m.toShare(device, row);
  }

  async setShareOnline(deviceName: string, name: string, online: boolean): Promise<CallOutput<'shares.online'>> {
    const device = this.m.requireWritable(deviceName);
    this.requireType(device, 'share');
    const share = this.requireShare(device, name);
    await this.applyOnline(device, 'share', share, online);
    this.m.engine.log.info(online ? 'share online' : 'share offline', { device: device.name, share: share.name });
    this.m.changed(device.name);
    return this.m.toShare(device, this.requireShare(device, share.name));
  }

  async deleteShare(deviceName: string, name: string): Promise<CallOutput<'shares.delete'>> {
    const device = this.m.requireWritable(deviceName);
    this.requireType(device, 'share');
    const share = this.requireShare(device, name);
    await this.m.agent.remove(this.m.sharePath(device, share.name));
    this.store.deleteShare(share.id);
    this.clearQuotaAlert(device, share);
    this.m.engine.log.info('share deleted', { device: device.name, share: share.name });
    this.m.changed(device.name);
    return { deleted: share.name, device: device.name };
  }

  // ---- volumes ----

  async createVolume(input: CallParsedInput<'volumes.create'>): Promise<CallOutput<'volumes.create'>> {
    const device = this.m.requireWritable(input.device);
    this.requireType(device, 'volume');
    const name = checkItemName(input.name, 'volume');
    this.unique(device, 'volume', name);
    const size = parseSize(input.size, 'size');
    const acrs = checkAcrs(input.acr ?? []);
    const chap = checkChap(input.chapUser, input.chapSecret);
    await this.checkSize(device, 'size', size, input.pinned);
    const file = this.m.volumePath(device, name);
    await this.freePath(device, 'volume', file);
    await this.m.agent.createVolume(file, size);
    const now = new Date().toISOString();
    const row: VolumeRow = {
      id: newId('vol'),
      device_id: device.id,
      name,
      size,
      tier: input.pinned ? 'locally-pinned' : 'tiered',
      type: input.type,
      acrs: JSON.stringify(acrs.map((iqn) => ({ name: iqn, iqn }))),
      chap_user: chap?.user ?? null,
      online: 1,
      created_at: now,
      updated_at: now,
    };
    this.store.db.transaction(() => {
      this.store.insertVolume(row);
      if (chap) this.store.setChapSecret(row.id, chap.secret);
    })();
    this.m.engine.log.info('volume created', { device: device.name, volume: name, size, tier: row.tier, acrs: acrs.length, chap: !!chap });
    this.m.changed(device.name);
    await this.m.refreshUsage(device);
    return this.m.toVolume(device, row);
  }

  async listVolumes(deviceName: string): Promise<Volume[]> {
    const device = this.store.require(deviceName);
    this.requireType(device, 'volume');
    await this.m.refreshUsage(device);
    return this.store.volumes(device.id).map((v) => this.m.toVolume(device, v));
  }

  async editVolume(input: CallParsedInput<'volumes.edit'>): Promise<CallOutput<'volumes.edit'>> {
    const device = this.m.requireConfigurable(input.device);
    this.requireType(device, 'volume');
    const volume = this.requireVolume(device, input.name);
    const acrs = input.acr ? checkAcrs(input.acr) : undefined;
    if (input.noChap && (input.chapUser !== undefined || input.chapSecret !== undefined))
      throw new LifeboatError('invalid_input', 'noChap: turning CHAP off and setting a CHAP user or secret at once contradict each other.', 'Give either --no-chap, or --chap-user and --chap-secret.');
    // Changing only the user or only the secret keeps the other half of the existing CHAP settings.
    let chap: { user: string; secret: string } | null = null;
    if (input.chapUser !== undefined || input.chapSecret !== undefined) {
      const user = input.chapUser ?? volume.chap_user ?? undefined;
      const secret = input.chapSecret ?? (input.chapUser !== undefined ? (this.store.chapSecret(volume.id) ?? undefined) : undefined);
      chap = checkChap(user, secret);
    }
    this.store.db.transaction(() => {
      const patch: Partial<VolumeRow> = {};
      if (acrs) patch.acrs = JSON.stringify(acrs.map((iqn) => ({ name: iqn, iqn })));
      if (input.noChap) patch.chap_user = null;
      if (chap) patch.chap_user = chap.user;
      this.store.updateVolume(volume.id, patch);
      if (input.noChap) this.store.setChapSecret(volume.id, null);
      if (chap) this.store.setChapSecret(volume.id, chap.secret);
    })();
    this.m.engine.log.info('volume edited', { device: device.name, volume: volume.name, acrs: acrs?.length, chap: input.noChap ? 'off' : chap ? 'set' : 'unchanged' });
    this.m.changed(device.name);
    await this.m.refreshUsage(device);
    return this.m.toVolume(device, this.requireVolume(device, volume.name));
  }

  async setVolumeOnline(deviceName: string, name: string, online: boolean): Promise<CallOutput<'volumes.online'>> {
    const device = this.m.requireWritable(deviceName);
    this.requireType(device, 'volume');
    const volume = this.requireVolume(device, name);
    await this.applyOnline(device, 'volume', volume, online);
    this.m.engine.log.info(online ? 'volume online' : 'volume offline', { device: device.name, volume: volume.name });
    this.m.changed(device.name);
    await this.m.refreshUsage(device);
    return this.m.toVolume(device, this.requireVolume(device, volume.name));
  }

  async deleteVolume(deviceName: string, name: string): Promise<CallOutput<'volumes.delete'>> {
    const device = this.m.requireWritable(deviceName);
    this.requireType(device, 'volume');
    const volume = this.requireVolume(device, name);
    await this.m.agent.remove(this.m.volumePath(device, volume.name));
    this.store.deleteVolume(volume.id);
    this.m.engine.log.info('volume deleted', { device: device.name, volume: volume.name });
    this.m.changed(device.name);
    return { deleted: volume.name, device: device.name };
  }
}
