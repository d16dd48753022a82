import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Codec, compressPieces, decompress } from '../../main/engine/repo/compress';
import { parseJsonBuffer, writeJson } from '../../main/engine/repo/json';
import type { SnapshotManifest } from '../../main/engine/repo/snapshot';

/** writeJson's pieces, joined. */
function jsonToBuffer(value: unknown): Buffer {
  const parts: Buffer[] = [];
  writeJson(value, (piece) => parts.push(piece));
  return Buffer.concat(parts);
}

const id = (n: number) => n.toString(16).padStart(64, '0');

/** A manifest with the awkward parts: paths full of JSON's own characters, escapes, non-ASCII, holes, absent fields. */
function manifest(files: number): SnapshotManifest {
  const names = [
    'plain.txt',
    'quote".txt',
    'back\\slash',
    'brace{[]}',
    'comma, colon: "x"',
    'tab\tnew\nline',
    'Ünïcødé ☃ 𝄞',
    '\u0001ctl',
    '__proto__',
  ];
  return {
    format: 1,
    id: 'abc',
    time: '2026-11-30T10:00:00.000Z',
    label: undefined,
    hostname: 'lab',
    sources: [
      {
        name: 'docs',
        kind: 'tree',
        path: '/data/docs',
        entries: Array.from({ length: files }, (_, i) => ({
          path: `dir ${i % 7}/${names[i % names.length]}${i}`,
          type: i % 10 === 0 ? ('dir' as const) : ('file' as const),
          mode: 0o100644,
          mtimeMs: 1_732_960_000_000.125 + i,
          size: i * 1000,
          ino: i,
          chunks: i % 10 === 0 ? undefined : [id(i), id(i + 1)],
        })),
      },
      {
        name: 'vol',
        kind: 'image',
        path: '/data/vol.img',
        size: 1 << 20,
        blockSize: 65536,
        mode: 0o100600,
        mtimeMs: 5,
        sparseMethod: 'seek',
        extents: [
          { offset: 0, length: 65536, chunk: id(1) },
          { offset: 65536, length: 983040 },
        ],
      },
      { name: 'empty', kind: 'tree', path: '/e', entries: [] },
    ],
    stats: { files, bytes: 1, bytesRead: 2, chunksNew: 3, bytesNew: 4, storedNew: 5, durationMs: 6.5 },
  };
}

describe('manifest JSON of any size', () => {
  it('writes the bytes JSON.stringify writes', () => {
    for (const m of [manifest(0), manifest(20), manifest(30_000)])
      expect(jsonToBuffer(m).equals(Buffer.from(JSON.stringify(m)))).toBe(true);
    for (const v of [null, 3, 'x', [undefined, () => 1, 2], { a: undefined, b: [{ c: null }] }, { d: new Date(0) }])
      expect(jsonToBuffer(v).toString()).toBe(JSON.stringify(v));
  });

  it('parses container by container what is too large to parse at once, to what JSON.parse gives', () => {
    const m = manifest(500);
    for (const text of [JSON.stringify(m), JSON.stringify(m, null, 2), ` \n${JSON.stringify(m)}\n `]) {
      const expected: unknown = JSON.parse(text);
      // 100 bytes at once: the manifest, its sources and their entry lists are split; each entry parsed whole.
      for (const limit of [100, 1, 10_000]) expect(parseJsonBuffer(Buffer.from(text), limit)).toEqual(expected);
    }
    expect(parseJsonBuffer(Buffer.from('{"list":[[],{},[1,[2,{"x":"}"}]]],"n":-1.5e3}'), 1)).toEqual({
      list: [[], {}, [1, [2, { x: '}' }]]],
      n: -1500,
    });
    // "__proto__" in the text is an own key, as JSON.parse makes it, never the object's prototype.
    const own = parseJsonBuffer(Buffer.from('{"__proto__":{"polluted":1},"a":[1]}'), 1) as Record<string, unknown>;
    expect(Object.getPrototypeOf(own)).toBe(Object.prototype);
    expect(Object.keys(own)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses damaged text as JSON.parse does, at any limit', () => {
    const text = JSON.stringify(manifest(50));
    for (const bad of [
      text.slice(0, -1),
      text.slice(0, text.length / 2),
      `${text}x`,
      text.replace('"entries":[', '"entries":[,'),
      text.replace(/,"hostname"/, '"hostname"'),
      text.replace('"stats":', '"stats"'),
    ])
      for (const limit of [1, 100, 1 << 30])
        expect(() => parseJsonBuffer(Buffer.from(bad), limit), `${limit}`).toThrow(SyntaxError);
  });

  it('compresses the pieces as they come into what decompresses to their bytes, with zstd or the brotli fallback', () => {
    const m = manifest(20_000);
    // Random bytes (incompressible: over 1 MiB out), text, and empty pieces.
    const pieces = [crypto.randomBytes(3 << 20), Buffer.alloc(0), jsonToBuffer(m), crypto.randomBytes(10)];
    for (const codec of ['zstd', 'brotli']) {
      process.env.LIFEBOAT_CODEC = codec;
      try {
        const packed = compressPieces((add) => pieces.forEach(add));
        expect(packed.codec).toBe(codec === 'zstd' ? Codec.Zstd : Codec.Brotli);
        expect(Buffer.from(decompress(packed.codec, packed.data)).equals(Buffer.concat(pieces))).toBe(true);
        const json = compressPieces((add) => writeJson(m, add));
        expect(json.data.length).toBeLessThan(jsonToBuffer(m).length / 4);
        expect(parseJsonBuffer(decompress(json.codec, json.data), 1000)).toEqual(JSON.parse(JSON.stringify(m)));
      } finally {
        delete process.env.LIFEBOAT_CODEC;
      }
    }
  });
});
