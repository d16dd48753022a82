/**
 * What replication needs from a recovery site, behind one interface: the local agent keeps replicas under a data root on
 * this machine (sites/local-agent.ts); a remote agent over TLS implements the same calls in the next slice. An item's
 * replica is its newest recovery point materialized; older points are undo deltas kept beside it (docs/replication.md).
 * A cycle is staged (blocks, files), then committed as one journaled step: after a crash, `recover` rolls an applying
 * cycle forward or a staged one back, so a point the site lists is always complete.
 */
import type { Readable } from 'node:stream';
import type { CommandRequest, CommandRun } from '../replication/commands';
import type { FolderIndex } from '../replication/folder-scan';

/** How the engine names an item at a site: its id (kept in the site's item marker) and its name (the folder's name). */
export interface SiteItemRef {
  id: string;
  name: string;
}

export interface SiteItemLayout extends SiteItemRef {
  /** File names of the disks (each replica keeps its source's file name). */
  disks: string[];
  /** Names of the folders. */
  folders: string[];
}

/** A block of a disk to write: its data, or null for a block of zeros (a hole at the source). */
export interface BlockWrite {
  offset: number;
  length: number;
  data: Buffer | null;
}

export interface FileMeta {
  mode: number;
  /** Modification time in ms (fractions kept). */
  mtimeMs: number;
}

/** A folder's mode and mtime, set once its entries are in place (deepest first). */
export interface DirMeta extends FileMeta {
  rel: string;
}

/** What a cycle changes besides the staged blocks and files. */
export interface CycleManifest {
  pointId: string;
  createdAt: string;
  kind: 'crash' | 'app';
  /** Every disk with its size at the point (blocks were staged with writeBlocks). */
  disks: { name: string; size: number }[];
  folders: { name: string; mkdirs: string[]; deletes: string[]; rmdirs: string[]; dirs: DirMeta[] }[];
  /** Bytes sent in the cycle, recorded with the point. */
  bytes: number;
}

/** A recovery point as the site holds it (complete: listed only once its cycle was applied). */
export interface SitePoint {
  id: string;
  seq: number;
  createdAt: string;
  kind: 'crash' | 'app';
  bytes: number;
}

export interface RecoverOutcome {
  /** 'rolled-forward': an applying cycle was finished; 'rolled-back': a staged one was discarded. */
  action: 'none' | 'rolled-forward' | 'rolled-back';
  cycleId: string | null;
}

export interface SiteProbe {
  free: number;
  total: number;
  writeBytesPerSecond: number;
  readBytesPerSecond: number;
  latencyMs: number;
}

/** Test hooks (fault injection): where a crash test holds a commit. Only the local agent honours them. */
export interface CommitHooks {
  /** After the journal says applying and the first block of the replica was written. */
  midApply?: () => Promise<void>;
  /** After the first run of blocks of an item's first copy reached its file at the site, before the commit. */
  midCopy?: () => Promise<void>;
}

/** A copy of a point kept at a site beside the replica: a failed-over item's disks and folders, or a test failover's. */
export type CopySlot = 'active' | 'test';

/** Test hooks of placeCopy (fault injection): where a crash test holds it, the copy written and not yet in place. */
export interface CopyHooks {
  beforeSwap?: () => Promise<void>;
}

/** An item's command to run where the item is active (replication/commands.ts). */
export type { CommandRequest } from '../replication/commands';

export interface SiteAgent {
  /** Creates the site's root and marker, or checks an existing one belongs to this site. */
  prepareSite(marker: { id: string; name: string }): Promise<void>;
  /**
   * Checks, before every cycle, that the site is reachable and is this site, creating nothing: `unavailable`
   * (retryable) when its root or marker cannot be reached (a disk not mounted, EIO; for a remote agent, no
   * connection), `conflict` (final) when the root holds another site's marker.
   */
  checkSite(marker: { id: string; name: string }): Promise<void>;
  space(): Promise<{ free: number; total: number }>;
  /** Writes, fsyncs and reads back a probe file: throughput and latency. */
  probe(bytes?: number): Promise<SiteProbe>;
  /** Creates the item's replica folders and marker; refuses a folder that holds another item. */
  prepareItem(item: SiteItemLayout): Promise<void>;
  /** Paths of an item's replica disk and folder at the site, for `item show`. */
  replicaPath(item: SiteItemRef, kind: 'disk' | 'folder', name: string): string;
  /** Finishes or undoes a cycle a crash interrupted. Idempotent. */
  recover(item: SiteItemRef): Promise<RecoverOutcome>;
  /** Starts staging a cycle (discarding any staged, never-applied one). */
  beginCycle(item: SiteItemRef, cycleId: string): Promise<void>;
  writeBlocks(item: SiteItemRef, cycleId: string, disk: string, blocks: BlockWrite[]): Promise<void>;
  /**
   * A site on this machine: the local file a disk's first copy goes into (sites/first-copy.ts), which the engine's
   * workers may write blocks into themselves, or null when the disk's blocks must go through `writeBlocks`.
   */
  firstCopyPath?(item: SiteItemRef, cycleId: string, disk: string): Promise<string | null>;
  writeFile(
    item: SiteItemRef,
    cycleId: string,
    folder: string,
    rel: string,
    data: Readable,
    meta: FileMeta,
  ): Promise<number>;
  abortCycle(item: SiteItemRef, cycleId: string): Promise<void>;
  /** Applies the staged cycle to the replica (undo deltas first) and lists its point; idempotent for a cycle already applied. */
  commitCycle(item: SiteItemRef, cycleId: string, manifest: CycleManifest, hooks?: CommitHooks): Promise<SitePoint>;
  points(item: SiteItemRef): Promise<SitePoint[]>;
  /** Deletes the oldest points (a prefix of the list): their undo deltas go. */
  deletePoints(item: SiteItemRef, ids: string[]): Promise<void>;
  /** Writes a point's disks and folders into `to` (`disks/<file>`, `folders/<name>`), byte-identical. */
  materialize(item: SiteItemRef, pointId: string, to: string): Promise<{ bytes: number }>;
  /** A replica folder's files as a folder index (for reprotect: compare both sides, send changed files). Optional: without it, every file is sent. */
  folderIndex?(item: SiteItemRef, folder: string): Promise<FolderIndex>;
  /** Checksums of fixed-size blocks of a replica disk (for resync: compare both sides, send differences). */
  blockChecksums(item: SiteItemRef, disk: string, blockSize: number): Promise<Buffer>;
  /** Deletes the item's replica and points. */
  removeItem(item: SiteItemRef): Promise<void>;
  /**
   * Materializes a point as the item's active or test copy (docs/failover.md): written beside, then renamed into place,
   * replacing any copy there; a crash leaves the old copy or the new one, never half of one.
   */
  placeCopy(
    item: SiteItemRef,
    slot: CopySlot,
    pointId: string,
    hooks?: CopyHooks,
  ): Promise<{ bytes: number; path: string }>;
  /** The folder of the item's active or test copy (disks/ and folders/ inside), whether it exists or not. */
  copyPath(item: SiteItemRef, slot: CopySlot): string;
  /** Removes the item's active or test copy, and any half-made one. Idempotent. */
  removeCopy(item: SiteItemRef, slot: CopySlot): Promise<void>;
  /** Commit of a failover: deletes the replica and every point; the active copy stays. Idempotent. */
  dropReplica(item: SiteItemRef): Promise<void>;
  /**
   * Commit of a failback: the copy the item ran from at this site becomes the base of its replica (no point listed), so
   * the next reprotect compares with it and sends only differences. Idempotent. Optional: without it, the copy is removed.
   */
  adoptCopy?(item: SiteItemRef): Promise<void>;
  /** Runs an item's command at the site (sh -c, its own process group, a timeout, output bounded); never throws for its failure. */
  runCommand(req: CommandRequest): Promise<CommandRun>;
}
