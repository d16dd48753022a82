/**
 * Generated malformed input for the entry fuzz test (test/faults/entry-fuzz.test.ts), from a seeded PRNG so that a
 * failure reproduces with its seed: API messages (WebSocket frames, local socket lines) and raw HTTP requests and
 * WebSocket handshakes, each with the typed error it must get. No generated message is a valid call.
 */
import { contract, type CallName } from '../../main/shared/contract';

/** mulberry32: small, fast, and the same sequence from the same seed on every machine. */
export class Rng {
  constructor(private state: number) {}
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  text(n: number): string {
    const chars = 'abcdefghijklmnopqrstuvwxyz0123456789._-/';
    let s = '';
    for (let i = 0; i < n; i++) s += chars[this.int(chars.length)];
    return s;
  }
}

const CALLS = Object.keys(contract) as CallName[];

/** A value of a random JSON type, sometimes huge or deep (but under the 1 MiB message bound). */
function anyValue(rng: Rng): unknown {
  switch (rng.int(12)) {
    case 0:
      return null;
    case 1:
      return rng.pick([0, -1, 1.5, 2 ** 53, -1e308, 1e308]);
    case 2:
      return rng.text(rng.between(0, 40));
    case 3:
      return rng.next() < 0.5;
    case 4:
      return [rng.text(3), rng.int(9)];
    case 5:
      return { [rng.text(4)]: rng.text(4) };
    case 6:
      return rng.next() < 0.1 ? 'x'.repeat(rng.between(100_000, 900_000)) : 'y'.repeat(rng.between(1000, 20_000));
    case 7:
      return Array.from({ length: rng.between(100, 5000) }, () => rng.int(1000));
    case 8:
      return deep(rng.between(65, 1500), rng); // deeper ones are written as text (case 6 of badMessage)
    case 9:
      return deep(rng.between(2, 30), rng);
    case 10:
      return '\u0000\u202e\ud800' + rng.text(5);
    default:
      return -0.0001;
  }
}

function deep(depth: number, rng: Rng): unknown {
  let v: unknown = rng.int(10);
  for (let i = 0; i < depth; i++) v = rng.next() < 0.5 ? [v] : { a: v };
  return v;
}

/** A message that is a call the contract refuses: a wrong type in one of its fields, or input that is no object. */
function wrongCall(rng: Rng): { call: string; input: unknown } {
  const call = rng.pick(CALLS);
  const spec = contract[call];
  const fields = Object.keys(spec.input.shape);
  const input: Record<string, unknown> = {};
  if (fields.length) input[rng.pick(fields)] = anyValue(rng);
  // A wrong value can still be right (a string field given a string): then the input itself is not an object.
  return spec.input.safeParse(input).success ? { call, input: rng.pick(['x', 7, [input], true]) } : { call, input };
}

/** One API message's text (or bytes) that must be answered with invalid_input. */
export function badMessage(rng: Rng, forLines: boolean): string | Buffer {
  const id = rng.between(1, 1_000_000);
  switch (rng.int(9)) {
    case 0: {
      const b = rng.bytes(rng.between(1, 300));
      // A line cannot hold its newline, and a blank line is skipped (not a message): keep one visible byte.
      if (forLines) for (let i = 0; i < b.length; i++) if (b[i] === 10) b[i] = 11;
      b[0] = 0x7e;
      return b;
    }
    case 1: {
      const whole = JSON.stringify({ id, ...wrongCall(rng) });
      return whole.slice(0, rng.between(1, Math.min(whole.length - 1, 2000)));
    }
    case 2:
      return rng.pick(['null', '0', '"status.get"', `[{"id":${id},"call":"status.get"}]`, 'true', '1e400', '-']);
    case 3: {
      const badId = rng.pick([undefined, '1', 1.5, null, [], {}, 2 ** 60, -0.5, 'x'.repeat(100)]);
      return JSON.stringify({ id: badId, call: 'status.get', input: {} });
    }
    case 4:
      return JSON.stringify({ id, abort: rng.pick([false, 1, 'yes', null, {}, []]) });
    case 5:
      return JSON.stringify({
        id,
        call: rng.pick([rng.text(rng.between(1, 80)), 42, null, ['status.get'], { name: 'status.get' }]),
        input: {},
      });
    case 6: {
      // Written as text: JSON.stringify itself overflows the stack past about 10 000 levels.
      const depth = rng.next() < 0.05 ? rng.between(1000, 200_000) : rng.between(65, 1000);
      return `{"id":${id},"call":"status.get","input":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    }
    default:
      return JSON.stringify({ id, ...wrongCall(rng) });
  }
}

export interface HttpCase {
  kind: string;
  bytes: Buffer;
  status: number;
  code: string;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];
const NOT_HTTP = { status: 400, code: 'invalid_input' };

/** A request target Node's parser takes but that is no URL (the request line any local process may send). */
function brokenTarget(rng: Rng): string {
  for (;;) {
    const scheme = rng.pick(['http', 'https', 'ws', 'a']);
    const host = rng.pick([
      '[',
      `[${rng.text(3)}`,
      `[::1${rng.text(2)}`,
      `${rng.text(4)}:${rng.between(65_536, 999_999)}`,
      `%${rng.text(2)}%`,
    ]);
    const target = `${scheme}://${host}${rng.next() < 0.5 ? '' : `/${rng.text(rng.between(0, 20))}`}`;
    try {
      new URL(target, 'http://127.0.0.1');
    } catch {
      return target;
    }
  }
}

/** A path whose %-escapes decodeURIComponent refuses (not UTF-8, cut short), or that decodes to a NUL. */
function brokenPath(rng: Rng): string {
  const escape = rng.pick(['%E0%A4%A', '%C3%28', '%FF', '%80', '%E2%82', '%F0%9F%98', '%ED%A0%80', '%00', '%']);
  const p = `/${rng.text(rng.between(0, 12))}${escape}${rng.next() < 0.5 ? '' : rng.text(4)}`;
  try {
    return decodeURIComponent(p).includes('\0') ? p : brokenPath(rng);
  } catch {
    return p;
  }
}

/** One malformed HTTP request on its own connection, and the typed reply it must get. */
export function badRequest(rng: Rng, port: number, cookie: string): HttpCase {
  const host = `Host: 127.0.0.1:${port}\r\n`;
  const end = 'Connection: close\r\n\r\n';
  const pick = rng.int(7);
  if (pick === 0) {
    const b = rng.bytes(rng.between(1, 500));
    b[0] = rng.between(0, 31); // never a method's first letter
    return { kind: 'random bytes', bytes: b, ...NOT_HTTP };
  }
  const line = (method: string, target: string, rest = '') =>
    Buffer.from(`${method} ${target} HTTP/1.1\r\n${host}${rest}${end}`);
  if (pick === 1)
    return {
      kind: 'no URL',
      bytes: line(rng.pick(METHODS), brokenTarget(rng), rng.next() < 0.5 ? `Cookie: ${cookie}\r\n` : ''),
      ...NOT_HTTP,
    };
  if (pick === 2)
    return { kind: 'broken escape', bytes: line('GET', brokenPath(rng), `Cookie: ${cookie}\r\n`), ...NOT_HTTP };
  if (pick === 3) {
    const fill = `X-Fill: ${'h'.repeat(rng.between(17_000, 24_000))}\r\n`;
    return { kind: 'headers too large', bytes: line('GET', '/', fill), status: 431, code: 'invalid_input' };
  }
  if (pick === 4) {
    const version = rng.pick(['HTTP/1.x', 'HTTP/x.1', 'HTTP/12.1', 'HTTX/1.1', 'HTTP/1.1 extra']);
    const bad = rng.pick([
      `GET / ${version}\r\n${host}${end}`,
      `GET / HTTP/1.1\r\nBad Header${rng.text(2)}: x\r\n${host}${end}`,
    ]);
    return { kind: 'bad version or header', bytes: Buffer.from(bad), ...NOT_HTTP };
  }
  if (pick === 5) {
    const length = rng.pick(['abc', '-1', '1 2', '99999999999999999999']);
    return {
      kind: 'bad Content-Length',
      bytes: Buffer.from(`POST /session HTTP/1.1\r\n${host}Content-Length: ${length}\r\n${end}`),
      ...NOT_HTTP,
    };
  }
  const body = JSON.stringify({ token: 'x'.repeat(rng.between(4100, 9000)) });
  const head = line('POST', '/session', `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n`);
  return { kind: 'session body too large', bytes: Buffer.concat([head, Buffer.from(body)]), ...NOT_HTTP };
}

/** One malformed WebSocket handshake, and the typed reply it must get. */
export function badUpgrade(rng: Rng, port: number, cookie: string): HttpCase {
  const origin = `Origin: http://127.0.0.1:${port}\r\n`;
  const ws = (target: string, headers: string, method = 'GET') =>
    Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\n${headers}\r\n`);
  const good = 'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
  const signed = `${origin}Cookie: ${cookie}\r\n`;
  switch (rng.int(6)) {
    case 0:
      return {
        kind: 'upgrade: no URL',
        bytes: ws(brokenTarget(rng), `${rng.next() < 0.5 ? signed : ''}${good}`),
        ...NOT_HTTP,
      };
    case 1: {
      const key = rng.pick(['', 'short', rng.text(rng.between(1, 40)), 'dGhlIHNhbXBsZSBub25jZQ=']);
      const headers = `${signed}Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n`;
      return { kind: 'upgrade: bad key', bytes: ws('/api', headers), ...NOT_HTTP };
    }
    case 2: {
      const version = rng.pick(['12', '14', 'x', '']);
      const headers = `${signed}Upgrade: websocket\r\nSec-WebSocket-Version: ${version}\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n`;
      return { kind: 'upgrade: bad version', bytes: ws('/api', headers), ...NOT_HTTP };
    }
    case 3: {
      const bytes =
        rng.next() < 0.5
          ? ws('/api', `${signed}${good}`, rng.pick(['POST', 'PUT', 'DELETE']))
          : ws('/api', `${signed}${good.replace('websocket', rng.pick(['websockets', 'h2c']))}`);
      return { kind: 'upgrade: bad method or protocol', bytes, ...NOT_HTTP };
    }
    case 4:
      return { kind: 'upgrade: no session', bytes: ws('/api', `${origin}${good}`), status: 401, code: 'unauthorized' };
    default:
      return {
        kind: 'upgrade: not /api',
        bytes: ws(`/p${rng.text(rng.between(0, 20))}`, `${signed}${good}`),
        status: 404,
        code: 'not_found',
      };
  }
}
