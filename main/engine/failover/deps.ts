/** What failover (its manager, job, prechecks and transfer) takes from the rest of the engine: engine.ts wires it. */
import type { AccountManager } from '../accounts/manager';
import type { Alerts } from '../alerts';
import type { Db } from '../db/database';
import type { DeviceBackups } from '../devices/backups';
import type { DeviceManager } from '../devices/manager';
import type { EventBus } from '../events';
import type { JobRunner } from '../jobs/runner';
import type { Logger } from '../log';

/** Never the whole Engine: nothing in failover/ imports engine.ts. */
export interface FailoverDeps {
  /** The connection, for the transactions that hold both devices and create the job at once. */
  db: Db;
  bus: EventBus;
  log: Logger;
  alerts: Alerts;
  runner: JobRunner;
  accounts: AccountManager;
  /** The devices: their store, agent, paths and change events. */
  devices: DeviceManager;
  /** The device backups: the backups a failover restores, their configuration and heat. */
  deviceBackups: DeviceBackups;
}
