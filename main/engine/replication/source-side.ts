/**
 * The source side of a replication cycle: where an item's disks and folders are read. Forward, that is the item's own
 * paths at the primary site; in reverse (after a failover and reprotect), the copies the item runs from at the
 * recovery site. replication/stage.ts reads only through this interface, and writes only through a `SiteAgent` (the
 * target side), so one cycle engine serves both directions. `LocalSource` reads files on this machine (the primary
 * site, or a recovery site that is a data root here); `AgentSource` (replication/agent-source.ts) makes the same reads
 * at a recovery site's agent.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { DataExtent } from '../repo/sparse';
import type { WorkerPool } from '../workers/pool';
import type { HashBlocksResult, HashBlocksTask } from './disk-scan';
import { dataExtents } from './extent-probe';
import { openSource, unchangedSince, walkFolder, type FolderIndex, type IndexEntry } from './folder-scan';
import { freezeImage, releaseSnapshot } from './snapshot';
import type { SourceRow } from './store';

export interface SourceStat {
  file: boolean;
  dir: boolean;
  size: number;
  mtimeNs: string;
}

/** A run of blocks to hash: their previous checksums in `old` (16 bytes each). */
export type HashRun = Pick<HashBlocksTask, 'size' | 'first' | 'count' | 'old' | 'hashOnly'>;

export interface SourceSide {
  /** Where a source is read: a path at the source's site, for messages. */
  where(s: SourceRow): string;
  stat(s: SourceRow): Promise<SourceStat | null>;
  /** The disk's data extents (holes are never read). */
  extents(s: SourceRow): Promise<DataExtent[]>;
  /** Hashes a run of a disk's blocks; returns the checksums and the blocks whose checksum differs from `old`. */
  hashBlocks(s: SourceRow, run: HashRun, signal: AbortSignal): Promise<HashBlocksResult>;
  walk(s: SourceRow): Promise<{ index: FolderIndex; skipped: number }>;
  /** A file of a folder, `rel` with `/` separators. */
  open(s: SourceRow, rel: string): Readable;
  unchangedSince(s: SourceRow, rel: string, e: IndexEntry): Promise<boolean>;
  /** Freezes a disk for this attempt's reads (a reflink snapshot); false: it is read in place. */
  freeze?(s: SourceRow): Promise<boolean>;
  /** Deletes the attempt's snapshots. */
  release?(): Promise<void>;
}

/** Sources read from this machine's files; `pathOf` says where each disk and folder is (source path or active path). */
export class LocalSource implements SourceSide {
  /** Each frozen disk's snapshot, by source index: what its extents and blocks are read from. */
  private readonly frozen = new Map<number, string>();

  constructor(
    private readonly workers: WorkerPool,
    private readonly pathOf: (s: SourceRow) => string,
  ) {}

  where(s: SourceRow): string {
    return this.pathOf(s);
  }

  async stat(s: SourceRow): Promise<SourceStat | null> {
    const st = await fsp.stat(this.pathOf(s), { bigint: true }).catch(() => null);
    return st && { file: st.isFile(), dir: st.isDirectory(), size: Number(st.size), mtimeNs: String(st.mtimeNs) };
  }

  extents(s: SourceRow): Promise<DataExtent[]> {
    return dataExtents(this.readPath(s)); // one long-lived perl: keeps a cycle's instant short
  }

  hashBlocks(s: SourceRow, run: HashRun, signal: AbortSignal): Promise<HashBlocksResult> {
    return this.workers.run({ op: 'replica-hash', path: this.readPath(s), ...run } satisfies HashBlocksTask, signal);
  }

  walk(s: SourceRow) {
    return walkFolder(this.pathOf(s));
  }

  open(s: SourceRow, rel: string): Readable {
    return openSource(this.file(s, rel));
  }

  unchangedSince(s: SourceRow, rel: string, e: IndexEntry): Promise<boolean> {
    return unchangedSince(this.file(s, rel), e);
  }

  async freeze(s: SourceRow): Promise<boolean> {
    const snap = await freezeImage(this.pathOf(s));
    if (snap) this.frozen.set(s.idx, snap);
    return snap !== null;
  }

  async release(): Promise<void> {
    for (const snap of this.frozen.values()) await releaseSnapshot(snap);
    this.frozen.clear();
  }

  private readPath(s: SourceRow): string {
    return this.frozen.get(s.idx) ?? this.pathOf(s);
  }

  private file(s: SourceRow, rel: string): string {
    return path.join(this.pathOf(s), ...rel.split('/'));
  }
}
