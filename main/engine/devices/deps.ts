/**
 * What the devices (DeviceManager with its items, set-up and usage) take from the rest of the engine: explicit
 * dependencies that engine.ts wires, never the whole Engine (so nothing in devices/ imports engine.ts). The device
 * backups' are in backup-deps.ts.
 */
import type { AccountManager } from '../accounts/manager';
import type { Alerts } from '../alerts';
import type { Db } from '../db/database';
import type { EventBus } from '../events';
import type { JobStore } from '../jobs/store';
import type { InstanceInfo } from '../lock';
import type { Logger } from '../log';
import type { SecretStore } from '../secrets';
import type { ServiceManager } from '../service';
import type { Settings } from '../settings';
import type { SiteManager } from '../sites/manager';

export interface DeviceDeps {
  /** The connection, for transactions that re-read a device before a change's final write (tables are reached through stores). */
  db: Db;
  bus: EventBus;
  log: Logger;
  settings: Settings;
  alerts: Alerts;
  service: ServiceManager;
  /** The CHAP secrets of volumes. */
  secrets: SecretStore;
  /** The jobs' store: a device's jobs, and whether a deactivation is running. */
  jobs: JobStore;
  accounts: AccountManager;
  /** The site manager, made after the devices (so looked up at each use): devices may have their root at an agent site. */
  sites: () => SiteManager;
  dataDir: string;
  mode: InstanceInfo['mode'];
}
