/**
 * Path confinement at a site agent: the real path of a path the installation names (links resolved up to the nearest
 * existing folder), for the checks that keep every call under the agent's root (sites/agent-source-calls.ts,
 * sites/agent-device.ts).
 */
import fsp from 'node:fs/promises';
import path from 'node:path';

/** The real path of `p`, or of its nearest existing parent with the rest appended (a path or root not made yet). */
export async function realish(p: string): Promise<string> {
  const rest: string[] = [];
  let cur = path.resolve(p);
  for (;;) {
    try {
      return path.join(await fsp.realpath(cur), ...rest.reverse());
    } catch {
      const up = path.dirname(cur);
      if (up === cur) return path.resolve(p);
      rest.push(path.basename(cur));
      cur = up;
    }
  }
}
