/** Handlers of the plans.* calls: each run of a plan is a job, returned so the CLI follows it and `--json` shows it. */
import type { Handlers } from '../api/types';

type PlanCalls = Extract<keyof Handlers, `plans.${string}`>;

const noPoint = { point: 'latest-processed', shutdownSource: false } as const;

export const planHandlers: Pick<Handlers, PlanCalls> = {
  'plans.create': (engine, input) => engine.plans.create(input),
  'plans.list': (engine) => engine.plans.list(),
  'plans.show': (engine, input) => engine.plans.show(input.name),
  'plans.edit': (engine, input) => engine.plans.edit(input),
  'plans.delete': (engine, input) => engine.plans.delete(input.name),
  'plans.failover': (engine, input) => {
    const { type, point, shutdownSource, direction } = input;
    return engine.plans.run(input.name, {
      operation: 'failover',
      type,
      point,
      shutdownSource,
      ...(direction ? { direction } : {}),
    });
  },
  'plans.failback': (engine, input) =>
    engine.plans.run(input.name, {
      operation: 'failback',
      type: input.type,
      point: input.point,
      shutdownSource: false,
    }),
  'plans.commit': (engine, input) => engine.plans.run(input.name, { operation: 'commit', type: 'planned', ...noPoint }),
  'plans.reprotect': (engine, input) =>
    engine.plans.run(input.name, { operation: 'reprotect', type: 'planned', ...noPoint }),
  'plans.cleanupTest': (engine, input) =>
    engine.plans.run(input.name, { operation: 'cleanup-test', type: 'test', ...noPoint, notes: input.notes }),
  'plans.confirm': (engine, input) => engine.plans.confirm(input.id),
};
