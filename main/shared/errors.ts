/**
 * Typed errors: every failure the user can see has a stable code, a message and what to do next. Shared by every side
 * (engine, web mode, CLI, renderer): no Node imports here; mapping Node's own errors lives in engine/errors.ts.
 */

export type ErrorCode =
  | 'invalid_input'
  | 'not_found'
  | 'conflict'
  | 'already_exists'
  | 'not_initialized'
  | 'already_initialized'
  | 'bad_key'
  | 'unauthorized'
  | 'forbidden'
  | 'busy'
  | 'locked'
  | 'newer_database'
  | 'not_allowed'
  | 'cancelled'
  | 'io_error'
  /** Data that fails authentication or is cut short (a key that passes its check, a manifest, an index, a pack). */
  | 'damaged'
  /** The disk that holds the data directory (or a file named in the message) is full. */
  | 'disk_full'
  | 'timeout'
  | 'unavailable'
  | 'no_compatible_target'
  | 'precheck_failed'
  | 'fenced'
  | 'internal';

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  hint?: string;
}

export class LifeboatError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  /** A retryable error leaves the job resumable (e.g. an unreachable account). */
  readonly retryable: boolean;
  /** Nothing outside the job can mend it (a path its backup does not hold): the job is not resumable. */
  readonly final: boolean;
  constructor(code: ErrorCode, message: string, hint?: string, opts: { retryable?: boolean; final?: boolean; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'LifeboatError';
    this.code = code;
    this.hint = hint;
    this.retryable = opts.retryable ?? false;
    this.final = opts.final ?? false;
  }
  toInfo(): ErrorInfo {
    return this.hint ? { code: this.code, message: this.message, hint: this.hint } : { code: this.code, message: this.message };
  }
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
