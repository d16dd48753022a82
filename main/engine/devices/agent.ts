/**
 * The on-disk side of a virtual array, behind an interface so that a remote device agent can follow. The local agent
 * keeps a device's data under its data root: `shares/<name>` folders and `volumes/<name>` sparse image files, plus a
 * marker file that says which device the root belongs to. All I/O is async so that big trees never block the engine.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { LifeboatError } from '../../shared/errors';
import { writeCause } from '../write-cause';

export const MARKER_FILE = '.lifeboat-device.json';
/** Modes of an offline item's entries as they were before it went read-only: `<kind>-<name>.json`. */
export const MODES_DIR = '.lifeboat-offline';
/** Shares and volumes being deleted: renamed here (`<item id>`) in the same step as their row goes, then removed. */
export const TRASH_DIR = '.lifeboat-trash';
const OWN_ENTRIES = new Set(['shares', 'volumes', MODES_DIR, TRASH_DIR]);

export interface DeviceMarker {
  id: string;
  name: string;
  type: 'file' | 'iscsi';
  createdAt: string;
}

export interface RootState {
  exists: boolean;
  isDirectory: boolean;
  /** Entries other than the marker and the (empty or not) shares/ and volumes/ folders of a previous device. */
  entries: string[];
  marker: DeviceMarker | null;
  /** Why Lifeboat may not write there (the root, or the folder a missing root would be made in): EROFS, EACCES, EPERM; else null. */
  writeRefusal: string | null;
}

export interface DeviceAgent {
  inspectRoot(root: string): Promise<RootState>;
  /** Creates the root (if needed), its shares/ and volumes/ folders and writes the marker. */
  prepareRoot(root: string, marker: DeviceMarker): Promise<void>;
  createShare(dir: string): Promise<void>;
  /** Creates a sparse image of exactly `size` bytes (or keeps one of that size already there); nothing is allocated until written. */
  createVolume(file: string, size: number): Promise<void>;
  /** Offline = read-only for everyone (a-w, recursively, remembering the modes); online puts the remembered modes back. */
  setWritable(target: string, writable: boolean): Promise<void>;
  /**
   * The modes an offline item's entries have online, by POSIX path relative to it ('' for a volume image), for the
   * entries offline changed; null when it is not offline. A backup records these, not the read-only ones on disk.
   */
  onlineModes(target: string): Promise<Record<string, number> | null>;
  remove(target: string): Promise<void>;
  /** Moves a share folder or volume image into the root's trash as `id` (nothing if it is not there). */
  trash(target: string, id: string): Promise<void>;
  /** Moves `id` back from the trash (a delete that crashed before its row went). */
  untrash(target: string, id: string): Promise<boolean>;
  /** The ids in a root's trash. */
  trashed(root: string): Promise<string[]>;
  emptyTrash(root: string, id: string): Promise<void>;
  /** Bytes allocated on disk under a folder, or by one (sparse) file: st_blocks × 512. */
  usage(target: string): Promise<number>;
  /** The apparent size of a file (an image's size), or null if missing. */
  fileSize(target: string): Promise<number | null>;
  /** Free bytes for an unprivileged writer on the filesystem holding `target` (or its nearest existing parent). */
  freeBytes(target: string): Promise<number>;
  /** Free and total bytes of that filesystem. */
  space(target: string): Promise<{ free: number; total: number }>;
  exists(target: string): Promise<boolean>;
}

async function nearestExisting(p: string): Promise<string> {
  let cur = path.resolve(p);
  for (;;) {
    try {
      await fsp.stat(cur);
      return cur;
    } catch {
      const up = path.dirname(cur);
      if (up === cur) return cur;
      cur = up;
    }
  }
}

/** The error code with which writing into the folder `dir` would be refused (EROFS, EACCES …), or null. */
async function writeRefusal(dir: string): Promise<string | null> {
  try {
    await fsp.access(dir, fs.constants.W_OK | fs.constants.X_OK);
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'EACCES';
  }
}

/** Walks a tree depth-first with lstat (symlinks are not followed), calling `visit` for every entry including the top. */
async function walk(top: string, visit: (p: string, st: fs.Stats) => Promise<void> | void): Promise<void> {
  const st = await fsp.lstat(top);
  await visit(top, st);
  if (!st.isDirectory()) return;
  for (const name of await fsp.readdir(top)) await walk(path.join(top, name), visit);
}

const FIXES: Record<string, (p: string) => [string, string]> = {
  EACCES: (p) => [
    `permission denied on ${p}`,
    'Give the user Lifeboat runs as read and write access to the data root, then try again.',
  ],
  EPERM: (p) => [
    `the operation is not permitted on ${p}`,
    'Give the user Lifeboat runs as ownership of the data root, then try again.',
  ],
  ENOSPC: (p) => [`the disk holding ${p} is full`, 'Free space on the disk of the data root, then try again.'],
  EROFS: (p) => [`${p} is on a read-only filesystem`, 'Mount the disk of the data root read-write, then try again.'],
  EDQUOT: (p) => [
    `the disk quota of the user Lifeboat runs as is used up on ${p}`,
    'Raise the quota or free space, then try again.',
  ],
};

/**
 * Raw filesystem errors become io_error naming the path and what to do (instead of an internal error). A write's
 * ENOENT is looked at again (writeCause): on a read-only filesystem it means "read-only", not "missing".
 */
async function io<T>(what: string, p: string, f: () => Promise<T>, writes = true): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof LifeboatError) throw err;
    const cause = (writes ? await writeCause(err, p) : err) as NodeJS.ErrnoException;
    const code = cause.code;
    if (!code) throw err;
    const [problem, fix] = FIXES[code]?.(p) ?? [
      `${code} on ${p}`,
      'Check that the data root is on a working, mounted disk, then try again.',
    ];
    throw new LifeboatError('io_error', `Could not ${what}: ${problem}.`, fix, { cause: err });
  }
}

/**
 * `target` must be `<root>/shares/<name>` or `<root>/volumes/<name>` where shares/ (or volumes/) is a real folder of
 * the root: a symlink swapped in there would make a delete or chmod act outside the data root.
 */
async function assertInRoot(target: string): Promise<void> {
  const folder = path.dirname(path.resolve(target));
  const root = path.dirname(folder);
  const kind = path.basename(folder);
  if (kind !== 'shares' && kind !== 'volumes')
    throw new LifeboatError('internal', `${target} is not a share folder or volume image of a data root.`);
  const [realFolder, realRoot] = await Promise.all([fsp.realpath(folder), fsp.realpath(root)]);
  if (realFolder !== path.join(realRoot, kind))
    throw new LifeboatError(
      'not_allowed',
      `${folder} is not a folder of the data root ${root} (it leads to ${realFolder}), so Lifeboat will not change anything there.`,
      `Replace ${folder} by a real folder (not a link), then try again.`,
    );
}

function sidecar(target: string): string {
  const folder = path.dirname(path.resolve(target));
  return path.join(path.dirname(folder), MODES_DIR, `${path.basename(folder)}-${path.basename(target)}.json`);
}

/** The trash folder's entry `id`: refused unless it is a name directly in the trash folder (not `.`, `..` nor a path). */
function trashEntry(trash: string, id: string): string {
  const p = path.join(trash, id);
  if (id === '' || id === '.' || id === '..' || id.includes('/') || id.includes('\0') || path.dirname(p) !== trash)
    throw new LifeboatError(
      'invalid_input',
      `${JSON.stringify(id)} is not the name of an entry of the trash folder ${trash}.`,
      'A trash id is a plain name (letters, digits, dots, dashes), never . nor ..',
    );
  return p;
}

function trashPath(target: string, id: string): string {
  return trashEntry(path.join(path.dirname(path.dirname(path.resolve(target))), TRASH_DIR), id);
}

export class LocalDeviceAgent implements DeviceAgent {
  async inspectRoot(root: string): Promise<RootState> {
    let st: fs.Stats;
    try {
      st = await fsp.stat(root);
    } catch {
      return {
        exists: false,
        isDirectory: false,
        entries: [],
        marker: null,
        writeRefusal: await writeRefusal(await nearestExisting(root)),
      };
    }
    if (!st.isDirectory()) return { exists: true, isDirectory: false, entries: [], marker: null, writeRefusal: null };
    const names = await io('read the data root', root, () => fsp.readdir(root), false);
    let marker: DeviceMarker | null = null;
    if (names.includes(MARKER_FILE)) {
      try {
        const m = JSON.parse(await fsp.readFile(path.join(root, MARKER_FILE), 'utf8')) as DeviceMarker;
        if (typeof m.id === 'string' && typeof m.name === 'string') marker = m;
      } catch {
        marker = null;
      }
    }
    const entries = names.filter((n) => n !== MARKER_FILE && !(marker && OWN_ENTRIES.has(n)));
    return { exists: true, isDirectory: true, entries, marker, writeRefusal: await writeRefusal(root) };
  }

  async prepareRoot(root: string, marker: DeviceMarker): Promise<void> {
    await io('prepare the data root', root, async () => {
      await fsp.mkdir(path.join(root, 'shares'), { recursive: true });
      await fsp.mkdir(path.join(root, 'volumes'), { recursive: true });
      // Written via a temporary file and rename, so that a crash never leaves a half-written marker.
      const file = path.join(root, MARKER_FILE);
      await fsp.writeFile(`${file}.tmp`, `${JSON.stringify(marker, null, 2)}\n`);
      await fsp.rename(`${file}.tmp`, file);
    });
  }

  async createShare(dir: string): Promise<void> {
    await io('create the share folder', dir, async () => {
      await fsp.mkdir(path.dirname(dir), { recursive: true });
      await assertInRoot(dir);
      await fsp.mkdir(dir, { recursive: true });
      await fsp.rm(sidecar(dir), { force: true });
    });
  }

  async createVolume(file: string, size: number): Promise<void> {
    await io('create the volume image', file, async () => {
      await fsp.mkdir(path.dirname(file), { recursive: true });
      await assertInRoot(file);
      await fsp.rm(sidecar(file), { force: true });
      let fh: fsp.FileHandle;
      try {
        fh = await fsp.open(file, 'wx');
      } catch (err) {
        // Idempotent: a re-run after a crash finds the image it made (of the right size) and keeps it.
        if (
          (err as NodeJS.ErrnoException).code === 'EEXIST' &&
          (await fsp.lstat(file)).isFile() &&
          (await fsp.stat(file)).size === size
        )
          return;
        throw err;
      }
      try {
        await fh.truncate(size);
      } finally {
        await fh.close();
      }
    });
  }

  async setWritable(target: string, writable: boolean): Promise<void> {
    await io(writable ? 'make the item writable' : 'make the item read-only', target, async () => {
      await assertInRoot(target);
      const file = sidecar(target);
      if (!writable) {
        // Only the write bits change, and the modes they had are recorded first, so that online gives exactly them back
        // (a file that was read-only stays read-only, and the next backup sees no changed modes).
        const modes: Record<string, number> = {};
        await walk(target, (p, st) => {
          if (!st.isSymbolicLink() && st.mode & 0o222) modes[path.relative(target, p)] = st.mode & 0o7777;
        });
        let before: Record<string, number> = {};
        try {
          before = JSON.parse(await fsp.readFile(file, 'utf8')) as Record<string, number>;
        } catch {
          // none recorded yet
        }
        await fsp.mkdir(path.dirname(file), { recursive: true });
        await fsp.writeFile(`${file}.tmp`, JSON.stringify({ ...modes, ...before }));
        await fsp.rename(`${file}.tmp`, file);
        await walk(target, async (p, st) => {
          if (!st.isSymbolicLink() && st.mode & 0o222) await fsp.chmod(p, st.mode & 0o7777 & ~0o222);
        });
        return;
      }
      const modes = await fsp
        .readFile(file, 'utf8')
        .then((text) => JSON.parse(text) as Record<string, number>)
        .catch(() => null);
      if (modes) {
        // Folders last would lock us out of nothing (chmod needs no write access to the parent), so order is free.
        for (const [rel, mode] of Object.entries(modes)) {
          const p = path.join(target, rel);
          const st = await fsp.lstat(p).catch(() => null);
          if (st && !st.isSymbolicLink()) await fsp.chmod(p, mode);
        }
        await fsp.rm(file, { force: true });
      } else {
        // Nothing recorded (data restored by a failover, or a crash before the record): the item itself gets its
        // owner's write access back; its entries keep the modes they came with.
        const st = await fsp.lstat(target).catch(() => null);
        if (st && !st.isSymbolicLink()) await fsp.chmod(target, (st.mode & 0o7777) | 0o200);
      }
    });
  }

  async onlineModes(target: string): Promise<Record<string, number> | null> {
    const text = await fsp.readFile(sidecar(target), 'utf8').catch(() => null);
    if (text === null) return null;
    const out: Record<string, number> = {};
    for (const [rel, mode] of Object.entries(JSON.parse(text) as Record<string, number>))
      out[rel.split(path.sep).join('/')] = mode;
    return out;
  }

  async remove(target: string): Promise<void> {
    await io('delete', target, async () => {
      if (!(await this.exists(target))) return;
      await assertInRoot(target);
      await this.unlockTree(target);
      await fsp.rm(target, { recursive: true, force: true });
      await fsp.rm(sidecar(target), { force: true });
    });
  }

  /** Read-only folders cannot be emptied by a non-root user: give the owner write access to the folders first. */
  private async unlockTree(target: string): Promise<void> {
    await walk(target, async (p, st) => {
      if (st.isDirectory()) await fsp.chmod(p, (st.mode & 0o7777) | 0o700);
    }).catch(() => undefined);
  }

  async trash(target: string, id: string): Promise<void> {
    await io('delete', target, async () => {
      if (!(await this.exists(target))) return;
      await assertInRoot(target);
      const to = trashPath(target, id);
      await fsp.mkdir(path.dirname(to), { recursive: true });
      await fsp.rm(to, { recursive: true, force: true });
      // Moving a folder to another parent rewrites its "..": it needs write access to itself (an offline share has none).
      const st = await fsp.lstat(target);
      if (st.isDirectory()) await fsp.chmod(target, (st.mode & 0o7777) | 0o700);
      await fsp.rename(target, to);
      await fsp.rm(sidecar(target), { force: true });
    });
  }

  async untrash(target: string, id: string): Promise<boolean> {
    const from = trashPath(target, id);
    if (!(await this.exists(from)) || (await this.exists(target))) return false;
    await io('put back', target, async () => {
      await assertInRoot(target);
      await fsp.rename(from, target);
    });
    return true;
  }

  async trashed(root: string): Promise<string[]> {
    try {
      return await fsp.readdir(path.join(root, TRASH_DIR));
    } catch {
      return [];
    }
  }

  async emptyTrash(root: string, id: string): Promise<void> {
    const p = trashEntry(path.join(root, TRASH_DIR), id);
    await io('delete', p, async () => {
      const real = await fsp.realpath(path.join(root, TRASH_DIR)).catch(() => null);
      if (real === null) return;
      if (real !== path.join(await fsp.realpath(root), TRASH_DIR))
        throw new LifeboatError(
          'not_allowed',
          `${path.join(root, TRASH_DIR)} leads outside the data root ${root}, so Lifeboat will not delete there.`,
          'Replace it by a real folder, then restart Lifeboat.',
        );
      if (!(await this.exists(p))) return;
      await this.unlockTree(p);
      await fsp.rm(p, { recursive: true, force: true });
    });
  }

  async usage(target: string): Promise<number> {
    let total = 0;
    await io(
      'measure',
      target,
      async () => {
        try {
          await walk(target, (_p, st) => {
            if (st.isFile()) total += st.blocks * 512;
          });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      },
      false,
    );
    return total;
  }

  async fileSize(target: string): Promise<number | null> {
    const st = await fsp.lstat(target).catch(() => null);
    return st?.isFile() ? st.size : null;
  }

  async freeBytes(target: string): Promise<number> {
    return (await this.space(target)).free;
  }

  async space(target: string): Promise<{ free: number; total: number }> {
    const at = await nearestExisting(target);
    const st = await io('read the free space', at, () => fsp.statfs(at), false);
    return { free: st.bavail * st.bsize, total: st.blocks * st.bsize };
  }

  async exists(target: string): Promise<boolean> {
    try {
      await fsp.lstat(target);
      return true;
    } catch {
      return false;
    }
  }
}
