/** Errors across the thread boundary (a worker pool keeps only an error's message): sent as data, thrown again. */
import { LifeboatError, type ErrorCode } from '../../shared/errors';

/** The fields a job needs to fail, resume or explain. */
export interface WorkerError {
  code: string;
  message: string;
  hint?: string;
  retryable?: boolean;
  final?: boolean;
  errno?: string;
  damaged?: unknown[];
}

/** In the worker: what is sent of an error. */
export function toWorkerError(err: unknown): WorkerError {
  const e = err as LifeboatError & NodeJS.ErrnoException & { damaged?: unknown[] };
  return {
    code: e instanceof LifeboatError ? e.code : 'internal',
    message: e?.message ?? String(err),
    hint: e?.hint,
    retryable: e?.retryable,
    final: e?.final,
    errno: typeof e?.code === 'string' ? e.code : undefined,
    damaged: e?.damaged,
  };
}

/** On the main thread: the error again, as the job runner and the restore's reporting expect it. */
export function fromWorkerError(e: WorkerError): LifeboatError & { errno?: string; damaged?: unknown[] } {
  return Object.assign(
    new LifeboatError(e.code as ErrorCode, e.message, e.hint, { retryable: e.retryable, final: e.final }),
    { errno: e.errno, damaged: e.damaged },
  );
}
