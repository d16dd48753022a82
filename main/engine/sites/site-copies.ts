/**
 * Copies of recovery points kept at a site beside the replicas (docs/failover.md): a failed-over item's active disks
 * and folders under `<root>/_active/<item>/`, a test failover's under `<root>/_test/<item>/`. A copy is written into
 * `.<item>.partial`, fsynced, renamed to `.<item>.ready` (complete), then swapped into place with the copy it replaces
 * moved to `.<item>.old` first. `settleCopy` finishes or undoes whatever a crash interrupted, so the item's folder is
 * always a whole copy or absent, never a half-materialized one. `copyTree` copies a folder tree for a copy or a failback.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { CopyHooks, CopySlot } from './agent';
import { fsyncPath } from './block-records';

/** Item names start with a letter or digit, so these never clash with an item's replica folder. */
export const SLOT_DIRS: Record<CopySlot, string> = { active: '_active', test: '_test' };

const exists = (p: string) =>
  fsp.lstat(p).then(
    () => true,
    () => false,
  );

/**
 * Copies a folder tree (files, folders, links), keeping modes and modification times; returns the bytes copied.
 * `copyMode`: the flags of each file's copy (`fs.constants.COPYFILE_FICLONE` for a reflink where the filesystem has them).
 */
export async function copyTree(from: string, to: string, copyMode = 0): Promise<number> {
  const st = await fsp.lstat(from);
  if (st.isSymbolicLink()) {
    await fsp.symlink(await fsp.readlink(from), to);
    return 0;
  }
  if (st.isFile()) {
    await fsp.copyFile(from, to, copyMode);
    await fsp.chmod(to, st.mode & 0o7777);
    await fsp.utimes(to, st.atime, st.mtime);
    return st.size;
  }
  await fsp.mkdir(to, { recursive: true, mode: st.mode & 0o7777 });
  let bytes = 0;
  for (const name of await fsp.readdir(from))
    bytes += await copyTree(path.join(from, name), path.join(to, name), copyMode);
  await fsp.utimes(to, st.atime, st.mtime);
  return bytes;
}

export function copyDir(root: string, slot: CopySlot, item: string): string {
  return path.join(root, SLOT_DIRS[slot], item);
}

function stages(root: string, slot: CopySlot, item: string) {
  const base = path.join(root, SLOT_DIRS[slot]);
  const at = (stage: string) => path.join(base, `.${item}.${stage}`);
  return { dir: path.join(base, item), partial: at('partial'), ready: at('ready'), old: at('old'), base };
}

/** Finishes a swap a crash interrupted (a ready copy goes into place), or undoes it; a partial copy is deleted. */
export async function settleCopy(root: string, slot: CopySlot, item: string): Promise<void> {
  const s = stages(root, slot, item);
  await fsp.rm(s.partial, { recursive: true, force: true });
  if (await exists(s.ready)) {
    await fsp.rm(s.old, { recursive: true, force: true });
    if (await exists(s.dir)) await fsp.rename(s.dir, s.old);
    await fsp.rename(s.ready, s.dir);
  } else if ((await exists(s.old)) && !(await exists(s.dir))) {
    await fsp.rename(s.old, s.dir); // the swap stopped before the new copy was ready: the old one stays
  }
  await fsp.rm(s.old, { recursive: true, force: true });
}

/** Fsyncs every file and folder of a tree (a copy is durable before it is renamed into place). */
async function fsyncTree(dir: string): Promise<void> {
  for (const e of await fsp.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() || e.isDirectory()) await fsyncPath(path.join(e.parentPath, e.name));
  }
  await fsyncPath(dir);
}

/**
 * Writes a new copy with `fill` (into an empty folder) and puts it in place of the item's copy in `slot`, if any.
 * `hooks.beforeSwap` holds it complete and not yet in place (crash tests).
 */
export async function placeCopy(
  root: string,
  slot: CopySlot,
  item: string,
  fill: (to: string) => Promise<{ bytes: number }>,
  hooks: CopyHooks = {},
) {
  const s = stages(root, slot, item);
  await settleCopy(root, slot, item);
  await fsp.mkdir(s.base, { recursive: true, mode: 0o700 });
  await fsp.rm(s.ready, { recursive: true, force: true });
  const { bytes } = await fill(s.partial);
  await fsyncTree(s.partial);
  await fsp.rename(s.partial, s.ready);
  await fsyncPath(s.base);
  await hooks.beforeSwap?.();
  await settleCopy(root, slot, item);
  await fsyncPath(s.base);
  return { bytes, path: s.dir };
}

/** Removes the item's copy in `slot` and anything half-made. */
export async function removeCopy(root: string, slot: CopySlot, item: string): Promise<void> {
  const s = stages(root, slot, item);
  for (const p of [s.partial, s.ready, s.old, s.dir]) await fsp.rm(p, { recursive: true, force: true });
  // The slot's folder goes too once empty, so a cleaned-up test leaves nothing behind.
  await fsp.rmdir(s.base).catch(() => undefined);
}
