/**
 * Scheduled drills (docs/failover.md, "Scheduled drills"): an item's durable schedule runs a test failover to a chosen
 * point option every N days at a local time of day, then, after a hold, cleans it up with the notes "scheduled drill";
 * the drill report stays. The schedule is a row (`drill_schedules`); a tick every 30 s (and once at start) starts what
 * is due and moves `next_at` past now in the same transaction as the job's creation, so kill -9 never starts a drill
 * twice and a drill missed while the app was down runs once at restart, not once per missed day. The cleanup time is
 * in the row too, so a hold that ends while the app is down is cleaned up at restart. The clock is injectable: tests
 * call tick(now).
 */
import { LifeboatError } from '../../shared/errors';
import type { Db } from '../db/database';
import type { Logger } from '../log';
import { Ticker } from '../ticker';
import { requirePhaseFor } from './phases';
import type { FailoverInput } from './failover';
import type { FailoverStore } from './failover-store';
import type { ItemRow, ReplicationStore } from './store';

const TICK_MS = 30_000;
const TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;
export const DRILL_NOTES = 'scheduled drill';

export interface DrillScheduleRow {
  item_id: string;
  every_days: number;
  at: string;
  point: string;
  hold_minutes: number;
  next_at: string | null;
  last_run_at: string | null;
  last_drill_id: string | null;
  cleanup_at: string | null;
  last_error: string | null;
}

export interface DrillScheduleInput {
  everyDays?: number;
  at?: string;
  point?: string;
  hold?: number;
  off: boolean;
}

export interface DrillScheduleDeps {
  store: ReplicationStore;
  failovers: FailoverStore;
  /** Starts a test failover job (ItemFailover.start): refuses with a LifeboatError when the item cannot be tested now. */
  startTest: (input: FailoverInput) => { id: string };
  /** Cleans up a test failover (ItemFailover.cleanupTest); `busy` while its job is still starting. */
  cleanupTest: (name: string, notes: string) => Promise<unknown>;
  /** Checks a point choice belongs to the item (resolvePoint), so a schedule never holds a choice that cannot work. */
  checkPoint: (item: ItemRow, choice: string) => void;
  log: Logger;
  clock: () => Date;
}

/** "7:05" → "07:05"; anything else is refused with what to type. */
export function parseDrillTime(text: string): string {
  const m = TIME.exec(text.trim());
  if (!m)
    throw new LifeboatError(
      'invalid_input',
      `--at: "${text}" is not a time of day.`,
      'Give HH:MM in 24-hour local time, e.g. 02:00.',
    );
  return `${m[1].padStart(2, '0')}:${m[2]}`;
}

/** The first HH:MM (local) at or after `from`'s day, stepping N days from that slot, that is later than `after`. */
export function nextDrillAt(at: string, everyDays: number, from: Date, after: Date): Date {
  const [h, mi] = parseDrillTime(at).split(':').map(Number);
  const slot = new Date(from);
  slot.setHours(h, mi, 0, 0);
  if (slot <= after) {
    // Whole periods past `after` at once: a schedule missed for months moves on in one step.
    const periods = Math.floor((after.getTime() - slot.getTime()) / (everyDays * 86_400_000));
    slot.setDate(slot.getDate() + periods * everyDays);
    while (slot <= after) slot.setDate(slot.getDate() + everyDays);
    slot.setHours(h, mi, 0, 0);
  }
  return slot;
}

export class DrillSchedules {
  private readonly ticker = new Ticker(
    TICK_MS,
    () => this.tickInBackground(),
    (err) => this.failed(err),
  );
  /** A tick on its way (a cleanup can take a while): the next one waits for the timer after it. */
  private ticking = false;

  constructor(private readonly deps: DrillScheduleDeps) {}

  private get db(): Db {
    return this.deps.store.db;
  }

  start(): void {
    this.ticker.start();
  }

  stop(): void {
    this.ticker.stop();
  }

  private failed(err: Error): void {
    this.deps.log.error('drill schedule tick failed', { error: err.message });
  }

  private tickInBackground(): void {
    if (this.ticking) return;
    this.ticking = true;
    this.tick(this.deps.clock())
      .catch((err: Error) => this.failed(err))
      .finally(() => (this.ticking = false));
  }

  row(itemId: string): DrillScheduleRow | undefined {
    return this.db.prepare('SELECT * FROM drill_schedules WHERE item_id = ?').get(itemId) as
      DrillScheduleRow | undefined;
  }

  private update(itemId: string, patch: Partial<DrillScheduleRow>): void {
    const keys = Object.keys(patch);
    this.db
      .prepare(`UPDATE drill_schedules SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE item_id = @item_id`)
      .run({ ...patch, item_id: itemId });
  }

  /** Why drills of the item cannot start now (it is not protected: failed over, committed, reprotecting, …), or null. */
  private pausedBecause(itemId: string): string | null {
    const item = this.deps.store.item(itemId);
    if (!item) return null;
    try {
      requirePhaseFor(item, 'test-failover');
      return null;
    } catch (err) {
      const e = err as LifeboatError;
      return `${e.message} Scheduled drills wait until it is protected again: ${e.hint ?? ''}`.trim();
    }
  }

  /** The schedule as `item show`, `item drills` and `item drill-schedule` give it; paused (saying why) while not protected. */
  view(itemId: string) {
    const r = this.row(itemId);
    if (!r?.next_at) return null; // none, or turned off with a drill still up (its cleanup still comes)
    const pausedReason = this.pausedBecause(itemId);
    return {
      paused: pausedReason !== null,
      pausedReason,
      everyDays: r.every_days,
      at: r.at,
      point: r.point,
      holdMinutes: r.hold_minutes,
      nextAt: r.next_at,
      lastRunAt: r.last_run_at,
      lastDrillId: r.last_drill_id,
      cleanupAt: r.cleanup_at,
      lastError: r.last_error,
    };
  }

  /** The item's schedule, as `item drills` gives it beside the reports. */
  shown(name: string) {
    const item = this.deps.store.requireItem(name);
    return { item: item.name, schedule: this.view(item.id) };
  }

  /** Shows (no flags), sets (changing only what is given) or removes (--off) an item's drill schedule. */
  set(name: string, input: DrillScheduleInput) {
    const item = this.deps.store.requireItem(name);
    const old = this.row(item.id);
    const changes =
      input.everyDays !== undefined || input.at !== undefined || input.point !== undefined || input.hold !== undefined;
    if (input.off) {
      if (changes)
        throw new LifeboatError(
          'invalid_input',
          '--off removes the schedule: it takes no other flag.',
          `Run \`lifeboat item drill-schedule ${item.name} --off\` alone.`,
        );
      // A drill that is up still gets its cleanup: the hold was promised when it started.
      if (old?.cleanup_at) this.update(item.id, { next_at: null });
      else this.db.prepare('DELETE FROM drill_schedules WHERE item_id = ?').run(item.id);
      return { item: item.name, schedule: null };
    }
    if (!changes) return { item: item.name, schedule: this.view(item.id) };
    const everyDays = input.everyDays ?? old?.every_days;
    if (everyDays === undefined)
      throw new LifeboatError(
        'invalid_input',
        `${item.name} has no drill schedule yet: --every-days is needed.`,
        `E.g. \`lifeboat item drill-schedule ${item.name} --every-days 7 --at 02:00\`.`,
      );
    const at = parseDrillTime(input.at ?? old?.at ?? '02:00');
    const point = input.point ?? old?.point ?? 'latest-processed';
    this.deps.checkPoint(item, point);
    const hold = input.hold ?? old?.hold_minutes ?? 30;
    const now = this.deps.clock();
    const next = nextDrillAt(at, everyDays, now, now).toISOString();
    this.db
      .prepare(
        `INSERT INTO drill_schedules(item_id, every_days, at, point, hold_minutes, next_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(item_id) DO UPDATE SET every_days = excluded.every_days, at = excluded.at, point = excluded.point,
           hold_minutes = excluded.hold_minutes, next_at = excluded.next_at, last_error = NULL`,
      )
      .run(item.id, everyDays, at, point, hold, next);
    return { item: item.name, schedule: this.view(item.id) };
  }

  /** Cleans up the drills whose hold is over, then starts the drills due at `now`; returns what it did, for tests. */
  async tick(now: Date): Promise<{ started: string[]; cleaned: string[] }> {
    const iso = now.toISOString();
    const cleaned: string[] = [];
    const started: string[] = [];
    const holds = this.db
      .prepare('SELECT * FROM drill_schedules WHERE cleanup_at IS NOT NULL AND cleanup_at <= ?')
      .all(iso) as DrillScheduleRow[];
    for (const s of holds) {
      const item = this.deps.store.item(s.item_id);
      if (!item) continue;
      const test = this.deps.failovers.test(item.id);
      if (test?.drillId === s.last_drill_id) {
        try {
          await this.deps.cleanupTest(item.name, DRILL_NOTES);
        } catch (err) {
          if (err instanceof LifeboatError && err.code === 'busy') continue; // still starting: the next tick
          this.update(item.id, { last_error: (err as Error).message });
          this.deps.log.warn('scheduled drill cleanup failed', { item: item.name, error: (err as Error).message });
          continue;
        }
        cleaned.push(item.name);
      }
      // Cleaned up (by us, or by hand meanwhile): the hold is over; a schedule turned off meanwhile goes now.
      if (this.row(item.id)?.next_at === null)
        this.db.prepare('DELETE FROM drill_schedules WHERE item_id = ?').run(item.id);
      else this.update(item.id, { cleanup_at: null });
    }
    const due = this.db
      .prepare('SELECT * FROM drill_schedules WHERE next_at IS NOT NULL AND next_at <= ? ORDER BY next_at')
      .all(iso) as DrillScheduleRow[];
    for (const stale of due) {
      this.db.transaction(() => {
        const s = this.row(stale.item_id);
        const item = this.deps.store.item(stale.item_id);
        if (!s?.next_at || s.next_at > iso || !item) return;
        // Past now in one step, in the transaction that starts the job: a crash never starts it twice, a missed one runs once.
        const next = nextDrillAt(s.at, s.every_days, new Date(s.next_at), now).toISOString();
        try {
          const job = this.deps.startTest({
            name: item.name,
            type: 'test',
            point: s.point,
            shutdownSource: false,
            scheduled: true,
          });
          // An interrupted failover of the item is followed instead of starting another: then no drill started.
          if (this.deps.failovers.test(item.id)?.jobId !== job.id)
            throw new LifeboatError(
              'busy',
              `The scheduled drill of ${item.name} did not start: its failover job ${job.id} is still running.`,
              `Let it finish (\`lifeboat jobs show ${job.id}\`); the next drill runs on schedule.`,
            );
        } catch (err) {
          const message =
            err instanceof LifeboatError && err.hint ? `${err.message} ${err.hint}` : (err as Error).message;
          this.update(item.id, { next_at: next, last_run_at: iso, last_error: message });
          this.deps.log.warn('scheduled drill not started', { item: item.name, error: message });
          return;
        }
        const drillId = this.deps.failovers.test(item.id)?.drillId ?? null;
        const cleanupAt = new Date(now.getTime() + s.hold_minutes * 60_000).toISOString();
        this.update(item.id, {
          next_at: next,
          last_run_at: iso,
          last_drill_id: drillId,
          cleanup_at: cleanupAt,
          last_error: null,
        });
        started.push(item.name);
      })();
    }
    return { started, cleaned };
  }
}
