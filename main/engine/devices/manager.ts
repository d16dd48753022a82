/** Virtual arrays: devices on data roots, their shares and volumes, device backups with heat maps, deactivation. */
import type { Engine } from '../engine';

export class DeviceManager {
  constructor(readonly engine: Engine) {}

  /** Starts the backup scheduler (the app and web mode do; a one-shot CLI command does not). */
  start(): void {}

  stop(): void {}
}
