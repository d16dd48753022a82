import { describe, expect, it } from 'vitest';
import { mapAzureError } from '../../main/engine/storage/azure-errors';

const ctx = {
  account: 'devstoreaccount1',
  location: 'http://127.0.0.1:10000/devstoreaccount1/c',
  container: 'c',
  action: 'read' as const,
  name: 'data/ab/abcd',
  secrets: [],
};
const abort = () => Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' });

describe('aborted Azure requests', () => {
  it('is a cancel only when the caller cancelled', () => {
    expect(mapAzureError(abort(), { ...ctx, cancelled: true })).toMatchObject({ code: 'cancelled', retryable: false });
  });

  it('is an outage when the attempt timed out', () => {
    const e = mapAzureError(abort(), { ...ctx, timedOut: true, timeoutMs: 30_000 });
    expect(e).toMatchObject({ code: 'unavailable', retryable: true });
    expect(e.message).toContain('stopped answering');
  });

  it('is an outage, retried, when the SDK aborts a request whose connection closed under it', () => {
    const e = mapAzureError(abort(), ctx);
    expect(e).toMatchObject({ code: 'unavailable', retryable: true });
    expect(e.message).toBe(`The connection to ${ctx.location} dropped during a request for data/ab/abcd.`);
    expect(e.hint).toContain('resumed');
  });
});
