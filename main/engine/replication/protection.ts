/**
 * The protection half put together: the replication store, policies, protected items, their job kinds (registered
 * with the runner here, beside their domain) and the replication schedule. The engine builds one and starts its
 * schedule when it runs jobs. Every part reads one clock, which tests move (`setClock`) to check retry schedules,
 * app-consistent frequencies, resync windows and drill schedules in seconds.
 */
import { DrillSchedules } from './drill-schedule';
import { ItemFailover } from './failover';
import { changePointJob, itemFailoverJob } from './failover-job';
import { FailoverStore } from './failover-store';
import { resolvePoint } from './failover-points';
import { failoverView } from './failover-view';
import { enableProtectionJob, replicationCycleJob, resyncJob } from './jobs';
import { ProtectionManager, type ProtectionDeps } from './manager';
import { PolicyManager } from './policies';
import { Reprotector } from './reprotect';
import { ReplicationScheduler } from './scheduler';
import { sourceReach } from './source-reach';

export class Protection {
  readonly policies: PolicyManager;
  readonly items: ProtectionManager;
  readonly scheduler: ReplicationScheduler;
  /** Failover of items: test, planned, unplanned; change point, commit, test cleanup, drills. */
  readonly failover: ItemFailover;
  /** Reprotect after a committed failover, and again after a failback (replication/reprotect.ts). */
  readonly reprotect: Reprotector;
  /** Scheduled drills: a test failover every N days, cleaned up after a hold (replication/drill-schedule.ts). */
  readonly drills: DrillSchedules;
  private clock: () => Date;

  constructor(deps: Omit<ProtectionDeps, 'policies'>) {
    this.clock = deps.clock ?? (() => new Date());
    const now = () => this.clock();
    this.policies = new PolicyManager(deps.store);
    const failovers = new FailoverStore(deps.store.db);
    const drillSchedule = (itemId: string) => this.drills.view(itemId);
    const view = (item: Parameters<typeof failoverView>[1]) =>
      failoverView({ failovers, sites: deps.sites, drillSchedule }, item);
    this.items = new ProtectionManager({ ...deps, policies: this.policies, clock: now, failoverView: view });
    const directions = this.items.directions;
    const reachDeps = {
      sites: deps.sites,
      sources: (id: string) => deps.store.sources(id),
      activePath: directions.activePath.bind(directions),
    };
    this.failover = new ItemFailover({
      store: deps.store,
      failovers,
      sites: deps.sites,
      runner: deps.runner,
      cycle: (itemId, jobId, signal, mode) => this.items.cycle(itemId, jobId, signal, mode),
      activeJob: (item) => this.items.activeJob(item),
      replicaAgent: (item) => this.items.directions.target(item),
      sourceReach: (item) => sourceReach(reachDeps, item),
      log: deps.log,
      now,
    });
    deps.runner.register(itemFailoverJob(this.failover.steps));
    deps.runner.register(changePointJob(this.failover.steps));
    deps.runner.register(enableProtectionJob(this.items));
    deps.runner.register(replicationCycleJob(this.items));
    deps.runner.register(resyncJob(this.items));
    this.reprotect = new Reprotector({
      store: deps.store,
      runner: deps.runner,
      directions: this.items.directions,
      policies: this.policies,
      cycle: (itemId, jobId, signal, mode) => this.items.cycle(itemId, jobId, signal, mode),
      activeJob: (item) => this.items.activeJob(item),
      log: deps.log,
      now,
    });
    deps.runner.register(this.reprotect.job());
    this.drills = new DrillSchedules({
      store: deps.store,
      failovers,
      startTest: (input) => this.failover.start(input),
      cleanupTest: (name, notes) => this.failover.cleanupTest(name, notes),
      checkPoint: (item, choice) => void resolvePoint(this.failover.steps.points, item, choice),
      log: deps.log,
      clock: now,
    });
    this.scheduler = new ReplicationScheduler({
      store: deps.store,
      startCycle: (item) => this.items.startCycle(item),
      startResync: (item) => this.items.startResync(item),
      activeJob: (item) => this.items.activeJob(item),
      siteHeld: (item) => this.items.pausedSiteOf(item) !== undefined,
      log: deps.log,
      clock: now,
    });
  }

  /** Replaces the clock of every part (tests). */
  setClock(clock: () => Date): void {
    this.clock = clock;
  }
}
