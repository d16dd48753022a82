import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Codec } from '../../main/engine/repo/compress';
import { ChunkIndex, type ChunkLocation } from '../../main/engine/repo/index';
import { packObjectName, type PackEntry } from '../../main/engine/repo/pack';

const randomId = () => crypto.randomBytes(32).toString('hex');

describe('the chunk index', () => {
  it('finds what a Map of the same packs finds, through growth, keeping the first location of an id', () => {
    const index = new ChunkIndex();
    expect(index.has(randomId())).toBe(false);
    expect(index.get(randomId())).toBeUndefined();
    const reference = new Map<string, ChunkLocation>();
    const ids: string[] = [];
    for (let p = 0; p < 60; p++) {
      const hash = crypto.randomBytes(32).toString('hex');
      const entries: PackEntry[] = [];
      for (let i = 0; i < 1000; i++) {
        // Every tenth entry repeats an id of an earlier pack: its first location must stay.
        const id = i % 10 === 0 && ids.length ? ids[(p * 7919 + i) % ids.length] : randomId();
        const entry = {
          id,
          offset: i * 4096,
          length: 4000 + (i % 96),
          rawLength: 8000 + i,
          codec: [Codec.None, Codec.Zstd, Codec.Brotli][i % 3],
        };
        entries.push(entry);
        if (!reference.has(id)) {
          reference.set(id, {
            pack: packObjectName(hash),
            offset: entry.offset,
            length: entry.length,
            rawLength: entry.rawLength,
            codec: entry.codec,
          });
          ids.push(id);
        }
      }
      index.addPack({ hash, entries });
      // The same pack named again (in two index objects) adds nothing.
      if (p === 30) index.addPack({ hash, entries });
    }
    expect(index.size).toBe(reference.size);
    expect(index.packs.size).toBe(60);
    for (const [id, loc] of reference) expect(index.get(id), id).toEqual(loc);
    expect(new Map(index.entries())).toEqual(reference);
    for (let i = 0; i < 1000; i++) {
      const absent = randomId();
      expect(index.has(absent)).toBe(false);
      expect(index.get(absent)).toBeUndefined();
    }
    // Not chunk ids at all (a damaged manifest could hold anything): found nowhere, and no error.
    for (const odd of ['', 'zz', ids[0].slice(0, 40), `${ids[0]}00`, `${ids[0]}00`.slice(2), 'f'.repeat(64)])
      expect(index.has(odd), odd).toBe(false);
  });
});
