/** Device failover: compatible targets, prechecks, hot-first restore jobs, ownership transfer, resume and abandon. */
import type { CallOutput } from '../api/contract';
import type { Engine } from '../engine';
import { LifeboatError } from '../errors';

const todo = (): never => {
  throw new LifeboatError('not_allowed', 'Failover is not available in this version yet.');
};

export class FailoverManager {
  constructor(readonly engine: Engine) {}

  targets(_source: string): CallOutput<'failover.targets'> | Promise<CallOutput<'failover.targets'>> { return todo(); }
  plan(_source: string, _target: string): CallOutput<'failover.plan'> | Promise<CallOutput<'failover.plan'>> { return todo(); }
  start(_source: string, _target: string): CallOutput<'failover.start'> | Promise<CallOutput<'failover.start'>> { return todo(); }
  resume(_id: string): CallOutput<'failover.resume'> { return todo(); }
  abandon(_id: string): CallOutput<'failover.abandon'> | Promise<CallOutput<'failover.abandon'>> { return todo(); }
  checklist(_id: string): CallOutput<'failover.checklist'> { return todo(); }
}
