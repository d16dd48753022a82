/**
 * Job kinds of protection: **Enable protection** (prerequisites → initial replication → finalize protection), a
 * **replication cycle** (of one item, or of every member of its replication group at one instant) and a
 * **resynchronization**. A cycle step is idempotent by construction: after a crash the job runs it again, which first
 * lets the site finish or undo the interrupted cycle (replication/cycle.ts `reconcile`), then makes a new point. A
 * cycle records its own success or failure on its items (retry, Critical, resync required: replication/outcomes.ts).
 */
import { z } from 'zod';
import type { JobKind } from '../jobs/types';
import type { CycleResult } from './cycle';
import type { CycleMode } from './manager';

/** What the jobs need from the protection manager. */
export interface ProtectionRunner {
  prerequisites(itemId: string): Promise<void>;
  cycle(itemId: string, jobId: string, signal: AbortSignal, mode: CycleMode): Promise<CycleResult>;
  /** Initial replication done: the item is protected and its schedule starts. */
  markProtected(itemId: string): void;
  /** The prerequisites failed: the item says why. */
  cycleFailed(itemId: string, err: unknown): void;
}

const Params = z.object({ itemId: z.string(), itemName: z.string(), group: z.string().optional() });
type Params = z.infer<typeof Params>;

interface EnableState {
  result?: { initial?: CycleResult; finalize?: CycleResult };
}

interface CycleState {
  result?: CycleResult;
}

const object = (p: Params) =>
  p.group ? { kind: 'replication-group', name: p.group } : { kind: 'protected-item', name: p.itemName };

export function enableProtectionJob(runner: ProtectionRunner): JobKind<Params, EnableState> {
  return {
    type: 'replication.enable',
    params: Params,
    title: (p) => `Enable protection of ${p.itemName}`,
    object,
    steps: [
      {
        name: 'prerequisites',
        title: 'Check prerequisites',
        run: async (ctx) => {
          try {
            await runner.prerequisites(ctx.params.itemId);
          } catch (err) {
            runner.cycleFailed(ctx.params.itemId, err);
            throw err;
          }
        },
      },
      {
        name: 'initial',
        title: 'Initial replication',
        weight: 8,
        run: async (ctx) => {
          const r = await runner.cycle(ctx.params.itemId, ctx.jobId, ctx.signal, 'initial');
          ctx.progress({ bytesDone: r.bytesSent, message: `Copied ${r.bytesSent} bytes` });
          ctx.checkpoint({ result: { ...ctx.state.result, initial: r } });
        },
      },
      {
        name: 'finalize',
        title: 'Finalize protection',
        run: async (ctx) => {
          // What changed while the first copy was made, applied as the next point (app-consistent when it can be).
          const r = await runner.cycle(ctx.params.itemId, ctx.jobId, ctx.signal, 'finalize');
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
    title: (p) => (p.group ? `Replicate the group ${p.group}` : `Replicate ${p.itemName}`),
    object,
    steps: [
      {
        name: 'replicate',
        title: 'Replicate changes',
        run: async (ctx) => {
          const r = await runner.cycle(ctx.params.itemId, ctx.jobId, ctx.signal, 'delta');
          ctx.progress({ bytesDone: r.bytesSent, message: `Sent ${r.bytesSent} bytes` });
          ctx.checkpoint({ result: r });
        },
      },
    ],
  };
}

export function resyncJob(runner: ProtectionRunner): JobKind<Params, CycleState> {
  return {
    type: 'replication.resync',
    params: Params,
    title: (p) => `Resynchronize ${p.itemName}`,
    object,
    steps: [
      {
        name: 'resync',
        title: 'Compare block checksums and send the differences',
        run: async (ctx) => {
          const r = await runner.cycle(ctx.params.itemId, ctx.jobId, ctx.signal, 'resync');
          ctx.progress({ bytesDone: r.bytesSent, message: `Compared ${r.bytesCompared} bytes, sent ${r.bytesSent}` });
          ctx.checkpoint({ result: r });
        },
      },
    ],
  };
}
