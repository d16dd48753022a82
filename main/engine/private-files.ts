/**
 * The data directory's own files are its owner's alone: folders 0700, files 0600, whatever the umask and whatever
 * mode an earlier version left on them (the database holds console history, account settings and sealed secrets).
 * The home folder itself is the administrator's choice: a new one is created 0700, an existing one is left as it is
 * and a warning says when other users can get into it.
 */
import fs from 'node:fs';
import path from 'node:path';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/** Folders directly in the home that Lifeboat makes; all of them hold state, so all are private. */
export const PRIVATE_FOLDERS = ['logs', 'heat', 'tmp', 'accounts'] as const;

// Windows has no mode bits to speak of (chmod only toggles read-only): its ACLs come from the profile folder.
const posix = process.platform !== 'win32';

/** Creates the folder (and missing parents) 0700 and narrows an existing one to 0700. */
export function privateDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  if (posix) fs.chmodSync(dir, DIR_MODE);
  return dir;
}

export async function privateDirAsync(dir: string): Promise<string> {
  await fs.promises.mkdir(dir, { recursive: true, mode: DIR_MODE });
  if (posix) await fs.promises.chmod(dir, DIR_MODE);
  return dir;
}

/**
 * Narrows an existing file to 0600; a missing one is fine. A file someone else owns (EPERM) is left alone: it is
 * theirs to fix, and refusing to start over it would lock the owner of the data out.
 */
export function privateFile(file: string): void {
  if (!posix) return;
  try {
    fs.chmodSync(file, FILE_MODE);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EPERM') throw err;
  }
}

/** Creates the home 0700 when it does not exist yet; an existing home keeps its mode. */
export function makeHome(dataDir: string): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: DIR_MODE });
}

export interface HomeExposure {
  mode: string;
  message: string;
  hint: string;
}

/** Whether users other than the owner can get into the home (group or other bits set); null when it is private. */
export function homeExposure(dataDir: string): HomeExposure | null {
  if (!posix) return null;
  let mode: number;
  try {
    mode = fs.statSync(dataDir).mode & 0o777;
  } catch {
    return null;
  }
  if ((mode & 0o077) === 0) return null;
  const octal = mode.toString(8).padStart(4, '0');
  const who = mode & 0o007 ? 'every user of this machine' : 'the members of its group';
  return {
    mode: octal,
    message:
      `The data directory ${dataDir} is open to ${who} (mode ${octal}). Lifeboat keeps its own files there private, ` +
      'but others can list the folder and read anything else put in it.',
    hint: `Run chmod 700 ${dataDir}, or start Lifeboat with a private --home.`,
  };
}

/** Makes the home's own files and folders private (the home's mode is only reported, by homeExposure). */
export function securePrivateHome(dataDir: string, files: string[]): void {
  makeHome(dataDir);
  for (const name of PRIVATE_FOLDERS) privateDir(path.join(dataDir, name));
  for (const name of files) privateFile(path.join(dataDir, name));
}
