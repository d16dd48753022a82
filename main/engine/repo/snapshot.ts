/**
 * Snapshot manifests: what one backup holds. Written last, after every pack and index object it depends on, so a
 * listed snapshot is always complete. A manifest is JSON (of any size: see json.ts), compressed, sealed with associated
 * data "snapshot:<id>".
 */
import { LifeboatError } from '../../shared/errors';
import type { StorageBackend } from '../storage/backend';
import { Codec, compressPieces, decompress } from './compress';
import { randomId, seal, unseal, type RepoKeys } from './crypto';
import { loadIndex } from './index';
import { parseJsonBuffer, writeJson } from './json';
import type { Repository } from './repository';

export interface TreeEntry {
  /** POSIX-style path relative to the source root ("" is never used; the root itself is implied). */
  path: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  mtimeMs: number;
  size?: number;
  uid?: number;
  gid?: number;
  /** Inode number at backup time: with size and mtime, how the next backup knows a file is unchanged. */
  ino?: number;
  target?: string;
  /** The file's data, its holes left out: each chunk lies within one data extent, in file order. */
  chunks?: string[];
  /**
   * A sparse file's holes, [offset, length], sorted: the chunks fill the rest of [0, size) in order. Absent on dense
   * files and in manifests older than hole tracking (their files restore dense, as they always did).
   */
  holes?: Array<[number, number]>;
}

export interface TreeSource {
  name: string;
  kind: 'tree';
  path: string;
  entries: TreeEntry[];
}

/** A data extent has a chunk; a hole has none. Extents are sorted, contiguous, and cover [0, size). */
export interface ImageExtent {
  offset: number;
  length: number;
  chunk?: string;
}

export interface ImageSource {
  name: string;
  kind: 'image';
  path: string;
  size: number;
  blockSize: number;
  mode: number;
  mtimeMs: number;
  sparseMethod: string;
  extents: ImageExtent[];
}

export type SourceManifest = TreeSource | ImageSource;

export interface SnapshotStats {
  files: number;
  bytes: number;
  bytesRead: number;
  chunksNew: number;
  bytesNew: number;
  storedNew: number;
  durationMs: number;
}

export interface SnapshotManifest {
  format: 1;
  id: string;
  time: string;
  label?: string;
  hostname: string;
  parent?: string;
  sources: SourceManifest[];
  stats: SnapshotStats;
  /**
   * Only on a digest (digestManifest), never in a saved manifest: per source, the totals of the entries or extents
   * the digest no longer carries, so summarize() gives the same answer as on the whole manifest.
   */
  totals?: Array<{ files: number; bytes: number }>;
}

export interface SnapshotSummary {
  id: string;
  time: string;
  label?: string;
  hostname: string;
  parent?: string;
  sources: Array<{ name: string; kind: 'tree' | 'image'; files: number; bytes: number }>;
  stats: SnapshotStats;
}

export const snapshotAad = (id: string) => `snapshot:${id}`;

/** A source a backup does not have. Final: a backup never changes, so a job that asked for it cannot succeed later. */
export function noSuchSource(id: string, name: string | undefined, names: string[]): LifeboatError {
  return new LifeboatError(
    'not_found',
    `Backup ${id} has no source named "${name}".`,
    `Its sources are: ${names.join(', ')}.`,
    { final: true },
  );
}
export const newSnapshotId = () => randomId(12);

export async function saveSnapshot(repo: Repository, manifest: SnapshotManifest): Promise<void> {
  const packed = compressPieces((add) => writeJson(manifest, add));
  await repo.backend.put(
    `snapshots/${manifest.id}`,
    seal(repo.keys.dataKey, snapshotAad(manifest.id), Buffer.from([packed.codec]), packed.data),
  );
}

export async function loadSnapshotWith(backend: StorageBackend, keys: RepoKeys, id: string): Promise<SnapshotManifest> {
  const sealed = await backend.get(`snapshots/${id}`).catch((err) => {
    // Final, like the damage below: a job that needs this manifest would only fail the same way again.
    if (err instanceof LifeboatError && err.code === 'not_found')
      throw new LifeboatError(
        'not_found',
        `There is no backup ${id} in the storage account.`,
        'Its manifest was deleted from the account: restore another backup (`lifeboat backup list`); `lifeboat account rebuild-catalog ACCOUNT` takes this one off the list.',
        { final: true },
      );
    throw err;
  });
  try {
    const body = unseal(keys.dataKey, snapshotAad(id), sealed);
    return parseJsonBuffer(decompress(body[0] as Codec, body.subarray(1))) as SnapshotManifest;
  } catch {
    throw new LifeboatError(
      'damaged',
      `The manifest of backup ${id} is damaged and cannot be read.`,
      'Restore another backup; run `lifeboat account check` to find any other damage (other backups are not affected by this one).',
      { final: true },
    );
  }
}

export const loadSnapshot = (repo: Repository, id: string) => loadSnapshotWith(repo.backend, repo.keys, id);

export async function listSnapshotIds(backend: StorageBackend): Promise<string[]> {
  const ids: string[] = [];
  for await (const o of backend.list('snapshots/')) ids.push(o.name.slice('snapshots/'.length));
  return ids;
}

function sourceTotals(s: SourceManifest): { files: number; bytes: number } {
  return s.kind === 'tree'
    ? {
        files: s.entries.filter((e) => e.type === 'file').length,
        bytes: s.entries.reduce((n, e) => n + (e.size ?? 0), 0),
      }
    : { files: 1, bytes: s.size };
}

export function summarize(m: SnapshotManifest): SnapshotSummary {
  return {
    id: m.id,
    time: m.time,
    label: m.label,
    hostname: m.hostname,
    parent: m.parent,
    stats: m.stats,
    sources: m.sources.map((s, i) => ({ name: s.name, kind: s.kind, ...(m.totals?.[i] ?? sourceTotals(s)) })),
  };
}

/**
 * The manifest without its entries and extents (a few hundred bytes instead of up to ~100 MB of objects), with the
 * totals summarize() needs: what a worker thread sends back to the catalog.
 */
export function digestManifest(m: SnapshotManifest): SnapshotManifest {
  const { totals: _ignored, sources, ...rest } = m;
  return {
    ...rest,
    totals: sources.map(sourceTotals),
    sources: sources.map((s) => (s.kind === 'tree' ? { ...s, entries: [] } : { ...s, extents: [] })),
  };
}

/** Calls `use` for every chunk the manifest references, with the source and the file path (or `@offset`) using it. */
export function forEachChunk(m: SnapshotManifest, use: (chunk: string, source: string, path: string) => void): void {
  for (const s of m.sources) {
    if (s.kind === 'tree') for (const e of s.entries) for (const c of e.chunks ?? []) use(c, s.name, e.path);
    else for (const e of s.extents) if (e.chunk) use(e.chunk, s.name, `@${e.offset}`);
  }
}

export interface DamagedSnapshot {
  id: string;
  message: string;
}

/**
 * Loads every manifest in the account, in listing order. One that cannot be read (damaged, or gone since the
 * listing) is collected in `damaged` rather than failing the whole walk: callers report it (list, check, catalog
 * rebuild) or treat it as "may use any chunk" (prune).
 */
export async function loadAllSnapshots(
  repo: Repository,
): Promise<{ manifests: SnapshotManifest[]; damaged: DamagedSnapshot[] }> {
  const manifests: SnapshotManifest[] = [];
  const damaged = await forEachSnapshot(repo, (m) => void manifests.push(m));
  return { manifests, damaged };
}

/**
 * Loads the manifests one at a time and hands each to `f` (same order and damage rules as loadAllSnapshots), so a
 * caller that keeps only a reduction of each never holds every manifest at once. Returns the damaged ones.
 */
export async function forEachSnapshot(repo: Repository, f: (m: SnapshotManifest) => void): Promise<DamagedSnapshot[]> {
  const damaged: DamagedSnapshot[] = [];
  for (const id of await listSnapshotIds(repo.backend)) {
    let m: SnapshotManifest;
    try {
      m = await loadSnapshot(repo, id);
    } catch (err) {
      damaged.push({ id, message: (err as Error).message });
      continue;
    }
    f(m);
  }
  return damaged;
}

/** Every snapshot in the account, oldest first. Damaged manifests are reported, not hidden. */
export async function listSnapshots(
  repo: Repository,
): Promise<{ snapshots: SnapshotSummary[]; damaged: DamagedSnapshot[] }> {
  const { manifests, damaged } = await loadAllSnapshots(repo);
  const snapshots = manifests.map(summarize);
  snapshots.sort((a, b) => a.time.localeCompare(b.time));
  return { snapshots, damaged };
}

/**
 * What a fresh install needs to rebuild its catalog from the account alone: every backup's summary and the size
 * of the index. Opening with the wrong SDEK fails with 'bad_key' before anything is read.
 */
export async function rebuildCatalog(repo: Repository): Promise<{
  repositoryId: string;
  snapshots: SnapshotSummary[];
  damaged: DamagedSnapshot[];
  chunks: number;
  packs: number;
}> {
  const index = await loadIndex(repo.backend, repo.keys);
  const { snapshots, damaged } = await listSnapshots(repo);
  return { repositoryId: repo.config.id, snapshots, damaged, chunks: index.size, packs: index.packs.size };
}

/**
 * Byte ranges where two backups of the same volume differ, from their block maps alone (no data read): what
 * resync and reprotect send. Both must use the same block size.
 */
export function diffImages(a: ImageSource, b: ImageSource): Array<{ offset: number; length: number }> {
  if (a.blockSize !== b.blockSize) throw new Error('The two backups use different block sizes.');
  const mapOf = (s: ImageSource) => {
    const m = new Map<number, string>();
    for (const e of s.extents) if (e.chunk) m.set(e.offset, e.chunk);
    return m;
  };
  const ma = mapOf(a);
  const mb = mapOf(b);
  const size = Math.max(a.size, b.size);
  const out: Array<{ offset: number; length: number }> = [];
  for (let off = 0; off < size; off += a.blockSize) {
    if (ma.get(off) === mb.get(off)) continue;
    const len = Math.min(a.blockSize, size - off);
    const last = out[out.length - 1];
    if (last && last.offset + last.length === off) last.length += len;
    else out.push({ offset: off, length: len });
  }
  return out;
}
