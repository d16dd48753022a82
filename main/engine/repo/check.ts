/**
 * Checking an account. Structure: every pack the index names exists with a plausible size, every chunk a backup
 * uses is indexed, every manifest opens, and every backup the catalog lists (`catalog`) has its manifest. A chunk no
 * index names is looked for in the packs no index object names (an index object deleted or damaged). With readData: every pack is downloaded, its name (SHA-256 of its bytes)
 * verified, and every blob opened and its id recomputed. Problems are reported per backup and per file. The engine
 * runs it in a worker thread (backups/maintenance.ts); manifests are read one at a time, never all held at once.
 */
import { collectList } from '../storage/backend';
import { decodeBlob } from './blob';
import { loadIndex, unindexedPacks, type ChunkIndex } from './index';
import { packHashOf, packMatchesName, packObjectName, parsePack } from './pack';
import type { Repository } from './repository';
import { forEachChunk, forEachSnapshot } from './snapshot';

export interface CheckProblem {
  kind:
    | 'missing-pack'
    | 'damaged-pack'
    | 'damaged-chunk'
    | 'missing-chunk'
    | 'damaged-index'
    | 'damaged-snapshot'
    /** A backup the catalog lists whose manifest is gone from the account. */
    | 'missing-snapshot'
    /** A pack that holds chunks backups use, but that no index object names. */
    | 'unindexed-pack'
    /** The key check or a field of `config` is damaged; the configuration still opens. */
    | 'damaged-config';
  object: string;
  message: string;
  /** Backups and files that use the damaged data. */
  affected: Array<{ snapshot: string; source: string; path: string }>;
}

export interface CheckReport {
  ok: boolean;
  snapshots: number;
  packs: number;
  chunks: number;
  bytesRead: number;
  /** Packs no index names: left by an interrupted backup; harmless, removed by prune. */
  unreferencedPacks: number;
  problems: CheckProblem[];
}

export interface CheckOptions {
  readData?: boolean;
  /** The backups the catalog lists for this account: each must have its manifest in the account. */
  catalog?: string[];
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export async function checkRepository(repo: Repository, opts: CheckOptions = {}): Promise<CheckReport> {
  const problems: CheckProblem[] = [];
  if (repo.configDamage)
    problems.push({ kind: 'damaged-config', object: 'config', message: repo.configDamage, affected: [] });
  const damagedIndex: string[] = [];
  const index = await loadIndex(repo.backend, repo.keys, undefined, damagedIndex);
  for (const name of damagedIndex)
    problems.push({
      kind: 'damaged-index',
      object: name,
      message: `The index object ${name} is damaged.`,
      affected: [],
    });
  const stored = new Map((await collectList(repo.backend, 'data/')).map((o) => [o.name, o.size]));
  const badChunks = new Map<string, { kind: CheckProblem['kind']; object: string; message: string }>();

  // Which chunks each pack should hold and how far into it they reach.
  const expected = new Map<string, Array<{ id: string; end: number }>>();
  for (const [id, loc] of index.entries())
    (expected.get(loc.pack) ?? expected.set(loc.pack, []).get(loc.pack)!).push({ id, end: loc.offset + loc.length });
  for (const [pack, chunks] of expected) {
    const size = stored.get(pack);
    const reach = Math.max(...chunks.map((c) => c.end));
    const problem =
      size === undefined
        ? `The pack ${pack} is missing.`
        : size < reach
          ? `The pack ${pack} is truncated (${size} bytes, needs ${reach}).`
          : undefined;
    if (problem)
      for (const c of chunks)
        badChunks.set(c.id, {
          kind: size === undefined ? 'missing-pack' : 'damaged-pack',
          object: pack,
          message: problem,
        });
  }

  let bytesRead = 0;
  if (opts.readData) {
    let done = 0;
    for (const [pack, chunks] of expected) {
      opts.signal?.throwIfAborted();
      opts.onProgress?.(done++, expected.size);
      if (!stored.has(pack)) continue;
      const bytes = await repo.backend.get(pack);
      bytesRead += bytes.length;
      const hashOk = packMatchesName(repo.keys, packHashOf(pack), bytes) !== false; // format 2: the blobs' tags, below
      let headerOk = true;
      try {
        parsePack(repo.keys, bytes);
      } catch {
        headerOk = false;
      }
      let blobsOk = true;
      for (const c of chunks) {
        const loc = index.get(c.id)!;
        try {
          decodeBlob(repo.keys, c.id, bytes.subarray(loc.offset, loc.offset + loc.length), loc.codec, loc.rawLength);
        } catch (err) {
          blobsOk = false;
          badChunks.set(c.id, {
            kind: 'damaged-chunk',
            object: pack,
            message: `${(err as Error).message} (pack ${pack})`,
          });
        }
      }
      const damage = !hashOk
        ? 'does not match its checksum'
        : !headerOk
          ? 'has a damaged header'
          : !blobsOk
            ? 'has blobs that fail authentication'
            : undefined;
      if (damage)
        problems.push({ kind: 'damaged-pack', object: pack, message: `The pack ${pack} ${damage}.`, affected: [] });
    }
  }

  // Manifests one at a time: each is walked for the chunks it uses, then dropped.
  const chunkUsers = new Map<string, CheckProblem['affected']>();
  let manifests = 0;
  const listed = new Set<string>();
  const damaged = await forEachSnapshot(repo, (m) => {
    manifests++;
    listed.add(m.id);
    forEachChunk(m, (chunk, source, p) => {
      if (!index.has(chunk) && !badChunks.has(chunk))
        badChunks.set(chunk, {
          kind: 'missing-chunk',
          object: chunk,
          message: `The chunk ${chunk.slice(0, 16)}… is not in any index.`,
        });
      if (badChunks.has(chunk))
        (chunkUsers.get(chunk) ?? chunkUsers.set(chunk, []).get(chunk)!).push({ snapshot: m.id, source, path: p });
    });
  });
  for (const { id, message } of damaged)
    problems.push({
      kind: 'damaged-snapshot',
      object: `snapshots/${id}`,
      message,
      affected: [{ snapshot: id, source: '', path: '' }],
    });
  for (const id of opts.catalog ?? [])
    if (!listed.has(id) && !damaged.some((d) => d.id === id))
      problems.push({
        kind: 'missing-snapshot',
        object: `snapshots/${id}`,
        message: `The manifest of backup ${id} is missing from the account, though the catalog lists it.`,
        affected: [{ snapshot: id, source: '', path: '' }],
      });
  await findUnindexed(repo, index, badChunks);
  // One problem per damaged object, listing every backup file that needs it.
  const byObject = new Map<string, CheckProblem>();
  for (const [chunk, bad] of badChunks) {
    const users = chunkUsers.get(chunk) ?? [];
    const key = `${bad.kind}:${bad.object}`;
    const p =
      byObject.get(key) ??
      byObject.set(key, { kind: bad.kind, object: bad.object, message: bad.message, affected: [] }).get(key)!;
    for (const u of users)
      if (!p.affected.some((a) => a.snapshot === u.snapshot && a.source === u.source && a.path === u.path))
        p.affected.push(u);
  }
  problems.push(...byObject.values());
  const unreferencedPacks = [...stored.keys()].filter((p) => !index.packs.has(p)).length;
  return {
    ok: problems.length === 0,
    snapshots: manifests + damaged.length,
    packs: index.packs.size,
    chunks: index.size,
    bytesRead,
    unreferencedPacks,
    problems,
  };
}

/** Chunks no index names that a pack no index object names holds: the pack lost its index, not its data. */
async function findUnindexed(
  repo: Repository,
  index: ChunkIndex,
  badChunks: Map<string, { kind: CheckProblem['kind']; object: string; message: string }>,
): Promise<void> {
  if (![...badChunks.values()].some((b) => b.kind === 'missing-chunk')) return;
  for (const r of (await unindexedPacks(repo.backend, repo.keys, index)).records) {
    const pack = packObjectName(r.hash);
    const message = `The pack ${pack} holds chunks that backups use, but no index object names it (an index object was deleted or damaged).`;
    for (const e of r.entries)
      if (badChunks.get(e.id)?.kind === 'missing-chunk')
        badChunks.set(e.id, { kind: 'unindexed-pack', object: pack, message });
  }
}
