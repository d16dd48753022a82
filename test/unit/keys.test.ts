import { describe, expect, it } from 'vitest';
import { generateSdek, parseSdek, sdekFingerprint } from '../../main/engine/keys';

describe('service data encryption key', () => {
  it('round-trips through its text form, tolerant of case, spaces and hyphens', () => {
    const { text, key } = generateSdek();
    expect(text).toMatch(/^([0-9A-Z]{5}-){10}[0-9A-Z]{5}$/);
    expect(parseSdek(text).key.equals(key)).toBe(true);
    expect(parseSdek(` ${text.toLowerCase().replace(/-/g, ' ')} `).key.equals(key)).toBe(true);
  });

  it('catches a one-character typo by its checksum', () => {
    const { text } = generateSdek();
    const i = 7;
    const typo = text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1);
    expect(() => parseSdek(typo)).toThrow(/typo/);
    // Every other character in the last position too (it carries padding bits).
    for (const c of '0123456789ABCDEFGHJKMNPQRSTVWXYZ') {
      if (c !== text.at(-1)) expect(() => parseSdek(text.slice(0, -1) + c), c).toThrow(/typo/);
    }
  });

  it('names a wrong length and a wrong character', () => {
    expect(() => parseSdek('ABCDE-12345')).toThrow(/must have 55 characters.*has 10/);
    const { text } = generateSdek();
    expect(() => parseSdek(text.replace(/.$/, 'U'))).toThrow(/"U", which is not a valid character/);
  });

  it('fingerprints without revealing the key', () => {
    const { text, key } = generateSdek();
    const fp = sdekFingerprint(key);
    expect(fp).toMatch(/^[0-9a-f]{4}(-[0-9a-f]{4}){3}$/);
    expect(text.replace(/-/g, '')).not.toContain(fp.replace(/-/g, '').toUpperCase());
    expect(sdekFingerprint(key)).toBe(fp);
  });
});

import { maskSecrets } from '../../main/engine/history';
describe('console history', () => {
  it('never keeps a secret value typed after a flag', () => {
    expect(maskSecrets('service join --sdek ABCDE-FGHIJ --name x')).toBe('service join --sdek *** --name x');
    expect(maskSecrets("volume create d v --chap-secret='s3cret pass' --size 1G")).toBe(
      'volume create d v --chap-secret=*** --size 1G',
    );
    expect(maskSecrets('account add a --azure --account-key K --container c')).toBe(
      'account add a --azure --account-key *** --container c',
    );
    expect(maskSecrets('jobs list --status running')).toBe('jobs list --status running');
  });
});
