/**
 * Job kinds of protection: **Enable protection** (prerequisites → initial replication → finalize protection) and a
 * **replication cycle**. A cycle step is idempotent by construction: after a crash the job runs it again, which first
 * lets the site finish or undo the interrupted cycle (replication/cycle.ts `reconcile`), then makes a new point.
 */
import { z } from 'zod';
import type { JobKind } from '../jobs/types';
import type { CycleResult } from './cycle';

/** What the jobs need from the protection manager. */
export interface ProtectionRunner {
  prerequisites(itemId: string): Promise<void>;
  cycle(itemId: string, jobId: string, signal: AbortSignal, progress: (message: string) => void): Promise<CycleResult>;
  /** Initial replication done: the item is protected and its schedule starts. */
  markProtected(itemId: string): void;
  /** A cycle failed: the item's health says why (and whether a retry can help). */
  cycleFailed(itemId: string, err: unknown): void;
}

const Params = z.object({ itemId: z.string(), itemName: z.string() });
type Params = z.infer<typeof Params>;

interface EnableState {
  result?: { initial?: CycleResult; finalize?: CycleResult };
}

interface CycleState {
  result?: CycleResult;
}

const object = (p: Params) => ({ kind: 'protected-item', name: p.itemName });

async function guarded<T>(runner: ProtectionRunner, itemId: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    runner.cycleFailed(itemId, err);
    throw err;
  }
}

export function enableProtectionJob(runner: ProtectionRunner): JobKind<Params, EnableState> {
  return {
    type: 'replication.enable',
    params: Params,
    title: (p) => `Enable protection of ${p.itemName}`,
    object,
    steps: [
      { name: 'prerequisites', title: 'Check prerequisites', run: (ctx) => guarded(runner, ctx.params.itemId, () => runner.prerequisites(ctx.params.itemId)) },
      {
        name: 'initial',
        title: 'Initial replication',
        weight: 8,
        run: async (ctx) => {
          const r = await guarded(runner, ctx.params.itemId, () => runner.cycle(ctx.params.itemId, ctx.jobId, ctx.signal, (message) => ctx.progress({ message })));
          ctx.progress({ bytesDone: r.bytesSent, message: `Copied ${r.bytesSent} bytes` });
          ctx.checkpoint({ result: { ...ctx.state.result, initial: r } });
        },
      },
      {
        name: 'finalize',
        title: 'Finalize protection',
        run: async (ctx) => {
          // What changed while the first copy was made, applied as the next point.
          const r = await guarded(runner, ctx.params.itemId, () => runner.cycle(ctx.params.itemId, ctx.jobId, ctx.signal, (message) => ctx.progress({ message })));
          runner.markProtected(ctx.params.itemId);
          ctx.checkpoint({ result: { ...ctx.state.result, finalize: r } });
        },
      },
    ],
  };
}

export function replicationCycleJob(runner: ProtectionRunner): JobKind<Params, CycleState> {
  return {
    type: 'replication.cycle',
    params: Params,
    title: (p) => `Replicate ${p.itemName}`,
    object,
    steps: [
      {
        name: 'replicate',
        title: 'Replicate changes',
        run: async (ctx) => {
          const r = await guarded(runner, ctx.params.itemId, () => runner.cycle(ctx.params.itemId, ctx.jobId, ctx.signal, (message) => ctx.progress({ message })));
          ctx.progress({ bytesDone: r.bytesSent, message: `Sent ${r.bytesSent} bytes` });
          ctx.checkpoint({ result: r });
        },
      },
    ],
  };
}
