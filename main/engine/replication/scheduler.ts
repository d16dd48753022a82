/**
 * The durable replication schedule: each protected item's `next_cycle_at` is in its row (a failed cycle moves it to
 * its next retry, replication/retry.ts). While the app runs, a tick every 5 s starts a cycle job for every due item
 * and moves its next time on by the policy's frequency in the same transaction, so a crash never starts a cycle twice
 * and a restart picks up at once what fell due meanwhile. A due member of a replication group starts one cycle of the
 * whole group, and every member's next time moves with it. An item whose previous job is still on its way is skipped
 * this turn. Items that need a resynchronization get a resync job when their window is open (and their last failed
 * attempt's retry time has come). The clock is injectable: tests call tick(now).
 */
import type { Job } from '../../shared/schemas';
import type { Logger } from '../log';
import { Ticker } from '../ticker';
import { retryOf } from './outcomes';
import { DEFAULT_WINDOW, inWindow } from './resync-window';
import type { ItemRow, ReplicationStore } from './store';

const TICK_MS = 5_000;

export interface SchedulerDeps {
  store: ReplicationStore;
  startCycle: (item: ItemRow) => Job;
  startResync: (item: ItemRow) => Job;
  activeJob: (item: ItemRow) => Job | null;
  /** Whether the item replicates from or to a paused site: it is skipped, and runs once the site is resumed. */
  siteHeld: (item: ItemRow) => boolean;
  log: Logger;
  clock: () => Date;
}

export class ReplicationScheduler {
  private readonly ticker = new Ticker(
    TICK_MS,
    () => this.tick(this.deps.clock()),
    (err) => this.deps.log.error('replication scheduler tick failed', { error: err.message }),
  );

  constructor(private readonly deps: SchedulerDeps) {}

  start(): void {
    this.ticker.start();
  }

  stop(): void {
    this.ticker.stop();
  }

  /** Starts the cycles and resyncs due at `now`; returns the items it started a job for. */
  tick(now: Date): string[] {
    const { store } = this.deps;
    const started: string[] = [];
    const iso = now.toISOString();
    for (const stale of store.due(iso)) {
      store.db.transaction(() => {
        const item = store.item(stale.id);
        if (
          !item ||
          item.phase !== 'protected' ||
          item.paused ||
          !item.next_cycle_at ||
          item.next_cycle_at > iso ||
          this.deps.siteHeld(item)
        )
          return;
        const policy = store.policy(item.policy_id);
        const next = new Date(now.getTime() + policy.frequency_seconds * 1000).toISOString();
        const runs = (m: ItemRow) => m.phase === 'protected' && !m.paused && m.next_cycle_at && !this.deps.siteHeld(m);
        const members = item.group_name ? store.groupMembers(item.group_name).filter(runs) : [item];
        // A group replicates together: its members' next times move together.
        for (const m of members) store.updateItem(m.id, { next_cycle_at: next });
        if (members.some((m) => this.deps.activeJob(m))) return;
        this.deps.startCycle(item);
        started.push(item.name);
      })();
    }
    const window = store.setting('resyncWindow') ?? DEFAULT_WINDOW;
    for (const item of store.items()) {
      if (item.phase !== 'resync-required' || item.paused || this.deps.siteHeld(item) || this.deps.activeJob(item))
        continue;
      const error = item.last_error ? (JSON.parse(item.last_error) as { final?: boolean }) : null;
      const retry = retryOf(item);
      if (error?.final && !retry) continue; // Critical: waits for someone to act
      if (retry && retry.nextAttemptAt > iso) continue;
      if (!inWindow(item.resync_window ?? window, now)) continue;
      this.deps.startResync(item);
      started.push(item.name);
    }
    return started;
  }
}
