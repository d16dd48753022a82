/**
 * The replica of one item at a local site and its cycle journal. Layout under `<root>/<item>/`: `disks/<file>`,
 * `folders/<name>/…` (the newest point), and `.lifeboat/` with `item.json`, `points.json`, `cycle/` (the staged cycle:
 * `cycle.json`, `blocks/<disk>.rec` or a first copy `disks/<disk>`, `files/<id>`, `writes.jsonl`, then `manifest.json` and `APPLYING`) and
 * `undo/<point>/` (how to turn the point after it back into that point). The commit writes and fsyncs the undo delta,
 * then the APPLYING mark, then changes the replica: a crash before the mark rolls the cycle back (the replica was not
 * touched), after it rolls it forward (every apply step is idempotent). See docs/replication.md.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LifeboatError } from '../../shared/errors';
import type { BlockWrite, CommitHooks, CycleManifest, FileMeta, RecoverOutcome, SitePoint } from './agent';
import { applyRecords, encodeRecord, fsyncPath, isZero, readRecords } from './block-records';
import { firstCopyTarget, placeFirstCopy, syncFirstCopies, writeFirstCopy } from './first-copy';

interface StagedWrite {
  folder: string;
  rel: string;
  staged: string;
}

export type UndoOp =
  | { op: 'put'; rel: string; file: string }
  | { op: 'remove'; rel: string }
  | { op: 'mkdir'; rel: string; mode: number }
  | { op: 'rmdir'; rel: string }
  | { op: 'meta'; rel: string; mode: number; mtimeMs: number };

export interface UndoManifest {
  pointId: string;
  disks: { name: string; oldSize: number }[];
  folders: { name: string; ops: UndoOp[] }[];
}

const locks = new Map<string, Promise<unknown>>();

/** Serializes every change to one item's replica within this process (cycles, pruning, materializing). */
export function withItemLock<T>(dir: string, f: () => Promise<T>): Promise<T> {
  const before = locks.get(dir) ?? Promise.resolve();
  const run = before.then(f, f);
  locks.set(
    dir,
    run.catch(() => undefined),
  );
  return run;
}

/** A relative path of a folder entry, checked so that it stays inside the folder. */
export function safeRel(rel: string): string {
  const parts = rel.split('/');
  if (!rel || path.isAbsolute(rel) || parts.some((p) => p === '' || p === '.' || p === '..'))
    throw new LifeboatError(
      'invalid_input',
      `"${rel}" is not a path inside a replicated folder.`,
      'This is a bug in the sender: report it.',
    );
  return parts.join(path.sep);
}

async function writeJsonDurably(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await fsp.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify(value));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, file);
  await fsyncPath(path.dirname(file));
}

const exists = (p: string) =>
  fsp.lstat(p).then(
    () => true,
    () => false,
  );

/** Where a replica's disks and folders are, by name, when they are not under the journal's folder. */
export interface ReplicaPlaces {
  disks: Record<string, string>;
  folders: Record<string, string>;
}

function placeOf(places: Record<string, string>, name: string): string {
  if (!Object.hasOwn(places, name))
    throw new LifeboatError(
      'invalid_input',
      `The item has no disk or folder named ${name}.`,
      'This is a bug in the sender: report it.',
    );
  return places[name];
}

/** Renames a staged file into place; across filesystems (a journal beside the app's data), copies it beside its place first. */
async function moveInto(from: string, to: string): Promise<void> {
  try {
    await fsp.rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    const tmp = `${to}.lifeboat-${crypto.randomBytes(4).toString('hex')}`;
    await fsp.copyFile(from, tmp);
    const st = await fsp.stat(from);
    await fsp.chmod(tmp, st.mode & 0o7777);
    await fsp.utimes(tmp, st.atime, st.mtime);
    await fsyncPath(tmp);
    await fsp.rename(tmp, to);
    await fsp.rm(from, { force: true });
  }
}

export class ReplicaJournal {
  readonly meta: string;
  readonly cycleDir: string;
  readonly undoDir: string;

  /** `places`: a replica kept in the item's own paths (the primary site as a target), its journal in `dir`. */
  constructor(
    readonly dir: string,
    private readonly places?: ReplicaPlaces,
  ) {
    this.meta = places ? dir : path.join(dir, '.lifeboat');
    this.cycleDir = path.join(this.meta, 'cycle');
    this.undoDir = path.join(this.meta, 'undo');
  }

  disk(name: string): string {
    return this.places ? placeOf(this.places.disks, name) : path.join(this.dir, 'disks', name);
  }

  folder(name: string): string {
    return this.places ? placeOf(this.places.folders, name) : path.join(this.dir, 'folders', name);
  }

  /** The names of the replica's disks and folders. */
  async names(kind: 'disks' | 'folders'): Promise<string[]> {
    return this.places ? Object.keys(this.places[kind]) : fsp.readdir(path.join(this.dir, kind)).catch(() => []);
  }

  async points(): Promise<SitePoint[]> {
    try {
      return JSON.parse(await fsp.readFile(path.join(this.meta, 'points.json'), 'utf8')) as SitePoint[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async savePoints(points: SitePoint[]): Promise<void> {
    await writeJsonDurably(path.join(this.meta, 'points.json'), points);
  }

  async begin(cycleId: string): Promise<void> {
    if (await exists(path.join(this.cycleDir, 'APPLYING')))
      throw new LifeboatError(
        'conflict',
        'A cycle is being applied at the site.',
        'Run the cycle again: it is finished first.',
      );
    await fsp.rm(this.cycleDir, { recursive: true, force: true });
    await fsp.mkdir(path.join(this.cycleDir, 'blocks'), { recursive: true });
    await fsp.mkdir(path.join(this.cycleDir, 'files'), { recursive: true });
    // The item's first cycle (no point yet) writes disks without a replica straight into their copy (sites/first-copy.ts).
    const first = !this.places && (await this.points()).length === 0;
    await fsp.writeFile(path.join(this.cycleDir, 'cycle.json'), JSON.stringify({ id: cycleId, first }));
  }

  private async requireCycle(cycleId: string): Promise<{ id: string; first?: boolean }> {
    const text = await fsp.readFile(path.join(this.cycleDir, 'cycle.json'), 'utf8').catch(() => null);
    const cycle = text ? (JSON.parse(text) as { id: string; first?: boolean }) : null;
    if (!cycle || cycle.id !== cycleId)
      throw new LifeboatError(
        'conflict',
        `The cycle ${cycleId} is not staged at the site (another cycle or a recovery replaced it).`,
        'Run the cycle again.',
        { retryable: true },
      );
    return cycle;
  }

  /** The file a disk's first copy is written into, or null when its blocks are staged as records (sites/first-copy.ts). */
  async firstCopyPath(cycleId: string, disk: string): Promise<string | null> {
    const cycle = await this.requireCycle(cycleId);
    return cycle.first ? firstCopyTarget(this.cycleDir, this.disk(disk), disk) : null;
  }

  async writeBlocks(cycleId: string, disk: string, blocks: BlockWrite[]): Promise<void> {
    const direct = await this.firstCopyPath(cycleId, disk);
    if (direct) return writeFirstCopy(direct, blocks);
    const buf = Buffer.concat(blocks.map((b) => encodeRecord(b.offset, b.length, b.data)));
    await fsp.appendFile(path.join(this.cycleDir, 'blocks', `${disk}.rec`), buf, { mode: 0o600 });
  }

  async writeFile(cycleId: string, folder: string, rel: string, data: Readable, meta: FileMeta): Promise<number> {
    await this.requireCycle(cycleId);
    safeRel(rel);
    const staged = crypto.randomBytes(8).toString('hex');
    const file = path.join(this.cycleDir, 'files', staged);
    await pipeline(data, fs.createWriteStream(file, { mode: 0o600 }));
    await fsp.chmod(file, meta.mode & 0o7777);
    await fsp.utimes(file, meta.mtimeMs / 1000, meta.mtimeMs / 1000);
    await fsyncPath(file);
    const size = (await fsp.stat(file)).size;
    const line: StagedWrite = { folder, rel, staged };
    await fsp.appendFile(path.join(this.cycleDir, 'writes.jsonl'), `${JSON.stringify(line)}\n`);
    return size;
  }

  async abort(cycleId: string): Promise<void> {
    const text = await fsp.readFile(path.join(this.cycleDir, 'cycle.json'), 'utf8').catch(() => null);
    if (text && (JSON.parse(text) as { id: string }).id !== cycleId) return;
    if (await exists(path.join(this.cycleDir, 'APPLYING'))) return; // past the point of no return: recover finishes it
    await fsp.rm(this.cycleDir, { recursive: true, force: true });
  }

  private async writes(): Promise<StagedWrite[]> {
    const text = await fsp.readFile(path.join(this.cycleDir, 'writes.jsonl'), 'utf8').catch(() => '');
    // A line cut short by a crash is dropped: it was never part of a committed manifest.
    return text
      .split('\n')
      .filter((l) => l.endsWith('}'))
      .map((l) => JSON.parse(l) as StagedWrite);
  }

  async commit(cycleId: string, manifest: CycleManifest, hooks: CommitHooks = {}): Promise<SitePoint> {
    const points = await this.points();
    const done = points.find((p) => p.id === manifest.pointId);
    if (done) return done;
    await this.requireCycle(cycleId);
    await writeJsonDurably(path.join(this.cycleDir, 'manifest.json'), manifest);
    for (const name of await fsp.readdir(path.join(this.cycleDir, 'blocks')))
      await fsyncPath(path.join(this.cycleDir, 'blocks', name));
    if (await exists(path.join(this.cycleDir, 'writes.jsonl')))
      await fsyncPath(path.join(this.cycleDir, 'writes.jsonl'));
    await syncFirstCopies(this.cycleDir);
    const prev = points.at(-1);
    if (prev) await this.captureUndo(prev.id, manifest, await this.writes());
    await writeJsonDurably(path.join(this.cycleDir, 'APPLYING'), { at: new Date().toISOString() });
    return this.applyAndList(manifest, hooks);
  }

  /** Finishes or undoes an interrupted cycle; also drops undo data a rolled-back cycle left. */
  async recover(): Promise<RecoverOutcome> {
    let outcome: RecoverOutcome = { action: 'none', cycleId: null };
    const cycle = await fsp.readFile(path.join(this.cycleDir, 'cycle.json'), 'utf8').catch(() => null);
    if (await exists(path.join(this.cycleDir, 'APPLYING'))) {
      const manifest = JSON.parse(
        await fsp.readFile(path.join(this.cycleDir, 'manifest.json'), 'utf8'),
      ) as CycleManifest;
      await this.applyAndList(manifest, {});
      return { action: 'rolled-forward', cycleId: cycle ? (JSON.parse(cycle) as { id: string }).id : manifest.pointId };
    }
    if (await exists(this.cycleDir)) {
      await fsp.rm(this.cycleDir, { recursive: true, force: true });
      outcome = { action: 'rolled-back', cycleId: cycle ? (JSON.parse(cycle) as { id: string }).id : null };
    }
    const newest = (await this.points()).at(-1);
    for (const name of await fsp.readdir(this.undoDir).catch(() => [] as string[])) {
      // The newest point is the replica itself: undo data named after it belongs to a cycle that never applied.
      if (name.endsWith('.partial') || name === newest?.id)
        await fsp.rm(path.join(this.undoDir, name), { recursive: true, force: true });
    }
    return outcome;
  }

  private async applyAndList(manifest: CycleManifest, hooks: CommitHooks): Promise<SitePoint> {
    await this.apply(manifest, await this.writes(), hooks);
    const points = await this.points();
    let point = points.find((p) => p.id === manifest.pointId);
    if (!point) {
      point = {
        id: manifest.pointId,
        seq: (points.at(-1)?.seq ?? 0) + 1,
        createdAt: manifest.createdAt,
        kind: manifest.kind,
        bytes: manifest.bytes,
      };
      await this.savePoints([...points, point]);
    }
    await fsp.rm(this.cycleDir, { recursive: true, force: true });
    return point;
  }

  /** Saves what the cycle will overwrite, as the undo delta of the point it replaces; fsynced, then renamed into place. */
  private async captureUndo(prevId: string, manifest: CycleManifest, writes: StagedWrite[]): Promise<void> {
    const partial = path.join(this.undoDir, `${prevId}.partial`);
    await fsp.rm(partial, { recursive: true, force: true });
    await fsp.mkdir(path.join(partial, 'disks'), { recursive: true });
    await fsp.mkdir(path.join(partial, 'files'), { recursive: true });
    const undo: UndoManifest = { pointId: prevId, disks: [], folders: [] };
    for (const d of manifest.disks) {
      const image = this.disk(d.name);
      const oldSize = (await fsp.stat(image).catch(() => null))?.size ?? 0;
      undo.disks.push({ name: d.name, oldSize });
      const out = await fsp.open(path.join(partial, 'disks', `${d.name}.rec`), 'w', 0o600);
      const src = oldSize > 0 ? await fsp.open(image, 'r') : null;
      try {
        const saveOld = async (offset: number, length: number) => {
          const n = Math.min(length, oldSize - offset);
          if (n <= 0 || !src) return;
          const old = Buffer.alloc(n);
          await src.read(old, 0, n, offset);
          await out.write(encodeRecord(offset, n, isZero(old) ? null : old));
        };
        const staged = path.join(this.cycleDir, 'blocks', `${d.name}.rec`);
        if (await exists(staged)) await readRecords(staged, (offset, length) => saveOld(offset, length));
        // A disk that shrank loses its tail: keep the tail's data (its zeros come back with the size).
        for (let pos = d.size; pos < oldSize; pos += 1 << 16) {
          const n = Math.min(1 << 16, oldSize - pos);
          const old = Buffer.alloc(n);
          await src!.read(old, 0, n, pos);
          if (!isZero(old)) await out.write(encodeRecord(pos, n, old));
        }
        await out.sync();
      } finally {
        await out.close();
        await src?.close();
      }
    }
    for (const f of manifest.folders) {
      const root = this.folder(f.name);
      const ops: UndoOp[] = [];
      const keep = async (rel: string): Promise<boolean> => {
        const target = path.join(root, safeRel(rel));
        const st = await fsp.lstat(target).catch(() => null);
        if (!st?.isFile()) return false;
        const file = crypto.randomBytes(8).toString('hex');
        // A hard link keeps the old version at no cost: the replica never changes a file in place, it renames a new one over it.
        await fsp
          .link(target, path.join(partial, 'files', file))
          .catch(() => fsp.copyFile(target, path.join(partial, 'files', file)));
        ops.push({ op: 'put', rel, file });
        return true;
      };
      for (const rel of [...f.rmdirs].reverse()) {
        const st = await fsp.lstat(path.join(root, safeRel(rel))).catch(() => null);
        if (st?.isDirectory()) ops.push({ op: 'mkdir', rel, mode: st.mode & 0o7777 });
      }
      for (const rel of [...f.deletes].reverse()) await keep(rel);
      for (const w of [...writes].reverse())
        if (w.folder === f.name && !(await keep(w.rel))) ops.push({ op: 'remove', rel: w.rel });
      for (const rel of [...f.mkdirs].reverse())
        if (!(await exists(path.join(root, safeRel(rel))))) ops.push({ op: 'rmdir', rel });
      // Folders' own modes and times last, as the undo's changes of their entries touched them.
      for (const d of [...f.dirs].reverse()) {
        const st = await fsp.lstat(path.join(root, safeRel(d.rel))).catch(() => null);
        if (st?.isDirectory()) ops.push({ op: 'meta', rel: d.rel, mode: st.mode & 0o7777, mtimeMs: st.mtimeMs });
      }
      undo.folders.push({ name: f.name, ops });
    }
    await writeJsonDurably(path.join(partial, 'manifest.json'), undo);
    for (const name of await fsp.readdir(path.join(partial, 'disks')))
      await fsyncPath(path.join(partial, 'disks', name));
    await fsyncPath(path.join(partial, 'files'));
    await fsp.rm(path.join(this.undoDir, prevId), { recursive: true, force: true });
    await fsp.rename(partial, path.join(this.undoDir, prevId));
    await fsyncPath(this.undoDir);
  }

  /** Changes the replica as the manifest says. Idempotent: run again after a crash, it gives the same replica. */
  private async apply(manifest: CycleManifest, writes: StagedWrite[], hooks: CommitHooks): Promise<void> {
    for (const d of manifest.disks) {
      const image = this.disk(d.name);
      await placeFirstCopy(this.cycleDir, d.name, image, d.size);
      const fh = await fsp.open(image, (await exists(image)) ? 'r+' : 'w+', 0o600);
      try {
        await fh.truncate(d.size);
        const staged = path.join(this.cycleDir, 'blocks', `${d.name}.rec`);
        if (await exists(staged)) await applyRecords(staged, fh, hooks.midApply);
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    const touched = new Set<string>();
    for (const f of manifest.folders) {
      const root = this.folder(f.name);
      await fsp.mkdir(root, { recursive: true });
      for (const rel of f.mkdirs) await fsp.mkdir(path.join(root, safeRel(rel)), { recursive: true });
      for (const w of writes.filter((x) => x.folder === f.name)) {
        const from = path.join(this.cycleDir, 'files', w.staged);
        const to = path.join(root, safeRel(w.rel));
        if (!(await exists(from))) continue; // moved before a crash
        await fsp.mkdir(path.dirname(to), { recursive: true });
        await moveInto(from, to);
        touched.add(path.dirname(to));
      }
      for (const rel of f.deletes) {
        await fsp.rm(path.join(root, safeRel(rel)), { force: true });
        touched.add(path.dirname(path.join(root, safeRel(rel))));
      }
      for (const rel of f.rmdirs) await fsp.rm(path.join(root, safeRel(rel)), { recursive: true, force: true });
      for (const d of f.dirs) {
        const dir = path.join(root, safeRel(d.rel));
        await fsp.chmod(dir, d.mode);
        await fsp.utimes(dir, d.mtimeMs / 1000, d.mtimeMs / 1000);
      }
      touched.add(root);
    }
    for (const dir of touched) if (await exists(dir)) await fsyncPath(dir);
  }
}

/** Applies one undo delta to a materialized copy in `to` (`disks/`, `folders/`), turning the next point into this one. */
export async function applyUndo(undoDir: string, to: string): Promise<void> {
  const undo = JSON.parse(await fsp.readFile(path.join(undoDir, 'manifest.json'), 'utf8')) as UndoManifest;
  for (const d of undo.disks) {
    const fh = await fsp.open(path.join(to, 'disks', d.name), 'r+');
    try {
      await fh.truncate(d.oldSize);
      await applyRecords(path.join(undoDir, 'disks', `${d.name}.rec`), fh);
    } finally {
      await fh.close();
    }
  }
  for (const f of undo.folders) {
    const root = path.join(to, 'folders', f.name);
    for (const op of f.ops) {
      const target = path.join(root, safeRel(op.rel));
      if (op.op === 'mkdir') await fsp.mkdir(target, { recursive: true, mode: op.mode });
      else if (op.op === 'rmdir') await fsp.rm(target, { recursive: true, force: true });
      else if (op.op === 'remove') await fsp.rm(target, { force: true });
      else if (op.op === 'meta') {
        await fsp.chmod(target, op.mode);
        await fsp.utimes(target, op.mtimeMs / 1000, op.mtimeMs / 1000);
      } else {
        const from = path.join(undoDir, 'files', op.file);
        const st = await fsp.stat(from);
        await fsp.mkdir(path.dirname(target), { recursive: true });
        await fsp.rm(target, { force: true });
        await fsp.copyFile(from, target);
        await fsp.chmod(target, st.mode & 0o7777);
        await fsp.utimes(target, st.atime, st.mtime);
      }
    }
  }
}
