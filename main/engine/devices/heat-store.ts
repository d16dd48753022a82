/**
 * Heat files: the per-file and per-region heat of a device backup, kept out of SQLite (a share of 200k files
 * would make a 15 MB row that every device page parses) in <dataDir>/heat/<backupId>.ndjson.gz. Only the next
 * backup of the lineage reads one, to carry each file's change history forward. Written and read as a stream of
 * small gzip'd lines (a header, then per item a header and chunks of entries) so neither blocks the event loop:
 * zlib runs on the thread pool and each line is a few hundred entries.
 *
 *   {"v":2,"at":…,"reads":[…]}
 *   {"item":{"name":"docs","kind":"share","pinned":false}}
 *   [[path,heat,changes,size,mtimeMs],…]
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { FILE_MODE, privateDirAsync } from '../private-files';
import type { FileHeat, HeatData, ItemHeat, RangeHeat } from './heat';

/** Entries per line. */
const CHUNK = 500;
/** A heat file without a device backup row is left alone this long: its catalog step may be about to insert it. */
const ORPHAN_AGE_MS = 10 * 60_000;

export const heatDir = (dataDir: string) => path.join(dataDir, 'heat');
export const heatFile = (dataDir: string, backupId: string) => path.join(heatDir(dataDir), `${backupId}.ndjson.gz`);

async function* lines(data: HeatData): AsyncGenerator<string> {
  yield `${JSON.stringify({ v: 2, at: data.at, reads: data.reads })}\n`;
  for (const item of data.items) {
    const { files: _f, ranges: _r, ...head } = item as ItemHeat & { files?: unknown; ranges?: unknown };
    yield `${JSON.stringify({ item: head })}\n`;
    const entries: unknown[] = item.kind === 'share' ? item.files : item.ranges;
    for (let i = 0; i < entries.length; i += CHUNK) yield `${JSON.stringify(entries.slice(i, i + CHUNK))}\n`;
  }
}

/** Writes a heat file atomically (a .part renamed into place). */
export async function writeHeatFile(file: string, data: HeatData): Promise<void> {
  await privateDirAsync(path.dirname(file));
  const part = `${file}.part`;
  try {
    await pipeline(
      Readable.from(lines(data)),
      zlib.createGzip({ level: 6 }),
      fs.createWriteStream(part, { mode: FILE_MODE }),
    );
    await fs.promises.rename(part, file);
  } catch (err) {
    await fs.promises.rm(part, { force: true });
    throw err;
  }
}

/** Reads a heat file; null when it is missing or damaged (the next heat then starts without history). */
export async function readHeatFile(file: string): Promise<HeatData | null> {
  const input = fs.createReadStream(file);
  const gunzip = zlib.createGunzip();
  const rl = readline.createInterface({ input: input.pipe(gunzip), crlfDelay: Infinity });
  // Errors of the file or of zlib end the read below; without a listener they would be uncaught.
  let failed = false;
  const fail = () => {
    failed = true;
    rl.close();
  };
  input.on('error', fail);
  gunzip.on('error', fail);
  let data: HeatData | null = null;
  let current: ItemHeat | null = null;
  try {
    for await (const line of rl) {
      if (!line) continue;
      const value = JSON.parse(line) as unknown;
      if (!data) {
        const head = value as { v?: number; at?: string; reads?: HeatData['reads'] };
        if (head.v !== 2 || typeof head.at !== 'string') return null;
        data = { v: 1, at: head.at, reads: head.reads, items: [] };
      } else if (Array.isArray(value)) {
        if (!current) return null;
        if (current.kind === 'share') for (const f of value as FileHeat[]) current.files.push(f);
        else for (const r of value as RangeHeat[]) current.ranges.push(r);
      } else {
        const head = (value as { item: ItemHeat }).item;
        current = head.kind === 'share' ? { ...head, files: [] } : { ...head, ranges: [] };
        data.items.push(current);
      }
    }
  } catch {
    return null;
  } finally {
    rl.close();
    input.destroy();
  }
  return failed ? null : data;
}

/** Removes heat files that belong to no device backup (deleted by retention, or left by a crash). */
export async function sweepHeatFiles(
  dataDir: string,
  known: (backupId: string) => boolean,
  now = Date.now(),
): Promise<number> {
  const dir = heatDir(dataDir);
  const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const n of names) {
    const id = n.replace(/\.ndjson\.gz(\.part)?$/, '');
    if (id === n || known(id)) continue;
    const st = await fs.promises.stat(path.join(dir, n)).catch(() => undefined);
    if (!st || now - st.mtimeMs < ORPHAN_AGE_MS) continue;
    await fs.promises.rm(path.join(dir, n), { force: true });
    removed++;
  }
  return removed;
}
