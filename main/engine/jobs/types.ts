/** What a job kind declares: its steps, each idempotent, and how to clean up after a cancel. */
import type { z } from 'zod';
import type { Logger } from '../log';
import type { WorkerPool } from '../workers/pool';

export interface ProgressUpdate {
  /** Progress of the current step, 0..1. */
  fraction?: number;
  message?: string;
  bytesDone?: number;
  bytesTotal?: number;
}

export interface StepContext<P = unknown, S extends object = Record<string, unknown>> {
  jobId: string;
  params: P;
  /** Checkpointed state: survives a crash once `checkpoint` returns. */
  state: S;
  signal: AbortSignal;
  dataDir: string;
  log: Logger;
  workers: WorkerPool;
  /** Persists the state (merged with patch) in one transaction, then stops here if a cancel or pause was asked. */
  checkpoint(patch?: Partial<S>): void;
  progress(update: ProgressUpdate): void;
  /** Throws the cancellation error when a cancel or pause was asked. */
  throwIfStopped(): void;
}

export interface StepDef<P, S extends object> {
  name: string;
  title: string;
  /** Relative share of the job's progress bar. */
  weight?: number;
  run(ctx: StepContext<P, S>): Promise<void>;
}

export interface JobKind<P = unknown, S extends object = Record<string, unknown>> {
  type: string;
  params: z.ZodType<P>;
  title(params: P): string;
  object?(params: P): { kind: string; name: string } | null;
  steps: StepDef<P, S>[];
  /** Steps decided by the params (a recovery plan's groups and actions); `steps` when absent. */
  stepsFor?(params: P): StepDef<P, S>[];
  /** Whether a failed job of this kind can be resumed (its steps must then be idempotent; they always are). */
  resumable?: boolean;
  /** Whether a running job may be cancelled now; a string says why not. */
  cancellable?(state: S): true | string;
  /** Undo partial work after a cancel so the object is clean again. */
  cleanup?(ctx: StepContext<P, S>): Promise<void>;
}
