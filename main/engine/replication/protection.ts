/**
 * The protection half put together: the replication store, policies, protected items, their job kinds (registered
 * with the runner here, beside their domain) and the replication schedule. The engine builds one and starts its
 * schedule when it runs jobs.
 */
import type { JobRunner } from '../jobs/runner';
import type { Logger } from '../log';
import type { SiteManager } from '../sites/manager';
import type { WorkerPool } from '../workers/pool';
import { enableProtectionJob, replicationCycleJob } from './jobs';
import { ProtectionManager } from './manager';
import { PolicyManager } from './policies';
import { ReplicationScheduler } from './scheduler';
import type { ReplicationStore } from './store';

export class Protection {
  readonly policies: PolicyManager;
  readonly items: ProtectionManager;
  readonly scheduler: ReplicationScheduler;

  constructor(deps: {
    store: ReplicationStore;
    sites: SiteManager;
    runner: JobRunner;
    workers: WorkerPool;
    log: Logger;
    stateDir: string;
    requireAccount: (name: string) => void;
    clock?: () => Date;
  }) {
    this.policies = new PolicyManager(deps.store);
    this.items = new ProtectionManager({ ...deps, policies: this.policies });
    deps.runner.register(enableProtectionJob(this.items));
    deps.runner.register(replicationCycleJob(this.items));
    this.scheduler = new ReplicationScheduler(deps.store, (item) => this.items.startCycle(item), (item) => this.items.activeJob(item), deps.log, deps.clock);
  }
}
