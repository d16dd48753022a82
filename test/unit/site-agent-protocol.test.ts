/**
 * The site agent protocol's pure parts: pairing keys, the pairing MAC (bound to both certificates), frames split
 * anywhere by the network, block records, errors across the wire, and the recoverable/final classification that the
 * retry of replication relies on.
 */
import { describe, expect, it } from 'vitest';
import { LifeboatError } from '../../main/shared/errors';
import { isRecoverable } from '../../main/engine/replication/retry';
import {
  decodeRecords,
  FRAME,
  frame,
  FrameReader,
  fromWireError,
  newPairingKey,
  pairingMac,
  parsePairingKey,
  recordHead,
  toWireError,
} from '../../main/engine/sites/agent-protocol';
import { parseAgentUrl, unreachable } from '../../main/engine/sites/agent-pairing';
import { siteErrorKind } from '../../main/engine/sites/remote-agent';

describe('pairing keys and MACs', () => {
  it('reads a key typed in any case, with or without hyphens, and refuses a malformed one with invalid_input', () => {
    const key = newPairingKey();
    expect(key).toMatch(/^[0-9A-Z]{6}(-[0-9A-Z]{6}){3}$/);
    expect(parsePairingKey(key.toLowerCase().replace(/-/g, ' '))).toBe(key);
    expect(() => parsePairingKey('ABC')).toThrow(expect.objectContaining({ code: 'invalid_input' }));
    expect(() => parsePairingKey(`${key.slice(0, -1)}U`)).toThrow(/"U" is not a character/);
  });

  it('binds the MAC to the key and to every field, the certificate fingerprints included', () => {
    const key = newPairingKey();
    const fields = ['lifeboat-pair-request', 'AA:BB', 'CC:DD', 'host', 'site-1', 'dr', 'nonce'];
    const mac = pairingMac(key, fields);
    expect(pairingMac(key.toLowerCase(), fields)).toBe(mac);
    expect(pairingMac(newPairingKey(), fields)).not.toBe(mac);
    for (let i = 0; i < fields.length; i++)
      expect(
        pairingMac(
          key,
          fields.map((f, j) => (j === i ? `${f}x` : f)),
        ),
        `field ${i}`,
      ).not.toBe(mac);
  });

  it('takes only https://HOST:PORT as an agent address', () => {
    expect(parseAgentUrl('https://10.0.0.5:8443')).toEqual({
      url: 'https://10.0.0.5:8443',
      host: '10.0.0.5',
      port: 8443,
    });
    expect(parseAgentUrl('https://[::1]:8443/')).toMatchObject({ host: '::1', port: 8443 });
    for (const bad of ['http://h:1', 'https://h', 'https://h:1/x', 'nonsense'])
      expect(() => parseAgentUrl(bad), bad).toThrow(expect.objectContaining({ code: 'invalid_input' }));
  });
});

describe('frames and block records', () => {
  it('reads frames however the stream is cut', () => {
    const bytes = Buffer.concat([
      frame(FRAME.heartbeat),
      frame(FRAME.data, Buffer.alloc(70_000, 7)),
      frame(FRAME.result, Buffer.from('{"ok":true}')),
    ]);
    for (const step of [1, 3, 5, 4096, bytes.length]) {
      const got: [number, number][] = [];
      const r = new FrameReader((kind, payload) => got.push([kind, payload.length]));
      for (let i = 0; i < bytes.length; i += step) r.push(bytes.subarray(i, i + step));
      expect(got, `step ${step}`).toEqual([
        [FRAME.heartbeat, 0],
        [FRAME.data, 70_000],
        [FRAME.result, 11],
      ]);
    }
  });

  it('decodes data and zero records, and refuses a record cut short', () => {
    const data = Buffer.alloc(10, 1);
    const body = Buffer.concat([recordHead(65536, 10, false), data, recordHead(0, 65536, true)]);
    expect(decodeRecords(body)).toEqual([
      { offset: 65536, length: 10, data },
      { offset: 0, length: 65536, data: null },
    ]);
    expect(() => decodeRecords(body.subarray(0, 15))).toThrow(expect.objectContaining({ code: 'invalid_input' }));
  });
});

describe('errors across the wire and their classification', () => {
  it('keeps typed errors, an errno as the same errno, and makes a full site disk_full (final)', () => {
    const typed = fromWireError(
      toWireError(new LifeboatError('conflict', 'x', 'y', { retryable: true })),
      'https://a:1',
    );
    expect(typed).toMatchObject({ code: 'conflict', message: 'x', hint: 'y', retryable: true });
    const enoent = fromWireError(toWireError(Object.assign(new Error('gone'), { code: 'ENOENT' })), 'https://a:1');
    expect(enoent).toMatchObject({ code: 'ENOENT' });
    const full = fromWireError(toWireError(Object.assign(new Error('no space'), { code: 'ENOSPC' })), 'https://a:1');
    expect(full).toMatchObject({ code: 'disk_full', final: true });
    expect(siteErrorKind(full)).toBe('final');
    expect(isRecoverable(full)).toBe(false);
  });

  it('tells an unreachable site (recoverable) from a refused one (final), as the retry logic does', () => {
    const down = unreachable('https://a:1', 'ECONNREFUSED');
    expect(down).toMatchObject({ code: 'unavailable', retryable: true });
    expect(siteErrorKind(down)).toBe('recoverable');
    expect(isRecoverable(down)).toBe(true);
    const refused = fromWireError({ code: 'forbidden', message: 'not paired', final: true }, 'https://a:1');
    expect(siteErrorKind(refused)).toBe('final');
    expect(isRecoverable(refused)).toBe(false);
  });
});
