import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BlobDamagedError, decodeBlob, encodeBlob } from '../../main/engine/repo/blob';
import {
  Codec,
  compress,
  compressTransient,
  CompressionProbe,
  decompress,
  preferredCodec,
} from '../../main/engine/repo/compress';
import { chunkId, deriveKeys, seal, SEAL_OVERHEAD, SealError, unseal } from '../../main/engine/repo/crypto';
import { decodeIndex, encodeIndex } from '../../main/engine/repo/index';
import { decodeEntries, encodeEntries, PackBuilder, packMatchesName, parsePack } from '../../main/engine/repo/pack';

const sdek = crypto.randomBytes(32);
const keys = deriveKeys(sdek);

describe('keys and sealing', () => {
  it('gives every sealed object its own nonce, across refills of the nonce pool', () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 2000; i++) nonces.add(seal(keys.dataKey, 'x', Buffer.from('same')).toString('hex', 1, 13));
    expect(nonces.size).toBe(2000);
  });

  it('derives distinct keys, and chunk ids that differ between services', () => {
    expect(keys.chunkIdKey.equals(keys.dataKey)).toBe(false);
    const other = deriveKeys(crypto.randomBytes(32));
    const data = Buffer.from('same data');
    expect(chunkId(keys, data)).toBe(chunkId(keys, Buffer.from('same data')));
    expect(chunkId(keys, data)).not.toBe(chunkId(other, data));
  });

  it('opens only with the same key and the same associated data', () => {
    const sealed = seal(keys.dataKey, 'snapshot:abc', Buffer.from('manifest'));
    expect(unseal(keys.dataKey, 'snapshot:abc', sealed).toString()).toBe('manifest');
    expect(() => unseal(keys.dataKey, 'snapshot:abd', sealed)).toThrow(SealError);
    expect(() => unseal(deriveKeys(crypto.randomBytes(32)).dataKey, 'snapshot:abc', sealed)).toThrow(SealError);
    sealed[20] ^= 1;
    expect(() => unseal(keys.dataKey, 'snapshot:abc', sealed)).toThrow(SealError);
  });

  it('seals parts as their concatenation, including parts larger than one cipher slice', () => {
    const head = Buffer.from([7]);
    const body = crypto.randomBytes(3 * 1024 * 1024 + 5);
    const sealed = seal(keys.dataKey, 'snapshot:parts', head, body, Buffer.alloc(0));
    expect(sealed.length).toBe(SEAL_OVERHEAD + 1 + body.length);
    expect(unseal(keys.dataKey, 'snapshot:parts', sealed).equals(Buffer.concat([head, body]))).toBe(true);
  });
});

describe('blobs', () => {
  it('compresses what shrinks, stores the rest as is, and verifies on the way out', () => {
    const text = Buffer.from('a line of text that repeats\n'.repeat(4000));
    const random = crypto.randomBytes(100_000);
    const t = encodeBlob(keys, text);
    const r = encodeBlob(keys, random);
    expect(t.codec).not.toBe(Codec.None);
    expect(t.stored.length).toBeLessThan(text.length / 10);
    expect(r.codec).toBe(Codec.None);
    expect(decodeBlob(keys, t.id, t.stored, t.codec, t.rawLength).equals(text)).toBe(true);
    expect(() => decodeBlob(keys, r.id, r.stored, Codec.Brotli, r.rawLength)).toThrow(BlobDamagedError); // flag is authenticated
    expect(() => decodeBlob(keys, t.id, r.stored, r.codec, r.rawLength)).toThrow(BlobDamagedError);
  });

  it('the transient path compresses like compress(), and a probe stops trying on random data but comes back', () => {
    const text = Buffer.from('a line of text that repeats\n'.repeat(2000));
    const t = compressTransient(text);
    expect(t.codec).toBe(preferredCodec());
    expect(Buffer.from(decompress(t.codec, t.data)).equals(text)).toBe(true);
    expect(compressTransient(crypto.randomBytes(30_000)).codec).toBe(Codec.None);

    const probe = new CompressionProbe();
    const random = crypto.randomBytes(30_000);
    const tries = Array.from({ length: 40 }, () => probe.compress(random).codec);
    expect(tries.every((c) => c === Codec.None)).toBe(true);
    // Text after random: compressed again within the longest pause (64 chunks) plus one probe.
    const back = Array.from({ length: 70 }, () => probe.compress(text).codec);
    expect(back.at(-1)).toBe(preferredCodec());
    expect(back.findIndex((c) => c !== Codec.None)).toBeLessThanOrEqual(65);
  });

  it('round-trips both codecs', () => {
    const data = Buffer.from('x'.repeat(10_000));
    for (const codec of [Codec.Brotli, Codec.None]) {
      const c = compress(data, codec);
      expect(Buffer.from(decompress(c.codec, c.data)).equals(data)).toBe(true);
    }
  });
});

describe('pack and index layouts', () => {
  it('a pack lists its own blobs in its sealed header', () => {
    const pack = new PackBuilder(undefined, keys);
    const blobs = [crypto.randomBytes(1000), Buffer.alloc(5000, 7), crypto.randomBytes(10)].map((b) =>
      encodeBlob(keys, b),
    );
    for (const b of blobs) pack.add(b);
    const done = pack.finish(keys);
    expect(done.name).toMatch(/^data\/[0-9a-f]{2}\/[0-9a-f]{64}$/);
    const entries = parsePack(keys, done.bytes);
    expect(entries.map((e) => e.id)).toEqual(blobs.map((b) => b.id));
    const e = entries[1];
    expect(
      decodeBlob(keys, e.id, done.bytes.subarray(e.offset, e.offset + e.length), e.codec, e.rawLength).equals(
        Buffer.alloc(5000, 7),
      ),
    ).toBe(true);
    expect(decodeEntries(encodeEntries(entries))).toEqual(entries);
  });

  it.each([1, 2])(
    'a pack drained in pieces is the same pack: offsets and header cover every piece (format %i)',
    (format) => {
      const keys = deriveKeys(sdek, format);
      const pack = new PackBuilder(Buffer.allocUnsafe(64 << 10), keys);
      const plains = Array.from({ length: 9 }, (_, i) =>
        i % 2 ? crypto.randomBytes(9000 + i) : Buffer.alloc(7000, i),
      );
      const pieces: Buffer[] = [];
      for (const [i, p] of plains.entries()) {
        pack.add(encodeBlob(keys, p));
        // Copies: a drained piece is a view of a buffer the writer reuses once the piece is written.
        if (i % 3 === 2) pieces.push(Buffer.from(pack.drain(Buffer.allocUnsafe(64 << 10))));
      }
      const done = pack.finish(keys);
      const whole = Buffer.concat([...pieces, done.bytes]);
      expect(done.size).toBe(whole.length);
      // Format 1 names a pack by its SHA-256 (check and prune verify it); format 2 by 64 random hex digits.
      if (format === 1) expect(done.hash).toBe(crypto.createHash('sha256').update(whole).digest('hex'));
      else expect(done.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(packMatchesName(keys, done.hash, whole)).toBe(format === 1 ? true : undefined);
      const entries = parsePack(keys, whole);
      expect(entries).toEqual(done.entries);
      for (const [i, e] of entries.entries())
        expect(
          decodeBlob(keys, e.id, whole.subarray(e.offset, e.offset + e.length), e.codec, e.rawLength).equals(plains[i]),
        ).toBe(true);
    },
  );

  it('an index object round-trips', () => {
    const records = [
      {
        hash: 'ab'.repeat(32),
        entries: [{ id: 'cd'.repeat(32), offset: 0, length: 100, rawLength: 300, codec: Codec.Zstd }],
      },
      { hash: 'ef'.repeat(32), entries: [] },
    ];
    expect(decodeIndex(encodeIndex(records))).toEqual(records);
  });
});
