/**
 * A device's health and the reasons for it: the one rule the device list and page, the CLI and the Dashboard's
 * "devices that need attention" all use. Pure (no Node APIs, the clock passed in), so the renderer imports it too.
 */
import type { BackupPolicy, Device, DeviceStatus } from './device-schemas';

/** A device whose shares and volumes are provisioned past this share of its capacity is in warning. */
export const PROVISIONED_WARN = 0.9;
/** A backup older than this many policy periods is late: a day and a half for a daily policy leaves the nightly run time to finish. */
const LATE_PERIODS = 1.5;
const PERIOD_MS = { daily: 86_400_000, weekly: 7 * 86_400_000 } as const;

export interface HealthFacts {
  name: string;
  status: DeviceStatus;
  rootMissing: boolean;
  /** The data root is at an agent site that did not answer at the last look: why, and what to do (null: it did). */
  siteDown?: string | null;
  capacity: number;
  provisioned: number;
  used: number;
  /** Shares that use more than their quota. */
  overQuota: string[];
  /** Shares and volumes offline (on an online device: hosts cannot reach them). */
  offlineItems: string[];
  /** How many shares or volumes the device has: one without any has nothing to back up yet. */
  items: number;
  policy: Pick<BackupPolicy, 'frequency'>;
  /** The newest backup of the device's data (its own, or the final backup of the device it replaced). */
  lastBackupAt: string | null;
}

export interface HealthReport {
  health: Device['health'];
  /** Why it is not healthy, in words, worst first; empty when healthy. */
  reasons: string[];
}

/** "40 minutes", "30 hours", "3 days": an age as the reasons say it. */
export function describeAge(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} hours`;
  return `${Math.round(hours / 24)} days`;
}

/**
 * Critical: the data root is gone or the agent site holding it does not answer, more is used than the capacity, or a
 * share is over quota. Warning: the device is offline, provisioned past 90%, a share or volume is offline, or the data
 * is not protected (an online device with shares or volumes that was never backed up, whose backups are off, or whose
 * last backup is older than the policy allows). A deleted device is healthy: it holds nothing any more.
 */
export function assessHealth(f: HealthFacts, now: number): HealthReport {
  if (f.status === 'deleted') return { health: 'healthy', reasons: [] };
  const critical: string[] = [];
  if (f.siteDown) critical.push(f.siteDown);
  else if (f.rootMissing) critical.push('the data root is missing');
  if (f.used > f.capacity) critical.push('more is used than the capacity');
  if (f.overQuota.length) critical.push(`over quota: ${f.overQuota.join(', ')}`);
  const warning: string[] = [];
  if (f.status === 'offline') warning.push('offline for maintenance');
  if (f.provisioned > PROVISIONED_WARN * f.capacity)
    warning.push(`${Math.round((100 * f.provisioned) / f.capacity)}% of the capacity is provisioned`);
  if (f.status === 'online' && f.offlineItems.length) warning.push(`offline: ${f.offlineItems.join(', ')}`);
  if (f.status === 'online' && f.items > 0) {
    const last = f.lastBackupAt ? Date.parse(f.lastBackupAt) : null;
    if (f.policy.frequency === 'off')
      warning.push(last === null ? 'never backed up, and backups are off' : 'backups are off');
    else if (last === null) warning.push('never backed up');
    else if (now - last > LATE_PERIODS * PERIOD_MS[f.policy.frequency])
      warning.push(`last backup ${describeAge(now - last)} ago, policy ${f.policy.frequency}`);
  }
  if (critical.length) return { health: 'critical', reasons: [...critical, ...warning] };
  if (warning.length) return { health: 'warning', reasons: warning };
  return { health: 'healthy', reasons: [] };
}

/** Whether the Dashboard lists the device as needing attention: not healthy, or not serving (registered and online). */
export function needsAttention(d: Pick<Device, 'status' | 'health'>): boolean {
  return d.health !== 'healthy' || d.status !== 'online';
}
