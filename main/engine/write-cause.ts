/**
 * The real reason a path cannot be created: Node's recursive mkdir reports ENOENT on a read-only filesystem (and
 * below a folder it may not write), so "does not exist" was shown for a folder that is there but read-only.
 */
import fs from 'node:fs';
import path from 'node:path';

/** `err` itself, unless it is ENOENT and the nearest existing folder of `p` refuses writes: then that refusal (EROFS, EACCES). */
export async function writeCause(err: unknown, p: string): Promise<unknown> {
  if ((err as NodeJS.ErrnoException | null)?.code !== 'ENOENT') return err;
  let at = path.resolve(p);
  for (;;) {
    const st = await fs.promises.stat(at).catch(() => null);
    if (st) break;
    const up = path.dirname(at);
    if (up === at) return err;
    at = up;
  }
  try {
    await fs.promises.access(at, fs.constants.W_OK);
    return err;
  } catch (refusal) {
    return (refusal as NodeJS.ErrnoException).code ? refusal : err;
  }
}
