/**
 * Azure outages against real Azurite: the service stopped mid-upload, 503s and hung requests injected by a loopback
 * proxy. Retry parameters are small so the tests are quick; the behaviour is the same with the defaults.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LifeboatError } from '../../main/shared/errors';
import { AzureBackend } from '../../main/engine/storage/azure';
import { collectList } from '../../main/engine/storage/backend';
import {
  AZURITE_ACCOUNT,
  AZURITE_KEY,
  startAzurite,
  startFaultProxy,
  type Azurite,
  type FaultProxy,
} from '../helpers/azurite';
import { until } from '../helpers/home';

let az: Azurite;
let proxy: FaultProxy;
const quick = { baseMs: 20, capMs: 200, maxAttempts: 4, deadlineMs: 3_000 };

beforeAll(async () => {
  az = await startAzurite();
  proxy = await startFaultProxy(az.port);
  await AzureBackend.open({ connectionString: az.connectionString, container: 'outage', create: true });
});
afterAll(async () => {
  await proxy?.close();
  await az?.dispose();
});

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

describe('Azurite stopped mid-upload', () => {
  it('fails the put cleanly (unavailable, retryable), shows nothing partial after restart, and a retry succeeds', async () => {
    const backend = await AzureBackend.open({
      connectionString: az.connectionString,
      container: 'outage',
      retry: quick,
      blockSize: 1 << 20,
      concurrency: 2,
    });
    const data = crypto.randomBytes(24 << 20);
    let sent = 0;
    // The body stops the service after 6 MiB: some blocks are staged, the rest meet a closed port.
    async function* body(): AsyncIterable<Buffer> {
      for (let at = 0; at < data.length; at += 256 << 10) {
        if (at === 6 << 20) await az.stop();
        sent += 256 << 10;
        yield data.subarray(at, at + (256 << 10));
      }
    }
    const err = await backend.put('packs/outage-1', body()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LifeboatError);
    expect(err).toMatchObject({ code: 'unavailable', retryable: true });
    expect((err as LifeboatError).message).toContain(`${az.endpoint}/outage`);
    expect((err as LifeboatError).message).toMatch(/gave up after \d+ attempts over [\d.]+ s/);
    // Within its retry budget: no more attempts than the policy allows (the budget is what bounds the wait).
    expect(Number(/gave up after (\d+) attempts/.exec((err as LifeboatError).message)![1])).toBeLessThanOrEqual(
      quick.maxAttempts,
    );
    expect(sent).toBeLessThan(data.length); // it stopped reading the body instead of buffering it all

    await az.start();
    // Staged but uncommitted blocks are not an object: nothing under the final name, nothing listed.
    expect(await backend.head('packs/outage-1')).toBeUndefined();
    expect(await collectList(backend, 'packs/')).toEqual([]);
    await expect(backend.get('packs/outage-1')).rejects.toMatchObject({ code: 'not_found' });

    // The job resumes: the same name and bytes go up whole.
    await backend.put('packs/outage-1', data);
    expect(sha(await backend.get('packs/outage-1'))).toBe(sha(data));
    expect(await collectList(backend, 'packs/')).toEqual([{ name: 'packs/outage-1', size: data.length }]);
  });

  it('a read during an outage is unavailable, and works again after restart', async () => {
    const backend = await AzureBackend.open({
      connectionString: az.connectionString,
      container: 'outage',
      retry: quick,
    });
    await backend.put('small/one', Buffer.from('still here'));
    await az.stop();
    await expect(backend.get('small/one')).rejects.toMatchObject({ code: 'unavailable', retryable: true });
    await expect(backend.head('small/one')).rejects.toMatchObject({ code: 'unavailable' });
    await az.start();
    expect((await backend.get('small/one')).toString()).toBe('still here');
  });
});

describe('injected 503s and timeouts (loopback proxy)', () => {
  const viaProxy = (extra: Partial<Parameters<typeof AzureBackend.open>[0]> = {}) =>
    AzureBackend.open({
      accountName: AZURITE_ACCOUNT,
      accountKey: AZURITE_KEY,
      endpoint: proxy.endpoint,
      container: 'outage',
      ...extra,
    });

  it('retries 503 ServerBusy with growing backoff, then succeeds', async () => {
    // The backend's retries go through the policy with the options given: one jittered backoff drawn per refusal.
    // The growth of that schedule (ceilings 40, 80, 160, 200 ms) is checked on a fake clock in azure-retry.test.ts.
    const draws: number[] = [];
    const backend = await viaProxy({
      retry: { ...quick, baseMs: 40, maxAttempts: 6, random: () => (draws.push(0.99), 0.99) },
    });
    proxy.inject(4);
    const data = crypto.randomBytes(100_000);
    await backend.put('busy/one', data);
    expect(proxy.remaining).toBe(0);
    expect(proxy.arrivals).toHaveLength(5); // 4 refused + 1 that went through
    expect(draws).toHaveLength(4); // a backoff before each retry, none after the success
    expect((await backend.get('busy/one')).equals(data)).toBe(true);
  });

  it('with real jitter, staged blocks retry one by one and the upload completes', async () => {
    const backend = await viaProxy({ retry: quick, blockSize: 1 << 20, concurrency: 3 });
    const data = crypto.randomBytes(10 << 20);
    proxy.inject(3);
    await backend.put('busy/staged', data);
    // 10 blocks + 1 commit + 3 refused: blocks are retried alone, not the whole object.
    expect(proxy.arrivals).toHaveLength(14);
    expect(sha(await backend.get('busy/staged'))).toBe(sha(data));
  });

  it('gives up after the last attempt with a clear unavailable error naming the endpoint and the time spent', async () => {
    const backend = await viaProxy({ retry: quick });
    proxy.inject(100);
    const err = await backend.get('busy/one').catch((e: unknown) => e);
    const tries = proxy.arrivals.length;
    proxy.inject(0);
    expect(err).toMatchObject({ code: 'unavailable', retryable: true });
    const message = (err as LifeboatError).message;
    expect(message).toContain(`Could not read busy/one at ${proxy.endpoint}/outage: gave up after 4 attempts over`);
    expect(message).toContain('HTTP 503 ServerBusy');
    expect(tries).toBe(4);
  });

  it('a request that never answers times out and is retried', async () => {
    // Long enough that a loaded machine's Azurite answers every other request in time (each attempt has the timeout).
    const backend = await viaProxy({ retry: quick, requestTimeoutMs: 1500 });
    await backend.put('hang/one', Buffer.from('patience'));
    proxy.inject(1, 'hang');
    expect((await backend.get('hang/one')).toString()).toBe('patience');
    expect(proxy.arrivals).toHaveLength(2);
    // The proxy never answers a held request: the client's own timeout dropped it, then the retry went through.
    await until('the proxy to see the held request dropped', () => proxy.abandoned === 1);
  });

  it('a create whose answer was lost is retried and recognised as ours, not reported as "already exists"', async () => {
    const backend = await viaProxy({ retry: quick, blockSize: 1 << 20, concurrency: 1 });
    const small = crypto.randomBytes(1000);
    proxy.inject(1, 'lost'); // Azurite stores the blob, the client sees the connection drop and retries
    await backend.put('lost/small', small);
    expect(proxy.arrivals.length).toBeGreaterThanOrEqual(3); // lost put, retried put (409), properties check
    expect((await backend.get('lost/small')).equals(small)).toBe(true);
    // Same for a staged upload's commit: the blocks go through, the commit's answer is lost.
    const big = crypto.randomBytes(9 << 20);
    const body = async function* () {
      for (let at = 0; at < big.length; at += 1 << 20) yield big.subarray(at, at + (1 << 20));
      proxy.inject(1, 'lost'); // one block at a time: every block is staged, the next request is the commit
    };
    await backend.put('lost/big', body());
    expect(proxy.remaining).toBe(0);
    expect(proxy.arrivals.length).toBeGreaterThanOrEqual(3); // lost commit, retried commit (409), properties check
    expect(sha(await backend.get('lost/big'))).toBe(sha(big));
    // Another writer's put of an existing name is still a conflict.
    await expect(backend.put('lost/small', small)).rejects.toMatchObject({ code: 'already_exists' });
  });

  it('cancels promptly during a backoff', async () => {
    // An hour's backoff, cancelled as it starts (the jitter is drawn just before the sleep): only a cancel that ends
    // the backoff lets this test finish before its deadline.
    const ac = new AbortController();
    const random = () => (setImmediate(() => ac.abort()), 0.99);
    const backend = await viaProxy({
      retry: { ...quick, baseMs: 3_600_000, capMs: 3_600_000, deadlineMs: 7_200_000, random },
    });
    proxy.inject(100);
    const err = await backend.get('busy/one', undefined, ac.signal).catch((e: unknown) => e);
    const tries = proxy.arrivals.length;
    proxy.inject(0);
    expect(err).toMatchObject({ code: 'cancelled' });
    expect(tries).toBe(1);
  });
});
