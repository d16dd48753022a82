/**
 * Where data may live. A device's data root and a local storage account's folder must not overlap the data
 * directory, another device's root or another account: a backup would then hold its own account, a device's usage
 * scan would count another's files, and removing one would delete the other's data. Paths are compared after
 * resolving the symbolic links of the part that exists, so that a link cannot hide an overlap.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface Place {
  /** Absolute. */
  path: string;
  /** What it is, for the message: "the data directory", "the data root of the device fs1". */
  what: string;
}

export interface Overlap {
  place: Place;
  relation: 'is' | 'inside' | 'contains';
}

/** The path with the symbolic links of its longest existing prefix resolved (the rest does not exist yet). */
export function realPath(given: string): string {
  const missing: string[] = [];
  let cur = path.resolve(given);
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(cur), ...missing);
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return path.resolve(given);
      missing.unshift(path.basename(cur));
      cur = parent;
    }
  }
}

/** Whether a is b or below it (both absolute and resolved). */
export const within = (a: string, b: string): boolean =>
  a === b || a.startsWith(b.endsWith(path.sep) ? b : b + path.sep);

/** The first place the candidate is, is inside or contains; null when it stays clear of all of them. */
export function findOverlap(candidate: string, places: Place[]): Overlap | null {
  const c = realPath(candidate);
  for (const place of places) {
    const p = realPath(place.path);
    if (c === p) return { place, relation: 'is' };
    if (within(c, p)) return { place, relation: 'inside' };
    if (within(p, c)) return { place, relation: 'contains' };
  }
  return null;
}

export function describeOverlap(candidate: string, o: Overlap): string {
  const verb = { is: 'is', inside: 'is inside', contains: 'contains' }[o.relation];
  return `${candidate} ${verb} ${o.place.what} (${o.place.path}).`;
}
