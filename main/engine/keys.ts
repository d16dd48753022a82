/**
 * Human-facing keys. The service data encryption key (SDEK) is 32 random bytes plus a 2-byte checksum, written in
 * Crockford base32 as 11 groups of 5 characters, so a mistyped key is caught before it is ever used.
 */
import crypto from 'node:crypto';
import { LifeboatError } from '../shared/errors';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const SDEK_CHARS = 55;

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function unbase32(text: string): Buffer {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    value = (value << 5) | ALPHABET.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

const checksum = (key: Buffer) =>
  crypto.createHash('sha256').update('lifeboat-sdek').update(key).digest().subarray(0, 2);

const group = (s: string, n: number) => s.match(new RegExp(`.{1,${n}}`, 'g'))!.join('-');

export function generateSdek(): { text: string; key: Buffer } {
  const key = crypto.randomBytes(32);
  return { text: group(base32(Buffer.concat([key, checksum(key)])), 5), key };
}

/** Parses a typed or pasted SDEK; tolerant of case, spaces and hyphens, strict about everything else. */
export function parseSdek(input: string): { text: string; key: Buffer } {
  const compact = input.replace(/[\s-]/g, '').toUpperCase().replace(/O/g, '0').replace(/[IL]/g, '1');
  const hint = 'Paste the key exactly as it was shown when the service was created: 11 groups of 5 letters and digits.';
  if (compact.length !== SDEK_CHARS)
    throw new LifeboatError(
      'invalid_input',
      `The service data encryption key must have ${SDEK_CHARS} characters (without hyphens); this one has ${compact.length}.`,
      hint,
    );
  const bad = [...compact].find((c) => !ALPHABET.includes(c));
  if (bad)
    throw new LifeboatError(
      'invalid_input',
      `The service data encryption key contains "${bad}", which is not a valid character.`,
      hint,
    );
  const bytes = unbase32(compact);
  const key = bytes.subarray(0, 32);
  // The last character carries 3 padding bits: a re-encoding that differs means a typo there.
  if (!bytes.subarray(32, 34).equals(checksum(key)) || base32(bytes.subarray(0, 34)) !== compact)
    throw new LifeboatError(
      'invalid_input',
      'The service data encryption key has a typo: its checksum does not match.',
      hint,
    );
  return { text: group(compact, 5), key: Buffer.from(key) };
}

/** A fingerprint that identifies a key without revealing it (shown in settings and stored in the database). */
export function sdekFingerprint(key: Buffer): string {
  return group(crypto.createHmac('sha256', key).update('lifeboat-sdek-fingerprint').digest('hex').slice(0, 16), 4);
}

export function generateRegistrationKey(serviceId: string): string {
  return `${serviceId.slice(0, 8)}::${base32(crypto.randomBytes(20))}`;
}

export function newId(prefix: string): string {
  return `${prefix}-${crypto.randomBytes(6).toString('hex')}`;
}
