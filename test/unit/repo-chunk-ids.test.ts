/**
 * Chunk ids and pack names by repository format, against published vectors: format 2's keyed BLAKE3 (the reference
 * implementation's keyed_hash vectors: key "whats the Elvish word for friend", input bytes i % 251), format 1's
 * HMAC-SHA256 (RFC 4231, test case 2), format 1's pack names (SHA-256 of the bytes, FIPS 180-2 "abc") and format 2's
 * (random, never repeated, and not a checksum).
 */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chunkId, deriveKeys, FORMAT_VERSION } from '../../main/engine/repo/crypto';
import { encodeBlob } from '../../main/engine/repo/blob';
import { PackBuilder, packMatchesName } from '../../main/engine/repo/pack';

const input = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => i % 251));
const elvish = Buffer.from('whats the Elvish word for friend');

describe('chunk ids', () => {
  it('format 2 is keyed BLAKE3: the reference vectors, also after other keys and lengths in between', () => {
    const keys = { chunkIdKey: elvish, format: 2 };
    const other = { chunkIdKey: crypto.randomBytes(32), format: 2 };
    const vectors: Array<[number, string]> = [
      [0, '92b2b75604ed3c761f9d6f62392c8a9227ad0ea3f09573e783f1498a4ed60d26'],
      [1, '6d7878dfff2f485635d39013278ae14f1454b8c0a3a2d34bc1ab38228a80c95b'],
      [1024, '75c46f6f3d9eb4f55ecaaee480db732e6c2105546f1e675003687c31719c7ba4'],
    ];
    for (const [n, want] of vectors) {
      chunkId(other, input(5000)); // the thread's hasher is reset and re-keyed, never carried over
      expect(chunkId(keys, input(n)), `${n} bytes`).toBe(want);
      expect(chunkId(keys, input(n))).toBe(want);
    }
  });

  it('format 1 is HMAC-SHA256 (RFC 4231 case 2), so format-1 accounts keep deduplicating', () => {
    expect(chunkId({ chunkIdKey: Buffer.from('Jefe'), format: 1 }, Buffer.from('what do ya want for nothing?'))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('new repositories get format 2, and the same SDEK gives different ids under each format', () => {
    expect(FORMAT_VERSION).toBe(2);
    const sdek = crypto.randomBytes(32);
    expect(deriveKeys(sdek).format).toBe(2);
    const data = crypto.randomBytes(30_000);
    expect(chunkId(deriveKeys(sdek, 1), data)).not.toBe(chunkId(deriveKeys(sdek, 2), data));
    expect(chunkId(deriveKeys(sdek, 2), data)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('pack names', () => {
  it('format 1 checks a pack against the SHA-256 in its name (FIPS 180-2 "abc")', () => {
    const abc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(packMatchesName({ format: 1 }, abc, Buffer.from('abc'))).toBe(true);
    expect(packMatchesName({ format: 1 }, abc, Buffer.from('abd'))).toBe(false);
    expect(packMatchesName({ format: 2 }, abc, Buffer.from('abd'))).toBeUndefined();
  });

  it('format 2 names each pack by 256 random bits, so equal packs still get different names', () => {
    const keys = deriveKeys(crypto.randomBytes(32), 2);
    const blob = encodeBlob(keys, Buffer.alloc(1000, 1));
    const names = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const pack = new PackBuilder(undefined, keys);
      pack.add(blob);
      const done = pack.finish(keys);
      expect(done.name).toBe(`data/${done.hash.slice(0, 2)}/${done.hash}`);
      expect(done.hash).not.toBe(crypto.createHash('sha256').update(done.bytes).digest('hex'));
      names.add(done.name);
    }
    expect(names.size).toBe(500);
  });
});
