/**
 * Recovery plans put together: their store, the manager and the plan job kind (registered with the runner here,
 * beside its domain). The engine gives it the item operations (plans/item-ops.ts) and the job runner.
 */
import type { Db } from '../db/database';
import type { JobRunner } from '../jobs/runner';
import { planJob, type PlanJobParams } from './job';
import { PlanManager } from './manager';
import type { PlanItemOps } from './ops';
import { PlanStore } from './store';

export interface PlansDeps {
  db: Db;
  runner: Pick<JobRunner, 'register' | 'create' | 'get' | 'wait' | 'resume' | 'pause'>;
  ops: PlanItemOps;
}

export function recoveryPlans(deps: PlansDeps): PlanManager {
  const store = new PlanStore(deps.db);
  const { runner } = deps;
  runner.register(planJob({ store, ops: deps.ops, jobs: runner }));
  return new PlanManager(store, deps.ops, {
    create: (type: string, params: PlanJobParams) => runner.create(type, params),
    get: (id) => runner.get(id),
    resume: (id) => runner.resume(id),
  });
}
