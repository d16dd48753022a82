/**
 * Reads one client message of the wire format (wire.ts) from its text, for the WebSocket and the local socket.
 * Kept apart from wire.ts, which the preload imports: the preload bundles the channel names and nothing more.
 */
import { LifeboatError } from './errors';
import type { ClientMessage } from './wire';

/** Contract inputs nest a few levels; a deeper message is refused before it is parsed. */
export const MAX_MESSAGE_DEPTH = 64;

const SHAPE_HINT =
  'Send one JSON object per message: {"id": 1, "call": "status.get", "input": {}}, or {"id": 1, "abort": true}.';
const bad = (message: string) => new LifeboatError('invalid_input', message, SHAPE_HINT);

/** Parses one client message, or throws invalid_input saying what is wrong with it. */
export function parseClientMessage(raw: string): ClientMessage {
  if (nestsPast(raw, MAX_MESSAGE_DEPTH)) throw bad(`The message nests deeper than ${MAX_MESSAGE_DEPTH} levels.`);
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    throw bad('The message is not valid JSON.');
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg))
    throw bad(`The message must be a JSON object, not ${describe(msg)}.`);
  const { id, call, input, abort } = msg as Record<string, unknown>;
  if (typeof id !== 'number' || !Number.isSafeInteger(id))
    throw bad(`id: give a whole number to match the reply to the call, not ${describe(id)}.`);
  if (abort !== undefined) {
    if (abort !== true) throw bad(`abort: the only value is true, not ${describe(abort)}.`);
    return { id, abort: true };
  }
  return { id, call, input };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.length > 40 ? 'a long string' : JSON.stringify(v);
  return typeof v === 'object' ? 'an object' : typeof v === 'undefined' ? 'nothing' : `${typeof v} ${String(v)}`;
}

/**
 * True when the JSON text nests past `max` levels. Scanned before JSON.parse, which takes over a second on a 1 MiB
 * frame of 500 000 brackets; this loop takes milliseconds and stops at the first level too deep.
 */
function nestsPast(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
