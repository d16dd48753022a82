/** Device backups: the backup policy and scheduler, backup jobs with heat maps, and deactivation. */
import type { CallOutput, CallParsedInput } from '../api/contract';
import type { Engine } from '../engine';
import { LifeboatError } from '../errors';

const todo = (): never => {
  throw new LifeboatError('not_allowed', 'Device backups are not available in this version yet.');
};

export class DeviceBackups {
  constructor(readonly engine: Engine) {}

  /** Starts the backup scheduler (the app and web mode do; a one-shot CLI command does not). */
  start(): void {}
  stop(): void {}

  backup(_name: string): CallOutput<'devices.backup'> { return todo(); }
  heat(_name: string): CallOutput<'devices.heat'> | Promise<CallOutput<'devices.heat'>> { return todo(); }
  policy(_input: CallParsedInput<'devices.policy'>): CallOutput<'devices.policy'> { return todo(); }
  deactivate(_input: CallParsedInput<'devices.deactivate'>): CallOutput<'devices.deactivate'> { return todo(); }
}
