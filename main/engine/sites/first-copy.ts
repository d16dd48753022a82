/**
 * The first copy of a disk written straight into its replica-to-be, not staged and copied again. A cycle of an item
 * with no point yet (the journal's `cycle.json` says `first`) writes a disk that has no replica yet (none, or an empty
 * file) into `cycle/disks/<name>` instead of a record file: the blocks go there once, by the site's `writeBlocks` or,
 * at a local site, by the engine's hashing workers themselves (`SiteAgent.firstCopyPath`). Nothing outside the cycle's
 * folder is touched until the commit, so the journal's rules stay as they are: before `APPLYING`, a crash or an abort
 * removes `cycle/` with the half-made copy (rolled back: still no replica); at the commit the copy is fsynced before
 * `APPLYING`, and applying renames it over `disks/<name>` (the same file system), which a roll-forward repeats or
 * finds done. See docs/replication.md, "The first copy".
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { BlockWrite } from './agent';
import { fsyncPath, writeZeros } from './block-records';

/** Where a disk's first copy is made inside the cycle's folder. */
export const firstCopyFile = (cycleDir: string, disk: string): string => path.join(cycleDir, 'disks', disk);

const exists = (p: string) =>
  fsp.lstat(p).then(
    () => true,
    () => false,
  );

/**
 * The file the first copy of `disk` goes into, created empty when this is its first block, or null when the disk is
 * staged as records instead (records of it were staged already, or its replica already holds data).
 */
export async function firstCopyTarget(cycleDir: string, replica: string, disk: string): Promise<string | null> {
  const file = firstCopyFile(cycleDir, disk);
  if (await exists(file)) return file;
  if (await exists(path.join(cycleDir, 'blocks', `${disk}.rec`))) return null;
  const st = await fsp.stat(replica).catch(() => null);
  if (st && st.size > 0) return null;
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await (await fsp.open(file, 'a', 0o600)).close();
  return file;
}

/** Writes blocks into a first copy at their offsets; adjacent data blocks go in one write. */
export async function writeFirstCopy(file: string, blocks: BlockWrite[]): Promise<void> {
  const fh = await fsp.open(file, 'r+');
  try {
    for (let k = 0; k < blocks.length;) {
      const b = blocks[k];
      if (!b.data) {
        await writeZeros(fh, b.offset, b.length);
        k++;
        continue;
      }
      const parts = [b.data];
      let end = b.offset + b.length;
      while (
        k + parts.length < blocks.length &&
        blocks[k + parts.length].data &&
        blocks[k + parts.length].offset === end
      ) {
        end += blocks[k + parts.length].length;
        parts.push(blocks[k + parts.length].data!);
      }
      await fh.writev(parts, b.offset);
      k += parts.length;
    }
  } finally {
    await fh.close();
  }
}

/** At the commit, before `APPLYING`: every first copy reaches the disk. */
export async function syncFirstCopies(cycleDir: string): Promise<void> {
  const dir = path.join(cycleDir, 'disks');
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  for (const name of names) await fsyncPath(path.join(dir, name));
  if (names.length) await fsyncPath(dir);
}

/** While applying: a disk's first copy, when there is one, becomes its replica (renamed; done already after a crash). */
export async function placeFirstCopy(cycleDir: string, disk: string, replica: string, size: number): Promise<void> {
  const file = firstCopyFile(cycleDir, disk);
  if (!(await exists(file))) return;
  await fsp.truncate(file, size);
  await fsp.mkdir(path.dirname(replica), { recursive: true });
  await fsp.rename(file, replica);
  await fsyncPath(path.dirname(replica));
}
