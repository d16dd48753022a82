/** The retry policy on its own: full-jitter backoff bounds, what is retried, budgets and cancel. No network. */
import { describe, expect, it, vi } from 'vitest';
import { LifeboatError } from '../../main/shared/errors';
import { backoffDelay, DEFAULT_RETRY, withRetry } from '../../main/engine/storage/retry';

const busy = () => new LifeboatError('unavailable', 'busy', undefined, { retryable: true });
const ctx = { what: 'read x', endpoint: 'http://127.0.0.1:1/acct/c' };

describe('retry policy', () => {
  it('full jitter: each delay is in [0, min(cap, base·2^(n-1))), doubling until the cap', () => {
    const opts = { ...DEFAULT_RETRY, random: () => 0.999999 };
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, opts))).toEqual([
      199, 399, 799, 1599, 3199, 6399, 9999, 9999,
    ]);
    expect(backoffDelay(5, { ...DEFAULT_RETRY, random: () => 0 })).toBe(0);
    for (let i = 0; i < 200; i++) expect(backoffDelay(3, DEFAULT_RETRY)).toBeLessThan(800);
    // A server's Retry-After is a floor, still under the cap.
    expect(backoffDelay(1, { ...DEFAULT_RETRY, random: () => 0 }, 1500)).toBe(1500);
    expect(backoffDelay(1, { ...DEFAULT_RETRY, random: () => 0 }, 60_000)).toBe(10_000);
  });

  it('retries only retryable errors, up to maxAttempts, then says how long it tried', async () => {
    let calls = 0;
    const err = await withRetry(async () => (calls++, Promise.reject(busy())), ctx, {
      baseMs: 1,
      capMs: 2,
      maxAttempts: 5,
    }).catch((e: unknown) => e);
    expect(calls).toBe(5);
    expect(err).toMatchObject({ code: 'unavailable', retryable: true });
    expect((err as Error).message).toMatch(
      /^Could not read x at http:\/\/127\.0\.0\.1:1\/acct\/c: gave up after 5 attempts over [\d.]+ s\. Last error: busy$/,
    );

    calls = 0;
    const denied = new LifeboatError('forbidden', 'no');
    await expect(withRetry(async () => (calls++, Promise.reject(denied)), ctx, { baseMs: 1 })).rejects.toBe(denied);
    expect(calls).toBe(1);
    const plain = new TypeError('bug');
    await expect(withRetry(async () => Promise.reject(plain), ctx)).rejects.toBe(plain);

    calls = 0;
    expect(await withRetry(async (n) => (calls++, n < 3 ? Promise.reject(busy()) : 'ok'), ctx, { baseMs: 1 })).toBe(
      'ok',
    );
    expect(calls).toBe(3);
  });

  // The schedule runs on vitest's fake clock (Date.now and setTimeout): what is checked is when each attempt starts
  // and that the backoff ends, never how long the machine took.
  /** Retries an always-busy call on the fake clock to its end: the error, each attempt's start and each backoff. */
  async function busyOnFakeClock(opts: Parameters<typeof withRetry>[2]) {
    vi.useFakeTimers();
    try {
      const t0 = Date.now();
      const startedAt: number[] = [];
      const delays: number[] = [];
      const onRetry = ({ delayMs }: { delayMs: number }) => void delays.push(delayMs);
      const run = withRetry(
        async () => (startedAt.push(Date.now() - t0), Promise.reject(busy())),
        { ...ctx, onRetry },
        opts,
      ).catch((e: unknown) => e);
      await vi.runAllTimersAsync();
      return { err: await run, startedAt, delays };
    } finally {
      vi.useRealTimers();
    }
  }

  it('stops at the deadline even with attempts left', async () => {
    const { err, startedAt, delays } = await busyOnFakeClock({
      baseMs: 100,
      capMs: 100,
      maxAttempts: 100,
      deadlineMs: 350,
      random: () => 0.99,
    });
    expect(err).toMatchObject({ code: 'unavailable' });
    // Backoffs of 99 ms: attempts at 0, 99, 198 and 297 ms; a fifth would start at 396, past the 350 ms deadline.
    expect(delays).toEqual([99, 99, 99]);
    expect(startedAt).toEqual([0, 99, 198, 297]);
    expect((err as Error).message).toMatch(/gave up after 4 attempts over 0\.3 s\./);
  });

  it('backs off by the full-jitter schedule between attempts, doubling to the cap', async () => {
    const { err, startedAt, delays } = await busyOnFakeClock({
      baseMs: 40,
      capMs: 200,
      maxAttempts: 6,
      deadlineMs: 60_000,
      random: () => 0.99,
    });
    expect(err).toMatchObject({ code: 'unavailable', retryable: true });
    expect(delays).toEqual([39, 79, 158, 198, 198]);
    expect(startedAt).toEqual([0, 39, 118, 276, 474, 672]);
  });

  it('a cancel during a backoff ends it at once with "cancelled"', async () => {
    vi.useFakeTimers();
    try {
      const ac = new AbortController();
      let calls = 0;
      // Cancelled 50 ms into a 4.95 s backoff: the retry must settle then, without the clock reaching the backoff's end.
      const run = withRetry(
        async () => (calls++, Promise.reject(busy())),
        { ...ctx, signal: ac.signal },
        { baseMs: 5_000, capMs: 5_000, random: () => 0.99 },
      ).catch((e: unknown) => e);
      let settled = false;
      void run.then(() => (settled = true));
      await vi.advanceTimersByTimeAsync(50);
      expect(settled).toBe(false);
      ac.abort();
      await vi.advanceTimersByTimeAsync(0);
      expect(settled).toBe(true);
      expect(await run).toMatchObject({ code: 'cancelled' });
      expect(calls).toBe(1);
      expect(vi.getTimerCount()).toBe(0); // the backoff's timer is gone, not left to fire later
    } finally {
      vi.useRealTimers();
    }
  });
});
