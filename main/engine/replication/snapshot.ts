/**
 * Reflink snapshots of disk images: a cycle reads a frozen copy instead of the live image, so a writer that never
 * stops (a running machine) cannot tear the point. FICLONE (Node's COPYFILE_FICLONE_FORCE) shares the image's extents
 * in a new file in one atomic step, in milliseconds whatever the size, on file systems that have reflinks (XFS with
 * reflink=1, btrfs, bcachefs); elsewhere (ext4, tmpfs) it fails at once and the cycle reads the image in place, with
 * detect-and-retry (replication/stage.ts). The snapshot is `.<image name>.lifeboat-snapshot` beside the image (a
 * reflink cannot leave its file system), deleted when the attempt ends; one a crash left behind is replaced by the next.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

export const snapshotPathOf = (image: string): string =>
  path.join(path.dirname(image), `.${path.basename(image)}.lifeboat-snapshot`);

/**
 * Clones `image` into its snapshot path and returns that path, or null when the file system has no reflinks or the
 * folder cannot be written (then the image is read in place).
 */
export async function freezeImage(image: string): Promise<string | null> {
  const snap = snapshotPathOf(image);
  try {
    await fsp.copyFile(image, snap, fs.constants.COPYFILE_FICLONE_FORCE);
    return snap;
  } catch {
    await fsp.rm(snap, { force: true }).catch(() => undefined);
    return null;
  }
}

export async function releaseSnapshot(snap: string): Promise<void> {
  await fsp.rm(snap, { force: true });
}
