/**
 * The on-disk side of a virtual array, behind an interface so that a remote device agent can follow. The local agent
 * keeps a device's data under its data root: `shares/<name>` folders and `volumes/<name>` sparse image files, plus a
 * marker file that says which device the root belongs to. All I/O is async so that big trees never block the engine.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

export const MARKER_FILE = '.lifeboat-device.json';

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
}

export interface DeviceAgent {
  inspectRoot(root: string): Promise<RootState>;
  /** Creates the root (if needed), its shares/ and volumes/ folders and writes the marker. */
  prepareRoot(root: string, marker: DeviceMarker): Promise<void>;
  createShare(dir: string): Promise<void>;
  /** Creates a sparse image of exactly `size` bytes; nothing is allocated until written. */
  createVolume(file: string, size: number): Promise<void>;
  /** Offline = read-only for everyone (a-w, recursively); online gives the owner write access back. */
  setWritable(target: string, writable: boolean): Promise<void>;
  remove(target: string): Promise<void>;
  /** Bytes allocated on disk under a folder, or by one (sparse) file: st_blocks × 512. */
  usage(target: string): Promise<number>;
  /** Free bytes for an unprivileged writer on the filesystem holding `target` (or its nearest existing parent). */
  freeBytes(target: string): Promise<number>;
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

/** Walks a tree depth-first with lstat (symlinks are not followed), calling `visit` for every entry including the top. */
async function walk(top: string, visit: (p: string, st: fs.Stats) => Promise<void> | void): Promise<void> {
  const st = await fsp.lstat(top);
  await visit(top, st);
  if (!st.isDirectory()) return;
  for (const name of await fsp.readdir(top)) await walk(path.join(top, name), visit);
}

export class LocalDeviceAgent implements DeviceAgent {
  async inspectRoot(root: string): Promise<RootState> {
    let st: fs.Stats;
    try {
      st = await fsp.stat(root);
    } catch {
      return { exists: false, isDirectory: false, entries: [], marker: null };
    }
    if (!st.isDirectory()) return { exists: true, isDirectory: false, entries: [], marker: null };
    const names = await fsp.readdir(root);
    let marker: DeviceMarker | null = null;
    if (names.includes(MARKER_FILE)) {
      try {
        const m = JSON.parse(await fsp.readFile(path.join(root, MARKER_FILE), 'utf8')) as DeviceMarker;
        if (typeof m.id === 'string' && typeof m.name === 'string') marker = m;
      } catch {
        marker = null;
      }
    }
    const entries = names.filter((n) => n !== MARKER_FILE && !(marker && (n === 'shares' || n === 'volumes')));
    return { exists: true, isDirectory: true, entries, marker };
  }

  async prepareRoot(root: string, marker: DeviceMarker): Promise<void> {
    await fsp.mkdir(path.join(root, 'shares'), { recursive: true });
    await fsp.mkdir(path.join(root, 'volumes'), { recursive: true });
    // Written via a temporary file and rename, so that a crash never leaves a half-written marker.
    const file = path.join(root, MARKER_FILE);
    await fsp.writeFile(`${file}.tmp`, `${JSON.stringify(marker, null, 2)}\n`);
    await fsp.rename(`${file}.tmp`, file);
  }

  async createShare(dir: string): Promise<void> {
    await fsp.mkdir(dir, { recursive: true });
  }

  async createVolume(file: string, size: number): Promise<void> {
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const fh = await fsp.open(file, 'wx');
    try {
      await fh.truncate(size);
    } finally {
      await fh.close();
    }
  }

  async setWritable(target: string, writable: boolean): Promise<void> {
    // Folders first on the way back (so their entries can be reached), last on the way to read-only is not needed:
    // chmod does not need write access to the parent.
    await walk(target, async (p, st) => {
      if (st.isSymbolicLink()) return;
      const mode = st.mode & 0o7777;
      await fsp.chmod(p, writable ? mode | 0o200 : mode & ~0o222);
    });
  }

  async remove(target: string): Promise<void> {
    // Read-only folders cannot be emptied by a non-root user: give write access back first.
    if (await this.exists(target)) await this.setWritable(target, true).catch(() => undefined);
    await fsp.rm(target, { recursive: true, force: true });
  }

  async usage(target: string): Promise<number> {
    let total = 0;
    try {
      await walk(target, (_p, st) => {
        if (st.isFile()) total += st.blocks * 512;
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return total;
  }

  async freeBytes(target: string): Promise<number> {
    const st = await fsp.statfs(await nearestExisting(target));
    return st.bavail * st.bsize;
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
