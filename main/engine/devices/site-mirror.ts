/**
 * The local mirror of a device whose data root is at an agent site: before its backup, each share's tree is brought
 * from the agent into <dataDir>/site-mirrors/<device id>/shares/<share>, and the backup reads the mirror (with the
 * share-relative paths a local share's backup records, so restores and failovers from it are the same). The agent's
 * folder index says what is there (sites/agent-source-calls.ts); only files whose size or mtime differ from the
 * mirror's are read, in ranges of 8 MiB written to a hidden .partial file that gets the file's mode and mtime, then is
 * renamed into place. Files and folders gone at the agent go from the mirror. Every step compares with what the
 * mirror holds, so a run killed at any point is finished by the next one, fetching only what is still missing.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { LifeboatError } from '../../shared/errors';
import type { FolderIndex, IndexEntry } from '../replication/folder-scan';
import { walkFolder } from '../replication/folder-scan';
import type { SourceCallName } from '../sites/agent-source-calls';
import type { SiteManager } from '../sites/manager';
import { isSiteUnreachable, RemoteSiteAgent } from '../sites/remote-agent';
import { siteTestHint } from './site-agents';

/** The agent's read calls (sites/remote-agent.ts `readAt`). */
export interface MirrorReads {
  readAt<T>(name: SourceCallName, args: unknown[], onData?: (chunk: Buffer) => void): Promise<T>;
}

export interface MirrorResult {
  /** Bytes read from the agent. */
  fetchedBytes: number;
  fetchedFiles: number;
  /** Files and folders removed from the mirror because they are gone at the agent. */
  removed: number;
  /** Files in the share at the agent. */
  files: number;
}

/** Bytes asked for in one read call. */
const CHUNK = 8 << 20;
/** Times a file that changes while it is read is read again before its last read is kept. */
const ATTEMPTS = 3;
const PARTIAL = '.lb-partial-';

/** The mirror of a device's data root at a site, on this machine. */
export function mirrorRoot(dataDir: string, deviceId: string): string {
  return path.join(dataDir, 'site-mirrors', deviceId);
}

export function mirrorSharePath(dataDir: string, deviceId: string, share: string): string {
  return path.join(mirrorRoot(dataDir, deviceId), 'shares', share);
}

/** mtime in ns (text) as the seconds utimes takes (microseconds kept). */
const seconds = (ns: string) => Number(BigInt(ns) / 1000n) / 1e6;

/** The mirror's copy is the agent's file: same size, mtime within a millisecond (utimes keeps microseconds). */
function same(local: IndexEntry | undefined, e: IndexEntry): boolean {
  if (!local || local.t !== 'f' || e.racy || local.size !== e.size) return false;
  const d = BigInt(local.m) - BigInt(e.m);
  return d > -1_000_000n && d < 1_000_000n;
}

const posix = (base: string, rel: string) => [base, ...rel.split('/')].join('/');

/** Brings one share's tree at the agent (`remote`, a path on the agent host) into `local`. */
export async function mirrorTree(
  reads: MirrorReads,
  remote: string,
  local: string,
  opts: { signal: AbortSignal; onProgress?: (fetched: number, toFetch: number) => void },
): Promise<MirrorResult> {
  const found = await reads.readAt<{ index: FolderIndex; skipped: number } | null>('sourceIndex', [remote]);
  if (!found)
    throw new LifeboatError(
      'not_found',
      `The share folder ${remote} is not there at the site.`,
      'Check the share with `lifeboat device show NAME --refresh`, then back up again.',
    );
  const index = found.index;
  await fsp.mkdir(local, { recursive: true });
  await fsp.chmod(local, 0o700);
  const here = (await walkFolder(local)).index;
  // Folders writable while the mirror changes (their modes are set last).
  for (const [rel, e] of Object.entries(here)) {
    if (e.t === 'd' && (e.mode & 0o700) !== 0o700) await fsp.chmod(path.join(local, rel), e.mode | 0o700);
  }
  let removed = 0;
  let gone: string | null = null;
  for (const rel of Object.keys(here).sort()) {
    if (gone && rel.startsWith(`${gone}/`)) continue;
    if (index[rel]?.t === here[rel].t) continue;
    await fsp.rm(path.join(local, rel), { recursive: true, force: true });
    removed++;
    gone = rel;
  }
  const entries = Object.entries(index);
  const dirs = entries.filter(([, e]) => e.t === 'd').sort(([a], [b]) => a.split('/').length - b.split('/').length);
  for (const [rel, e] of dirs) {
    await fsp.mkdir(path.join(local, rel), { recursive: true });
    await fsp.chmod(path.join(local, rel), e.mode | 0o700);
  }
  const files = entries.filter(([, e]) => e.t === 'f');
  const toFetch = files.filter(([rel, e]) => !same(here[rel], e));
  const total = toFetch.reduce((n, [, e]) => n + e.size, 0);
  let fetchedBytes = 0;
  for (const [rel, e] of files) {
    if (same(here[rel], e) && here[rel].mode !== e.mode) await fsp.chmod(path.join(local, rel), e.mode);
  }
  for (const [rel, first] of toFetch) {
    opts.signal.throwIfAborted();
    const dest = path.join(local, rel);
    const partial = path.join(path.dirname(dest), `${PARTIAL}${path.basename(dest)}`);
    let e = first;
    for (let attempt = 1; ; attempt++) {
      const got = await fetchFile(reads, posix(remote, rel), partial, opts.signal, (n) =>
        opts.onProgress?.(fetchedBytes + n, total),
      );
      fetchedBytes += got;
      if (got === e.size || attempt === ATTEMPTS) break;
      // It changed while it was read: read it again as it is now (its new mtime goes with it).
      const now = await reads.readAt<{ file: boolean; size: number; mtimeNs: string } | null>('sourceStat', [
        posix(remote, rel),
      ]);
      if (!now?.file) break;
      e = { ...e, size: now.size, m: now.mtimeNs };
    }
    await fsp.chmod(partial, e.mode);
    await fsp.utimes(partial, seconds(e.m), seconds(e.m));
    await fsp.rename(partial, dest);
    opts.onProgress?.(fetchedBytes, total);
  }
  for (const [rel, e] of dirs.reverse()) {
    await fsp.chmod(path.join(local, rel), e.mode);
    await fsp.utimes(path.join(local, rel), seconds(e.m), seconds(e.m));
  }
  return { fetchedBytes, fetchedFiles: toFetch.length, removed, files: files.length };
}

/** Reads a file at the agent into `to` (replaced), 8 MiB per call; returns the bytes read. */
async function fetchFile(
  reads: MirrorReads,
  remote: string,
  to: string,
  signal: AbortSignal,
  onBytes: (n: number) => void,
): Promise<number> {
  const fh = await fsp.open(to, 'w', 0o600);
  try {
    for (let offset = 0; ;) {
      signal.throwIfAborted();
      const got: Buffer[] = [];
      const { lengths } = await reads.readAt<{ lengths: number[] }>(
        'sourceRead',
        [remote, [{ offset, length: CHUNK }]],
        (c) => got.push(c),
      );
      const data = Buffer.concat(got);
      if (data.length) await fh.write(data, 0, data.length, offset);
      offset += lengths[0];
      onBytes(offset);
      if (lengths[0] < CHUNK) return offset;
    }
  } finally {
    await fh.close();
  }
}

/** Removes the mirrors of shares the device no longer has. */
export async function dropOtherShares(dataDir: string, deviceId: string, shares: string[]): Promise<void> {
  const dir = path.join(mirrorRoot(dataDir, deviceId), 'shares');
  for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
    if (!shares.includes(name)) await fsp.rm(path.join(dir, name), { recursive: true, force: true });
  }
}

/** Removes the mirrors of devices that take no more backups (removed, deleted or deactivated); returns how many. */
export async function sweepMirrors(dataDir: string, keep: (deviceId: string) => boolean): Promise<number> {
  const dir = path.join(dataDir, 'site-mirrors');
  let removed = 0;
  for (const id of await fsp.readdir(dir).catch(() => [] as string[])) {
    if (keep(id)) continue;
    await fsp.rm(path.join(dir, id), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/**
 * The read calls of the agent site holding a device's data root, an unreachable site named with what to do: the
 * error says the site, the device and `site test`.
 */
export function deviceSiteReads(
  sites: Pick<SiteManager, 'store' | 'agentFor'>,
  device: { name: string; site_id: string | null },
): MirrorReads {
  const row = device.site_id ? sites.store.byId(device.site_id) : undefined;
  const agent = row?.kind === 'agent' ? sites.agentFor(row) : undefined;
  if (!row || !(agent instanceof RemoteSiteAgent))
    throw new LifeboatError(
      'not_found',
      `The site that holds the data root of the device ${device.name} was removed from Lifeboat.`,
      'Add the site again (`lifeboat site add NAME --agent …`), or remove the device.',
    );
  return {
    readAt: <T>(name: SourceCallName, args: unknown[], onData?: (chunk: Buffer) => void) =>
      agent.readAt<T>(name, args, onData).catch((err: unknown) => {
        if (!isSiteUnreachable(err)) throw err;
        const why = `The site ${row.name}, which holds the data root of the device ${device.name}, cannot be reached: ${(err as Error).message}`;
        throw new LifeboatError('unavailable', why, siteTestHint(row.name), { retryable: true, cause: err });
      }),
  };
}
