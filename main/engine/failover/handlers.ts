/** Handlers of the failover.* calls. */
import type { Handlers } from '../api/handlers';

type FailoverCalls = Extract<keyof Handlers, `failover.${string}`>;

export const failoverHandlers: Pick<Handlers, FailoverCalls> = {
  'failover.targets': (engine, input) => engine.failover.targets(input.source),
  'failover.plan': (engine, input) => engine.failover.plan(input.source, input.target),
  'failover.start': (engine, input) => engine.failover.start(input.source, input.target),
  'failover.resume': (engine, input) => engine.failover.resume(input.id),
  'failover.abandon': (engine, input) => engine.failover.abandon(input.id),
  'failover.checklist': (engine, input) => engine.failover.checklist(input.id),
};
