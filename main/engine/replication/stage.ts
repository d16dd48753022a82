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
import type { CycleManifest, SiteAgent, SiteItemRef } from '../sites/agent';
import type { WorkerPool } from '../workers/pool';
import { BLOCK_SIZE } from './block-hash';
import { readMap, scanDisk } from './disk-scan';
import { dataExtents } from './extent-probe';
import { diffFolder, openSource, readIndex, unchangedSince, walkFolder, type FolderIndex } from './folder-scan';
import type { ItemRow, ReplicationStore, SourceRow } from './store';

export interface DiskState {
  size: number;
  mtimeNs: string;
  racy?: boolean;
  /** SHA-256 of the block map written with the point: a map that differs was not the one committed. */
  mapHash?: string;
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
    super('conflict', `${itemName} needs a resynchronization: ${reason}`, `It runs in its resync window, or now with \`lifeboat item resync ${itemName}\`.`, { final: true });
  }
}

export interface StageDeps {
  store: ReplicationStore;
  agent: SiteAgent;
  workers: WorkerPool;
  stateDir: string;
  log: Logger;
  now: () => Date;
}

export interface Staged {
  disks: { idx: number; state: DiskState }[];
  manifestDisks: CycleManifest['disks'];
  manifestFolders: CycleManifest['folders'];
}

const RACY_NS = 2_000_000_000n;
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
  private readonly indexes: { s: SourceRow; index: FolderIndex }[] = [];
  private staged: Staged = { disks: [], manifestDisks: [], manifestFolders: [] };
  private torn = false;

  constructor(
    private readonly deps: StageDeps,
    readonly item: ItemRow,
    readonly cycleId: string,
    private readonly mode: { resync: boolean; fiftyPercent: boolean },
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

  /** Stats every source: the start of the point's instant. A source that is gone fails for good. */
  async begin(): Promise<void> {
    for (const s of this.sources) {
      const st = await fsp.stat(s.source_path, { bigint: true }).catch(() => null);
      const what = s.kind === 'disk' ? 'disk' : 'folder';
      if (!st || (s.kind === 'disk' ? !st.isFile() : !st.isDirectory()))
        throw new LifeboatError('not_found', `The ${what} ${s.source_path} of ${this.item.name} is gone.`, `Put the ${what} back, then run \`lifeboat item replicate ${this.item.name}\`; or disable protection of the item.`, { final: true });
      if (s.kind === 'disk') this.before.set(s.idx, { size: Number(st.size), mtimeNs: String(st.mtimeNs) });
    }
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
      throw new ResyncNeeded(this.item.id, `the block map of ${s.name} is not the one recorded with the last point (Lifeboat stopped uncleanly).`, this.item.name);
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
        if (!this.mode.resync && last && !last.racy && last.size === st.size && last.mtimeNs === st.mtimeNs) {
          this.counts.disksUnchanged++;
          continue;
        }
        // The 50% rule applies to delta cycles only: the first copy, its finalize and a resync send what they must.
        const limit = this.mode.fiftyPercent && last ? Math.floor(st.size * RESYNC_FRACTION) : undefined;
        const scan = await scanDisk({ agent: this.deps.agent, workers: this.deps.workers }, { item: this.ref, cycleId: this.cycleId, disk: s.name }, s.source_path, st.size, await this.baseline(s, last), signal, {
          limit,
          extents: await dataExtents(s.source_path), // one long-lived perl: keeps the instant short
          onChanged: (bytes) => (this.counts.changedBytes += bytes),
        });
        if (scan.overLimit)
          throw new ResyncNeeded(this.item.id, `more than half of the disk ${s.name} changed since the last point (over ${limit} of ${st.size} bytes).`, this.item.name);
        await fsp.writeFile(`${f.map}.next`, scan.map);
        this.staged.disks.push({ idx: s.idx, state: { ...st, ...(racy ? { racy } : {}), mapHash: mapHash(scan.map) } });
        this.counts.blocksSent += scan.blocksSent;
        this.counts.blocksScanned += scan.blocksScanned;
        this.counts.bytesRead += scan.bytesRead;
        this.counts.bytesSent += scan.bytesSent;
        if (this.mode.resync) this.counts.bytesCompared += st.size;
      } else {
        const { index, skipped } = await walkFolder(s.source_path);
        this.counts.skipped += skipped;
        const diff = diffFolder(await readIndex(f.index), index);
        for (const rel of diff.writes) {
          const file = path.join(s.source_path, ...rel.split('/'));
          const e = index[rel];
          const sent = await this.deps.agent.writeFile(this.ref, this.cycleId, s.name, rel, openSource(file), { mode: e.mode, mtimeMs: Number(BigInt(e.m) / 1000n) / 1000 });
          this.counts.bytesSent += sent;
          this.counts.changedBytes += sent;
          if (!(await unchangedSince(file, e))) {
            this.torn = true;
            return false;
          }
          this.counts.filesSent++;
        }
        this.counts.filesDeleted += diff.deletes.length;
        const dirs = diff.dirs.map((rel) => ({ rel, mode: index[rel].mode, mtimeMs: Number(BigInt(index[rel].m) / 1000n) / 1000 }));
        this.staged.manifestFolders.push({ name: s.name, mkdirs: diff.mkdirs, deletes: diff.deletes, rmdirs: diff.rmdirs, dirs });
        this.indexes.push({ s, index });
      }
    }
    return true;
  }

  /** Whether every source is as it was at `begin`; then the folders' new indexes are written beside the old. */
  async verify(): Promise<boolean> {
    if (this.torn) return false;
    for (const s of this.sources) {
      if (s.kind !== 'disk') continue;
      const st = await fsp.stat(s.source_path, { bigint: true }).catch(() => null);
      const b = this.before.get(s.idx)!;
      if (!st || Number(st.size) !== b.size || String(st.mtimeNs) !== b.mtimeNs) return false;
    }
    for (const { s, index } of this.indexes) {
      const again = await walkFolder(s.source_path);
      const d = diffFolder(index, again.index);
      if (d.writes.length + d.deletes.length + d.mkdirs.length + d.rmdirs.length > 0) return false;
    }
    for (const { s, index } of this.indexes) await fsp.writeFile(`${this.files(s).index}.next`, JSON.stringify(index));
    return true;
  }

  result(): Staged {
    return this.staged;
  }

  async abort(): Promise<void> {
    await this.deps.agent.abortCycle(this.ref, this.cycleId);
  }
}
