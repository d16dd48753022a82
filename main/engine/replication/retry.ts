/**
 * Retry of failed replication cycles (seed 002), as pure rules the manager, the scheduler and `item show` share.
 * Non-recoverable errors (a disk gone, the recovery site full, authentication refused, a site root that belongs to
 * another site) make the item Critical and are not retried: someone must act. Every other error (a site or account
 * unreachable: a root not mounted, EIO, a timeout; a source that kept changing while read) is retried after 1, 2, 4,
 * 8 and 10 minutes, then every 30 minutes, until a cycle succeeds.
 */
import { toErrorInfo } from '../errors';
import { LifeboatError, type ErrorInfo } from '../../shared/errors';

export const BACKOFF_SECONDS = [60, 120, 240, 480, 600] as const;
export const BACKOFF_AFTER_SECONDS = 1800;

/** Codes that no retry can mend. */
const FINAL_CODES = new Set(['disk_full', 'unauthorized', 'forbidden', 'bad_key', 'fenced']);
/** errno codes of the same kind: no room, no permission, a read-only site. */
const FINAL_ERRNO = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS']);

export function isRecoverable(err: unknown): boolean {
  if (err instanceof LifeboatError) return !err.final && !FINAL_CODES.has(err.code);
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return !(typeof code === 'string' && FINAL_ERRNO.has(code));
}

/** The delay before attempt `attempt + 1`, after `attempt` consecutive failures (1-based). */
export function backoffSeconds(attempt: number): number {
  return attempt <= BACKOFF_SECONDS.length ? BACKOFF_SECONDS[Math.max(1, attempt) - 1] : BACKOFF_AFTER_SECONDS;
}

export interface RetryState {
  /** Consecutive failed attempts. */
  attempt: number;
  firstFailedAt: string;
  lastAttemptAt: string;
  nextAttemptAt: string;
  error: ErrorInfo;
}

/** The retry state after one more failure at `now`. */
export function nextRetry(prev: RetryState | null, err: unknown, now: Date): RetryState {
  const attempt = (prev?.attempt ?? 0) + 1;
  return {
    attempt,
    firstFailedAt: prev?.firstFailedAt ?? now.toISOString(),
    lastAttemptAt: now.toISOString(),
    nextAttemptAt: new Date(now.getTime() + backoffSeconds(attempt) * 1000).toISOString(),
    error: toErrorInfo(err),
  };
}
