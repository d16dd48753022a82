/**
 * What shares and volumes use on disk. Measuring walks every file of a share, so it is cached: one walk per device at
 * a time, redone by a periodic tick (which also raises the over-quota and oversized-image alerts) or when a read finds
 * the cache older than the TTL. API reads return the cached value.
 */
import { LifeboatError } from '../../shared/errors';
import { formatBytes } from '../../shared/units';
import type { DeviceManager } from './manager';
import type { DeviceRow } from './store';

export const USAGE_TTL_MS = 30_000;
const OVERSIZED = 'Volume image larger than its size';

export class DeviceUsage {
  private readonly bytes = new Map<string, number>();
  private readonly measuredAt = new Map<string, number>();
  private readonly walking = new Map<string, Promise<void>>();
  /** Devices whose data root was missing at the last measure. */
  readonly rootMissing = new Set<string>();
  /** Devices whose data root is at a site that did not answer at the last look: why, and what to do. */
  readonly siteDown = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly m: DeviceManager) {}

  of(itemId: string): number {
    return this.bytes.get(itemId) ?? 0;
  }

  /** Refreshes every live device now and then, while the engine is open (the app, not a one-shot CLI command). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.m.deps.db.open) return this.stop();
      this.tick().catch((err: Error) => this.m.deps.log.warn('device usage refresh failed', { error: err.message }));
    }, USAGE_TTL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Measures every live device, one after the other. */
  async tick(): Promise<void> {
    for (const d of this.m.store.list()) await this.refresh(d);
  }

  /** The cached values unless older than the TTL (or never measured). */
  async fresh(device: DeviceRow): Promise<void> {
    const at = this.measuredAt.get(device.id);
    if (at === undefined || Date.now() - at > USAGE_TTL_MS) await this.refresh(device);
  }

  /** Measures a device now; a walk already running is awaited first, so the answer is never older than the call. */
  async refresh(device: DeviceRow): Promise<void> {
    const running = this.walking.get(device.id);
    if (running) await running.catch(() => undefined);
    const again = this.walking.get(device.id);
    if (again && again !== running) return again; // another caller started the walk that follows ours
    const walk = this.measure(device).finally(() => {
      if (this.walking.get(device.id) === walk) this.walking.delete(device.id);
    });
    this.walking.set(device.id, walk);
    return walk;
  }

  forget(itemId: string): void {
    this.bytes.delete(itemId);
  }

  /** What the last look found of a device's root, for its health. */
  rootFacts(deviceId: string): { rootMissing: boolean; siteDown: string | null } {
    return { rootMissing: this.rootMissing.has(deviceId), siteDown: this.siteDown.get(deviceId) ?? null };
  }

  /**
   * Whether the data root is there (rootMissing), or, for a root at an agent site, whether the site answers at all
   * (siteDown): a site that does not is a reason on the device, never an error of the page or command showing it.
   */
  async checkRoot(device: DeviceRow): Promise<boolean> {
    try {
      if (!(await this.m.agent.exists(device.root))) this.rootMissing.add(device.id);
      else this.rootMissing.delete(device.id);
      this.siteDown.delete(device.id);
      return true;
    } catch (err) {
      if (!(err instanceof LifeboatError) || device.site_id === null) throw err;
      this.siteDown.set(device.id, `${err.message.replace(/\.$/, '')}. ${err.hint ?? ''}`.trim());
      return false;
    }
  }

  private async measure(device: DeviceRow): Promise<void> {
    if (device.status === 'deleted') return;
    const agent = this.m.agent;
    if (!(await this.checkRoot(device))) return;
    const shares = this.m.store.shares(device.id);
    const volumes = this.m.store.volumes(device.id);
    const oversized: Array<{ id: string; name: string; size: number; actual: number }> = [];
    let moved = false;
    const record = (id: string, bytes: number) => {
      moved ||= this.bytes.get(id) !== bytes;
      this.bytes.set(id, bytes);
    };
    for (const s of shares) record(s.id, await agent.usage(this.m.sharePath(device, s.name)));
    for (const v of volumes) {
      const file = this.m.volumePath(device, v.name);
      record(v.id, await agent.usage(file));
      const actual = await agent.fileSize(file);
      oversized.push({ id: v.id, name: v.name, size: v.size, actual: actual ?? 0 });
    }
    this.measuredAt.set(device.id, Date.now());
    if (!this.m.deps.db.open) return;
    this.m.items.checkQuotas(device);
    this.checkImages(device, oversized);
    // Pages showing the device refresh when what they show changed, not on every measurement.
    if (moved) this.m.changed(device.name);
  }

  /** A volume image never grows past its size: one that did (written to directly on disk) raises one warning. */
  private checkImages(
    device: DeviceRow,
    images: Array<{ id: string; name: string; size: number; actual: number }>,
  ): void {
    const deps = this.m.deps;
    for (const v of images) {
      const flag = `volume-oversized:${v.id}`;
      const flagged = (deps.settings.get(flag) ?? '') !== '';
      if (v.actual > v.size && !flagged) {
        deps.settings.set(flag, new Date().toISOString());
        deps.alerts.raise({
          severity: 'warning',
          title: OVERSIZED,
          message: `The image of the volume ${v.name} on ${device.name} is ${formatBytes(v.actual)}, larger than the volume's size of ${formatBytes(v.size)}; hosts see only ${formatBytes(v.size)}, and backups and failovers copy the whole image.`,
          hint: `Shrink the image file ${this.m.volumePath(device, v.name)} back to ${v.size} bytes (e.g. \`truncate -s ${v.size}\`) while the volume is offline.`,
          objectKind: 'volume',
          objectName: `${device.name}/${v.name}`,
          jobId: null,
        });
      } else if (v.actual <= v.size && flagged) deps.settings.delete(flag);
    }
  }
}
