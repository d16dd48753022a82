/**
 * Block record files, the on-site form of a cycle's staged disk blocks and of a point's undo delta: a sequence of
 * records `offset u64le | length u32le | flag u8 (0 data, 1 zeros) | data`. Applying a file writes every record at
 * its offset, so applying it twice gives the same bytes (what rolling a cycle forward after a crash relies on).
 * Also the sparse copy used to materialize disks: holes stay holes.
 */
import fsp from 'node:fs/promises';
import fs from 'node:fs';
import { findDataExtents } from '../repo/sparse';

const HEADER = 13;
const ZERO = Buffer.alloc(1 << 16);

export function isZero(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i += ZERO.length) {
    const n = Math.min(ZERO.length, buf.length - i);
    if (!buf.subarray(i, i + n).equals(n === ZERO.length ? ZERO : ZERO.subarray(0, n))) return false;
  }
  return true;
}

export function encodeRecord(offset: number, length: number, data: Buffer | null): Buffer {
  const head = Buffer.alloc(HEADER);
  head.writeBigUInt64LE(BigInt(offset), 0);
  head.writeUInt32LE(length, 8);
  head.writeUInt8(data ? 0 : 1, 12);
  return data ? Buffer.concat([head, data]) : head;
}

/** How much of a record file is read at once: records are parsed from memory, not read with two calls each. */
const CHUNK = 8 << 20;

/**
 * Calls `each` for every record of a file in order; a record cut short by a crash ends the file. `data` is a view
 * into a read buffer that is never reused, so a caller may keep it.
 */
export async function readRecords(
  file: string,
  each: (offset: number, length: number, data: Buffer | null) => Promise<void>,
): Promise<void> {
  const fh = await fsp.open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    let buf = Buffer.alloc(0);
    let at = 0; // the file offset of buf[0]
    let pos = 0;
    /** Makes buf hold [pos, pos + n); false when the file ends first. */
    const have = async (n: number): Promise<boolean> => {
      if (pos + n > size) return false;
      if (pos >= at && pos + n <= at + buf.length) return true;
      buf = Buffer.allocUnsafe(Math.min(size - pos, Math.max(n, CHUNK)));
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, pos + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      buf = buf.subarray(0, got);
      at = pos;
      return got >= n;
    };
    while (await have(HEADER)) {
      const head = buf.subarray(pos - at, pos - at + HEADER);
      const offset = Number(head.readBigUInt64LE(0));
      const length = head.readUInt32LE(8);
      const zero = head.readUInt8(12) === 1;
      pos += HEADER;
      if (zero) {
        await each(offset, length, null);
        continue;
      }
      if (!(await have(length))) break;
      const data = buf.subarray(pos - at, pos - at + length);
      pos += length;
      await each(offset, length, data);
    }
  } finally {
    await fh.close();
  }
}

/** Writes a run of zeros (a block that is a hole at the source) at `offset`. */
export async function writeZeros(fh: fsp.FileHandle, offset: number, length: number): Promise<void> {
  for (let done = 0; done < length; done += ZERO.length)
    await fh.write(ZERO, 0, Math.min(ZERO.length, length - done), offset + done);
}

/** Applies a record file to an open image; adjacent data records go to the image in one write of up to 8 MiB. */
export async function applyRecords(file: string, fh: fsp.FileHandle, after?: () => Promise<void>): Promise<void> {
  let first = true;
  let run: { offset: number; length: number; parts: Buffer[] } | null = null;
  const wrote = async () => {
    if (first && after) await after();
    first = false;
  };
  const flush = async () => {
    if (!run) return;
    const { offset, parts } = run;
    run = null;
    await fh.writev(parts, offset);
    await wrote();
  };
  await readRecords(file, async (offset, length, data) => {
    if (!data) {
      await flush();
      await writeZeros(fh, offset, length);
      return wrote();
    }
    if (run && run.offset + run.length === offset && run.length + length <= CHUNK) {
      run.parts.push(data);
      run.length += length;
      return;
    }
    await flush();
    run = { offset, length, parts: [data] };
  });
  await flush();
}

export async function fsyncPath(p: string): Promise<void> {
  const fh = await fsp.open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Copies an image keeping its holes: a reflink where the filesystem has them, else only the data extents (found with
 * SEEK_DATA), skipping all-zero pieces, then the size. Returns the bytes written.
 */
export async function copySparse(src: string, dst: string): Promise<number> {
  try {
    await fsp.copyFile(src, dst, fs.constants.COPYFILE_FICLONE_FORCE);
    return 0;
  } catch {
    // No reflinks here (ext4, tmpfs): copy the data.
  }
  const size = (await fsp.stat(src)).size;
  const { extents } = await findDataExtents(src);
  const from = await fsp.open(src, 'r');
  const to = await fsp.open(dst, 'w', 0o600);
  let written = 0;
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (const e of extents) {
      for (let pos = e.offset; pos < e.offset + e.length;) {
        const n = Math.min(buf.length, e.offset + e.length - pos);
        const { bytesRead } = await from.read(buf, 0, n, pos);
        if (bytesRead === 0) break;
        // Pieces of 64 KiB that read as zeros stay holes.
        for (let i = 0; i < bytesRead; i += ZERO.length) {
          const piece = buf.subarray(i, Math.min(bytesRead, i + ZERO.length));
          if (!isZero(piece)) {
            await to.write(piece, 0, piece.length, pos + i);
            written += piece.length;
          }
        }
        pos += bytesRead;
      }
    }
    await to.truncate(size);
    await to.sync();
  } finally {
    await from.close();
    await to.close();
  }
  return written;
}
