/**
 * Staging one item's part of a cycle at its recovery site, in three calls so that a group cycle can read every
 * member between one common "before" and one common "after" (replication/cycle.ts): `before` stats every disk and
 * folder, `read` sends what changed, `verify` stats and walks again. A point is consistent when nothing changed
 * between the first `before` and the last `verify`, across all members of the cycle.
 *
 * Two rules of seed 002 live here: a disk whose changes pass half of its size stops the cycle and asks for a
 * resynchronization (the 50% rule), and so does a block map that is not the one recorded with the last point (the
 * engine stopped uncleanly, e.g. a power cut before the map reached its disk). A resync reads every disk against the
 * site's own block checksums instead of the engine's map, so only blocks that differ at the site are sent.
 */
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { LifeboatError } from '../../shared/errors';
import type { Logger } from '../log';
import type { CommitHooks, CycleManifest, SiteAgent, SiteItemRef } from '../sites/agent';
import { BLOCK_SIZE, type BlockAlgo } from './block-hash';
import { readMap, scanDisk } from './disk-scan';
import { diffFolder, readIndex, type FolderIndex } from './folder-scan';
import type { HashRun, SourceSide } from './source-side';
import type { ItemRow, ReplicationStore, SourceRow } from './store';

export interface DiskState {
  size: number;
  mtimeNs: string;
  racy?: boolean;
  /** SHA-256 of the block map written with the point: a map that differs was not the one committed. */
  mapHash?: string;
  /** The checksum function of the block map (replication/block-hash.ts); SHA-256 when not given. */
  algo?: BlockAlgo;
}

export interface CycleCounts {
  bytesSent: number;
  blocksSent: number;
  blocksScanned: number;
  bytesRead: number;
  /** Bytes of the disks compared with the site's checksums (resync only). */
  bytesCompared: number;
  /** Bytes found changed (data and blocks that became zeros): what the 50% rule and `pendingBytes` count. */
  changedBytes: number;
  disksUnchanged: number;
  filesSent: number;
  filesDeleted: number;
  skipped: number;
}

export const zeroCounts = (): CycleCounts => ({
  bytesSent: 0,
  blocksSent: 0,
  blocksScanned: 0,
  bytesRead: 0,
  bytesCompared: 0,
  changedBytes: 0,
  disksUnchanged: 0,
  filesSent: 0,
  filesDeleted: 0,
  skipped: 0,
});

/** The item needs a resynchronization; the cycle stops without a point. */
export class ResyncNeeded extends LifeboatError {
  constructor(
    readonly itemId: string,
    readonly reason: string,
    itemName: string,
  ) {
    super(
      'conflict',
      `${itemName} needs a resynchronization: ${reason}`,
      `It runs in its resync window, or now with \`lifeboat item resync ${itemName}\`.`,
      { final: true },
    );
  }
}

export interface StageDeps {
  store: ReplicationStore;
  /** The target side: where the cycle is staged and committed. */
  agent: SiteAgent;
  /** The source side: where the disks and folders are read. */
  source: SourceSide;
  stateDir: string;
  log: Logger;
  now: () => Date;
  hooks?: CommitHooks;
}

export interface Staged {
  disks: { idx: number; state: DiskState }[];
  manifestDisks: CycleManifest['disks'];
  manifestFolders: CycleManifest['folders'];
}

/** A cycle's kind: a resync compares with the target's checksums; a reprotect also with its folders' files. */
export interface StageMode {
  resync: boolean;
  fiftyPercent: boolean;
  reprotect?: boolean;
}

const RACY_NS = 2_000_000_000n;

const toMs = (index: FolderIndex): FolderIndex =>
  Object.fromEntries(
    Object.entries(index).map(([rel, e]) => [rel, { ...e, m: String(BigInt(e.m) / 1_000_000n), racy: undefined }]),
  );
export const RESYNC_FRACTION = 0.5;

export const stateFiles = (stateDir: string, item: ItemRow, s: SourceRow) => {
  const base = path.join(stateDir, item.id, String(s.idx));
  return { map: `${base}.map`, index: `${base}.index.json` };
};

export const mapHash = (map: Buffer) => crypto.createHash('sha256').update(map).digest('hex');

/** One item's staging in one attempt of a cycle. */
export class ItemStage {
  readonly counts = zeroCounts();
  private readonly sources: SourceRow[];
  private readonly ref: SiteItemRef;
  private readonly before = new Map<number, DiskState>();
  /** Disks read from a snapshot taken at `begin`. */
  private readonly frozen = new Set<number>();
  private readonly indexes: { s: SourceRow; index: FolderIndex }[] = [];
  private staged: Staged = { disks: [], manifestDisks: [], manifestFolders: [] };
  private torn = false;

  constructor(
    private readonly deps: StageDeps,
    readonly item: ItemRow,
    readonly cycleId: string,
    private readonly mode: StageMode,
  ) {
    this.sources = deps.store.sources(item.id);
    this.ref = { id: item.id, name: item.name };
  }

  private files(s: SourceRow) {
    return stateFiles(this.deps.stateDir, this.item, s);
  }

  /** Starts the attempt at the site (before any member's first stat, so that the site's work stays out of the instant). */
  async open(): Promise<void> {
    for (const s of this.sources) {
      // Left by an attempt that read a torn source: never promote those.
      await fsp.rm(`${this.files(s).map}.next`, { force: true });
      await fsp.rm(`${this.files(s).index}.next`, { force: true });
    }
    await this.deps.agent.beginCycle(this.ref, this.cycleId);
  }

  /**
   * Stats every source: the start of the point's instant. A source that is gone fails for good. A disk that will be
   * read is frozen at once where the source side can (a reflink snapshot, replication/snapshot.ts): it is then read at
   * leisure, and only the moments of its first stat and its snapshot must see no change (`settled`).
   */
  async begin(): Promise<void> {
    for (const s of this.sources) {
      const st = await this.deps.source.stat(s);
      const what = s.kind === 'disk' ? 'disk' : 'folder';
      if (!st || (s.kind === 'disk' ? !st.file : !st.dir))
        throw new LifeboatError(
          'not_found',
          `The ${what} ${this.deps.source.where(s)} of ${this.item.name} is gone.`,
          `Put the ${what} back, then run \`lifeboat item replicate ${this.item.name}\`; or disable protection of the item.`,
          { final: true },
        );
      if (s.kind !== 'disk') continue;
      this.before.set(s.idx, { size: st.size, mtimeNs: st.mtimeNs });
      if (!this.unchanged(s) && (await this.deps.source.freeze?.(s))) this.frozen.add(s.idx);
    }
  }

  /** The disk's size and mtime are those of its last point (and were not racy then): it is not read at all. */
  private unchanged(s: SourceRow): boolean {
    const st = this.before.get(s.idx)!;
    const last = s.state ? (JSON.parse(s.state) as DiskState) : null;
    return !this.mode.resync && !!last && !last.racy && last.size === st.size && last.mtimeNs === st.mtimeNs;
  }

  /** Whether no frozen disk changed since its first stat: run after every member's `begin`, so the snapshots share one instant. */
  async settled(): Promise<boolean> {
    for (const s of this.sources) {
      if (!this.frozen.has(s.idx)) continue;
      const st = await this.deps.source.stat(s);
      const b = this.before.get(s.idx)!;
      if (!st || st.size !== b.size || st.mtimeNs !== b.mtimeNs) return false;
    }
    return true;
  }

  /** How many disks and folders this stage reads. */
  get sourceCount(): number {
    return this.sources.length;
  }

  /** What a folder is compared with: the target's own files for a reprotect (the engine's index is of the other side), else the engine's index. */
  private async folderBaseline(s: SourceRow): Promise<FolderIndex> {
    if (!this.mode.reprotect) return readIndex(this.files(s).index);
    return (await this.deps.agent.folderIndex?.(this.ref, s.name)) ?? {};
  }

  /** The block map a disk is compared with: the site's checksums for a resync, else the engine's (checked) map. */
  private async baseline(s: SourceRow, last: DiskState | null): Promise<Buffer> {
    if (this.mode.resync) {
      return this.deps.agent.blockChecksums(this.ref, s.name, BLOCK_SIZE).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return Buffer.alloc(0); // no replica disk yet: every data block differs
        throw err;
      });
    }
    const map = await readMap(this.files(s).map);
    if (last?.mapHash && mapHash(map) !== last.mapHash)
      throw new ResyncNeeded(
        this.item.id,
        `the block map of ${s.name} is not the one recorded with the last point (Lifeboat stopped uncleanly).`,
        this.item.name,
      );
    return map;
  }

  /** Sends every change; returns false when a folder's file changed while it was read (a torn read). */
  async read(signal: AbortSignal): Promise<boolean> {
    for (const s of this.sources) {
      signal.throwIfAborted();
      const f = this.files(s);
      if (s.kind === 'disk') {
        const st = this.before.get(s.idx)!;
        const last = s.state ? (JSON.parse(s.state) as DiskState) : null;
        this.staged.manifestDisks.push({ name: s.name, size: st.size });
        // The filesystem's clock, not the schedule's (which tests move): a write this recent may share the mtime's tick.
        const racy = BigInt(Date.now()) * 1_000_000n - BigInt(st.mtimeNs) < RACY_NS;
        if (this.unchanged(s)) {
          this.counts.disksUnchanged++;
          continue;
        }
        // The 50% rule applies to delta cycles only: the first copy, its finalize and a resync send what they must.
        const limit = this.mode.fiftyPercent && last ? Math.floor(st.size * RESYNC_FRACTION) : undefined;
        const source = this.deps.source;
        const disk = { size: st.size, extents: await source.extents(s) };
        const sides = {
          agent: this.deps.agent,
          hash: (run: HashRun, sig: AbortSignal) => source.hashBlocks(s, run, sig),
        };
        // The item's first copy into a site on this machine: the hashing workers write it there themselves.
        const writeTo =
          limit === undefined
            ? ((await this.deps.agent.firstCopyPath?.(this.ref, this.cycleId, s.name)) ?? undefined)
            : undefined;
        // A resync compares with the site's SHA-256 checksums; a first copy at a local site starts a BLAKE3 map, kept on.
        const algo: BlockAlgo | undefined = this.mode.resync
          ? undefined
          : last
            ? last.algo
            : writeTo
              ? 'blake3'
              : undefined;
        const scan = await scanDisk(
          sides,
          { item: this.ref, cycleId: this.cycleId, disk: s.name },
          disk,
          await this.baseline(s, last),
          signal,
          {
            limit,
            onChanged: (bytes) => (this.counts.changedBytes += bytes),
            writeTo,
            midCopy: this.deps.hooks?.midCopy,
            algo,
          },
        );
        if (scan.overLimit)
          throw new ResyncNeeded(
            this.item.id,
            `more than half of the disk ${s.name} changed since the last point (over ${limit} of ${st.size} bytes).`,
            this.item.name,
          );
        await fsp.writeFile(`${f.map}.next`, scan.map);
        this.staged.disks.push({
          idx: s.idx,
          state: { ...st, ...(racy ? { racy } : {}), mapHash: mapHash(scan.map), ...(algo ? { algo } : {}) },
        });
        this.counts.blocksSent += scan.blocksSent;
        this.counts.blocksScanned += scan.blocksScanned;
        this.counts.bytesRead += scan.bytesRead;
        this.counts.bytesSent += scan.bytesSent;
        if (this.mode.resync) this.counts.bytesCompared += st.size;
      } else {
        const { index, skipped } = await this.deps.source.walk(s);
        this.counts.skipped += skipped;
        const base = await this.folderBaseline(s);
        // Copies made at the other side keep times to the millisecond only: compared there, not to the nanosecond.
        const diff = this.mode.reprotect ? diffFolder(toMs(base), toMs(index)) : diffFolder(base, index);
        for (const rel of diff.writes) {
          const e = index[rel];
          const sent = await this.deps.agent.writeFile(
            this.ref,
            this.cycleId,
            s.name,
            rel,
            this.deps.source.open(s, rel),
            { mode: e.mode, mtimeMs: Number(BigInt(e.m) / 1000n) / 1000 },
          );
          this.counts.bytesSent += sent;
          this.counts.changedBytes += sent;
          if (!(await this.deps.source.unchangedSince(s, rel, e))) {
            this.torn = true;
            return false;
          }
          this.counts.filesSent++;
        }
        this.counts.filesDeleted += diff.deletes.length;
        const dirs = diff.dirs.map((rel) => ({
          rel,
          mode: index[rel].mode,
          mtimeMs: Number(BigInt(index[rel].m) / 1000n) / 1000,
        }));
        this.staged.manifestFolders.push({
          name: s.name,
          mkdirs: diff.mkdirs,
          deletes: diff.deletes,
          rmdirs: diff.rmdirs,
          dirs,
        });
        this.indexes.push({ s, index });
      }
    }
    return true;
  }

  /** Whether every source is as it was at `begin`; then the folders' new indexes are written beside the old. */
  async verify(): Promise<boolean> {
    if (this.torn) return false;
    for (const s of this.sources) {
      if (s.kind !== 'disk' || this.frozen.has(s.idx)) continue;
      const st = await this.deps.source.stat(s);
      const b = this.before.get(s.idx)!;
      if (!st || st.size !== b.size || st.mtimeNs !== b.mtimeNs) return false;
    }
    for (const { s, index } of this.indexes) {
      const again = await this.deps.source.walk(s);
      const d = diffFolder(index, again.index);
      if (d.writes.length + d.deletes.length + d.mkdirs.length + d.rmdirs.length > 0) return false;
    }
    for (const { s, index } of this.indexes) await fsp.writeFile(`${this.files(s).index}.next`, JSON.stringify(index));
    await this.deps.source.release?.();
    return true;
  }

  result(): Staged {
    return this.staged;
  }

  async abort(): Promise<void> {
    await this.deps.source.release?.();
    await this.deps.agent.abortCycle(this.ref, this.cycleId);
  }
}
