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
  /**
   * The input field the error is about, as the contract names it (the zod path, e.g. "registrationKey"): the
   * message then starts with it ("registrationKey: …"), which the CLI prints as is and the app shows at the field.
   */
  field?: string;
}

/** Codes whose message may start with the field it is about. */
const ABOUT_INPUT = new Set<ErrorCode>(['invalid_input', 'conflict', 'not_found', 'already_exists', 'not_initialized']);

/**
 * The field a message about input names first, by the engine's convention ("quota: …", "NAME: …" for a positional
 * argument, lower-cased), or undefined.
 */
export function namedField(code: ErrorCode, message: string): string | undefined {
  if (!ABOUT_INPUT.has(code)) return undefined;
  const m = /^([a-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*|[A-Z]+): /.exec(message);
  if (!m) return undefined;
  return /^[A-Z]+$/.test(m[1]) ? m[1].toLowerCase() : m[1];
}

export class LifeboatError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  /** A retryable error leaves the job resumable (e.g. an unreachable account). */
  readonly retryable: boolean;
  /** Nothing outside the job can mend it (a path its backup does not hold): the job is not resumable. */
  readonly final: boolean;
  /** The input field it is about: `opts.field`, else the one the message names first. */
  readonly field?: string;
  constructor(
    code: ErrorCode,
    message: string,
    hint?: string,
    opts: { retryable?: boolean; final?: boolean; cause?: unknown; field?: string } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'LifeboatError';
    this.code = code;
    this.hint = hint;
    this.retryable = opts.retryable ?? false;
    this.final = opts.final ?? false;
    this.field = opts.field ?? namedField(code, message);
  }
  toInfo(): ErrorInfo {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.field ? { field: this.field } : {}),
    };
  }
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
