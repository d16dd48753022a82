/**
 * What a cycle's end does to its items: the retry schedule, Critical health and its alert, the move to
 * *Resynchronization required*, the pending bytes and the per-cycle history (24 h, for the RPO and throughput charts).
 * One place for these rules, whichever job (cycle, group cycle, resync) ended.
 */
import { toErrorInfo } from '../errors';
import type { Logger } from '../log';
import type { CycleResult } from './cycle';
import { isRecoverable, nextRetry, type RetryState } from './retry';
import type { CycleCounts } from './stage';
import { ResyncNeeded } from './stage';
import type { ItemRow, ReplicationStore } from './store';

export interface ItemAlert {
  severity: 'warning' | 'critical';
  title: string;
  message: string;
  hint: string | null;
  objectName: string;
  jobId: string | null;
}

export interface OutcomeDeps {
  store: ReplicationStore;
  log: Logger;
  now: () => Date;
  alert: (a: ItemAlert) => void;
}

export interface ResyncState {
  reason: string;
  since: string;
}

const HISTORY_MS = 24 * 3600_000;

export const retryOf = (item: ItemRow): RetryState | null =>
  item.retry ? (JSON.parse(item.retry) as RetryState) : null;
export const resyncOf = (item: ItemRow): ResyncState | null =>
  item.resync ? (JSON.parse(item.resync) as ResyncState) : null;

export class Outcomes {
  constructor(private readonly deps: OutcomeDeps) {}

  private rpoBefore(itemId: string, at: Date, exclude?: string): number | null {
    const points = this.deps.store.points(itemId).filter((p) => p.id !== exclude);
    const last = points.at(-1);
    return last ? Math.max(0, Math.round((at.getTime() - Date.parse(last.created_at)) / 1000)) : null;
  }

  private history(
    item: ItemRow,
    at: Date,
    kind: string,
    ok: boolean,
    bytes: number,
    durationMs: number,
    rpo: number | null,
  ): void {
    this.deps.store.addCycle(
      {
        item_id: item.id,
        at: at.toISOString(),
        kind,
        ok: ok ? 1 : 0,
        bytes_sent: bytes,
        duration_ms: Math.round(durationMs),
        rpo_seconds: rpo,
      },
      new Date(at.getTime() - HISTORY_MS).toISOString(),
    );
  }

  /** A point was recorded: retries end, a Critical item recovers its schedule, a resync is over. */
  succeeded(item: ItemRow, r: CycleResult, durationMs: number, opts: { resync?: boolean } = {}): void {
    const fresh = this.deps.store.item(item.id);
    if (!fresh) return;
    const policy = this.deps.store.policy(fresh.policy_id);
    const now = this.deps.now();
    const patch: Partial<ItemRow> = { retry: null, last_error: null, pending_bytes: 0 };
    if (opts.resync || fresh.phase === 'resync-required') Object.assign(patch, { phase: 'protected', resync: null });
    if ((opts.resync || !fresh.next_cycle_at) && fresh.phase !== 'enabling')
      patch.next_cycle_at = new Date(now.getTime() + policy.frequency_seconds * 1000).toISOString();
    this.deps.store.updateItem(item.id, patch);
    const at = new Date(r.createdAt);
    this.history(
      item,
      at,
      opts.resync ? 'resync' : r.kind,
      true,
      r.bytesSent,
      durationMs,
      this.rpoBefore(item.id, at, r.pointId),
    );
  }

  /**
   * A cycle of these members failed. The member it failed for (or all, when it is not known) takes the error: a
   * resync need, Critical (no retry, an alert) or the next retry; the other members of a group retry.
   */
  failed(
    members: ItemRow[],
    err: unknown,
    culprit: string | undefined,
    ctx: { jobId: string | null; durationMs: number; counts: Map<string, CycleCounts> },
  ): void {
    const now = this.deps.now();
    const info = toErrorInfo(err);
    for (const m of members) {
      const item = this.deps.store.item(m.id);
      if (!item) continue;
      const counts = ctx.counts.get(item.id);
      const mine = !culprit || culprit === item.id;
      const lastError = JSON.stringify({ ...info, final: mine && !isRecoverable(err), at: now.toISOString() });
      const pending = counts && counts.changedBytes > 0 ? { pending_bytes: counts.changedBytes } : {};
      this.history(item, now, 'failed', false, counts?.bytesSent ?? 0, ctx.durationMs, this.rpoBefore(item.id, now));
      if (item.phase === 'enabling' || item.phase === 'reprotecting') {
        // The Enable protection or Reprotect job says what failed and is resumed by hand.
        this.deps.store.updateItem(item.id, { last_error: lastError });
        continue;
      }
      if (mine && err instanceof ResyncNeeded) {
        this.resyncRequired(item, err.reason, ctx.jobId, pending);
        continue;
      }
      if (mine && !isRecoverable(err)) {
        this.deps.store.updateItem(item.id, { last_error: lastError, retry: null, next_cycle_at: null, ...pending });
        this.deps.log.error('replication stopped: a non-recoverable error', { item: item.name, error: info });
        this.deps.alert({
          severity: 'critical',
          title: `Replication of ${item.name} stopped`,
          message: info.message,
          hint: info.hint ?? `Fix the cause, then run \`lifeboat item replicate ${item.name}\`.`,
          objectName: item.name,
          jobId: ctx.jobId,
        });
        continue;
      }
      const why = mine ? err : new Error(`The cycle of its group stopped: ${info.message}`);
      const retry = nextRetry(retryOf(item), why, now);
      const next = item.phase === 'protected' ? retry.nextAttemptAt : item.next_cycle_at;
      this.deps.store.updateItem(item.id, {
        last_error: lastError,
        retry: JSON.stringify(retry),
        next_cycle_at: next,
        ...pending,
      });
      this.deps.log.warn('replication cycle failed; retried later', {
        item: item.name,
        attempt: retry.attempt,
        next: retry.nextAttemptAt,
        error: info,
      });
    }
  }

  /** The item waits for a resynchronization (in its window, or by hand): no more delta cycles until then. */
  resyncRequired(item: ItemRow, reason: string, jobId: string | null, patch: Partial<ItemRow> = {}): void {
    const state: ResyncState = resyncOf(item) ?? { reason, since: this.deps.now().toISOString() };
    const cleared = { retry: null, last_error: null, next_cycle_at: null };
    this.deps.store.updateItem(item.id, {
      ...patch,
      phase: 'resync-required',
      resync: JSON.stringify(state),
      ...cleared,
    });
    this.deps.log.warn('resynchronization required', { item: item.name, reason });
    if (item.phase !== 'resync-required')
      this.deps.alert({
        severity: 'warning',
        title: `${item.name} needs a resynchronization`,
        message: `${item.name} needs a resynchronization: ${reason}`,
        hint: `It runs in its resync window, or now with \`lifeboat item resync ${item.name}\`.`,
        objectName: item.name,
        jobId,
      });
  }
}
