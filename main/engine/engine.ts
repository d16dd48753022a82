/** The engine's composition root: one per data directory, shared by every transport (IPC, WebSocket, socket, CLI). */
import path from 'node:path';
import { Alerts } from './alerts';
import type { CallName, CallInput, CallOutput } from '../shared/contract';
import { dispatch, type CallContext } from './api/dispatch';
import { openDatabase, schemaVersion, type Db } from './db/database';
import type { Result } from '../shared/errors';
import type { EngineSurface, EngineVersions } from './engine-surface';
import { EventBus } from './events';
import { EventLoopMonitor } from './eventloop';
import { ConsoleHistory } from './history';
import { selftestJob } from './jobs/kinds/selftest';
import { JobRunner } from './jobs/runner';
import { InstanceLock, LOCK_FILE, type InstanceInfo } from './lock';
import { Logger, type Level } from './log';
import { VERSION } from './paths';
import { homeExposure, privateDir, securePrivateHome, type HomeExposure } from './private-files';
import { KEY_FILE, SecretStore, keyFileProtector, type KeyProtector } from './secrets';
import { ServiceManager } from './service';
import { Settings } from './settings';
import { WorkerPool } from './workers/pool';
import { AccountManager } from './accounts/manager';
import { BackupManager } from './backups/manager';
import { accountCheckJob } from './accounts/check-job';
import { backupJob } from './backups/backup-job';
import { restoreJob } from './backups/restore-job';
import { DeviceBackups } from './devices/backups';
import { DeviceManager } from './devices/manager';
import { checkRestoreTarget } from './devices/restore-target';
import { FailoverManager } from './failover/manager';
import { itemOps } from './plans/item-ops';
import type { PlanManager } from './plans/manager';
import { recoveryPlans } from './plans/plans';
import { Protection } from './replication/protection';
import { ReplicationStore } from './replication/store';
import { SiteManager } from './sites/manager';
import { SiteStore } from './sites/store';

export interface EngineOptions {
  dataDir: string;
  mode: InstanceInfo['mode'];
  protector?: KeyProtector;
  hostVersions?: { electron: string | null; chrome: string | null };
  /** Run queued jobs now (the app does; the CLI only when it follows a job). */
  runJobs?: boolean;
}

export class Engine implements EngineSurface {
  readonly bus = new EventBus();
  readonly eventLoop = new EventLoopMonitor();
  readonly log: Logger;
  readonly db: Db;
  readonly settings: Settings;
  readonly secrets: SecretStore;
  readonly service: ServiceManager;
  readonly alerts: Alerts;
  readonly history: ConsoleHistory;
  readonly runner: JobRunner;
  readonly workers: WorkerPool;
  readonly lock: InstanceLock;
  readonly accounts: AccountManager;
  readonly backups: BackupManager;
  readonly devices: DeviceManager;
  readonly deviceBackups: DeviceBackups;
  readonly failover: FailoverManager;
  readonly sites: SiteManager;
  readonly protection: Protection;
  readonly plans: PlanManager;
  private closed = false;

  private constructor(
    readonly dataDir: string,
    readonly mode: InstanceInfo['mode'],
    private readonly hostVersions: EngineOptions['hostVersions'],
    lock: InstanceLock,
    protector: KeyProtector,
  ) {
    this.lock = lock;
    securePrivateHome(dataDir, [LOCK_FILE, KEY_FILE, `${KEY_FILE}.os`]);
    this.log = new Logger(path.join(dataDir, 'logs'));
    this.db = openDatabase(dataDir);
    this.settings = new Settings(this.db);
    this.log.level = this.setting('logLevel', 'info') as Level;
    this.secrets = new SecretStore(this.db, dataDir, protector);
    this.service = new ServiceManager(this.db, this.secrets);
    this.alerts = new Alerts(this.db, this.bus);
    this.history = new ConsoleHistory(this.db);
    this.workers = new WorkerPool();
    this.runner = new JobRunner(this.db, this.bus, this.log, this.workers, dataDir);
    this.runner.register(selftestJob);
    this.accounts = new AccountManager(
      this.db,
      this.secrets,
      this.service,
      dataDir,
      this.log,
      this.runner.store,
      this.settings,
      this.workers,
    );
    this.backups = new BackupManager(this.accounts, this.runner);
    this.runner.register(backupJob(this.accounts));
    this.runner.register(restoreJob(this.accounts));
    this.runner.register(accountCheckJob(this.accounts));
    this.devices = new DeviceManager({
      db: this.db,
      bus: this.bus,
      log: this.log,
      settings: this.settings,
      alerts: this.alerts,
      service: this.service,
      secrets: this.secrets,
      jobs: this.runner.store,
      accounts: this.accounts,
      sites: () => this.sites,
      dataDir,
      mode,
    });
    this.backups.guardRestores((to, sources, overwrite) => checkRestoreTarget(this.devices, to, sources, overwrite));
    this.accounts.usedThrough({
      usedBy: (id) => this.devices.store.liveUsingAccount(id),
      release: (id) => this.devices.store.detachDeleted(id),
    });
    this.accounts.keepClearOf(() =>
      this.devices.store.list().map((d) => ({ path: d.root, what: `the data root of the device ${d.name}` })),
    );
    this.deviceBackups = new DeviceBackups({
      db: this.db,
      bus: this.bus,
      log: this.log,
      alerts: this.alerts,
      settings: this.settings,
      service: this.service,
      runner: this.runner,
      accounts: this.accounts,
      devices: this.devices,
      dataDir,
    });
    this.failover = new FailoverManager({
      db: this.db,
      bus: this.bus,
      log: this.log,
      alerts: this.alerts,
      runner: this.runner,
      accounts: this.accounts,
      devices: this.devices,
      deviceBackups: this.deviceBackups,
    });
    const replication = new ReplicationStore(this.db, this.settings);
    this.sites = new SiteManager(
      new SiteStore(this.db),
      (id) => replication.itemsUsingSite(id),
      () => [
        { path: dataDir, what: "Lifeboat's data directory" },
        ...this.devices.store.list().map((d) => ({ path: d.root, what: `the data root of the device ${d.name}` })),
        ...this.accounts.store
          .all()
          .flatMap((a) =>
            a.kind === 'local' ? [{ path: a.location, what: `the folder of the storage account ${a.name}` }] : [],
          ),
      ],
      this.secrets,
    );
    this.accounts.keepClearOf(() =>
      this.sites.store
        .list()
        .flatMap((s) => (s.root ? [{ path: s.root, what: `the root of the site ${s.name}` }] : [])),
    );
    this.protection = new Protection({
      store: replication,
      sites: this.sites,
      runner: this.runner,
      workers: this.workers,
      log: this.log,
      stateDir: privateDir(path.join(dataDir, 'replication')),
      requireAccount: (name) => void this.accounts.store.require(name),
      alert: (a) => void this.alerts.raise({ ...a, objectKind: 'protected-item' }),
    });
    // Plans run what a user can do to one item, through the contract's calls: never the items' tables.
    const ops = itemOps({
      call: (name, input) => this.call(name as CallName, input as never),
      agentAt: (site) => (site === 'primary' ? null : this.sites.agentFor(this.sites.store.require(site))),
    });
    this.plans = recoveryPlans({ db: this.db, runner: this.runner, ops });
    this.bus.on((e) => {
      // Replication cycles and resyncs raise their own alerts: a retried cycle is no alert, a stopped one is Critical.
      const replication =
        e.type === 'job.updated' && (e.job.type === 'replication.cycle' || e.job.type === 'replication.resync');
      if (e.type === 'job.updated' && e.job.status === 'failed' && !e.job.parentId && e.job.error && !replication) {
        this.alerts.raise({
          severity: 'critical',
          title: `${e.job.title} failed`,
          message: e.job.error.message,
          hint: e.job.error.hint ?? (e.job.resumable ? 'Fix the cause, then resume the job from the Jobs page.' : null),
          objectKind: e.job.objectKind,
          objectName: e.job.objectName,
          jobId: e.job.id,
        });
      }
    });
  }

  /** Takes the data directory's lock (refusing a second Lifeboat), opens and migrates the database. */
  static open(opts: EngineOptions): Engine {
    const lock = InstanceLock.acquire(opts.dataDir, opts.mode);
    try {
      const engine = new Engine(opts.dataDir, opts.mode, opts.hostVersions, lock, opts.protector ?? keyFileProtector);
      engine.log.info('engine opened', { mode: opts.mode, version: VERSION, dataDir: opts.dataDir });
      engine.warnIfHomeExposed();
      if (opts.runJobs) {
        engine.runner.start();
        engine.deviceBackups.start();
        engine.protection.scheduler.start();
        engine.protection.drills.start();
      }
      return engine;
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /** The home's exposure to other users now (status and diagnostics show it; null when private). */
  homeExposure(): HomeExposure | null {
    return homeExposure(this.dataDir);
  }

  /** Logs an exposed home at every open and raises one alert for it until that alert is acknowledged. */
  private warnIfHomeExposed(): void {
    const exposed = this.homeExposure();
    if (!exposed) return;
    this.log.warn('data directory open to other users', { dataDir: this.dataDir, mode: exposed.mode });
    const title = 'The data directory is open to other users';
    if (this.alerts.list(false).some((a) => a.title === title)) return;
    this.alerts.raise({
      severity: 'warning',
      title,
      message: exposed.message,
      hint: exposed.hint,
      objectKind: null,
      objectName: null,
      jobId: null,
    });
  }

  call<N extends CallName>(name: N, input: CallInput<N>, ctx: CallContext = {}): Promise<Result<CallOutput<N>>> {
    return dispatch(this, name, input, ctx) as Promise<Result<CallOutput<N>>>;
  }

  setting(key: string, fallback: string): string {
    return this.settings.get(key) ?? fallback;
  }

  setSetting(key: string, value: string): void {
    this.settings.set(key, value);
  }

  versions(): EngineVersions {
    return {
      lifeboat: VERSION,
      node: process.versions.node,
      electron: this.hostVersions?.electron ?? null,
      chrome: this.hostVersions?.chrome ?? null,
      sqlite: (this.db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v,
      schema: schemaVersion(this.db),
    };
  }

  /** Every stored secret's value, so that diagnostics can prove none leaks. */
  secretValues(): string[] {
    const names = (this.db.prepare('SELECT name FROM secrets').all() as { name: string }[]).map((r) => r.name);
    return names.map((n) => this.secrets.get(n) ?? '').filter(Boolean);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.deviceBackups.stop();
    this.protection.scheduler.stop();
    this.protection.drills.stop();
    this.devices.usage.stop();
    await this.runner.stop();
    await this.deviceBackups.records.flush(); // a change this process made reaches the account before it exits
    await this.workers.close();
    this.eventLoop.dispose();
    this.log.info('engine closed');
    this.log.close();
    this.db.close();
    this.lock.release();
  }
}

export function tmpDirOf(dataDir: string): string {
  return privateDir(path.join(dataDir, 'tmp'));
}
