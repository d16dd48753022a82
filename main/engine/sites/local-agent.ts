/**
 * The site agent for a recovery site that is a data root on this machine. Each item's replica and journal live under
 * `<root>/<item>/` (sites/replica-journal.ts); a marker file at the root names the site, one in each item's
 * `.lifeboat/` names the item, so two installations or two items never write into each other's replica.
 */
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { LifeboatError } from '../../shared/errors';
import { blockHash, HASH_BYTES } from '../replication/block-hash';
import { runHere } from '../replication/commands';
import type {
  BlockWrite,
  CommandRequest,
  CommitHooks,
  CopyHooks,
  CopySlot,
  CycleManifest,
  FileMeta,
  SiteAgent,
  SiteItemLayout,
  SiteItemRef,
  SitePoint,
  SiteProbe,
} from './agent';
import { copySparse, fsyncPath } from './block-records';
import { applyUndo, ReplicaJournal, withItemLock } from './replica-journal';
import { copyDir, copyTree, placeCopy, removeCopy } from './site-copies';

export const SITE_MARKER = '.lifeboat-site.json';

async function nearestExisting(p: string): Promise<string> {
  let cur = path.resolve(p);
  for (;;) {
    if (
      await fsp.stat(cur).then(
        () => true,
        () => false,
      )
    )
      return cur;
    const up = path.dirname(cur);
    if (up === cur) return cur;
    cur = up;
  }
}

export class LocalSiteAgent implements SiteAgent {
  constructor(readonly root: string) {}

  protected journal(item: SiteItemRef): ReplicaJournal {
    return new ReplicaJournal(path.join(this.root, item.name));
  }

  protected locked<T>(item: SiteItemRef, f: (j: ReplicaJournal) => Promise<T>): Promise<T> {
    const j = this.journal(item);
    return withItemLock(j.dir, () => f(j));
  }

  async prepareSite(marker: { id: string; name: string }): Promise<void> {
    const file = path.join(this.root, SITE_MARKER);
    const text = await fsp.readFile(file, 'utf8').catch(() => null);
    if (text) {
      const found = JSON.parse(text) as { id: string; name: string };
      if (found.id !== marker.id)
        throw new LifeboatError(
          'conflict',
          `${this.root} is the root of another recovery site (${found.name}).`,
          'Choose an empty folder, or remove that site from the Lifeboat that owns it.',
        );
      return;
    }
    const st = await fsp.stat(this.root).catch(() => null);
    if (st && !st.isDirectory())
      throw new LifeboatError(
        'invalid_input',
        `--root: ${this.root} is a file, not a folder.`,
        'Give a folder (it is created when missing).',
      );
    if (st && (await fsp.readdir(this.root)).length > 0)
      throw new LifeboatError(
        'invalid_input',
        `--root: ${this.root} is not empty.`,
        'Give an empty folder or one that does not exist yet, so that replicas never mix with other data.',
      );
    await fsp.mkdir(this.root, { recursive: true, mode: 0o700 });
    await fsp.writeFile(`${file}.tmp`, JSON.stringify({ ...marker, createdAt: new Date().toISOString() }, null, 2));
    await fsp.rename(`${file}.tmp`, file);
  }

  async checkSite(marker: { id: string; name: string }): Promise<void> {
    const file = path.join(this.root, SITE_MARKER);
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new LifeboatError(
        'unavailable',
        `The recovery site ${marker.name} cannot be reached: ${file} ${code === 'ENOENT' ? 'is not there' : `cannot be read (${code})`}.`,
        `Mount the disk of ${this.root} (or bring it back); replication retries by itself.`,
        { retryable: true, cause: err },
      );
    }
    const found = JSON.parse(text) as { id: string; name: string };
    if (found.id !== marker.id)
      throw new LifeboatError(
        'conflict',
        `${this.root} now holds another recovery site (${found.name}), not ${marker.name}.`,
        'Mount the right disk at that path.',
        { final: true },
      );
  }

  async space(): Promise<{ free: number; total: number }> {
    const st = await fsp.statfs(await nearestExisting(this.root));
    return { free: st.bavail * st.bsize, total: st.blocks * st.bsize };
  }

  async probe(bytes = 8 << 20): Promise<SiteProbe> {
    const file = path.join(this.root, `.probe-${crypto.randomBytes(6).toString('hex')}`);
    const data = crypto.randomBytes(bytes);
    try {
      const t0 = performance.now();
      await fsp.writeFile(`${file}.small`, 'x');
      await fsyncPath(`${file}.small`);
      const latencyMs = performance.now() - t0;
      const t1 = performance.now();
      const fh = await fsp.open(file, 'w', 0o600);
      await fh.writeFile(data);
      await fh.sync();
      await fh.close();
      const t2 = performance.now();
      const back = await fsp.readFile(file);
      const t3 = performance.now();
      if (!back.equals(data))
        throw new LifeboatError(
          'io_error',
          `The probe file read back from ${this.root} differs from what was written.`,
          'Check the disk of the site.',
        );
      const { free, total } = await this.space();
      return {
        free,
        total,
        latencyMs,
        writeBytesPerSecond: Math.round(bytes / ((t2 - t1) / 1000)),
        readBytesPerSecond: Math.round(bytes / (Math.max(t3 - t2, 0.01) / 1000)),
      };
    } finally {
      await fsp.rm(file, { force: true });
      await fsp.rm(`${file}.small`, { force: true });
    }
  }

  async prepareItem(item: SiteItemLayout): Promise<void> {
    const j = this.journal(item);
    const markerFile = path.join(j.meta, 'item.json');
    const text = await fsp.readFile(markerFile, 'utf8').catch(() => null);
    if (text && (JSON.parse(text) as { id: string }).id !== item.id)
      throw new LifeboatError(
        'already_exists',
        `The recovery site already holds a replica named ${item.name} (${j.dir}) of another item.`,
        'Choose another name, or remove that folder.',
      );
    if (!text && (await fsp.readdir(j.dir).catch(() => [])).length > 0)
      throw new LifeboatError(
        'already_exists',
        `${j.dir} exists at the recovery site and is not a replica of this item.`,
        'Choose another item name, or move that folder away.',
      );
    await fsp.mkdir(path.join(j.dir, 'disks'), { recursive: true });
    await fsp.mkdir(path.join(j.dir, 'folders'), { recursive: true });
    await fsp.mkdir(j.undoDir, { recursive: true });
    await fsp.writeFile(`${markerFile}.tmp`, JSON.stringify(item, null, 2));
    await fsp.rename(`${markerFile}.tmp`, markerFile);
  }

  replicaPath(item: SiteItemRef, kind: 'disk' | 'folder', name: string): string {
    return kind === 'disk' ? this.journal(item).disk(name) : this.journal(item).folder(name);
  }

  recover(item: SiteItemRef) {
    return this.locked(item, (j) => j.recover());
  }

  beginCycle(item: SiteItemRef, cycleId: string): Promise<void> {
    return this.locked(item, (j) => j.begin(cycleId));
  }

  writeBlocks(item: SiteItemRef, cycleId: string, disk: string, blocks: BlockWrite[]): Promise<void> {
    return this.locked(item, (j) => j.writeBlocks(cycleId, disk, blocks));
  }

  firstCopyPath(item: SiteItemRef, cycleId: string, disk: string): Promise<string | null> {
    return this.locked(item, (j) => j.firstCopyPath(cycleId, disk));
  }

  writeFile(
    item: SiteItemRef,
    cycleId: string,
    folder: string,
    rel: string,
    data: Readable,
    meta: FileMeta,
  ): Promise<number> {
    return this.locked(item, (j) => j.writeFile(cycleId, folder, rel, data, meta));
  }

  abortCycle(item: SiteItemRef, cycleId: string): Promise<void> {
    return this.locked(item, (j) => j.abort(cycleId));
  }

  commitCycle(item: SiteItemRef, cycleId: string, manifest: CycleManifest, hooks?: CommitHooks): Promise<SitePoint> {
    return this.locked(item, (j) => j.commit(cycleId, manifest, hooks));
  }

  points(item: SiteItemRef): Promise<SitePoint[]> {
    return this.journal(item).points();
  }

  deletePoints(item: SiteItemRef, ids: string[]): Promise<void> {
    return this.locked(item, async (j) => {
      const points = await j.points();
      const doomed = new Set(ids);
      const keep = points.filter((p) => !doomed.has(p.id));
      // Only the oldest can go: a middle point's undo delta is needed to reach every point before it.
      if (keep.length === 0 || points.slice(0, points.length - keep.length).some((p) => !doomed.has(p.id)))
        throw new LifeboatError(
          'not_allowed',
          'Only the oldest recovery points can be deleted, and never the newest.',
          'Delete the points from the oldest on.',
        );
      await j.savePoints(keep);
      for (const id of ids) await fsp.rm(path.join(j.undoDir, id), { recursive: true, force: true });
    });
  }

  materialize(item: SiteItemRef, pointId: string, to: string): Promise<{ bytes: number }> {
    return this.locked(item, (j) => this.materializeLocked(j, item, pointId, to));
  }

  /** Under the item's lock, so a cycle never changes the replica while a point is copied out of it. */
  private async materializeLocked(
    j: ReplicaJournal,
    item: SiteItemRef,
    pointId: string,
    to: string,
  ): Promise<{ bytes: number }> {
    await j.recover();
    const points = await j.points();
    const at = points.findIndex((p) => p.id === pointId);
    if (at < 0)
      throw new LifeboatError(
        'not_found',
        `The recovery site holds no point ${pointId} of ${item.name}.`,
        `List its points with \`lifeboat item points ${item.name}\`.`,
      );
    const entries = await fsp.readdir(to).catch(() => null);
    if (entries && entries.length > 0)
      throw new LifeboatError(
        'invalid_input',
        `--to: ${to} is not empty.`,
        'Give an empty folder, or one that does not exist yet.',
      );
    await fsp.mkdir(path.join(to, 'disks'), { recursive: true });
    await fsp.mkdir(path.join(to, 'folders'), { recursive: true });
    let bytes = 0;
    for (const name of await j.names('disks')) {
      await copySparse(j.disk(name), path.join(to, 'disks', name));
      bytes += (await fsp.stat(j.disk(name))).size;
    }
    for (const name of await j.names('folders'))
      bytes += await copyTree(j.folder(name), path.join(to, 'folders', name));
    // Newest first: each undo delta turns the point after it into its own point.
    for (let i = points.length - 2; i >= at; i--) await applyUndo(path.join(j.undoDir, points[i].id), to);
    return { bytes };
  }

  placeCopy(
    item: SiteItemRef,
    slot: CopySlot,
    pointId: string,
    hooks?: CopyHooks,
  ): Promise<{ bytes: number; path: string }> {
    return this.locked(item, (j) =>
      placeCopy(this.root, slot, item.name, (to) => this.materializeLocked(j, item, pointId, to), hooks),
    );
  }

  copyPath(item: SiteItemRef, slot: CopySlot): string {
    return copyDir(this.root, slot, item.name);
  }

  removeCopy(item: SiteItemRef, slot: CopySlot): Promise<void> {
    return this.locked(item, () => removeCopy(this.root, slot, item.name));
  }

  dropReplica(item: SiteItemRef): Promise<void> {
    return this.removeItem(item);
  }

  adoptCopy(item: SiteItemRef): Promise<void> {
    return this.locked(item, async (j) => {
      const from = this.copyPath(item, 'active');
      if (!(await fsp.stat(from).catch(() => null))) return; // adopted before a crash
      // The marker first: the folder is then this item's replica, whatever a crash leaves in it.
      await fsp.mkdir(j.undoDir, { recursive: true });
      await fsp.writeFile(path.join(j.meta, 'item.json'), JSON.stringify({ id: item.id, name: item.name }));
      for (const kind of ['disks', 'folders']) {
        const src = path.join(from, kind);
        if (!(await fsp.stat(src).catch(() => null))) continue;
        await fsp.rm(path.join(j.dir, kind), { recursive: true, force: true });
        await fsp.rename(src, path.join(j.dir, kind));
      }
      await removeCopy(this.root, 'active', item.name);
    });
  }

  runCommand(req: CommandRequest) {
    return runHere(req, () => new Date());
  }

  blockChecksums(item: SiteItemRef, disk: string, blockSize: number): Promise<Buffer> {
    return this.locked(item, async (j) => {
      const fh = await fsp.open(j.disk(disk), 'r');
      try {
        const size = (await fh.stat()).size;
        const out = Buffer.alloc(Math.ceil(size / blockSize) * HASH_BYTES);
        const buf = Buffer.allocUnsafe(blockSize);
        for (let i = 0; i * blockSize < size; i++) {
          const { bytesRead } = await fh.read(buf, 0, Math.min(blockSize, size - i * blockSize), i * blockSize);
          blockHash(buf.subarray(0, bytesRead)).copy(out, i * HASH_BYTES);
        }
        return out;
      } finally {
        await fh.close();
      }
    });
  }

  removeItem(item: SiteItemRef): Promise<void> {
    return this.locked(item, async (j) => {
      const text = await fsp.readFile(path.join(j.meta, 'item.json'), 'utf8').catch(() => null);
      if (text && (JSON.parse(text) as { id: string }).id !== item.id) return; // not ours: never delete another item's replica
      await fsp.rm(j.dir, { recursive: true, force: true });
    });
  }
}
