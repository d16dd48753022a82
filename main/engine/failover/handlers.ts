/** Handlers of the failover.* calls. */
import { LifeboatError } from '../errors';
import type { Handlers } from '../api/handlers';

type FailoverCalls = Extract<keyof Handlers, `failover.${string}`>;

const todo = () => {
  throw new LifeboatError('not_allowed', 'Failover is not available in this version yet.');
};

export const failoverHandlers: Pick<Handlers, FailoverCalls> = {
  'failover.targets': todo,
  'failover.plan': todo,
  'failover.start': todo,
  'failover.resume': todo,
  'failover.abandon': todo,
  'failover.checklist': todo,
};
