/** Typed errors: every failure the user can see has a stable code, a message and what to do next. */
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

/** Maps any thrown value to the wire form; unknown errors keep their message but never a stack. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof LifeboatError) return err.toInfo();
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string') {
    if (e.code === 'ENOSPC') return { code: 'io_error', message: `The disk is full (${e.message}).`, hint: 'Free some space on the disk and try again.' };
    if (e.code === 'EACCES' || e.code === 'EPERM')
      return { code: 'io_error', message: `Permission denied: ${e.message}.`, hint: 'Check the permissions of the folder or file named.' };
    if (e.code === 'ENOENT') return { code: 'not_found', message: e.message };
  }
  return { code: 'internal', message: e instanceof Error ? e.message : String(err), hint: 'See the log in the data directory (lifeboat diagnostics).' };
}

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
