/**
 * Job kinds of item failover: the **failover** (test, planned or unplanned: prerequisites → shut down the source →
 * process pending data → failover → start) and **Change recovery point**. A failover may be cancelled until the item
 * was switched to the other site and is about to start: its cleanup deletes the copy and the item is protected again,
 * replication resuming; after that a cancel is refused with the reason (docs/failover.md).
 */
import { z } from 'zod';
import { FAILOVER_TYPES } from '../../shared/contract-item-failover';
import type { JobKind } from '../jobs/types';
import type {
  ChangePointParams,
  ChangePointState,
  FailoverParams,
  FailoverSteps,
  FailoverState,
} from './failover-steps';

const Params = z.object({
  itemId: z.string(),
  itemName: z.string(),
  type: z.enum(FAILOVER_TYPES),
  point: z.string(),
  shutdownSource: z.boolean(),
  waitFor: z.string().optional(),
});

const SWITCHED =
  'the item is failed over and starting at the other site; ' +
  'change its recovery point with `lifeboat item change-point`, or commit it with `lifeboat item commit`.';

const TYPE_WORDS = { test: 'Test failover', planned: 'Planned failover', unplanned: 'Unplanned failover' } as const;

export function itemFailoverJob(steps: FailoverSteps): JobKind<FailoverParams, FailoverState> {
  return {
    type: 'replication.failover',
    params: Params,
    title: (p) => `${TYPE_WORDS[p.type]} of ${p.itemName}`,
    object: (p) => ({ kind: 'protected-item', name: p.itemName }),
    steps: [
      { name: 'prerequisites', title: 'Check prerequisites', run: (ctx) => steps.prerequisites(ctx) },
      { name: 'shutdown', title: 'Shut down the source', run: (ctx) => steps.shutdown(ctx) },
      { name: 'process', title: 'Process pending data', weight: 4, run: (ctx) => steps.process(ctx) },
      {
        name: 'failover',
        title: 'Fail over: materialize the recovery point',
        weight: 8,
        run: (ctx) => steps.place(ctx),
      },
      { name: 'start', title: 'Start the item', weight: 2, run: (ctx) => steps.start(ctx) },
    ],
    cancellable: (s) => (!s.placed || s.test ? true : SWITCHED),
    cleanup: (ctx) => steps.undo(ctx),
  };
}

const ChangeParams = z.object({ itemId: z.string(), itemName: z.string(), point: z.string() });

export function changePointJob(steps: FailoverSteps): JobKind<ChangePointParams, ChangePointState> {
  return {
    type: 'replication.change-point',
    params: ChangeParams,
    title: (p) => `Change the recovery point of ${p.itemName}`,
    object: (p) => ({ kind: 'protected-item', name: p.itemName }),
    steps: [
      {
        name: 'change',
        title: 'Shut down, materialize the other point, start',
        weight: 8,
        run: (ctx) => steps.changePoint(ctx),
      },
    ],
    cancellable: () => 'it replaces the disks and folders of the item; wait for it (it resumes after a crash).',
  };
}
