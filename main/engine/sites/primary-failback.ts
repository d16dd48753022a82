/**
 * A failback's copy at the primary site (docs/failover.md, "Failback to any point"): the item goes back into its own
 * disks and folders at their original paths, whichever point is chosen, and Change recovery point keeps working until
 * commit. The replica of the reverse direction is those original files, and its undo deltas are relative to them, so
 * they are set aside untouched as the **held replica** (`.<name>.lifeboat-replica` beside each original, on its own
 * filesystem) and the chosen point is written as a copy beside it (`.<name>.lifeboat-partial`: a reflink where the
 * filesystem has them, else its data extents, then the undo deltas down to the point), fsynced, and switched in by
 * rename. A disk's held replica is a hard link to the original taken just before the rename, so there is no moment
 * without a file at the original path; a folder is moved aside, then the copy renamed in.
 *
 * `held.json` in the journal's folder says where the replica is: absent (the originals), `swapping` (a complete copy
 * is being switched in: finish it), `held` (the replica is set aside), `restoring` (a cancelled failback puts the
 * replica back), `dropping` (the failback's commit deletes the held replica). `settle` finishes whatever a crash interrupted and deletes half-written copies, so the original path
 * shows a whole point at every moment, never a half-written one.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { CopyHooks, SitePoint } from './agent';
import { copySparse, fsyncPath } from './block-records';
import { applyUndo, type ReplicaPlaces } from './replica-journal';
import { copyTree } from './site-copies';

type HeldState = 'swapping' | 'held' | 'restoring' | 'dropping';

const exists = (p: string) =>
  fsp.lstat(p).then(
    () => true,
    () => false,
  );
const beside = (file: string, stage: 'replica' | 'partial') =>
  path.join(path.dirname(file), `.${path.basename(file)}.lifeboat-${stage}`);

async function writeDurably(file: string, value: unknown): Promise<void> {
  await fsp.writeFile(`${file}.tmp`, JSON.stringify(value), { mode: 0o600 });
  await fsyncPath(`${file}.tmp`);
  await fsp.rename(`${file}.tmp`, file);
  await fsyncPath(path.dirname(file));
}

async function fsyncTree(dir: string): Promise<void> {
  for (const e of await fsp.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() || e.isDirectory()) await fsyncPath(path.join(e.parentPath, e.name));
  }
  await fsyncPath(dir);
}

export class FailbackCopies {
  private readonly stateFile: string;

  /** `dir`: the item's journal folder at the primary side; `places`: its original disks and folders by name. */
  constructor(
    private readonly dir: string,
    private readonly places: ReplicaPlaces,
  ) {
    this.stateFile = path.join(dir, 'held.json');
  }

  /** Where the replica is now: the held copies while a failback is in place (or being switched), else the originals. */
  replicaPlaces(): ReplicaPlaces {
    if (!fs.existsSync(this.stateFile)) return this.places;
    const held = (places: Record<string, string>) =>
      Object.fromEntries(Object.entries(places).map(([n, p]) => [n, beside(p, 'replica')]));
    return { disks: held(this.places.disks), folders: held(this.places.folders) };
  }

  private async state(): Promise<HeldState | null> {
    const text = await fsp.readFile(this.stateFile, 'utf8').catch(() => null);
    return text ? (JSON.parse(text) as { state: HeldState }).state : null;
  }

  private entries(): { kind: 'disk' | 'folder'; name: string; original: string }[] {
    return [
      ...Object.entries(this.places.disks).map(([name, original]) => ({ kind: 'disk' as const, name, original })),
      ...Object.entries(this.places.folders).map(([name, original]) => ({ kind: 'folder' as const, name, original })),
    ];
  }

  /** Switches complete copies in; the first time, the originals are set aside as the held replica. Idempotent. */
  private async swap(): Promise<void> {
    for (const e of this.entries()) {
      const [held, partial] = [beside(e.original, 'replica'), beside(e.original, 'partial')];
      if (!(await exists(partial))) continue; // switched in before a crash
      if (!(await exists(held)) && (await exists(e.original))) {
        if (e.kind === 'disk') await fsp.link(e.original, held).catch(() => fsp.rename(e.original, held));
        else await fsp.rename(e.original, held);
      }
      if (e.kind === 'folder') await fsp.rm(e.original, { recursive: true, force: true });
      await fsp.rename(partial, e.original);
      await fsyncPath(path.dirname(e.original));
    }
  }

  /** The held replica goes back to the original paths (a cancelled failback). Idempotent. */
  private async putBack(): Promise<void> {
    for (const e of this.entries()) {
      const held = beside(e.original, 'replica');
      if (!(await exists(held))) continue;
      if (e.kind === 'folder') await fsp.rm(e.original, { recursive: true, force: true });
      await fsp.rename(held, e.original);
      await fsyncPath(path.dirname(e.original));
    }
  }

  private async dropPartials(): Promise<void> {
    for (const e of this.entries()) await fsp.rm(beside(e.original, 'partial'), { recursive: true, force: true });
    await fsp.rm(path.join(this.dir, 'failback-view'), { recursive: true, force: true });
  }

  /** Finishes a switch or a put-back a crash interrupted; deletes copies that were never complete. */
  async settle(): Promise<void> {
    const state = await this.state();
    if (state === 'swapping') {
      await this.swap();
      await writeDurably(this.stateFile, { state: 'held' });
    } else if (state === 'restoring') {
      await this.putBack();
      await fsp.rm(this.stateFile, { force: true });
    } else if (state === 'dropping') {
      await this.dropHeld();
      await fsp.rm(this.stateFile, { force: true });
    }
    await this.dropPartials();
  }

  /**
   * Puts the point `points[at]` in the original paths. The copy is made from the replica (held, or still at the
   * original paths the first time): the newest point's data, then the undo deltas from newest down to the point.
   */
  async place(points: SitePoint[], at: number, undoDir: string, hooks: CopyHooks = {}): Promise<{ bytes: number }> {
    await this.settle();
    const from = this.replicaPlaces();
    // The undo deltas are applied through a folder of links to the copies, laid out as a materialized point.
    const view = path.join(this.dir, 'failback-view');
    await fsp.mkdir(path.join(view, 'disks'), { recursive: true, mode: 0o700 });
    await fsp.mkdir(path.join(view, 'folders'), { recursive: true, mode: 0o700 });
    let bytes = 0;
    for (const e of this.entries()) {
      const source = e.kind === 'disk' ? from.disks[e.name] : from.folders[e.name];
      const partial = beside(e.original, 'partial');
      const st = await fsp.stat(source);
      if (e.kind === 'disk') {
        await copySparse(source, partial);
        await fsp.chmod(partial, st.mode & 0o7777);
        bytes += st.size;
      } else bytes += await copyTree(source, partial, fs.constants.COPYFILE_FICLONE);
      await fsp.symlink(partial, path.join(view, e.kind === 'disk' ? 'disks' : 'folders', e.name));
    }
    for (let i = points.length - 2; i >= at; i--) await applyUndo(path.join(undoDir, points[i].id), view);
    for (const e of this.entries()) {
      const partial = beside(e.original, 'partial');
      if (e.kind === 'disk') await fsyncPath(partial);
      else await fsyncTree(partial);
    }
    await fsp.rm(view, { recursive: true, force: true });
    await writeDurably(this.stateFile, { state: 'swapping' });
    await hooks.beforeSwap?.();
    await this.settle();
    return { bytes };
  }

  /** A cancelled failback: the original paths get the replica back, as they were before it. */
  async restore(): Promise<void> {
    await this.settle();
    if ((await this.state()) !== 'held') return;
    await writeDurably(this.stateFile, { state: 'restoring' });
    await this.settle();
  }

  private async dropHeld(): Promise<void> {
    for (const e of this.entries()) await fsp.rm(beside(e.original, 'replica'), { recursive: true, force: true });
  }

  /**
   * The failback's commit: the held replica goes; the original paths are the machine's from then on. `dropping` is
   * written first, so a kill -9 halfway never leaves `held` naming copies that are gone (a later change of point
   * would then set the machine's own files aside as the replica).
   */
  async drop(): Promise<void> {
    await this.settle();
    if ((await this.state()) === null) return this.dropHeld(); // leftovers of an earlier commit, if any
    await writeDurably(this.stateFile, { state: 'dropping' });
    await this.settle();
  }
}
