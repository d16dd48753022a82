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
  /** The site and the device read from, for the errors about what the agent answers. */
  site?: string;
  device?: string;
}

export interface MirrorResult {
  /** Bytes read from the agent. */
  fetchedBytes: number;
  fetchedFiles: number;
  /** Files and folders removed from the mirror because they are gone at the agent. */
  removed: number;
  /** Files in the share at the agent. */
  files: number;
  /** Files deleted, or turned into something else than a file, at the agent between its listing and their read. */
  skipped: number;
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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Who answered, for the errors about a hostile or broken agent. */
const whence = (reads: MirrorReads) =>
  `the agent of the site ${reads.site ?? '(unknown)'}, which holds the data root of the device ${reads.device ?? '(unknown)'}`;
const CHECK_AGENT =
  'Check the agent host: its Lifeboat agent may be damaged or not the one paired; then back up again.';

/** Whether a share-relative path from the agent is a plain one that stays under `local`. */
function safeRel(local: string, rel: string): boolean {
  if (!rel || rel.includes('\0') || rel.startsWith('/') || path.isAbsolute(rel)) return false;
  if (rel.split('/').some((part) => part === '' || part === '.' || part === '..')) return false;
  const to = path.resolve(local, rel);
  const back = path.relative(path.resolve(local), to);
  return back !== '' && !back.startsWith('..') && !path.isAbsolute(back);
}

/** The agent's listing checked entry by entry: a bad entry fails the backup, naming the site, device and entry. */
function checkedIndex(reads: MirrorReads, remote: string, local: string, raw: unknown): Map<string, IndexEntry> {
  const bad = (what: string) =>
    new LifeboatError(
      'invalid_input',
      `The listing of ${remote} from ${whence(reads)}, ${what}; nothing was written outside the mirror.`,
      CHECK_AGENT,
    );
  if (!isObject(raw)) throw bad('is not a folder index');
  const out = new Map<string, IndexEntry>();
  for (const [rel, e] of Object.entries(raw)) {
    if (!safeRel(local, rel)) throw bad(`has an entry outside the share: ${JSON.stringify(rel)}`);
    if (
      !isObject(e) ||
      (e.t !== 'f' && e.t !== 'd') ||
      typeof e.size !== 'number' ||
      !Number.isSafeInteger(e.size) ||
      e.size < 0 ||
      typeof e.m !== 'string' ||
      !/^-?\d{1,30}$/.test(e.m) ||
      typeof e.mode !== 'number' ||
      !Number.isFinite(e.mode)
    )
      throw bad(`has an invalid entry ${JSON.stringify(rel)}`);
    out.set(rel, { t: e.t, size: e.size, m: e.m, mode: e.mode & 0o777, ...(e.racy === true ? { racy: true } : {}) });
  }
  return out;
}

/** A read failed because the file is gone at the agent or is no longer a regular file. */
async function goneAtAgent(reads: MirrorReads, remote: string): Promise<boolean> {
  const now = await reads.readAt<{ file: boolean } | null>('sourceStat', [remote]);
  return !now?.file;
}

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
      `Check the share with \`lifeboat device show ${reads.device ?? '<device>'} --refresh\`, then back up again.`,
    );
  const index = checkedIndex(reads, remote, local, isObject(found) ? found.index : undefined);
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
    if (index.get(rel)?.t === here[rel].t) continue;
    await fsp.rm(path.join(local, rel), { recursive: true, force: true });
    removed++;
    gone = rel;
  }
  const entries = [...index.entries()];
  const dirs = entries.filter(([, e]) => e.t === 'd').sort(([a], [b]) => a.split('/').length - b.split('/').length);
  for (const [rel, e] of dirs) {
    await fsp.mkdir(path.join(local, rel), { recursive: true });
    await fsp.chmod(path.join(local, rel), e.mode | 0o700);
  }
  const files = entries.filter(([, e]) => e.t === 'f');
  const toFetch = files.filter(([rel, e]) => !same(here[rel], e));
  const total = toFetch.reduce((n, [, e]) => n + e.size, 0);
  await enoughRoom(local, total);
  let fetchedBytes = 0;
  let skipped = 0;
  for (const [rel, e] of files) {
    if (same(here[rel], e) && here[rel].mode !== e.mode) await fsp.chmod(path.join(local, rel), e.mode);
  }
  for (const [rel, first] of toFetch) {
    opts.signal.throwIfAborted();
    const dest = path.join(local, rel);
    const partial = path.join(path.dirname(dest), `${PARTIAL}${path.basename(dest)}`);
    const from = posix(remote, rel);
    let e = first;
    let whole = false;
    let gone = false;
    for (let attempt = 1; ; attempt++) {
      const got = await fetchFile(reads, from, partial, e.size, opts.signal, (n) =>
        opts.onProgress?.(fetchedBytes + n, total),
      ).catch(async (err: unknown) => {
        // Deleted, or turned into a folder, since the listing: skipped (any other failure fails the backup).
        if (opts.signal.aborted || (err instanceof LifeboatError && err.code === 'disk_full')) throw err;
        if (await goneAtAgent(reads, from)) return null;
        throw err;
      });
      if (!got) {
        gone = true;
        break;
      }
      fetchedBytes += got.bytes;
      whole = got.bytes === e.size && !got.grew;
      if (whole || attempt === ATTEMPTS) break;
      // It changed while it was read: read it again as it is now (its new mtime goes with it).
      const now = await reads.readAt<{ file: boolean; size: number; mtimeNs: string } | null>('sourceStat', [from]);
      if (!now?.file) {
        gone = true;
        break;
      }
      if (!Number.isSafeInteger(now.size) || now.size < 0 || !/^-?\d{1,30}$/.test(String(now.mtimeNs)))
        throw new LifeboatError('invalid_input', `${whence(reads)} answered an invalid stat of ${from}.`, CHECK_AGENT);
      e = { ...e, size: now.size, m: String(now.mtimeNs) };
      await enoughRoom(local, now.size);
    }
    if (gone) {
      // Never a partial of a file that is gone into the mirror.
      await fsp.rm(partial, { force: true });
      skipped++;
      continue;
    }
    await fsp.chmod(partial, e.mode);
    // A file still changing after its last read gets no trusted mtime: the next backup reads it again.
    const m = whole ? seconds(e.m) : 0;
    await fsp.utimes(partial, m, m);
    await fsp.rename(partial, dest);
    opts.onProgress?.(fetchedBytes, total);
  }
  for (const [rel, e] of dirs.reverse()) {
    await fsp.chmod(path.join(local, rel), e.mode);
    await fsp.utimes(path.join(local, rel), seconds(e.m), seconds(e.m));
  }
  return { fetchedBytes, fetchedFiles: toFetch.length - skipped, removed, files: files.length - skipped, skipped };
}

/** Fails with disk_full when the mirror's file system has less free space than `bytes`. */
async function enoughRoom(local: string, bytes: number): Promise<void> {
  if (bytes <= 0) return;
  const st = await fsp.statfs(local);
  const free = Number(st.bavail) * Number(st.bsize);
  if (free < bytes)
    throw new LifeboatError(
      'disk_full',
      `The mirror ${local} needs ${bytes} bytes to fetch from the site, and its disk has ${free} bytes free.`,
      'Free space on the disk of the Lifeboat data folder, then back up again.',
    );
}

/**
 * Reads a file at the agent into `to` (replaced), 8 MiB per call, up to its listed `size`: an empty answer before
 * then ends it (it shrank); data past it stops the read (`grew`: it changed). Every answer must carry the bytes it
 * declares, no more than asked.
 */
async function fetchFile(
  reads: MirrorReads,
  remote: string,
  to: string,
  size: number,
  signal: AbortSignal,
  onBytes: (n: number) => void,
): Promise<{ bytes: number; grew: boolean }> {
  const bad = (what: string) =>
    new LifeboatError('invalid_input', `${whence(reads)} ${what} reading ${remote}.`, CHECK_AGENT);
  const fh = await fsp.open(to, 'w', 0o600);
  try {
    for (let offset = 0; ;) {
      signal.throwIfAborted();
      // One byte past the listed size tells a file that grew.
      const ask = Math.min(CHUNK, size - offset + 1);
      const got: Buffer[] = [];
      let received = 0;
      const answer = await reads.readAt<{ lengths?: unknown }>(
        'sourceRead',
        [remote, [{ offset, length: ask }]],
        (c) => {
          received += c.length;
          if (received <= ask) got.push(c);
        },
      );
      const length = isObject(answer) && Array.isArray(answer.lengths) ? answer.lengths[0] : undefined;
      if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0 || length > ask)
        throw bad(`answered an invalid length (${String(length)} for ${ask} bytes asked)`);
      if (received !== length) throw bad(`sent ${received} bytes for ${length} declared`);
      if (length === 0) return { bytes: offset, grew: false };
      const data = Buffer.concat(got);
      const keep = Math.min(length, size - offset);
      if (keep) await fh.write(data, 0, keep, offset);
      offset += keep;
      onBytes(offset);
      if (length > keep) return { bytes: offset, grew: true };
      if (length < ask) return { bytes: offset, grew: false };
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
    site: row.name,
    device: device.name,
    readAt: <T>(name: SourceCallName, args: unknown[], onData?: (chunk: Buffer) => void) =>
      agent.readAt<T>(name, args, onData).catch((err: unknown) => {
        if (!isSiteUnreachable(err)) throw err;
        const why = `The site ${row.name}, which holds the data root of the device ${device.name}, cannot be reached: ${(err as Error).message}`;
        throw new LifeboatError('unavailable', why, siteTestHint(row.name), { retryable: true, cause: err });
      }),
  };
}
