/**
 * Leases in the storage account: prune (exclusive) never runs beside a backup, restore or check (shared) of another
 * installation, a shared lease waits for a prune to end, and leases of stopped installations do not block anyone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acquireLease, isStale, LEASE_MS, type LeaseInfo } from '../../main/engine/accounts/locks';
import { Engine } from '../../main/engine/engine';
import { LifeboatError } from '../../main/shared/errors';
import { collectList, type StorageBackend } from '../../main/engine/storage/backend';
import { openBackend } from '../../main/engine/storage/open';
import { tempHome, buildMain } from '../helpers/home';

const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
});

async function backend(): Promise<StorageBackend> {
  return openBackend({ kind: 'local', folder: path.join(tempHome('lifeboat-locks-'), 'acct') }, { create: true });
}

/** A lease as another installation would leave it. */
async function foreign(
  b: StorageBackend,
  kind: LeaseInfo['kind'],
  opts: { expiresInMs?: number; name?: string } = {},
): Promise<string> {
  const now = Date.now();
  const info: LeaseInfo = {
    kind,
    host: 'other-host',
    pid: 4242,
    purpose: kind === 'shared' ? 'backup job-elsewhere' : 'prune',
    created: new Date(now).toISOString(),
    expires: new Date(now + (opts.expiresInMs ?? LEASE_MS)).toISOString(),
  };
  const name = `locks/${opts.name ?? 'f00d'}`;
  await b.put(name, Buffer.from(JSON.stringify(info)));
  return name;
}

async function refusal(p: Promise<unknown>): Promise<LifeboatError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LifeboatError);
  return err as LifeboatError;
}

describe('account leases', () => {
  it('an exclusive lease is refused beside a live shared one, naming it, and leaves nothing behind', async () => {
    const b = await backend();
    await foreign(b, 'shared');
    const err = await refusal(acquireLease(b, 'exclusive', 'prune'));
    expect(err.code).toBe('busy');
    expect(err.message).toContain('backup job-elsewhere on other-host (pid 4242');
    expect((await collectList(b, 'locks/')).map((o) => o.name)).toEqual(['locks/f00d']);
  });

  it('shared leases coexist; release removes each', async () => {
    const b = await backend();
    const one = await acquireLease(b, 'shared', 'backup a');
    const two = await acquireLease(b, 'shared', 'restore b');
    expect(await collectList(b, 'locks/')).toHaveLength(2);
    await one.release();
    await two.release();
    expect(await collectList(b, 'locks/')).toEqual([]);
  });

  it('a shared lease waits for a prune to end, and gives up (retryable) if it does not', async () => {
    const b = await backend();
    const prune = await foreign(b, 'exclusive');
    const gaveUp = await refusal(acquireLease(b, 'shared', 'backup x', { waitMs: 150, pollMs: 30 }));
    expect(gaveUp).toMatchObject({ code: 'busy', retryable: true });
    expect(gaveUp.message).toContain('under maintenance: prune on other-host');

    const waiting = acquireLease(b, 'shared', 'backup y', { waitMs: 10_000, pollMs: 30 });
    await new Promise((r) => setTimeout(r, 120));
    await b.delete(prune);
    const lease = await waiting;
    expect((await collectList(b, 'locks/')).map((o) => o.name)).toEqual([lease.name]);
    await lease.release();
  });

  it('expired leases and leases of a dead process on this host are stale', async () => {
    const b = await backend();
    await foreign(b, 'shared', { expiresInMs: -1000 });
    const lease = await acquireLease(b, 'exclusive', 'prune');
    await lease.release();
    const dead: LeaseInfo = {
      kind: 'shared',
      host: 'h',
      pid: 2 ** 22 + 17,
      purpose: 'x',
      created: new Date().toISOString(),
      expires: new Date(Date.now() + LEASE_MS).toISOString(),
    };
    expect(isStale(dead, Date.now(), 'h')).toBe(true);
    expect(isStale({ ...dead, pid: process.pid }, Date.now(), 'h')).toBe(false);
    expect(isStale({ ...dead, host: 'elsewhere' }, Date.now(), 'h')).toBe(false);
  });
});

describe('prune against another installation', () => {
  beforeAll(buildMain, 120_000);

  it('is refused while another installation backs up to the account, and runs once that lease is gone', async () => {
    const engine = Engine.open({ dataDir: tempHome(), mode: 'cli', runJobs: true });
    engines.push(engine);
    const must = async <T>(
      p: Promise<{ ok: true; value: T } | { ok: false; error: { code: string; message: string } }>,
    ) => {
      const r = await p;
      if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
      return r.value;
    };
    await must(engine.call('service.init', { name: 'Lab' }));
    const folder = path.join(tempHome('lifeboat-acct-'), 'acct');
    await must(engine.call('accounts.add', { name: 'lab', local: folder }));
    const src = path.join(tempHome('lifeboat-src-'), 'share');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'a.txt'), 'one');
    for (let i = 0; i < 2; i++) {
      const job = await must(engine.call('backups.create', { account: 'lab', source: [src] }));
      expect((await engine.runner.wait(job.id, 60_000)).status).toBe('succeeded');
      fs.writeFileSync(path.join(src, 'a.txt'), 'two');
    }
    // Our own leases were released when the jobs ended.
    const b = await openBackend({ kind: 'local', folder });
    expect(await collectList(b, 'locks/')).toEqual([]);

    const lease = await foreign(b, 'shared');
    const refused = await engine.call('backups.prune', { account: 'lab', keepLast: 1 });
    expect(refused).toMatchObject({ ok: false, error: { code: 'busy' } });
    expect(await must(engine.call('backups.list', { account: 'lab' }))).toHaveLength(2);

    // A dry run may run beside it. The pack that backup has uploaded and not indexed yet is not counted as freed
    // (once indexed, a prune keeps it), and the result says why.
    const uploading = `data/ee/${'e'.repeat(64)}`;
    await b.put(uploading, Buffer.alloc(50_000, 1));
    const beside = await must(engine.call('backups.prune', { account: 'lab', keepLast: 1, dryRun: true }));
    expect(beside.notice).toContain('backup job-elsewhere on other-host (pid 4242');
    await b.delete(lease);
    const alone = await must(engine.call('backups.prune', { account: 'lab', keepLast: 1, dryRun: true }));
    expect(alone.notice).toBeUndefined();
    expect(alone.packsDeleted).toBe(beside.packsDeleted + 1);
    expect(alone.bytesFreed).toBe(beside.bytesFreed + 50_000);
    await b.delete(uploading);

    const pruned = await must(engine.call('backups.prune', { account: 'lab', keepLast: 1 }));
    expect(pruned.removed).toHaveLength(1);
    expect(await collectList(b, 'locks/')).toEqual([]);
  }, 120_000);
});
