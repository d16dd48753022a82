/**
 * What the API layer (api/dispatch, api/handlers, api/session) and diagnostics see of the engine: its parts and the
 * few methods they call. `Engine` (engine.ts) implements it; those files import this instead of engine.ts, so the
 * composition root stays outside every import cycle (scripts/import-cycles.mjs).
 */
import type { AccountManager } from './accounts/manager';
import type { Alerts } from './alerts';
import type { BackupManager } from './backups/manager';
import type { Db } from './db/database';
import type { DeviceBackups } from './devices/backups';
import type { DeviceManager } from './devices/manager';
import type { EventLoopMonitor } from './eventloop';
import type { EventBus } from './events';
import type { FailoverManager } from './failover/manager';
import type { ConsoleHistory } from './history';
import type { JobRunner } from './jobs/runner';
import type { InstanceInfo, InstanceLock } from './lock';
import type { Logger } from './log';
import type { PlanManager } from './plans/manager';
import type { HomeExposure } from './private-files';
import type { Protection } from './replication/protection';
import type { SecretStore } from './secrets';
import type { ServiceManager } from './service';
import type { Settings } from './settings';
import type { SiteManager } from './sites/manager';
import type { WorkerPool } from './workers/pool';

/** The versions status and diagnostics report. */
export interface EngineVersions {
  lifeboat: string;
  node: string;
  electron: string | null;
  chrome: string | null;
  sqlite: string;
  schema: number;
}

export interface EngineSurface {
  readonly dataDir: string;
  readonly mode: InstanceInfo['mode'];
  readonly bus: EventBus;
  readonly eventLoop: EventLoopMonitor;
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
  homeExposure(): HomeExposure | null;
  setting(key: string, fallback: string): string;
  setSetting(key: string, value: string): void;
  versions(): EngineVersions;
  /** Every stored secret's value, so that diagnostics can prove none leaks. */
  secretValues(): string[];
  close(): Promise<void>;
}
