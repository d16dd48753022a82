import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  blockHeat,
  fileHeat,
  heatMapOf,
  itemHeatOf,
  PRIORITY_LIMIT,
  restoreOrderOf,
  summarizeHeat,
  volumeHeat,
  type FileHeat,
  type HeatData,
} from '../../main/engine/devices/heat';
import { readHeatFile, sweepHeatFiles, writeHeatFile } from '../../main/engine/devices/heat-store';
import { tempHome } from '../helpers/home';
import { nextBackupAt, parseTime, zoneOffset } from '../../main/engine/devices/schedule';
import type { ImageSource } from '../../main/engine/repo/snapshot';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-29T12:00:00Z');

describe('file heat', () => {
  it('is higher for recent modification, recent access and frequent change; pinned files are at least 0.9', () => {
    const old = fileHeat({ mtimeMs: NOW - 90 * DAY, atimeMs: NOW - 90 * DAY, changes: 0b1 }, NOW, false);
    const modified = fileHeat({ mtimeMs: NOW - DAY, atimeMs: NOW - 90 * DAY, changes: 0b1 }, NOW, false);
    const accessed = fileHeat({ mtimeMs: NOW - 90 * DAY, atimeMs: NOW - DAY, changes: 0b1 }, NOW, false);
    const frequent = fileHeat({ mtimeMs: NOW - 90 * DAY, atimeMs: NOW - 90 * DAY, changes: 0b1111_1111 }, NOW, false);
    expect(old).toBeLessThan(0.1);
    for (const h of [modified, accessed, frequent]) expect(h).toBeGreaterThan(old);
    expect(modified).toBeGreaterThan(accessed);
    expect(fileHeat({ mtimeMs: NOW, atimeMs: NOW, changes: 0xff }, NOW, false)).toBe(1);
    expect(fileHeat({ mtimeMs: NOW - 90 * DAY, atimeMs: null, changes: 0 }, NOW, true)).toBeGreaterThanOrEqual(0.9);
  });

  it('orders a restore hottest first, leaves cold files out, and weights items by bytes', async () => {
    const data: HeatData = {
      v: 1,
      at: new Date(NOW).toISOString(),
      items: [
        {
          name: 'docs',
          kind: 'share',
          pinned: false,
          files: [
            ['a.txt', 0.2, 1, 1000, 0],
            ['b/c.txt', 0.9, 3, 10, 0],
            ['d.txt', 0.5, 1, 100, 0],
          ],
        },
        { name: 'db', kind: 'share', pinned: true, files: [['x.mdf', 0.95, 1, 5000, 0]] },
      ],
    };
    const summary = await summarizeHeat(data);
    expect(restoreOrderOf(summary, 'docs')).toEqual(['docs/b/c.txt', 'docs/d.txt']);
    expect(restoreOrderOf(null, 'docs')).toEqual(['docs']);
    const items = itemHeatOf(summary);
    expect(items.db).toBeGreaterThan(items.docs);
    expect(items.docs).toBeCloseTo((0.2 * 1000 + 0.9 * 10 + 0.5 * 100) / 1110, 3);
    const map = heatMapOf(summary, 'b1');
    expect(map.items[0]).toEqual({
      name: 'docs',
      kind: 'share',
      hotBytes: 10,
      warmBytes: 100,
      coldBytes: 1000,
      hottest: [
        { path: 'b/c.txt', heat: 0.9 },
        { path: 'd.txt', heat: 0.5 },
        { path: 'a.txt', heat: 0.2 },
      ],
    });
  });
});

/** A share of n files with pseudo-random heat (deterministic), sizes and change histories. */
function bigShare(n: number): HeatData {
  let seed = 42;
  const rnd = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const files: FileHeat[] = [];
  for (let i = 0; i < n; i++)
    files.push([
      `dir${i % 97}/sub${i % 13}/file-${i}.dat`,
      Math.round(rnd() * 1000) / 1000,
      i & 0xff,
      1000 + (i % 5000),
      1_700_000_000_000 + i,
    ]);
  return {
    v: 1,
    at: new Date(NOW).toISOString(),
    reads: [['2026-11-28T00:00:00.000Z', '2026-11-28T00:01:00.000Z']],
    items: [{ name: 'docs', kind: 'share', pinned: false, files }],
  };
}

describe('heat of a large share', () => {
  const N = 200_000;

  it('keeps a bounded summary: bands over every file, the 20 hottest and the restore order exactly as a full sort would', async () => {
    const data = bigShare(N);
    const files = (data.items[0] as { files: FileHeat[] }).files;
    const summary = await summarizeHeat(data);
    const [item] = summary.items;
    const sorted = [...files].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    expect(item.hottest).toEqual(sorted.slice(0, 20).map((f) => ({ path: f[0], heat: f[1] })));
    expect(item.order).toEqual(
      sorted
        .filter((f) => f[1] >= 0.3)
        .slice(0, PRIORITY_LIMIT)
        .map((f) => f[0]),
    );
    const total = files.reduce((a, f) => a + f[3], 0);
    expect(item.hotBytes + item.warmBytes + item.coldBytes).toBe(total);
    expect(item.hotBytes).toBe(files.filter((f) => f[1] >= 0.6).reduce((a, f) => a + f[3], 0));
    // What a device backup row holds stays small whatever the number of files.
    expect(JSON.stringify(summary).length).toBeLessThan(100_000);
  }, 60_000);

  // How long writing, summarizing and reading it stall the event loop is a figure of `npm run bench`, not a test.
  it('writes and reads the per-file heat as a compact heat file', async () => {
    const data = bigShare(N);
    const file = path.join(tempHome('lifeboat-heat-'), 'heat', 'b1.ndjson.gz');
    await writeHeatFile(file, data);
    expect(await readHeatFile(file)).toEqual(data);
    expect(fs.statSync(file).size).toBeLessThan(8 << 20);

    expect(await readHeatFile(path.join(path.dirname(file), 'missing.ndjson.gz'))).toBeNull();
    fs.writeFileSync(path.join(path.dirname(file), 'junk.ndjson.gz'), 'not gzip');
    expect(await readHeatFile(path.join(path.dirname(file), 'junk.ndjson.gz'))).toBeNull();
    // The sweep removes heat files of unknown backups once they are old enough, and keeps the others.
    const home = path.dirname(path.dirname(file));
    expect(await sweepHeatFiles(home, (id) => id === 'b1')).toBe(0); // too new: its backup may be being recorded
    expect(await sweepHeatFiles(home, (id) => id === 'b1', Date.now() + 3600_000)).toBe(1);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['b1.ndjson.gz']);
  }, 60_000);
});

describe('volume heat', () => {
  const image = (chunks: Record<number, string>, size = 8 << 20): ImageSource => {
    const extents = [];
    for (let off = 0; off < size; off += 64 << 10)
      extents.push(
        chunks[off] ? { offset: off, length: 64 << 10, chunk: chunks[off] } : { offset: off, length: 64 << 10 },
      );
    return {
      name: 'vol',
      kind: 'image',
      path: '/x',
      size,
      blockSize: 64 << 10,
      mode: 0o600,
      mtimeMs: 0,
      sparseMethod: 'seek',
      extents,
    };
  };

  it('carries each region’s change history forward from the block maps alone, and leaves holes out', async () => {
    const m1 = image({ 0: 'a', [3 << 20]: 'b' });
    const h1 = await volumeHeat('vol', false, m1, undefined, undefined);
    expect(h1.ranges.map((r) => [r[0], r[1], r[2], r[3]])).toEqual([
      [0, 1 << 20, 1, 64 << 10],
      [3 << 20, 1 << 20, 1, 64 << 10],
    ]);
    const m2 = image({ 0: 'a', [3 << 20]: 'c' });
    const h2 = await volumeHeat('vol', false, m2, m1, h1);
    const m3 = image({ 0: 'a', [3 << 20]: 'd', [(3 << 20) + (64 << 10)]: 'e' });
    const h3 = await volumeHeat('vol', false, m3, m2, h2);
    expect(h3.ranges.map((r) => [r[0], r[2], r[3]])).toEqual([
      [0, 0b100, 64 << 10],
      [3 << 20, 0b111, 128 << 10],
    ]);
    expect(h3.ranges[1][4]).toBeGreaterThan(h3.ranges[0][4]);
    expect(blockHeat(0, true)).toBeGreaterThanOrEqual(0.9);
  });
});

describe('backup schedule', () => {
  it('validates times of day', () => {
    expect(parseTime('7:05')).toBe('07:05');
    expect(parseTime('23:59')).toBe('23:59');
    for (const bad of ['24:00', '12:60', 'noon', '1200', ''])
      expect(() => parseTime(bad)).toThrow(/is not a time of day/);
  });

  it('computes the next daily time in the device time zone, across DST changes', () => {
    const daily = { frequency: 'daily' as const, time: '22:00', weekday: null };
    expect(nextBackupAt(daily, 'UTC', new Date('2026-11-29T12:00:00Z'))!.toISOString()).toBe(
      '2026-11-29T22:00:00.000Z',
    );
    expect(nextBackupAt(daily, 'UTC', new Date('2026-11-29T22:00:00Z'))!.toISOString()).toBe(
      '2026-11-30T22:00:00.000Z',
    );
    // Amsterdam is UTC+1 in winter, UTC+2 in summer.
    expect(nextBackupAt(daily, 'Europe/Amsterdam', new Date('2026-11-29T12:00:00Z'))!.toISOString()).toBe(
      '2026-11-29T21:00:00.000Z',
    );
    expect(nextBackupAt(daily, 'Europe/Amsterdam', new Date('2026-07-01T12:00:00Z'))!.toISOString()).toBe(
      '2026-07-01T20:00:00.000Z',
    );
    // The night of the switch to summer time (29 March 2026): 22:00 that day is already UTC+2.
    expect(nextBackupAt(daily, 'Europe/Amsterdam', new Date('2026-03-29T00:30:00Z'))!.toISOString()).toBe(
      '2026-03-29T20:00:00.000Z',
    );
    // 02:30 does not exist that night: it moves forward by the hour skipped.
    expect(
      nextBackupAt({ ...daily, time: '02:30' }, 'Europe/Amsterdam', new Date('2026-03-28T12:00:00Z'))!.toISOString(),
    ).toBe('2026-03-29T01:30:00.000Z');
    // Past midnight in the zone while still the previous day in UTC.
    expect(
      nextBackupAt({ ...daily, time: '09:00' }, 'Asia/Tokyo', new Date('2026-11-29T23:30:00Z'))!.toISOString(),
    ).toBe('2026-11-30T00:00:00.000Z');
    expect(zoneOffset(Date.parse('2026-11-29T12:00:00Z'), 'America/New_York')).toBe(-5 * 3600_000);
  });

  it('computes the next weekly time on the weekday, and none when off', () => {
    // 2026-11-29 is a Sunday.
    const weekly = { frequency: 'weekly' as const, time: '03:00', weekday: 3 };
    expect(nextBackupAt(weekly, 'America/New_York', new Date('2026-11-29T12:00:00Z'))!.toISOString()).toBe(
      '2026-12-02T08:00:00.000Z',
    );
    expect(nextBackupAt({ ...weekly, weekday: 0 }, 'UTC', new Date('2026-11-29T12:00:00Z'))!.toISOString()).toBe(
      '2026-12-06T03:00:00.000Z',
    );
    expect(nextBackupAt({ ...weekly, weekday: 0 }, 'UTC', new Date('2026-11-29T02:00:00Z'))!.toISOString()).toBe(
      '2026-11-29T03:00:00.000Z',
    );
    expect(nextBackupAt({ frequency: 'off', time: '03:00', weekday: null }, 'UTC', new Date())).toBeNull();
  });
});
