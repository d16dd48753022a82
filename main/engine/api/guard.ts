/**
 * The one guard every entry point runs its handler through (HTTP request, WebSocket upgrade, WebSocket frame, local
 * socket line, Electron IPC call): whatever the handler throws or rejects with becomes a typed error reply, and
 * nothing a client sends can end the process. Errors we did not type are logged with their stack; typed ones are the
 * client's mistake and are only answered.
 */
import { toErrorInfo } from '../errors';
import { LifeboatError, type ErrorCode, type ErrorInfo } from '../../shared/errors';

export type Entry = 'http' | 'upgrade' | 'websocket' | 'local-socket' | 'ipc';

export interface GuardLog {
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * Wraps `handle` for `entry`. When it throws (or its promise rejects), `fail` answers with the typed error; if `fail`
 * throws too (the connection is gone), that is logged and dropped. The wrapper never throws and never rejects, so an
 * event emitter may call it and ignore its promise.
 */
export function guard<A extends unknown[], R, F>(
  entry: Entry,
  log: GuardLog,
  handle: (...args: A) => R | Promise<R>,
  fail: (error: ErrorInfo, ...args: A) => F | Promise<F>,
): (...args: A) => Promise<R | F | undefined> {
  return async (...args: A) => {
    try {
      return await handle(...args);
    } catch (err) {
      const info = safeInfo(err);
      if (!(err instanceof LifeboatError))
        quietly(() => log.error('request failed', { entry, error: info, stack: (err as Error)?.stack }));
      try {
        return await fail(info, ...args);
      } catch (again) {
        quietly(() => log.error('error reply failed', { entry, error: info, reply: safeInfo(again) }));
        return undefined;
      }
    }
  };
}

/** toErrorInfo, but even a thrown value whose message getter throws maps to an error. */
function safeInfo(err: unknown): ErrorInfo {
  try {
    return toErrorInfo(err);
  } catch {
    return {
      code: 'internal',
      message: 'An unexpected value was thrown.',
      hint: 'See the log in the data directory (lifeboat diagnostics).',
    };
  }
}

function quietly(f: () => void): void {
  try {
    f();
  } catch {
    // The log is best effort here: the reply matters more.
  }
}

/** The HTTP status that carries an error code, for web mode's replies. */
export function httpStatus(code: ErrorCode): number {
  switch (code) {
    case 'invalid_input':
      return 400;
    case 'unauthorized':
      return 401;
    case 'forbidden':
    case 'not_allowed':
      return 403;
    case 'not_found':
      return 404;
    case 'conflict':
    case 'already_exists':
    case 'already_initialized':
      return 409;
    case 'busy':
    case 'unavailable':
      return 503;
    default:
      return 500;
  }
}
