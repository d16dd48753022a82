/** AzureBackend against real Azurite on a free loopback port: round trips, staged uploads, and the errors users see. */
import crypto from 'node:crypto';
import { inspect } from 'node:util';
import {
  generateBlobSASQueryParameters,
  ContainerSASPermissions,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LifeboatError } from '../../main/shared/errors';
import { AzureBackend } from '../../main/engine/storage/azure';
import { collectList } from '../../main/engine/storage/backend';
import {
  AZURITE_ACCOUNT,
  AZURITE_KEY,
  connectionStringFor,
  freePort,
  startAzurite,
  type Azurite,
} from '../helpers/azurite';

let az: Azurite;
let backend: AzureBackend;
const fast = { retry: { baseMs: 10, capMs: 50, maxAttempts: 3, deadlineMs: 2_000 } };

beforeAll(async () => {
  az = await startAzurite();
  backend = await AzureBackend.open({ connectionString: az.connectionString, container: 'roundtrip', create: true });
});
afterAll(async () => az?.dispose());

/** Everything a user could see of an error: message, hint, the wire form and a full inspect with causes. */
function visible(err: unknown): string {
  const e = err as LifeboatError;
  return [e.message, e.hint, JSON.stringify(e.toInfo?.()), inspect(e, { depth: 5 }), String(e.cause)].join('\n');
}

function sasFor(container: string, permissions: string, key = AZURITE_KEY): string {
  const cred = new StorageSharedKeyCredential(AZURITE_ACCOUNT, key);
  const q = generateBlobSASQueryParameters(
    {
      containerName: container,
      permissions: ContainerSASPermissions.parse(permissions),
      expiresOn: new Date(Date.now() + 3600_000),
    },
    cred,
  );
  return `${az.endpoint}/${container}?${q.toString()}`;
}

async function* pieces(data: Buffer, size: number): AsyncIterable<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

describe('AzureBackend round trips', () => {
  it('puts, gets, reads ranges, heads, lists and deletes', async () => {
    const data = crypto.randomBytes(300_000);
    await backend.put('data/aa/one', data);
    await backend.put('data/ab/two', Buffer.from('two'));
    await backend.put('other/three', Buffer.alloc(0));
    expect((await backend.get('data/aa/one')).equals(data)).toBe(true);
    expect((await backend.get('data/aa/one', { offset: 1000, length: 5000 })).equals(data.subarray(1000, 6000))).toBe(
      true,
    );
    // Into a caller's buffer (a restore reuses a few): the result is a view of it.
    const into = Buffer.alloc(8000);
    const ranged = await backend.get('data/aa/one', { offset: 1000, length: 5000, into });
    expect(ranged.equals(data.subarray(1000, 6000))).toBe(true);
    expect(ranged.buffer).toBe(into.buffer);
    expect(await backend.get('other/three')).toHaveLength(0);
    expect(await backend.head('data/aa/one')).toEqual({ name: 'data/aa/one', size: 300_000 });
    expect(await backend.head('data/missing')).toBeUndefined();
    const listed = (await collectList(backend, 'data/')).sort((a, b) => a.name.localeCompare(b.name));
    expect(listed).toEqual([
      { name: 'data/aa/one', size: 300_000 },
      { name: 'data/ab/two', size: 3 },
    ]);
    await backend.delete('data/ab/two');
    await backend.delete('data/ab/two'); // deleting a missing object is fine
    expect((await collectList(backend, 'data/')).map((o) => o.name)).toEqual(['data/aa/one']);
    await expect(backend.get('data/ab/two')).rejects.toMatchObject({ code: 'not_found', retryable: false });
    await expect(backend.get('data/aa/one', { offset: 299_000, length: 5000 })).rejects.toMatchObject({
      code: 'io_error',
    });
    expect(backend.location).toBe(`${az.endpoint}/roundtrip`);
  });

  it('uploads 20 MiB as staged blocks, from a Buffer and from a stream, and reads them back', async () => {
    const data = crypto.randomBytes(20 << 20);
    await backend.put('big/buffer', data);
    await backend.put('big/stream', pieces(data, 100_000));
    for (const name of ['big/buffer', 'big/stream']) {
      expect(await backend.head(name)).toEqual({ name, size: 20 << 20 });
      const back = await backend.get(name);
      expect(crypto.createHash('sha256').update(back).digest('hex')).toBe(
        crypto.createHash('sha256').update(data).digest('hex'),
      );
    }
    const mid = await backend.get('big/stream', { offset: (8 << 20) - 10, length: 1 << 20 });
    expect(mid.equals(data.subarray((8 << 20) - 10, (9 << 20) - 10))).toBe(true);
  });

  it('refuses to replace an existing object, small or staged', async () => {
    await backend.put('once/small', Buffer.from('first'));
    await expect(backend.put('once/small', Buffer.from('second'))).rejects.toMatchObject({ code: 'already_exists' });
    await backend.put('once/big', pieces(Buffer.alloc(9 << 20, 1), 1 << 20));
    await expect(backend.put('once/big', Buffer.alloc(9 << 20, 2))).rejects.toMatchObject({ code: 'already_exists' });
    expect((await backend.get('once/small')).toString()).toBe('first');
    expect((await backend.get('once/big', { offset: 0, length: 1 }))[0]).toBe(1);
    await backend.put('once/small', Buffer.from('replaced'), { ifNoneMatch: false });
    expect((await backend.get('once/small')).toString()).toBe('replaced');
  });

  it('probes: write, read, list, delete with latency and rates, leaving nothing behind', async () => {
    const report = await backend.probe();
    expect(report.ok).toBe(true);
    expect(report.latencyMs).toBeGreaterThan(0);
    expect(report.writeBytesPerSecond).toBeGreaterThan(0);
    expect(report.readBytesPerSecond).toBeGreaterThan(0);
    expect(await collectList(backend, 'probe/')).toEqual([]);
  });

  it('lists page by page', async () => {
    const paged = await AzureBackend.open({
      accountName: AZURITE_ACCOUNT,
      accountKey: AZURITE_KEY,
      endpoint: az.endpoint,
      container: 'paged',
      create: true,
      listPageSize: 7,
    });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => paged.put(`n/${String(i).padStart(2, '0')}`, Buffer.from([i]))),
    );
    await paged.put('other', Buffer.from([1]));
    expect((await collectList(paged, 'n/')).map((o) => o.name).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `n/${String(i).padStart(2, '0')}`),
    );
    expect(await collectList(paged, '')).toHaveLength(21);
  });
});

describe('AzureBackend credentials and errors', () => {
  it('opens with an account name and key, a connection string, or a container SAS URL (container from the URL)', async () => {
    const viaKey = await AzureBackend.open({
      accountName: AZURITE_ACCOUNT,
      accountKey: AZURITE_KEY,
      endpoint: az.endpoint,
      container: 'roundtrip',
    });
    expect(await viaKey.head('data/aa/one')).toMatchObject({ size: 300_000 });
    const viaSas = await AzureBackend.open({ sasUrl: sasFor('roundtrip', 'racwdl') });
    expect(viaSas.location).toBe(`${az.endpoint}/roundtrip`);
    expect(viaSas.container).toBe('roundtrip');
    await viaSas.put('sas/written', Buffer.from('via sas'));
    expect((await backend.get('sas/written')).toString()).toBe('via sas');
    await expect(AzureBackend.open({ container: 'roundtrip' })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(
      AzureBackend.open({
        connectionString: az.connectionString,
        accountName: AZURITE_ACCOUNT,
        container: 'roundtrip',
      }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(
      AzureBackend.open({ connectionString: az.connectionString, container: 'Bad_Name' }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    const badCs = await AzureBackend.open({
      connectionString: 'AccountKey=c2VjcmV0LWtleQ==;nonsense',
      container: 'roundtrip',
    }).catch((e: unknown) => e);
    expect(badCs).toMatchObject({ code: 'invalid_input', message: 'The connection string is not valid.' });
  });

  it('a wrong key is "unauthorized", naming the account, never the key or connection string', async () => {
    const wrongKey = crypto.randomBytes(64).toString('base64');
    const cs = connectionStringFor(az.endpoint, wrongKey);
    for (const opts of [
      { connectionString: cs, container: 'roundtrip' },
      { accountName: AZURITE_ACCOUNT, accountKey: wrongKey, endpoint: az.endpoint, container: 'roundtrip' },
    ]) {
      const err = await AzureBackend.open(opts).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LifeboatError);
      expect(err).toMatchObject({ code: 'unauthorized', retryable: false });
      expect((err as LifeboatError).message).toBe(
        `The account key (or SAS) was refused by ${AZURITE_ACCOUNT} (${az.endpoint}/roundtrip).`,
      );
      expect((err as LifeboatError).hint).toMatch(/account key/);
      const shown = visible(err);
      expect(shown).not.toContain(wrongKey);
      expect(shown).not.toContain(cs);
      expect(shown).not.toContain('AccountKey=');
    }
  });

  it('a SAS with a bad signature is "unauthorized"; a read-only SAS is "forbidden" on write; no signature is shown', async () => {
    const good = sasFor('roundtrip', 'rl');
    const sig = new URL(good).searchParams.get('sig')!;
    const forged = good.replace(encodeURIComponent(sig), encodeURIComponent(crypto.randomBytes(32).toString('base64')));
    const bad = await AzureBackend.open({ sasUrl: forged }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 'unauthorized' });
    expect(visible(bad)).not.toMatch(/sig=(?!\*\*\*)/);
    const readOnly = await AzureBackend.open({ sasUrl: good });
    expect((await readOnly.get('data/aa/one')).length).toBe(300_000);
    const err = await readOnly.put('ro/denied', Buffer.from('x')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'forbidden', retryable: false });
    expect((err as LifeboatError).message).toContain('AuthorizationPermissionMismatch');
    expect((err as LifeboatError).hint).toMatch(/write/);
    const shown = visible(err);
    expect(shown).not.toContain(sig);
    expect(shown).not.toContain(encodeURIComponent(sig));
    // A container SAS cannot create its container: forbidden, not a crash.
    const noContainer = await AzureBackend.open({ sasUrl: sasFor('not-there-sas', 'racwdl'), create: true }).catch(
      (e: unknown) => e,
    );
    expect(noContainer).toMatchObject({ code: 'forbidden' });
  });

  it('an unknown container is "not_found" with the way out; create: true creates it', async () => {
    const err = await AzureBackend.open({ connectionString: az.connectionString, container: 'not-yet' }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'not_found', retryable: false });
    expect((err as LifeboatError).message).toContain('"not-yet"');
    expect((err as LifeboatError).hint).toContain(
      '--create-container on the command line, "Create it if it does not exist" in the wizard',
    );
    const created = await AzureBackend.open({
      connectionString: az.connectionString,
      container: 'not-yet',
      create: true,
    });
    await created.put('x', Buffer.from('y'));
    expect((await AzureBackend.open({ connectionString: az.connectionString, container: 'not-yet' })).location).toBe(
      `${az.endpoint}/not-yet`,
    );
  });

  it('an unreachable endpoint is "unavailable" after a few quick retries, with the URL tried', async () => {
    const closed = await freePort();
    const endpoint = `http://127.0.0.1:${closed}/${AZURITE_ACCOUNT}`;
    const err = await AzureBackend.open({
      ...fast,
      accountName: AZURITE_ACCOUNT,
      accountKey: AZURITE_KEY,
      endpoint,
      container: 'roundtrip',
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'unavailable', retryable: true });
    const message = (err as LifeboatError).message;
    expect(message).toContain(`${endpoint}/roundtrip`);
    expect(message).toMatch(/gave up after 3 attempts/);
    expect(message).toContain('ECONNREFUSED');
    expect(visible(err)).not.toContain(AZURITE_KEY);
  });
});
