/**
 * Shares (file servers) and volumes (iSCSI servers): what a device serves. The sum of their provisioned sizes never
 * exceeds the device capacity, and locally pinned ones must also fit on the local disk.
 */
import type { CallParsedInput } from '../../shared/contract';
import type { Share, Volume } from '../../shared/device-schemas';
import { LifeboatError } from '../../shared/errors';
import { newId } from '../keys';
import { formatBytes, parseSize } from '../../shared/units';
import type { DeviceManager } from './manager';
import type { DeviceRow, ShareRow, VolumeRow } from './store';
import { sweepDevice } from './sweep';
import { checkAcrs, checkChap, checkItemName } from '../../shared/device-rules';

const DEFAULT_QUOTA = 2 ** 30;
const OVER_QUOTA = 'Share over quota';

export class DeviceItems {
  constructor(private readonly m: DeviceManager) {}

  private get store() {
    return this.m.store;
  }

  private requireType(device: DeviceRow, kind: 'share' | 'volume'): void {
    if (kind === 'share' && device.type !== 'file')
      throw new LifeboatError(
        'invalid_input',
        `device: ${device.name} is an iSCSI server; shares belong to file servers.`,
        `Create a volume instead with \`lifeboat volume create ${device.name} NAME --size SIZE\`.`,
      );
    if (kind === 'volume' && device.type !== 'iscsi')
      throw new LifeboatError(
        'invalid_input',
        `device: ${device.name} is a file server; volumes belong to iSCSI servers.`,
        `Create a share instead with \`lifeboat share create ${device.name} NAME\`.`,
      );
  }

  private requireShare(device: DeviceRow, name: string): ShareRow {
    const row = this.store.share(device.id, name);
    if (!row)
      throw new LifeboatError(
        'not_found',
        `There is no share ${name} on ${device.name}.`,
        `List its shares with \`lifeboat share list ${device.name}\`.`,
      );
    return row;
  }

  private requireVolume(device: DeviceRow, name: string): VolumeRow {
    const row = this.store.volume(device.id, name);
    if (!row)
      throw new LifeboatError(
        'not_found',
        `There is no volume ${name} on ${device.name}.`,
        `List its volumes with \`lifeboat volume list ${device.name}\`.`,
      );
    return row;
  }

  private provisioned(device: DeviceRow, exceptId?: string): number {
    const shares = this.store.shares(device.id).filter((s) => s.id !== exceptId);
    const volumes = this.store.volumes(device.id).filter((v) => v.id !== exceptId);
    return shares.reduce((a, s) => a + s.quota, 0) + volumes.reduce((a, v) => a + v.size, 0);
  }

  /**
   * The provisioned sum stays within the capacity; locally pinned items are kept whole on the local disk, so what all
   * of them may still write (their sizes less what they use already) must fit in the free space of the root.
   */
  private async checkSize(
    device: DeviceRow,
    field: 'quota' | 'size',
    bytes: number,
    pinned: boolean,
    exceptId?: string,
  ): Promise<void> {
    const left = device.capacity - this.provisioned(device, exceptId);
    if (bytes > left)
      throw new LifeboatError(
        'invalid_input',
        `${field}: ${formatBytes(bytes)} does not fit: only ${formatBytes(Math.max(0, left))} of the ${formatBytes(device.capacity)} capacity of ${device.name} is not provisioned.`,
        `Give a ${field} of at most ${formatBytes(Math.max(0, left))}, or make room by shrinking or deleting other shares or volumes.`,
      );
    if (!pinned) return;
    const what = field === 'quota' ? 'share' : 'volume';
    const free = await this.m.freeBytes(device);
    await this.m.refreshUsage(device, { now: true });
    const own = exceptId ? this.m.usageOf(exceptId) : 0;
    if (bytes - own > free)
      throw new LifeboatError(
        'invalid_input',
        `${field}: a locally pinned ${what} is kept whole on the local disk, but ${formatBytes(bytes)} is more than the ${formatBytes(free)} free there.`,
        'Make it tiered instead, give a smaller size, or free space on the disk of the data root.',
      );
    const others = [
      ...this.store
        .shares(device.id)
        .filter((s) => s.tier === 'locally-pinned' && s.id !== exceptId)
        .map((s) => ({ id: s.id, size: s.quota })),
      ...this.store
        .volumes(device.id)
        .filter((v) => v.tier === 'locally-pinned' && v.id !== exceptId)
        .map((v) => ({ id: v.id, size: v.size })),
    ];
    const othersToCome = others.reduce((a, i) => a + Math.max(0, i.size - this.m.usageOf(i.id)), 0);
    if (othersToCome + bytes - own > free)
      throw new LifeboatError(
        'invalid_input',
        `${field}: locally pinned data is kept whole on the local disk: the other locally pinned shares or volumes of ${device.name} may still write ${formatBytes(othersToCome)}, and with ${formatBytes(bytes)} more that is more than the ${formatBytes(free)} free there.`,
        `Give a ${field} of at most ${formatBytes(Math.max(0, free - othersToCome + own))}, make it tiered instead, or free space on the disk of the data root.`,
      );
  }

  private unique(device: DeviceRow, kind: 'share' | 'volume', name: string): void {
    const clash = kind === 'share' ? this.store.share(device.id, name) : this.store.volume(device.id, name);
    if (clash)
      throw new LifeboatError(
        'conflict',
        `name: ${device.name} already has a ${kind} named ${clash.name}.`,
        `Choose another name (names are compared without regard to case).`,
      );
  }

  /** A folder or image left behind on a reused data root is never overwritten. */
  private async freePath(device: DeviceRow, kind: 'share' | 'volume', target: string): Promise<void> {
    const leftover =
      kind === 'share'
        ? (await this.m.agent.inspectRoot(target)).entries.length > 0
        : await this.m.agent.exists(target);
    if (leftover)
      throw new LifeboatError(
        'conflict',
        `name: ${target} already exists on ${device.name} (left from an earlier device on this data root).`,
        'Choose another name, or move that data away first.',
      );
  }

  /**
   * Raises one warning when a share goes over quota (a setting remembers it, so an acknowledged alert is not raised
   * again on the next look), and clears it once the share is under quota again.
   */
  checkQuotas(device: DeviceRow): void {
    for (const s of this.store.shares(device.id)) {
      const flag = `share-over-quota:${s.id}`;
      const flagged = this.m.deps.settings.get(flag) !== null;
      const used = this.m.usageOf(s.id);
      if (used > s.quota && !flagged) {
        this.m.deps.settings.set(flag, new Date().toISOString());
        this.m.deps.alerts.raise({
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
    this.m.deps.settings.delete(`share-over-quota:${share.id}`);
    const open = this.m.deps.alerts.ids({
      objectKind: 'share',
      objectName: `${device.name}/${share.name}`,
      title: OVER_QUOTA,
    });
    if (open.length) this.m.deps.alerts.acknowledge(open);
  }

  private setOnlineRow(kind: 'share' | 'volume', id: string, online: boolean): void {
    if (kind === 'share') this.store.updateShare(id, { online: online ? 1 : 0 });
    else this.store.updateVolume(id, { online: online ? 1 : 0 });
  }

  private pathOf(device: DeviceRow, kind: 'share' | 'volume', name: string): string {
    return kind === 'share' ? this.m.sharePath(device, name) : this.m.volumePath(device, name);
  }

  /**
   * Offline = read-only on disk (and refused by the engine); online gives write access back. No status checks
   * (deactivation and failover use it). The row goes offline before the disk and online after it, so that the engine
   * never takes a writable-looking row for read-only data.
   */
  async applyOnline(
    device: DeviceRow,
    kind: 'share' | 'volume',
    row: ShareRow | VolumeRow,
    online: boolean,
  ): Promise<void> {
    const target = this.pathOf(device, kind, row.name);
    if (!online) this.setOnlineRow(kind, row.id, false);
    if (await this.m.agent.exists(target)) await this.m.agent.setWritable(target, online);
    if (online) this.setOnlineRow(kind, row.id, true);
  }

  /** The same for a user's offline/online: the row changes only while the device is still writable (see commit). */
  private async changeOnline(
    device: DeviceRow,
    kind: 'share' | 'volume',
    row: ShareRow | VolumeRow,
    online: boolean,
  ): Promise<void> {
    const target = this.pathOf(device, kind, row.name);
    const exists = await this.m.agent.exists(target);
    if (!online) {
      this.m.commit(device.id, 'writable', () => this.setOnlineRow(kind, row.id, false));
      try {
        if (exists) await this.m.agent.setWritable(target, false);
      } catch (err) {
        this.setOnlineRow(kind, row.id, true); // the data is as writable as before: so is the row
        throw err;
      }
      return;
    }
    if (exists) await this.m.agent.setWritable(target, true);
    try {
      this.m.commit(device.id, 'writable', () => this.setOnlineRow(kind, row.id, true));
    } catch (err) {
      // A deactivation or failover started meanwhile: the data goes back to read-only, as its row says.
      if (exists) await this.m.agent.setWritable(target, false).catch(() => undefined);
      throw err;
    }
  }

  /**
   * What a crash left half done, at start: a delete that renamed an item into the trash but did not delete its row is
   * undone, other trash is emptied, and an item whose row was written but whose folder or image was not gets it.
   */
  async sweep(): Promise<void> {
    const devices = this.store.list().filter((d) => !d.failover_job_id);
    const plan = devices.map((d) => ({
      device: d,
      shares: this.store.shares(d.id).map((s) => ({ id: s.id, path: this.m.sharePath(d, s.name), size: 0 })),
      volumes: this.store.volumes(d.id).map((v) => ({ id: v.id, path: this.m.volumePath(d, v.name), size: v.size })),
    }));
    // The constructor starts this, and the sites a device root may be at are made after the device manager.
    await Promise.resolve();
    for (const one of plan)
      await sweepDevice(this.m.agent, one).catch((err: Error) => {
        if (!one.device.site_id) throw err; // a root at a site that does not answer is swept at the next start
        this.m.deps.log.warn('device sweep skipped a device at an unreachable site', {
          device: one.device.name,
          error: err.message,
        });
      });
  }

  // ---- shares ----

  async createShare(input: CallParsedInput<'shares.create'>): Promise<Share> {
    const device = this.m.requireWritable(input.device);
    this.requireType(device, 'share');
    const name = checkItemName(input.name, 'share');
    this.unique(device, 'share', name);
    let quota: number;
    if (input.quota !== undefined) quota = parseSize(input.quota, 'quota');
    else {
      const left = device.capacity - this.provisioned(device);
      if (left <= 0)
        throw new LifeboatError(
          'invalid_input',
          `quota: all of the ${formatBytes(device.capacity)} capacity of ${device.name} is provisioned; there is nothing left for a new share.`,
          'Shrink or delete another share first.',
        );
      quota = Math.min(DEFAULT_QUOTA, left);
    }
    await this.checkSize(device, 'quota', quota, input.pinned);
    const dir = this.m.sharePath(device, name);
    await this.freePath(device, 'share', dir);
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
    // The row first (a crash before the folder exists is mended by the sweep at start), while still writable.
    this.m.commit(device.id, 'writable', () => this.store.insertShare(row));
    try {
      await this.m.agent.createShare(dir);
    } catch (err) {
      this.store.deleteShare(row.id);
      throw err;
    }
    this.m.deps.log.info('share created', { device: device.name, share: name, quota, tier: row.tier });
    this.m.changed(device.name);
    return this.m.toShare(device, row);
  }

  async listShares(deviceName: string): Promise<Share[]> {
    const device = this.store.require(deviceName);
    this.requireType(device, 'share');
    await this.m.refreshUsage(device);
    return this.store.shares(device.id).map((s) => this.m.toShare(device, s));
  }

  async editShare(input: CallParsedInput<'shares.edit'>): Promise<Share> {
    const device = this.m.requireWritable(input.device);
    this.requireType(device, 'share');
    const share = this.requireShare(device, input.name);
    let quota: number | undefined;
    if (input.quota !== undefined) {
      quota = parseSize(input.quota, 'quota');
      await this.m.refreshUsage(device, { now: true });
      const used = this.m.usageOf(share.id);
      if (quota < used)
        throw new LifeboatError(
          'invalid_input',
          `quota: ${formatBytes(quota)} is less than the ${formatBytes(used)} the share ${share.name} already uses.`,
          `Give a quota of at least ${formatBytes(used)}, or delete data from the share first.`,
        );
      await this.checkSize(device, 'quota', quota, share.tier === 'locally-pinned', share.id);
    }
    this.m.commit(device.id, 'writable', () =>
      this.store.updateShare(share.id, {
        description: input.description,
        quota,
        users: input.user ? JSON.stringify(input.user) : undefined,
      }),
    );
    this.m.changed(device.name);
    const row = this.requireShare(device, share.name);
    this.checkQuotas(device);
    return this.m.toShare(device, row);
  }

  async setShareOnline(deviceName: string, name: string, online: boolean): Promise<Share> {
    const device = this.m.requireWritable(deviceName);
    this.requireType(device, 'share');
    const share = this.requireShare(device, name);
    await this.changeOnline(device, 'share', share, online);
    this.m.deps.log.info(online ? 'share online' : 'share offline', { device: device.name, share: share.name });
    this.m.changed(device.name);
    return this.m.toShare(device, this.requireShare(device, share.name));
  }

  async deleteShare(deviceName: string, name: string): Promise<{ deleted: string; device: string }> {
    const device = this.m.requireWritable(deviceName);
    this.requireType(device, 'share');
    const share = this.requireShare(device, name);
    await this.trashThenForget(device, this.m.sharePath(device, share.name), share.id, () =>
      this.store.deleteShare(share.id),
    );
    this.clearQuotaAlert(device, share);
    this.m.deps.log.info('share deleted', { device: device.name, share: share.name });
    this.m.changed(device.name);
    return { deleted: share.name, device: device.name };
  }

  // ---- volumes ----

  async createVolume(input: CallParsedInput<'volumes.create'>): Promise<Volume> {
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
    this.m.commit(device.id, 'writable', () => {
      this.store.insertVolume(row);
      if (chap) this.store.setChapSecret(row.id, chap.secret);
    });
    try {
      await this.m.agent.createVolume(file, size);
    } catch (err) {
      this.store.deleteVolume(row.id);
      throw err;
    }
    this.m.deps.log.info('volume created', {
      device: device.name,
      volume: name,
      size,
      tier: row.tier,
      acrs: acrs.length,
      chap: !!chap,
    });
    this.m.changed(device.name);
    await this.m.refreshUsage(device, { now: true });
    return this.m.toVolume(device, row);
  }

  async listVolumes(deviceName: string): Promise<Volume[]> {
    const device = this.store.require(deviceName);
    this.requireType(device, 'volume');
    await this.m.refreshUsage(device);
    return this.store.volumes(device.id).map((v) => this.m.toVolume(device, v));
  }

  async editVolume(input: CallParsedInput<'volumes.edit'>): Promise<Volume> {
    const device = this.m.requireConfigurable(input.device);
    this.requireType(device, 'volume');
    const volume = this.requireVolume(device, input.name);
    const acrs = input.acr ? checkAcrs(input.acr) : undefined;
    if (input.noChap && (input.chapUser !== undefined || input.chapSecret !== undefined))
      throw new LifeboatError(
        'invalid_input',
        'noChap: turning CHAP off and setting a CHAP user or secret at once contradict each other.',
        'Give either --no-chap, or --chap-user and --chap-secret.',
      );
    // Changing only the user or only the secret keeps the other half of the existing CHAP settings.
    let chap: { user: string; secret: string } | null = null;
    if (input.chapUser !== undefined || input.chapSecret !== undefined) {
      const user = input.chapUser ?? volume.chap_user ?? undefined;
      const secret =
        input.chapSecret ??
        (input.chapUser !== undefined ? (this.store.chapSecret(volume.id) ?? undefined) : undefined);
      chap = checkChap(user, secret);
    }
    this.m.commit(device.id, 'configurable', () => {
      const patch: Partial<VolumeRow> = {};
      if (acrs) patch.acrs = JSON.stringify(acrs.map((iqn) => ({ name: iqn, iqn })));
      if (input.noChap) patch.chap_user = null;
      if (chap) patch.chap_user = chap.user;
      this.store.updateVolume(volume.id, patch);
      if (input.noChap) this.store.setChapSecret(volume.id, null);
      if (chap) this.store.setChapSecret(volume.id, chap.secret);
    });
    this.m.deps.log.info('volume edited', {
      device: device.name,
      volume: volume.name,
      acrs: acrs?.length,
      chap: input.noChap ? 'off' : chap ? 'set' : 'unchanged',
    });
    this.m.changed(device.name);
    await this.m.refreshUsage(device);
    return this.m.toVolume(device, this.requireVolume(device, volume.name));
  }

  async setVolumeOnline(deviceName: string, name: string, online: boolean): Promise<Volume> {
    const device = this.m.requireWritable(deviceName);
    this.requireType(device, 'volume');
    const volume = this.requireVolume(device, name);
    await this.changeOnline(device, 'volume', volume, online);
    this.m.deps.log.info(online ? 'volume online' : 'volume offline', { device: device.name, volume: volume.name });
    this.m.changed(device.name);
    await this.m.refreshUsage(device);
    return this.m.toVolume(device, this.requireVolume(device, volume.name));
  }

  async deleteVolume(deviceName: string, name: string): Promise<{ deleted: string; device: string }> {
    const device = this.m.requireWritable(deviceName);
    this.requireType(device, 'volume');
    const volume = this.requireVolume(device, name);
    await this.trashThenForget(device, this.m.volumePath(device, volume.name), volume.id, () =>
      this.store.deleteVolume(volume.id),
    );
    this.m.deps.log.info('volume deleted', { device: device.name, volume: volume.name });
    this.m.changed(device.name);
    return { deleted: volume.name, device: device.name };
  }

  /**
   * A delete moves the data into the root's trash, deletes the row, then empties the trash: a crash in between never
   * leaves a row without its data (the sweep at start puts it back) nor data that blocks the name.
   */
  private async trashThenForget(device: DeviceRow, target: string, id: string, forget: () => void): Promise<void> {
    await this.m.agent.trash(target, id);
    try {
      this.m.commit(device.id, 'writable', forget);
    } catch (err) {
      await this.m.agent.untrash(target, id);
      throw err;
    }
    this.m.usage.forget(id);
    await this.m.agent.emptyTrash(device.root, id);
  }
}
