/**
 * A storage account in a local folder (or a mounted share). Every object is written to a temporary file, flushed,
 * then linked under its final name and the folder flushed, so a crash or power loss never leaves a partial object
 * under a real name: a reader sees the whole object or nothing.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LifeboatError } from '../../shared/errors';
import { writeCause } from '../write-cause';
import {
  assertObjectName,
  rangeBuffer,
  runProbe,
  type ByteRange,
  type ObjectInfo,
  type ObjectUpload,
  type ProbeReport,
  type PutOptions,
  type StorageBackend,
} from './backend';

const TEMP_DIR = '.tmp';

export class LocalBackend implements StorageBackend {
  readonly kind = 'local' as const;
  readonly location: string;

  private constructor(readonly root: string) {
    this.location = root;
  }

  /** Opens (and with create, makes) the account folder; refuses a folder that cannot be written. */
  static async open(root: string, opts: { create?: boolean } = {}): Promise<LocalBackend> {
    const dir = path.resolve(root);
    try {
      const existing = await fs.promises.stat(dir).catch(() => null);
      if (existing && !existing.isDirectory())
        throw new LifeboatError('invalid_input', `${dir} is not a folder.`, 'Choose a folder for the storage account.');
      if (opts.create) await fs.promises.mkdir(dir, { recursive: true });
      await fs.promises.stat(dir);
      await fs.promises.mkdir(path.join(dir, TEMP_DIR), { recursive: true });
      await fs.promises.access(dir, fs.constants.W_OK);
    } catch (err) {
      throw storageError(await writeCause(err, dir), dir, 'open');
    }
    return new LocalBackend(dir);
  }

  /** The path of an object (after checking its name). */
  pathOf(name: string): string {
    assertObjectName(name);
    return path.join(this.root, ...name.split('/'));
  }

  async put(name: string, data: Buffer | AsyncIterable<Buffer>, opts: PutOptions = {}): Promise<void> {
    const upload = await this.openUpload();
    try {
      if (Buffer.isBuffer(data)) await upload.write(data);
      else
        for await (const piece of data) {
          opts.signal?.throwIfAborted();
          await upload.write(piece);
        }
      await upload.commit(name, opts.ifNoneMatch !== false);
    } catch (err) {
      await upload.abort();
      throw err;
    }
  }

  /** Every object is written to `.tmp/<random>.part`, flushed, then linked under its name (see the file comment). */
  async openUpload(): Promise<LocalUpload> {
    const temp = path.join(this.root, TEMP_DIR, `${crypto.randomBytes(8).toString('hex')}.part`);
    try {
      return new LocalUpload(this, await fs.promises.open(temp, 'wx'), temp);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new LifeboatError(
          'not_found',
          `The storage account's folder ${this.root} is missing or incomplete (no ${TEMP_DIR} folder).`,
          'Check that the folder or its disk is mounted, then retry; `lifeboat account test` checks it.',
        );
      throw storageError(err, this.root, 'write');
    }
  }

  async get(name: string, range?: ByteRange, signal?: AbortSignal): Promise<Buffer> {
    const file = this.pathOf(name);
    try {
      signal?.throwIfAborted();
      if (!range) return await fs.promises.readFile(file, { signal });
      const fh = await fs.promises.open(file, 'r');
      try {
        const buf = rangeBuffer(range);
        let done = 0;
        while (done < range.length) {
          const { bytesRead } = await fh.read(buf, done, range.length - done, range.offset + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        if (done < range.length)
          throw new LifeboatError(
            'io_error',
            `The object ${name} in ${this.root} is shorter than expected (${range.offset + done} bytes).`,
            'Run `lifeboat account check` to find the damaged backups.',
          );
        return buf;
      } finally {
        await fh.close();
      }
    } catch (err) {
      throw storageError(err, this.root, 'read', name);
    }
  }

  async head(name: string): Promise<ObjectInfo | undefined> {
    try {
      const st = await fs.promises.stat(this.pathOf(name));
      return { name, size: st.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw storageError(err, this.root, 'read', name);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    // Walk only the folder the prefix names, then filter by the rest of the prefix.
    const cut = prefix.lastIndexOf('/');
    const base = cut < 0 ? '' : prefix.slice(0, cut);
    const start = path.join(this.root, ...base.split('/').filter(Boolean));
    const stack: Array<[string, string]> = [[start, base]];
    while (stack.length) {
      const [dir, rel] = stack.pop()!;
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw storageError(err, this.root, 'list');
      }
      for (const e of entries) {
        if (e.name.startsWith('.')) continue; // temporary files are never objects
        const name = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) {
          if (name.startsWith(prefix) || prefix.startsWith(`${name}/`)) stack.push([path.join(dir, e.name), name]);
        } else if (e.isFile() && name.startsWith(prefix)) {
          const st = await fs.promises.stat(path.join(dir, e.name)).catch(() => undefined);
          if (st) yield { name, size: st.size };
        }
      }
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await fs.promises.rm(this.pathOf(name), { force: true });
    } catch (err) {
      throw storageError(err, this.root, 'delete', name);
    }
  }

  probe(signal?: AbortSignal): Promise<ProbeReport> {
    return runProbe(this, signal);
  }

  /** Removes temporary files left by a crash; only safe when no writer is running on this folder. */
  async removeStaleTemporaries(olderThanMs = 24 * 3600_000): Promise<number> {
    const dir = path.join(this.root, TEMP_DIR);
    let removed = 0;
    for (const f of await fs.promises.readdir(dir).catch(() => [] as string[])) {
      const st = await fs.promises.stat(path.join(dir, f)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > olderThanMs) {
        await fs.promises.rm(path.join(dir, f), { force: true });
        removed++;
      }
    }
    return removed;
  }
}

/** A temporary file being appended to; named (linked) on commit. */
class LocalUpload implements ObjectUpload {
  private fh: fs.promises.FileHandle | undefined;

  constructor(
    private readonly backend: LocalBackend,
    fh: fs.promises.FileHandle,
    private readonly temp: string,
  ) {
    this.fh = fh;
  }

  async write(piece: Uint8Array): Promise<void> {
    if (!this.fh) throw new Error('This upload is already finished.');
    try {
      for (let done = 0; done < piece.length;)
        done += (await this.fh.write(piece, done, piece.length - done)).bytesWritten;
    } catch (err) {
      throw storageError(err, this.backend.root, 'write');
    }
  }

  /** fsync, link under the final name (or rename when replacing is allowed), fsync the folder. */
  async commit(name: string, ifNoneMatch = true): Promise<void> {
    const final = this.backend.pathOf(name);
    const fh = this.fh;
    if (!fh) throw new Error(`The upload of ${name} is already finished or aborted.`);
    try {
      this.fh = undefined;
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.promises.mkdir(path.dirname(final), { recursive: true });
      if (ifNoneMatch) await linkNoReplace(this.temp, final);
      else await fs.promises.rename(this.temp, final);
      await syncDir(path.dirname(final));
    } catch (err) {
      await this.abort();
      if ((err as NodeJS.ErrnoException).code === 'EEXIST')
        throw new LifeboatError(
          'already_exists',
          `The object ${name} already exists in the storage account at ${this.backend.root}; object names are never reused.`,
        );
      throw storageError(err, this.backend.root, 'write', name);
    }
  }

  async abort(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => undefined);
    await fs.promises.rm(this.temp, { force: true }).catch(() => undefined);
  }
}

/** link() fails with EEXIST instead of replacing, which makes "never overwrite" atomic; rename would replace. */
async function linkNoReplace(temp: string, final: string): Promise<void> {
  try {
    await fs.promises.link(temp, final);
    await fs.promises.unlink(temp);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    // File systems without hard links (FAT, some network shares): check, then rename. Names are random or
    // content hashes, so the window between the two only matters for identical content.
    if (fs.existsSync(final)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
    await fs.promises.rename(temp, final);
  }
}

/** Flushes a folder so a new name survives power loss; some platforms cannot open folders, which is harmless. */
async function syncDir(dir: string): Promise<void> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(dir, 'r');
    await fh.sync();
  } catch {
    /* Windows and some network file systems: no folder flush */
  } finally {
    await fh?.close();
  }
}

export function storageError(
  err: unknown,
  root: string,
  action: 'open' | 'read' | 'write' | 'list' | 'delete',
  name?: string,
): LifeboatError {
  if (err instanceof LifeboatError) return err;
  const e = err as NodeJS.ErrnoException;
  const what = name ? `the object ${name} in ${root}` : root;
  switch (e?.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new LifeboatError(
        'io_error',
        `The storage account's disk is full: could not write ${what}.`,
        `Free space on the disk that holds ${root} (or prune old backups), then resume the job.`,
        { retryable: true, cause: err },
      );
    case 'EROFS':
      return new LifeboatError(
        'forbidden',
        `The folder ${root} is on a read-only filesystem.`,
        'Mount its disk read-write, or choose a folder on another disk.',
        { cause: err },
      );
    case 'EACCES':
    case 'EPERM':
      return new LifeboatError(
        'forbidden',
        `The folder ${root} is not writable (${e.code}).`,
        'Give the Lifeboat service account write permission on the folder, or choose another folder.',
        { cause: err },
      );
    case 'ENOENT':
      if (action === 'open')
        return new LifeboatError(
          'not_found',
          `The folder ${root} does not exist.`,
          'Create the folder or choose another one.',
          { cause: err },
        );
      return new LifeboatError(
        'not_found',
        `The object ${name ?? ''} is missing from the storage account at ${root}.`,
        'Run `lifeboat account check` to find the affected backups.',
        { cause: err },
      );
    case 'ABORT_ERR':
      return new LifeboatError('cancelled', 'The operation was cancelled.', undefined, { cause: err });
    default:
      return new LifeboatError(
        'io_error',
        `Could not ${action} ${what}: ${e?.message ?? String(err)}.`,
        'Check that the disk or network share is available, then retry.',
        { retryable: true, cause: err },
      );
  }
}
