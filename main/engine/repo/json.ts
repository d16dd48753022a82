/**
 * JSON for manifests of any size. V8 caps a string at about 512 MiB, which one manifest passes at about 2.8 million
 * files, or with the block map of a ~300 GiB volume image (an extent per 64 KiB block): JSON.stringify and JSON.parse
 * of the whole manifest then fail. These write the same bytes as JSON.stringify in pieces (which the caller can compress
 * as they come), and parse a text too large for one string container by container.
 */

/** Text per piece written: large enough that there are few pieces, far below the string limit. */
const WRITE_PIECE = 1 << 20;
/** Text parsed at once: a container larger than this is parsed member by member. */
const PARSE_LIMIT = 64 << 20;
/** Containers this close to the root are written member by member; deeper values with JSON.stringify. */
const WRITE_LEVELS = 4;

/** Skipped as JSON.stringify skips them in objects (and writes null for them in arrays). */
const omitted = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol';

/**
 * The bytes of JSON.stringify(value), handed to `emit` in pieces of about 1 MiB, for values of plain objects, arrays
 * and scalars of any size.
 */
export function writeJson(value: unknown, emit: (piece: Buffer) => void): void {
  let text = '';
  const add = (s: string) => {
    text += s;
    if (text.length >= WRITE_PIECE) {
      emit(Buffer.from(text));
      text = '';
    }
  };
  const write = (v: unknown, levels: number) => {
    if (levels === 0 || v === null || typeof v !== 'object' || typeof (v as { toJSON?: unknown }).toJSON === 'function')
      return add(JSON.stringify(v));
    if (Array.isArray(v)) {
      add('[');
      v.forEach((x: unknown, i) => {
        if (i) add(',');
        if (omitted(x)) add('null');
        else write(x, levels - 1);
      });
      return add(']');
    }
    add('{');
    let first = true;
    for (const [k, x] of Object.entries(v)) {
      if (omitted(x)) continue;
      add(`${first ? '' : ','}${JSON.stringify(k)}:`);
      first = false;
      write(x, levels - 1);
    }
    add('}');
  };
  write(value, WRITE_LEVELS);
  emit(Buffer.from(text));
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function malformed(at: number): never {
  throw new SyntaxError(`Malformed JSON at byte ${at}.`);
}

function skipSpace(buf: Uint8Array, i: number): number {
  while (i < buf.length && isSpace(buf[i])) i++;
  return i;
}

/** The index just past the string that opens at `i`. UTF-8 continuation bytes are never a quote or a backslash. */
function endOfString(buf: Uint8Array, i: number): number {
  for (i++; i < buf.length; i++) {
    if (buf[i] === BACKSLASH) i++;
    else if (buf[i] === QUOTE) return i + 1;
  }
  return malformed(buf.length);
}

/**
 * The index just past the value that starts at `i`, or -1 for an object or array still open at `stop` (a string or a
 * scalar is always followed to its end).
 */
function endOfValue(buf: Uint8Array, i: number, stop = buf.length): number {
  const c = buf[i];
  if (c === QUOTE) return endOfString(buf, i);
  if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
    let depth = 0;
    const last = Math.min(stop, buf.length);
    for (; i < last; i++) {
      const b = buf[i];
      if (b === QUOTE) i = endOfString(buf, i) - 1;
      else if (b === OPEN_OBJECT || b === OPEN_ARRAY) depth++;
      else if ((b === CLOSE_OBJECT || b === CLOSE_ARRAY) && --depth === 0) return i + 1;
    }
    return last === buf.length ? malformed(buf.length) : -1;
  }
  while (i < buf.length && !isSpace(buf[i]) && buf[i] !== COMMA && buf[i] !== CLOSE_OBJECT && buf[i] !== CLOSE_ARRAY)
    i++;
  return i;
}

/**
 * The value that starts at `i`, and the index just past it: parsed at once when its text is within `limit` bytes,
 * else member by member. An array's members are parsed in groups of about `limit` bytes, as JSON.parse has a cost per
 * call: a manifest's entry list is parsed a few MiB at a time, not an entry at a time.
 */
function parseAt(buf: Buffer, i: number, limit: number): { value: unknown; end: number } {
  const open = buf[i];
  const whole = endOfValue(buf, i, i + limit);
  if (whole === i) malformed(i);
  if (whole > 0) return { value: JSON.parse(buf.toString('utf8', i, whole)), end: whole };
  const close = open === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY;
  const out: unknown[] | Record<string, unknown> = open === OPEN_OBJECT ? {} : [];
  /** Array members waiting to be parsed together: [groupStart, groupEnd). */
  let groupStart = -1;
  let groupEnd = -1;
  const parseGroup = () => {
    if (groupStart < 0) return;
    for (const v of JSON.parse(`[${buf.toString('utf8', groupStart, groupEnd)}]`) as unknown[])
      (out as unknown[]).push(v);
    groupStart = -1;
  };
  i = skipSpace(buf, i + 1);
  if (buf[i] === close) return { value: out, end: i + 1 };
  for (;;) {
    if (Array.isArray(out)) {
      const end = endOfValue(buf, i, i + limit);
      if (end === i) malformed(i);
      if (end > 0) {
        // A member small enough joins the group (which ends before it grows past the limit).
        if (groupStart >= 0 && end - groupStart > limit) parseGroup();
        if (groupStart < 0) groupStart = i;
        groupEnd = end;
        i = end;
      } else {
        parseGroup();
        const member = parseAt(buf, i, limit);
        out.push(member.value);
        i = member.end;
      }
    } else {
      if (buf[i] !== QUOTE) malformed(i);
      const keyEnd = endOfString(buf, i);
      const key = JSON.parse(buf.toString('utf8', i, keyEnd)) as string;
      i = skipSpace(buf, keyEnd);
      if (buf[i] !== COLON) malformed(i);
      const member = parseAt(buf, skipSpace(buf, i + 1), limit);
      // As JSON.parse does: "__proto__" is a key like any other, never the object's prototype.
      Object.defineProperty(out, key, { value: member.value, enumerable: true, writable: true, configurable: true });
      i = member.end;
    }
    i = skipSpace(buf, i);
    if (buf[i] === COMMA) i = skipSpace(buf, i + 1);
    else if (buf[i] === close) {
      parseGroup();
      return { value: out, end: i + 1 };
    } else malformed(i);
  }
}

/** JSON.parse of UTF-8 bytes, for texts of any size (`limit`: text parsed at once, for tests). */
export function parseJsonBuffer(bytes: Uint8Array, limit = PARSE_LIMIT): unknown {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length <= limit) return JSON.parse(buf.toString('utf8'));
  const { value, end } = parseAt(buf, skipSpace(buf, 0), limit);
  if (skipSpace(buf, end) !== buf.length) malformed(end);
  return value;
}
