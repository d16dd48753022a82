/**
 * Leases in the storage account, so that installations sharing an account never corrupt each other (see "Locking"
 * in docs/repository-format.md). Backups, restores and checks hold a shared lease; prune holds an exclusive one.
 * Each side writes its lease first and lists `locks/` after: of two that start together, at least one sees the other
 * (backends read their own and others' writes), so a prune never deletes what a running backup is about to use.
 * A lease lasts 30 minutes and is renewed every 5 by writing a new object and deleting the old (names are never
 * reused). A lease of a process that is gone (same host, pid not running) or past its expiry is stale and ignored.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { LifeboatError } from '../../shared/errors';
import { processAlive } from '../lock';
import type { StorageBackend } from '../storage/backend';

export const LEASE_MS = 30 * 60_000;
export const RENEW_MS = 5 * 60_000;

export interface LeaseInfo {
  kind: 'shared' | 'exclusive';
  host: string;
  pid: number;
  /** What holds it, for the message another installation shows: "backup job-…", "prune". */
  purpose: string;
  created: string;
  expires: string;
}

export interface Lease {
  readonly name: string;
  release(): Promise<void>;
}

interface Found extends LeaseInfo {
  name: string;
}

export function isStale(l: LeaseInfo, now = Date.now(), host = os.hostname()): boolean {
  return Date.parse(l.expires) <= now || (l.host === host && !processAlive(l.pid));
}

async function listLeases(backend: StorageBackend): Promise<Found[]> {
  const out: Found[] = [];
  for await (const o of backend.list('locks/')) {
    try {
      out.push({ ...(JSON.parse((await backend.get(o.name)).toString('utf8')) as LeaseInfo), name: o.name });
    } catch (err) {
      // Released between the listing and the read: gone is as good as released.
      if (!(err instanceof LifeboatError && err.code === 'not_found')) throw err;
    }
  }
  return out;
}

async function write(backend: StorageBackend, kind: LeaseInfo['kind'], purpose: string): Promise<string> {
  const now = Date.now();
  const info: LeaseInfo = {
    kind,
    host: os.hostname(),
    pid: process.pid,
    purpose,
    created: new Date(now).toISOString(),
    expires: new Date(now + LEASE_MS).toISOString(),
  };
  const name = `locks/${crypto.randomBytes(12).toString('hex')}`;
  await backend.put(name, Buffer.from(JSON.stringify(info)));
  return name;
}

const describe = (l: LeaseInfo) => `${l.purpose} on ${l.host} (pid ${l.pid}, since ${l.created})`;

/** Live leases held by other processes (other installations, or another app on this host), described for a message. */
export async function othersLeases(backend: StorageBackend): Promise<string[]> {
  const now = Date.now();
  const host = os.hostname();
  return (await listLeases(backend))
    .filter((l) => !isStale(l, now) && !(l.host === host && l.pid === process.pid))
    .map(describe);
}

/** The leases that keep one of `kind` out: any other live lease for an exclusive one, a live exclusive one for a shared one. */
async function blockers(backend: StorageBackend, kind: LeaseInfo['kind'], own: string): Promise<Found[]> {
  const now = Date.now();
  return (await listLeases(backend)).filter(
    (l) => l.name !== own && !isStale(l, now) && (kind === 'exclusive' || l.kind === 'exclusive'),
  );
}

/**
 * Takes a lease and keeps renewing it until released. An exclusive lease fails at once ('busy') while another live
 * lease exists; a shared one waits (cancellable) for an exclusive holder, up to `waitMs`, then fails 'busy'.
 */
export async function acquireLease(
  backend: StorageBackend,
  kind: LeaseInfo['kind'],
  purpose: string,
  opts: { signal?: AbortSignal; waitMs?: number; pollMs?: number } = {},
): Promise<Lease> {
  const deadline = Date.now() + (opts.waitMs ?? LEASE_MS);
  for (;;) {
    opts.signal?.throwIfAborted();
    let name = await write(backend, kind, purpose);
    const found = await blockers(backend, kind, name);
    if (!found.length) {
      const timer = setInterval(() => {
        void write(backend, kind, purpose).then(
          async (next) => {
            const old = name;
            name = next;
            await backend.delete(old);
          },
          () => undefined, // an outage: the next renewal tries again; the lease is valid for 30 minutes
        );
      }, RENEW_MS);
      timer.unref();
      return {
        get name() {
          return name;
        },
        release: async () => {
          clearInterval(timer);
          await backend.delete(name);
        },
      };
    }
    await backend.delete(name);
    if (kind === 'exclusive')
      throw new LifeboatError(
        'busy',
        `The storage account is in use: ${found.map(describe).join('; ')}.`,
        'Prune once those backups, restores and checks have ended (a lease of a stopped installation expires within 30 minutes).',
      );
    if (Date.now() >= deadline)
      throw new LifeboatError(
        'busy',
        `The storage account is under maintenance: ${found.map(describe).join('; ')}.`,
        'Retry once the prune has ended; the job can be resumed.',
        { retryable: true },
      );
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 2000));
  }
}

/** Runs f under a lease of the account's backend, releasing it however f ends. */
export async function withLease<T>(
  backend: StorageBackend,
  kind: LeaseInfo['kind'],
  purpose: string,
  f: () => Promise<T>,
  opts: { signal?: AbortSignal; waitMs?: number; pollMs?: number } = {},
): Promise<T> {
  const lease = await acquireLease(backend, kind, purpose, opts);
  try {
    return await f();
  } finally {
    await lease.release().catch(() => undefined); // an unreleased lease expires on its own
  }
}
