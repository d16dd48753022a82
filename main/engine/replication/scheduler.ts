/**
 * The durable replication schedule: each protected item's `next_cycle_at` is in its row. While the app runs, a tick
 * every 5 s starts a cycle job for every due item and moves its next time on by the policy's frequency in the same
 * transaction, so a crash never starts a cycle twice and a restart picks up at once what fell due meanwhile. An item
 * whose previous cycle is still on its way is skipped this turn. The clock is injectable: tests call tick(now).
 */
import type { Job } from '../api/schemas';
import type { Logger } from '../log';
import type { ItemRow, ReplicationStore } from './store';

const TICK_MS = 5_000;

export class ReplicationScheduler {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: ReplicationStore,
    private readonly startCycle: (item: ItemRow) => Job,
    private readonly activeJob: (item: ItemRow) => Job | null,
    private readonly log: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tickSafely(), TICK_MS);
    this.timer.unref();
    this.tickSafely();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tickSafely(): void {
    try {
      this.tick(this.clock());
    } catch (err) {
      this.log.error('replication scheduler tick failed', { error: (err as Error).message });
    }
  }

  /** Starts the cycles due at `now`; returns the items it started one for. */
  tick(now: Date): string[] {
    const started: string[] = [];
    for (const stale of this.store.due(now.toISOString())) {
      this.store.db.transaction(() => {
        const item = this.store.item(stale.id);
        if (!item || item.phase !== 'protected' || item.paused || !item.next_cycle_at || item.next_cycle_at > now.toISOString()) return;
        const policy = this.store.policy(item.policy_id);
        this.store.updateItem(item.id, { next_cycle_at: new Date(now.getTime() + policy.frequency_seconds * 1000).toISOString() });
        if (this.activeJob(item)) return;
        this.startCycle(item);
        started.push(item.name);
      })();
    }
    return started;
  }
}
