/** Handlers of the item failover calls (items.failover*, changePoint, commit, cleanupTest, drills, drillSchedule). */
import type { Handlers } from '../api/types';

type FailoverCalls =
  | 'items.failoverOptions'
  | 'items.failover'
  | 'items.changePoint'
  | 'items.commit'
  | 'items.cleanupTest'
  | 'items.drills'
  | 'items.drillSchedule';

export const itemFailoverHandlers: Pick<Handlers, FailoverCalls> = {
  'items.failoverOptions': (engine, input) => engine.protection.failover.options(input.name, input.type),
  'items.failover': (engine, input) => engine.protection.failover.start(input),
  'items.changePoint': (engine, input) => engine.protection.failover.changePoint(input.name, input.point),
  'items.commit': (engine, input) => engine.protection.failover.commit(input.name),
  'items.cleanupTest': (engine, input) => engine.protection.failover.cleanupTest(input.name, input.notes),
  'items.drills': (engine, input) => ({
    ...engine.protection.drills.shown(input.name),
    drills: engine.protection.failover.drills(input.name),
  }),
  'items.drillSchedule': (engine, input) => engine.protection.drills.set(input.name, input),
};
