/**
 * The device backup policy and scheduler. The next backup time is computed in the device's IANA time zone with
 * Intl (no time-zone library): the wall-clock time HH:MM on the next matching day, converted to UTC with the
 * zone's offset at that moment. The scheduler creates a scheduled backup job for every online device that is due
 * and advances its next time in the same transaction, so a crash never schedules a backup twice.
 */
import type { BackupPolicy } from '../../shared/device-schemas';
import type { Db } from '../db/database';
import type { Logger } from '../log';
import { LifeboatError } from '../../shared/errors';
import { Ticker } from '../ticker';
import type { DeviceRow, DeviceStore } from './store';

export type StoredPolicy = Omit<BackupPolicy, 'nextAt'>;

const TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;
/** New devices back up daily: a device nobody set a policy for must not go unprotected. */
export const DEFAULT_POLICY: StoredPolicy = { frequency: 'daily', time: '22:00', weekday: null, retention: 7 };
const TICK_MS = 30_000;

/** "7:05" → "07:05"; anything else that is not a time of day is refused with what to type. */
export function parseTime(time: string): string {
  const m = TIME.exec(time.trim());
  if (!m)
    throw new LifeboatError(
      'invalid_input',
      `time: "${time}" is not a time of day; give HH:MM in 24-hour form, e.g. 22:00.`,
    );
  return `${m[1].padStart(2, '0')}:${m[2]}`;
}

export function policyOf(row: Pick<DeviceRow, 'policy' | 'next_backup_at'>): BackupPolicy {
  let stored: Partial<StoredPolicy> = {};
  try {
    stored = JSON.parse(row.policy) as Partial<StoredPolicy>;
  } catch {
    // A damaged policy reads as the default rather than breaking the device's pages.
  }
  return { ...DEFAULT_POLICY, ...stored, nextAt: row.next_backup_at };
}

/** The zone's offset from UTC at `at`, in ms (local = UTC + offset). */
export function zoneOffset(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(at));
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return local - Math.floor(at / 1000) * 1000;
}

/** UTC ms of a wall-clock time in the zone; a time in a DST gap moves forward by the gap. */
function zonedToUtc(y: number, mo: number, d: number, h: number, mi: number, timeZone: string): number {
  const wall = Date.UTC(y, mo, d, h, mi);
  const valid = (utc: number) => utc + zoneOffset(utc, timeZone) === wall;
  const first = wall - zoneOffset(wall, timeZone);
  if (valid(first)) return first;
  const second = wall - zoneOffset(first, timeZone);
  return valid(second) ? second : Math.max(first, second);
}

/** When the next backup under the policy starts after `after`, or null when the policy is off. */
export function nextBackupAt(
  policy: Pick<StoredPolicy, 'frequency' | 'time' | 'weekday'>,
  timeZone: string,
  after: Date,
): Date | null {
  if (policy.frequency === 'off') return null;
  const [h, mi] = parseTime(policy.time).split(':').map(Number);
  const local = new Date(after.getTime() + zoneOffset(after.getTime(), timeZone));
  for (let i = 0; i <= 8; i++) {
    const day = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + i));
    if (policy.frequency === 'weekly' && day.getUTCDay() !== (policy.weekday ?? 0)) continue;
    const at = zonedToUtc(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), h, mi, timeZone);
    if (at > after.getTime()) return new Date(at);
  }
  throw new Error('unreachable: a day of the week always comes within 8 days');
}

/** Runs due scheduled backups: once at start, then every 30 s (the timer never keeps the process alive). */
export class BackupScheduler {
  private readonly ticker = new Ticker(
    TICK_MS,
    () => this.tick(),
    (err) => this.deps.log.error('backup scheduler tick failed', { error: err.message }),
  );

  constructor(
    private readonly deps: { db: Db; log: Logger; devices: { store: DeviceStore } },
    private readonly startBackup: (device: DeviceRow) => void,
    private readonly busyJob: (deviceId: string) => string | undefined,
  ) {}

  start(): void {
    this.ticker.start();
  }

  stop(): void {
    this.ticker.stop();
  }

  /** Starts the backups due at `now`; returns the devices it started one for. */
  tick(now = new Date()): string[] {
    const db = this.deps.db;
    const started: string[] = [];
    const due = db
      .prepare(
        "SELECT * FROM devices WHERE status = 'online' AND next_backup_at IS NOT NULL AND next_backup_at <= ? AND failover_job_id IS NULL ORDER BY next_backup_at",
      )
      .all(now.toISOString()) as DeviceRow[];
    for (const stale of due) {
      db.transaction(() => {
        // Re-read inside the transaction: another tick (or a policy change) may have moved it meanwhile.
        const device = this.deps.devices.store.byId(stale.id);
        if (
          !device ||
          device.status !== 'online' ||
          !device.next_backup_at ||
          device.next_backup_at > now.toISOString()
        )
          return;
        const next = nextBackupAt(policyOf(device), device.time_zone, now);
        this.deps.devices.store.update(device.id, { next_backup_at: next?.toISOString() ?? null });
        const busy = this.busyJob(device.id);
        if (busy) {
          this.deps.log.info('scheduled backup skipped: a job of the device is running', {
            device: device.name,
            jobId: busy,
          });
          return;
        }
        this.startBackup(device);
        started.push(device.name);
      })();
    }
    return started;
  }
}
