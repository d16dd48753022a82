/**
 * The primary site as a replication target, for an item replicating in reverse (after failover and reprotect): its
 * replica is the item's own disks and folders at their original source paths, so that a failback finds them where the
 * machine ran. The journal (staged cycles, points, undo deltas) is kept in the app's data directory,
 * `<data dir>/replication/<item id>/return/`, never beside the user's files. The same journal as a recovery site's
 * (sites/replica-journal.ts) applies each cycle, so kill -9 at any moment leaves the old point or the new one.
 * Block checksums of an original disk are hashed in worker threads, holes skipped (replication/disk-scan.ts). A
 * failback to any point puts that point in the original paths, the replica held aside until commit
 * (sites/primary-failback.ts).
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { checksumDisk, type HashRunner } from '../replication/disk-scan';
import { walkFolder, type FolderIndex } from '../replication/folder-scan';
import type { DataExtent } from '../repo/sparse';
import { LifeboatError } from '../../shared/errors';
import type { CopyHooks, CopySlot, SiteItemLayout, SiteItemRef } from './agent';
import { LocalSiteAgent } from './local-agent';
import { FailbackCopies } from './primary-failback';
import { ReplicaJournal, withItemLock, type ReplicaPlaces } from './replica-journal';

export interface PrimaryAgentDeps {
  /** The engine's replication state folder: the journal of item X is `<stateDir>/X/return/`. */
  stateDir: string;
  /** Where an item's disks and folders are at the primary site, by name. */
  placesOf: (item: SiteItemRef) => ReplicaPlaces;
  /** Hashes runs of blocks of a file in a worker. */
  hashFile: (file: string) => HashRunner;
  extents: (file: string) => Promise<DataExtent[]>;
}

export class PrimarySideAgent extends LocalSiteAgent {
  constructor(private readonly deps: PrimaryAgentDeps) {
    super(deps.stateDir);
  }

  /** A failback's copies at the original paths and the held replica (sites/primary-failback.ts). */
  private failback(item: SiteItemRef): FailbackCopies {
    return new FailbackCopies(path.join(this.deps.stateDir, item.id, 'return'), this.deps.placesOf(item));
  }

  /** The replica: the original files, or their held copies while a failback is in place. */
  protected override journal(item: SiteItemRef): ReplicaJournal {
    return new ReplicaJournal(path.join(this.deps.stateDir, item.id, 'return'), this.failback(item).replicaPlaces());
  }

  /** Under the item's lock, after finishing whatever a crash left of a failback's switch. */
  protected override locked<T>(item: SiteItemRef, f: (j: ReplicaJournal) => Promise<T>): Promise<T> {
    return withItemLock(path.join(this.deps.stateDir, item.id, 'return'), async () => {
      await this.failback(item).settle();
      return f(this.journal(item));
    });
  }

  /** The primary site is this machine: nothing to create, nothing to check beyond the data directory. */
  override async prepareSite(): Promise<void> {
    await fsp.mkdir(this.deps.stateDir, { recursive: true, mode: 0o700 });
  }

  override async checkSite(): Promise<void> {
    await fsp.mkdir(this.deps.stateDir, { recursive: true, mode: 0o700 });
  }

  /** The journal's folders, and the folders the disks and folders go into (an original disk may be gone). */
  override async prepareItem(item: SiteItemLayout): Promise<void> {
    const j = this.journal(item);
    await fsp.mkdir(j.undoDir, { recursive: true, mode: 0o700 });
    for (const name of item.disks) await fsp.mkdir(path.dirname(j.disk(name)), { recursive: true });
    for (const name of item.folders) await fsp.mkdir(j.folder(name), { recursive: true });
  }

  override replicaPath(item: SiteItemRef, kind: 'disk' | 'folder', name: string): string {
    return kind === 'disk' ? this.journal(item).disk(name) : this.journal(item).folder(name);
  }

  override blockChecksums(item: SiteItemRef, disk: string): Promise<Buffer> {
    return this.locked(item, async (j) => {
      const file = j.disk(disk);
      const { size } = await fsp.stat(file); // ENOENT: no original disk, every data block differs
      return checksumDisk(
        this.deps.hashFile(file),
        { size, extents: await this.deps.extents(file) },
        new AbortController().signal,
      );
    });
  }

  async folderIndex(item: SiteItemRef, folder: string): Promise<FolderIndex> {
    const root = this.journal(item).folder(folder);
    if (!(await fsp.stat(root).catch(() => null))?.isDirectory()) return {};
    return (await walkFolder(root)).index;
  }

  /** Forgets the item's points, journal and held replica (a failback's commit); the disks and folders are the user's and stay. */
  override async removeItem(item: SiteItemRef): Promise<void> {
    await this.locked(item, async (j) => {
      await this.failback(item).drop();
      await fsp.rm(j.dir, { recursive: true, force: true });
      await fsp.rm(this.copyPath(item, 'active'), { recursive: true, force: true });
    });
  }

  /**
   * A failback's copy is the item's own files at their original paths, holding the chosen point (any of them): the
   * replica is held aside until commit so that change-point keeps working (sites/primary-failback.ts). The copy's folder
   * holds links to the original files (`disks/<file>`, `folders/<name>`), so the start command's LIFEBOAT_PATH reads
   * as at a recovery site. A test failover gets a copy of its point in the data directory, as at a recovery site.
   */
  override placeCopy(
    item: SiteItemRef,
    slot: CopySlot,
    pointId: string,
    hooks?: CopyHooks,
  ): Promise<{ bytes: number; path: string }> {
    if (slot !== 'active') return super.placeCopy(item, slot, pointId, hooks);
    return this.locked(item, async (j) => {
      await j.recover();
      const points = await j.points();
      const at = points.findIndex((p) => p.id === pointId);
      if (at < 0)
        throw new LifeboatError(
          'not_found',
          `The primary site holds no point ${pointId} of ${item.name}.`,
          `List its points with \`lifeboat item points ${item.name}\`.`,
        );
      const { bytes } = await this.failback(item).place(points, at, j.undoDir, hooks);
      const to = this.copyPath(item, 'active');
      await fsp.rm(to, { recursive: true, force: true });
      const places = this.deps.placesOf(item);
      for (const kind of ['disks', 'folders'] as const) {
        await fsp.mkdir(path.join(to, kind), { recursive: true, mode: 0o700 });
        for (const [name, original] of Object.entries(places[kind]))
          await fsp.symlink(original, path.join(to, kind, name));
      }
      return { bytes, path: to };
    });
  }

  override copyPath(item: SiteItemRef, slot: CopySlot): string {
    return slot === 'active' ? path.join(this.deps.stateDir, item.id, 'active') : super.copyPath(item, slot);
  }

  /** A cancelled failback: the links go and the held replica goes back to the original paths, as they were before. */
  override async removeCopy(item: SiteItemRef, slot: CopySlot): Promise<void> {
    if (slot !== 'active') return super.removeCopy(item, slot);
    await this.locked(item, async () => {
      await this.failback(item).restore();
      await fsp.rm(this.copyPath(item, 'active'), { recursive: true, force: true });
    });
  }
}
