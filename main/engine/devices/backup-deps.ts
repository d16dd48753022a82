/**
 * What the device backups (DeviceBackups, the backup and deactivation jobs, retention, the scheduler and the
 * rebuild of device records) take from the rest of the engine: explicit dependencies that engine.ts wires.
 */
import type { AccountManager } from '../accounts/manager';
import type { Alerts } from '../alerts';
import type { Db } from '../db/database';
import type { EventBus } from '../events';
import type { JobRunner } from '../jobs/runner';
import type { Logger } from '../log';
import type { ServiceManager } from '../service';
import type { Settings } from '../settings';
import type { DeviceBackupStore } from './backup-store';
import type { DeviceManager } from './manager';

export interface DeviceBackupDeps {
  /** The connection, for transactions that span a device's rows and the catalog's (tables are reached through stores). */
  db: Db;
  bus: EventBus;
  log: Logger;
  alerts: Alerts;
  settings: Settings;
  service: ServiceManager;
  runner: JobRunner;
  accounts: AccountManager;
  /** The devices: their store, agent, paths and change events. */
  devices: DeviceManager;
  /** The device_backups table. */
  backups: DeviceBackupStore;
  dataDir: string;
}
