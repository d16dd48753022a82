/** Handlers of the failover.* calls. */
import type { Handlers } from '../api/types';

type FailoverCalls = Extract<keyof Handlers, `failover.${string}`>;

export const failoverHandlers: Pick<Handlers, FailoverCalls> = {
  'failover.targets': (engine, input) => engine.failover.targets(input.source),
  'failover.backups': (engine, input) => engine.failover.backups(input.source),
  'failover.prechecks': (engine, input) => engine.failover.prechecks(input.source, input.target, input.backup),
  'failover.plan': (engine, input) => engine.failover.plan(input.source, input.target, input.backup),
  'failover.start': (engine, input) => engine.failover.start(input.source, input.target, input.backup),
  'failover.resume': (engine, input) => engine.failover.resume(input.id),
  'failover.abandon': (engine, input) => engine.failover.abandon(input.id),
  'failover.checklist': (engine, input) => engine.failover.checklist(input.id),
};
