/**
 * The site agent protocol, shared by the agent (sites/agent-server.ts) and the installation (sites/remote-agent.ts).
 * HTTPS, TLS 1.3, both ends pinned by certificate fingerprint. A request is `POST /v1/<call>`: JSON arguments in the
 * body, or, for calls that stream data (block records, a file), arguments in the `x-lifeboat-args` header and the
 * data as the body. A refused request answers a non-200 status with `{ok:false,error}` JSON. An accepted one answers
 * 200 with frames (`kind u8 | length u32le | payload`): heartbeats while the agent works (so a silent link is told
 * from a slow disk by the client's idle timeout), data chunks, then one result. See docs/replication.md.
 */
import crypto from 'node:crypto';
import { LifeboatError, type ErrorCode } from '../../shared/errors';

export const PROTOCOL = 'v1';
export const ARGS_HEADER = 'x-lifeboat-args';
/** How often the client wants a heartbeat frame (ms): a quarter of its idle timeout. */
export const HEARTBEAT_HEADER = 'x-lifeboat-heartbeat-ms';
export const FRAME_CONTENT_TYPE = 'application/x-lifeboat-frames';

export const FRAME = { heartbeat: 0, data: 1, result: 2 } as const;

export function frame(kind: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(kind, 0);
  head.writeUInt32LE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** Splits a byte stream into frames as it arrives; each frame's bytes are joined once (a 1 MiB frame comes in many chunks). */
export class FrameReader {
  private parts: Buffer[] = [];
  private total = 0;
  constructor(private readonly onFrame: (kind: number, payload: Buffer) => void) {}

  private take(n: number): Buffer {
    const all = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
    this.parts = all.length > n ? [all.subarray(n)] : [];
    this.total -= n;
    return all.subarray(0, n);
  }

  push(chunk: Buffer): void {
    this.parts.push(chunk);
    this.total += chunk.length;
    while (this.total >= 5) {
      if (this.parts[0].length < 5) {
        let k = 0;
        for (let n = 0; n < 5; k++) n += this.parts[k].length;
        this.parts.splice(0, k, Buffer.concat(this.parts.slice(0, k)));
      }
      const len = this.parts[0].readUInt32LE(1);
      if (this.total < 5 + len) return;
      const f = this.take(5 + len);
      this.onFrame(f.readUInt8(0), f.subarray(5));
    }
  }
}

/** An error as it crosses the wire: the typed error, or the errno of a file system error at the site. */
export interface WireError {
  code: string;
  message: string;
  hint?: string;
  retryable?: boolean;
  final?: boolean;
  errno?: string;
}

export function toWireError(err: unknown): WireError {
  if (err instanceof LifeboatError)
    return { code: err.code, message: err.message, hint: err.hint, retryable: err.retryable, final: err.final };
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code))
    return { code: 'io_error', message: e.message, errno: e.code };
  return { code: 'internal', message: e instanceof Error ? e.message : String(err) };
}

/**
 * The error the installation throws for an agent's error: a typed one as it was, a file system error as the same
 * errno (so callers treat it as they treat a local site's: ENOENT of a replica disk, EACCES), a full site disk as
 * disk_full (final).
 */
export function fromWireError(w: WireError, where: string): Error {
  if (w.errno === 'ENOSPC' || w.errno === 'EDQUOT')
    return new LifeboatError(
      'disk_full',
      `The disk of the recovery site at ${where} is full (${w.message}).`,
      'Free space on the agent host, or choose another site.',
      { final: true },
    );
  if (w.errno) return Object.assign(new Error(`At the site agent ${where}: ${w.message}`), { code: w.errno });
  return new LifeboatError(w.code as ErrorCode, w.message, w.hint, { retryable: w.retryable, final: w.final });
}

// Pairing keys: 24 characters of Crockford base32 (120 bits), shown in 4 groups of 6.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const KEY_CHARS = 24;

export function newPairingKey(): string {
  let s = '';
  for (let i = 0; i < KEY_CHARS; i++) s += ALPHABET[crypto.randomInt(32)];
  return s.match(/.{6}/g)!.join('-');
}

/** A typed or pasted pairing key, normalized; tolerant of case, spaces and hyphens. */
export function parsePairingKey(input: string): string {
  const compact = input.replace(/[\s-]/g, '').toUpperCase().replace(/O/g, '0').replace(/[IL]/g, '1');
  const hint =
    'Copy the pairing key `lifeboat agent serve` printed on the agent host: 4 groups of 6 letters and digits.';
  if (compact.length !== KEY_CHARS)
    throw new LifeboatError(
      'invalid_input',
      `--pairing-key: a pairing key has ${KEY_CHARS} characters (without hyphens); this one has ${compact.length}.`,
      hint,
    );
  const bad = [...compact].find((c) => !ALPHABET.includes(c));
  if (bad)
    throw new LifeboatError('invalid_input', `--pairing-key: "${bad}" is not a character of a pairing key.`, hint);
  return compact.match(/.{6}/g)!.join('-');
}

/** The MAC of one pairing message: HMAC-SHA256 under a key derived from the pairing key, over its fields in order. */
export function pairingMac(pairingKey: string, fields: string[]): string {
  const key = Buffer.from(
    crypto.hkdfSync(
      'sha256',
      Buffer.from(parsePairingKey(pairingKey)),
      Buffer.from('lifeboat-agent-pairing'),
      Buffer.from(PROTOCOL),
      32,
    ),
  );
  return crypto.createHmac('sha256', key).update(JSON.stringify(fields)).digest('base64');
}

export function macEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

export const PAIR_REQUEST = 'lifeboat-pair-request';
export const PAIR_RESPONSE = 'lifeboat-pair-response';

export interface PairRequest {
  installation: string;
  site: { id: string; name: string };
  nonce: string;
  /** pairingMac(key, [PAIR_REQUEST, agent fingerprint, client fingerprint, installation, site id, site name, nonce]) */
  mac: string;
}

export interface PairResponse {
  agentId: string;
  /** The agent's data root, on its host: where the replicas are. */
  root: string;
  /** pairingMac(key, [PAIR_RESPONSE, agent fingerprint, client fingerprint, nonce, agentId, root]) */
  mac: string;
}

const RECORD_HEAD = 13;

/** The head of one block record in a writeBlocks body (the format of sites/block-records.ts); the data follows it. */
export function recordHead(offset: number, length: number, zeros: boolean): Buffer {
  const head = Buffer.alloc(RECORD_HEAD);
  head.writeBigUInt64LE(BigInt(offset), 0);
  head.writeUInt32LE(length, 8);
  head.writeUInt8(zeros ? 1 : 0, 12);
  return head;
}

/** The blocks of a writeBlocks body; a record cut short or a bad flag is refused (the body is whole or nothing). */
export function decodeRecords(buf: Buffer): { offset: number; length: number; data: Buffer | null }[] {
  const out: { offset: number; length: number; data: Buffer | null }[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (pos + RECORD_HEAD > buf.length)
      throw new LifeboatError('invalid_input', 'A block record of the request is cut short.');
    const offset = Number(buf.readBigUInt64LE(pos));
    const length = buf.readUInt32LE(pos + 8);
    const flag = buf.readUInt8(pos + 12);
    pos += RECORD_HEAD;
    if (flag > 1 || !Number.isSafeInteger(offset))
      throw new LifeboatError('invalid_input', 'A block record of the request is malformed.');
    if (flag === 1) {
      out.push({ offset, length, data: null });
      continue;
    }
    if (pos + length > buf.length)
      throw new LifeboatError('invalid_input', 'A block record of the request is cut short.');
    out.push({ offset, length, data: buf.subarray(pos, pos + length) });
    pos += length;
  }
  return out;
}
