/**
 * Heat maps: how hot each file of a share and each region of a volume is, so a failover restores the most used
 * data first. Kept with every device backup in a heat file (heat-store.ts), and summarised, bounded, in
 * device_backups.heat (the heat map, the restore order and one heat per item). Per-file heat is compact:
 * - share files as [path, heat, changes, size, mtimeMs]; `changes` is an 8-bit history (bit 0 = changed at this
 *   backup, bit 1 = at the one before, ...) carried forward from the previous backup's heat, so "how often" needs
 *   no more than one number per file;
 * - volumes as ranges of 1 MiB heat blocks [offset, length, changes, dataBytes, heat], found by comparing the
 *   block maps of this backup's and the previous backup's manifests (no data is read); holes are left out.
 * Locally pinned shares and volumes are the hottest: their heat is at least 0.9.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldNow } from 'node:timers/promises';
import type { HeatMap } from '../../shared/device-schemas';
import type { ImageSource } from '../repo/snapshot';

const DAY = 86_400_000;
/** Backups remembered per file or block. */
export const HISTORY = 8;
const MASK = (1 << HISTORY) - 1;
/** Heat bands, for the hot/warm/cold byte counts. */
export const HOT = 0.6;
export const WARM = 0.3;
/** The volume granularity of heat: coarser than the repository's image blocks so the map stays small. */
export const HEAT_BLOCK = 1 << 20;
/** Restore priority lists at most this many files (the rest follow in backup order). */
export const PRIORITY_LIMIT = 1000;
/** Files or regions handled between two yields to the event loop. */
export const SLICE = 5000;

export type FileHeat = [path: string, heat: number, changes: number, size: number, mtimeMs: number];
export type RangeHeat = [offset: number, length: number, changes: number, bytes: number, heat: number];

export interface ShareHeat {
  name: string;
  kind: 'share';
  pinned: boolean;
  files: FileHeat[];
}

export interface VolumeHeat {
  name: string;
  kind: 'volume';
  pinned: boolean;
  size: number;
  ranges: RangeHeat[];
}

export type ItemHeat = ShareHeat | VolumeHeat;

export interface HeatData {
  v: 1;
  /** When the files were looked at (the start of the backup). */
  at: string;
  /**
   * When the recent backups read the files (newest last, at most 8): an access time inside one of these windows
   * is a backup's own read, not a user's, and heat scans ignore it.
   */
  reads?: Array<[from: string, to: string]>;
  items: ItemHeat[];
}

const round = (n: number) => Math.round(Math.min(1, Math.max(0, n)) * 1000) / 1000;
const popcount = (n: number) => {
  let c = 0;
  for (let m = n; m; m &= m - 1) c++;
  return c;
};
/** 1 for a change at the newest backup, halving for each backup further back; 0 when none is remembered. */
const recencyOfChanges = (changes: number) => {
  for (let i = 0; i < HISTORY; i++) if (changes & (1 << i)) return 0.5 ** i;
  return 0;
};
const pinnedHeat = (heat: number, pinned: boolean) => round(pinned ? 0.9 + 0.1 * heat : heat);

/**
 * A file's heat from its modification and access times (half-lives of 7 and 3 days) and how many of the recent
 * backups saw it change.
 */
export function fileHeat(
  f: { mtimeMs: number; atimeMs: number | null; changes: number },
  now: number,
  pinned: boolean,
): number {
  const modified = 0.5 ** (Math.max(0, now - f.mtimeMs) / (7 * DAY));
  const accessed = f.atimeMs === null ? modified : 0.5 ** (Math.max(0, now - f.atimeMs) / (3 * DAY));
  const frequency = popcount(f.changes & MASK) / HISTORY;
  return pinnedHeat(0.4 * modified + 0.2 * accessed + 0.4 * frequency, pinned);
}

/** A volume region's heat: how often and how recently its blocks changed across the remembered backups. */
export function blockHeat(changes: number, pinned: boolean): number {
  return pinnedHeat(0.5 * (popcount(changes & MASK) / HISTORY) + 0.5 * recencyOfChanges(changes), pinned);
}

/** Walks a share (lstat, symlinks not followed) and rates every regular file. Async I/O: never blocks the loop. */
export async function scanShareHeat(
  name: string,
  dir: string,
  pinned: boolean,
  previous: ShareHeat | undefined,
  opts: { now?: number; ignoreAtime?: Array<[number, number]> } = {},
): Promise<ShareHeat> {
  const now = opts.now ?? Date.now();
  const before = new Map<string, FileHeat>();
  for (const [i, f] of (previous?.files ?? []).entries()) {
    before.set(f[0], f);
    if ((i + 1) % SLICE === 0) await yieldNow();
  }
  const files: FileHeat[] = [];
  const stack = [''];
  while (stack.length) {
    const rel = stack.pop()!;
    const names = await fs.promises.readdir(path.join(dir, rel)).catch(() => [] as string[]);
    for (const n of names) {
      const childRel = rel ? `${rel}/${n}` : n;
      const st = await fs.promises.lstat(path.join(dir, childRel)).catch(() => undefined);
      if (!st) continue;
      if (st.isDirectory()) stack.push(childRel);
      if (!st.isFile()) continue;
      const prev = before.get(childRel);
      const changed = !prev || prev[3] !== st.size || prev[4] !== st.mtimeMs;
      const changes = (((prev?.[2] ?? 0) << 1) | (changed ? 1 : 0)) & MASK;
      const ownRead = opts.ignoreAtime?.some(([from, to]) => st.atimeMs >= from && st.atimeMs <= to);
      const atimeMs = ownRead ? null : st.atimeMs;
      files.push([
        childRel,
        fileHeat({ mtimeMs: st.mtimeMs, atimeMs, changes }, now, pinned),
        changes,
        st.size,
        st.mtimeMs,
      ]);
    }
  }
  // No sort: the summary picks the hottest without one, and sorting every path would block the loop.
  return { name, kind: 'share', pinned, files };
}

/**
 * A volume's heat at this backup: which 1 MiB regions hold data, and which changed since the previous backup
 * (block chunk ids differ), with the change history carried forward from the previous heat.
 */
export async function volumeHeat(
  name: string,
  pinned: boolean,
  image: ImageSource,
  previousImage: ImageSource | undefined,
  previous: VolumeHeat | undefined,
): Promise<VolumeHeat> {
  const block = Math.max(HEAT_BLOCK, image.blockSize);
  const sameGrid = previousImage?.blockSize === image.blockSize;
  const oldChunks = new Map<number, string>();
  if (sameGrid) for (const e of previousImage!.extents) if (e.chunk) oldChunks.set(e.offset, e.chunk);
  const oldChanges = new Map<number, number>();
  for (const [offset, length, changes] of previous?.ranges ?? [])
    for (let b = offset / block; b < (offset + length) / block; b++) oldChanges.set(b, changes);

  const bytes = new Map<number, number>();
  const changed = new Set<number>();
  let n = 0;
  for (const e of image.extents) {
    if (!e.chunk) continue;
    const b = Math.floor(e.offset / block);
    bytes.set(b, (bytes.get(b) ?? 0) + e.length);
    if (oldChunks.get(e.offset) !== e.chunk) changed.add(b);
    // Big volumes have many blocks: let the event loop breathe now and then.
    if (++n % 20_000 === 0) await yieldNow();
  }
  const ranges: RangeHeat[] = [];
  for (const b of [...bytes.keys()].sort((x, y) => x - y)) {
    const changes = (((oldChanges.get(b) ?? 0) << 1) | (changed.has(b) ? 1 : 0)) & MASK;
    const last = ranges[ranges.length - 1];
    if (last && last[0] + last[1] === b * block && last[2] === changes) {
      last[1] += block;
      last[3] += bytes.get(b)!;
    } else ranges.push([b * block, block, changes, bytes.get(b)!, blockHeat(changes, pinned)]);
  }
  // The last region of an image whose size is not a whole number of heat blocks ends at the image's end.
  const tail = ranges[ranges.length - 1];
  if (tail && tail[0] + tail[1] > image.size) tail[1] = image.size - tail[0];
  return { name, kind: 'volume', pinned, size: image.size, ranges };
}

/** One item's heat as a device backup row keeps it: enough for the heat map, the restore order and item heat. */
export interface ItemHeatSummary {
  name: string;
  kind: 'share' | 'volume';
  pinned: boolean;
  hotBytes: number;
  warmBytes: number;
  coldBytes: number;
  /** The byte-weighted mean heat (at least 0.9 for a pinned item): orders the items' restore jobs. */
  heat: number;
  /** The 20 hottest files or regions. */
  hottest: Array<{ path: string; heat: number }>;
  /** A share's warm and hot files, hottest first, at most PRIORITY_LIMIT: its restore order. */
  order?: string[];
}

/** What device_backups.heat holds: bounded, whatever the number of files (the per-file heat is in a heat file). */
export interface HeatSummary {
  v: 2;
  at: string;
  reads?: Array<[from: string, to: string]>;
  items: ItemHeatSummary[];
}

const HOTTEST = 20;

interface Part {
  path: string;
  heat: number;
}
/** a ranks before b: hotter, then by path. */
const ranksBefore = (a: Part, b: Part) => a.heat > b.heat || (a.heat === b.heat && a.path < b.path);

/** The k best parts seen, in a min-heap (its root is the worst kept): O(n log k) instead of sorting every file. */
class TopK {
  private readonly heap: Part[] = [];
  constructor(private readonly k: number) {}

  offer(p: Part): void {
    const h = this.heap;
    if (h.length < this.k) {
      h.push(p);
      for (let i = h.length - 1; i > 0;) {
        const up = (i - 1) >> 1;
        if (!ranksBefore(h[up], h[i])) break;
        [h[up], h[i]] = [h[i], h[up]];
        i = up;
      }
    } else if (this.k && ranksBefore(p, h[0])) {
      h[0] = p;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let worst = i;
        if (l < h.length && ranksBefore(h[worst], h[l])) worst = l;
        if (r < h.length && ranksBefore(h[worst], h[r])) worst = r;
        if (worst === i) break;
        [h[worst], h[i]] = [h[i], h[worst]];
        i = worst;
      }
    }
  }

  sorted(): Part[] {
    return [...this.heap].sort((a, b) => (ranksBefore(a, b) ? -1 : ranksBefore(b, a) ? 1 : 0));
  }
}

/**
 * The summary of a heat map: hot/warm/cold bytes, the hottest parts, the restore order and the item heat, in one
 * pass per item that yields to the event loop every few thousand files (a share may hold hundreds of thousands).
 */
export async function summarizeHeat(data: HeatData): Promise<HeatSummary> {
  const items: ItemHeatSummary[] = [];
  for (const item of data.items) {
    const top = new TopK(HOTTEST);
    const order = item.kind === 'share' ? new TopK(PRIORITY_LIMIT) : null;
    const bands = [0, 0, 0];
    let bytes = 0;
    let weighted = 0;
    let plain = 0;
    const n = item.kind === 'share' ? item.files.length : item.ranges.length;
    for (let i = 0; i < n; i++) {
      let part: Part;
      let size: number;
      if (item.kind === 'share') {
        const f = item.files[i];
        part = { path: f[0], heat: f[1] };
        size = f[3];
      } else {
        const r = item.ranges[i];
        part = { path: `@${r[0]}+${r[1]}`, heat: r[4] };
        size = r[3];
      }
      bands[part.heat >= HOT ? 0 : part.heat >= WARM ? 1 : 2] += size;
      bytes += size;
      weighted += part.heat * size;
      plain += part.heat;
      top.offer(part);
      if (order && part.heat >= WARM) order.offer(part);
      if ((i + 1) % SLICE === 0) await yieldNow();
    }
    const mean = bytes ? weighted / bytes : n ? plain / n : 0;
    items.push({
      name: item.name,
      kind: item.kind,
      pinned: item.pinned,
      hotBytes: bands[0],
      warmBytes: bands[1],
      coldBytes: bands[2],
      heat: round(item.pinned ? Math.max(0.9, mean) : mean),
      hottest: top.sorted(),
      ...(order ? { order: order.sorted().map((p) => p.path) } : {}),
    });
  }
  return { v: 2, at: data.at, reads: data.reads, items };
}

/** The heat map as the API shows it, from a backup's summary. */
export function heatMapOf(summary: HeatSummary | null, backupId: string | null): HeatMap {
  if (!summary) return { backupId: null, at: null, items: [] };
  return {
    backupId,
    at: summary.at,
    items: summary.items.map((i) => ({
      name: i.name,
      kind: i.kind,
      hotBytes: i.hotBytes,
      warmBytes: i.warmBytes,
      coldBytes: i.coldBytes,
      hottest: i.hottest,
    })),
  };
}

/**
 * The `priority` of a restore job for one item: "<item>/<path>" of its warm and hot files, hottest first (at most
 * PRIORITY_LIMIT, since the restore matches every file against the list). A volume is one image: just its name.
 */
export function restoreOrderOf(summary: HeatSummary | null, itemName: string): string[] {
  const item = summary?.items.find((i) => i.name === itemName);
  if (!item || item.kind === 'volume') return [itemName];
  return (item.order ?? []).map((p) => `${itemName}/${p}`);
}

/** One number per item to order the items' restore jobs: the byte-weighted mean heat (pinned items come first). */
export function itemHeatOf(summary: HeatSummary | null): Record<string, number> {
  return Object.fromEntries((summary?.items ?? []).map((i) => [i.name, i.heat]));
}

/** A row's summary; null when there is none or it cannot be read (the heat map then shows nothing). */
export function parseHeatSummary(text: string | undefined | null): HeatSummary | null {
  if (!text) return null;
  try {
    const parsed = JSON.parse(text) as HeatSummary;
    return parsed?.v === 2 && Array.isArray(parsed.items) ? parsed : null;
  } catch {
    return null;
  }
}
