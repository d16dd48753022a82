/**
 * Retries for remote storage: exponential backoff with full jitter (delay = random(0, min(cap, base·2^n))), so many
 * writers that lost the same endpoint do not come back in lock step. Only errors marked retryable are retried;
 * everything else (a wrong key, a missing object) fails at once. When the attempts or the deadline run out the
 * caller gets one 'unavailable' error that names the endpoint and how long we tried, and stays retryable so the
 * job that called us is left resumable.
 */
import { LifeboatError } from '../../shared/errors';

export interface RetryOptions {
  /** First backoff ceiling in ms; doubles every attempt. */
  baseMs: number;
  /** Largest single backoff in ms. */
  capMs: number;
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Give up once this many ms have passed since the first attempt (no new attempt starts after it). */
  deadlineMs: number;
  /** Injectable for tests: a number in [0, 1). */
  random?: () => number;
}

export const DEFAULT_RETRY: RetryOptions = { baseMs: 200, capMs: 10_000, maxAttempts: 8, deadlineMs: 120_000 };

/**
 * How long an unreachable account is retried before the job fails (and can be resumed): 120 s, or the
 * LIFEBOAT_STORAGE_RETRY_SECONDS environment variable, for a lab that prefers jobs to fail fast.
 */
export function retryDeadlineMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.LIFEBOAT_STORAGE_RETRY_SECONDS);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_RETRY.deadlineMs;
}

export interface RetryContext {
  /** What is being done, for the final message: "upload probe/x". */
  what: string;
  /** The endpoint tried, for the final message; never a credential. */
  endpoint: string;
  signal?: AbortSignal;
  /** Called before each backoff sleep; lets callers log or count retries. */
  onRetry?: (info: { attempt: number; delayMs: number; error: LifeboatError }) => void;
}

/** The backoff before attempt n+1 (n counted from 1), with full jitter; honours a server's Retry-After as a floor. */
export function backoffDelay(attempt: number, opts: RetryOptions, retryAfterMs?: number): number {
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** (attempt - 1));
  const jittered = Math.floor((opts.random ?? Math.random)() * ceiling);
  return retryAfterMs !== undefined ? Math.min(opts.capMs, Math.max(jittered, retryAfterMs)) : jittered;
}

/**
 * Runs fn until it succeeds, fails with a non-retryable error, or the budget is spent. fn receives the attempt
 * number (from 1) and must map its own failures to LifeboatError (retryable or not); anything else is not retried.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  ctx: RetryContext,
  options: Partial<RetryOptions> = {},
): Promise<T> {
  const opts: RetryOptions = { ...DEFAULT_RETRY, deadlineMs: retryDeadlineMs(), ...options };
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    throwIfCancelled(ctx.signal);
    let error: LifeboatError;
    try {
      return await fn(attempt);
    } catch (err) {
      if (!(err instanceof LifeboatError) || !err.retryable) throw err;
      if (ctx.signal?.aborted) throw cancelled(err);
      error = err;
    }
    const elapsed = Date.now() - started;
    const delayMs = backoffDelay(attempt, opts, retryAfterOf(error));
    if (attempt >= opts.maxAttempts || elapsed + delayMs >= opts.deadlineMs) throw gaveUp(error, ctx, attempt, elapsed);
    ctx.onRetry?.({ attempt, delayMs, error });
    await sleep(delayMs, ctx.signal);
  }
}

/** A server's Retry-After (429/503), when the mapped error carries it. */
function retryAfterOf(err: LifeboatError): number | undefined {
  const v = (err as LifeboatError & { retryAfterMs?: number }).retryAfterMs;
  return typeof v === 'number' && v >= 0 ? v : undefined;
}

function gaveUp(last: LifeboatError, ctx: RetryContext, attempts: number, elapsedMs: number): LifeboatError {
  const secs = elapsedMs < 10_000 ? (elapsedMs / 1000).toFixed(1) : Math.round(elapsedMs / 1000).toString();
  const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
  return new LifeboatError(
    'unavailable',
    `Could not ${ctx.what} at ${ctx.endpoint}: gave up after ${tries} over ${secs} s. Last error: ${last.message}`,
    last.hint ?? 'Check the network and that the storage account is reachable, then resume the job.',
    { retryable: true, cause: last },
  );
}

function cancelled(cause?: unknown): LifeboatError {
  return new LifeboatError('cancelled', 'The operation was cancelled.', undefined, { cause });
}

function throwIfCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw cancelled(signal.reason);
}

/** Sleeps, waking early with 'cancelled' when the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled(signal.reason));
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
