import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  contentChunks,
  DEFAULT_CDC,
  findCut,
  findCutJs,
  isZero,
  makeGear,
  newWindow,
  type Gear,
} from '../../main/engine/repo/chunker';
import { blocksTouched } from '../../main/engine/repo/sparse';

function cuts(gear: Gear, data: Buffer): number[] {
  const out: number[] = [];
  for (let start = 0; start < data.length;) out.push((start = findCut(gear, data, start, data.length)));
  return out;
}

describe('content-defined chunker', () => {
  const gear = makeGear(crypto.randomBytes(32));
  const data = crypto.randomBytes(16 << 20);

  it('keeps chunk sizes within min and max, averaging near the target', () => {
    const ends = cuts(gear, data);
    const sizes = ends.map((e, i) => e - (i ? ends[i - 1] : 0));
    for (const s of sizes.slice(0, -1)) {
      expect(s).toBeGreaterThanOrEqual(DEFAULT_CDC.min);
      expect(s).toBeLessThanOrEqual(DEFAULT_CDC.max);
    }
    const avg = data.length / sizes.length;
    expect(avg).toBeGreaterThan(DEFAULT_CDC.avg * 0.7);
    expect(avg).toBeLessThan(DEFAULT_CDC.avg * 1.5);
  });

  it('cuts in a WebAssembly window exactly where the JavaScript definition cuts, at every position and size', () => {
    for (const g of [gear, makeGear(crypto.randomBytes(32), { min: 100, avg: 300, max: 1000 })]) {
      const window = newWindow(g);
      expect(window.buffer).toBeInstanceOf(ArrayBuffer);
      expect(window.byteOffset).toBeGreaterThan(0); // past the gear table: really in WebAssembly memory
      // Random data, then text-like and zero runs (long stretches without a cut), with chunk starts and ends anywhere.
      crypto.randomFillSync(window);
      window.fill(0, 100_000, 400_000);
      window.write('storage array volume share '.repeat(4000), 500_000);
      let compared = 0;
      for (let start = 0; start < window.length - 1; start += 997 + (start % 7919)) {
        // Ends a few bytes apart: the compiled loop takes eight bytes a turn and the rest one by one.
        const near = (at: number) => [at, at + 1, at + 3, at + 7, at + 9];
        for (const end of [
          window.length,
          start + 1,
          ...near(start + g.params.min),
          ...near(start + g.params.avg),
          start + g.params.max + 5,
        ]) {
          if (end > window.length) continue;
          expect(findCut(g, window, start, end)).toBe(findCutJs(g, window, start, end));
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(1000);
      // A plain buffer with the same bytes cuts the same, through the JavaScript path.
      expect(cuts(g, Buffer.from(window))).toEqual(cuts(g, window));
    }
  });

  it('finds the same boundaries after an insertion shifts the data', () => {
    const shifted = Buffer.concat([data.subarray(0, 5 << 20), Buffer.from('inserted bytes'), data.subarray(5 << 20)]);
    const before = new Set(cuts(gear, data).filter((c) => c > 6 << 20));
    const after = cuts(gear, shifted)
      .filter((c) => c > 6 << 20)
      .map((c) => c - 14);
    expect(after.filter((c) => before.has(c)).length).toBeGreaterThan(after.length * 0.95);
  });

  it('depends on the key: another gear table cuts elsewhere', () => {
    const other = makeGear(crypto.randomBytes(32));
    const a = new Set(cuts(gear, data));
    expect(cuts(other, data).filter((c) => a.has(c)).length).toBeLessThan(a.size * 0.1);
  });

  it('streams a file into the same chunks as the whole buffer', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-chunk-')), 'f');
    fs.writeFileSync(file, data);
    const fh = await fs.promises.open(file, 'r');
    const seen: Buffer[] = [];
    // Chunks are views of the read window, valid until the next one is asked for: keep copies.
    for await (const c of contentChunks(fh, gear)) seen.push(Buffer.from(c));
    await fh.close();
    expect(Buffer.concat(seen).equals(data)).toBe(true);
    let end = 0;
    expect(seen.map((c) => (end += c.length))).toEqual(cuts(gear, data));
    fs.rmSync(path.dirname(file), { recursive: true });
  });

  it('gives the same chunks through a small reused window, file after file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-chunk-'));
    const scratch = Buffer.alloc(2 * gear.params.max);
    for (const [name, bytes] of [
      ['a', data],
      ['b', data.subarray(0, 1000)],
      ['c', Buffer.alloc(0)],
      ['d', data.subarray(12_345)],
    ] as const) {
      fs.writeFileSync(path.join(dir, name), bytes);
      const fh = await fs.promises.open(path.join(dir, name), 'r');
      const seen: Buffer[] = [];
      for await (const c of contentChunks(fh, gear, undefined, scratch)) seen.push(Buffer.from(c));
      await fh.close();
      expect(Buffer.concat(seen).equals(bytes)).toBe(true);
      let end = 0;
      expect(seen.map((c) => (end += c.length))).toEqual(bytes.length ? cuts(gear, bytes) : []);
    }
    fs.rmSync(dir, { recursive: true });
  });
});

describe('zero blocks and block maps', () => {
  it('detects all-zero buffers of any length and alignment', () => {
    expect(isZero(Buffer.alloc(3 << 20))).toBe(true);
    const b = Buffer.alloc(70_001);
    expect(isZero(b.subarray(3))).toBe(true);
    b[70_000] = 1;
    expect(isZero(b)).toBe(false);
    expect(isZero(b.subarray(0, 70_000))).toBe(true);
  });

  it('maps data extents to the fixed blocks they touch', () => {
    expect(
      blocksTouched(
        [
          { offset: 100, length: 10 },
          { offset: 65_536, length: 70_000 },
          { offset: 1 << 20, length: 1 },
        ],
        65_536,
        2 << 20,
      ),
    ).toEqual([0, 1, 2, 16]);
  });
});
