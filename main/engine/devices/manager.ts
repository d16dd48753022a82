/** Virtual arrays: devices on data roots with their shares and volumes (configuration, validation, status). */
import type { CallOutput, CallParsedInput } from '../api/contract';
import type { Engine } from '../engine';
import { LifeboatError } from '../errors';

const todo = (): never => {
  throw new LifeboatError('not_allowed', 'Devices are not available in this version yet.');
};

export class DeviceManager {
  constructor(readonly engine: Engine) {}

  create(_input: CallParsedInput<'devices.create'>): CallOutput<'devices.create'> | Promise<CallOutput<'devices.create'>> { return todo(); }
  register(_input: CallParsedInput<'devices.register'>): CallOutput<'devices.register'> { return todo(); }
  list(_input: CallParsedInput<'devices.list'>): CallOutput<'devices.list'> { return todo(); }
  show(_name: string): CallOutput<'devices.show'> | Promise<CallOutput<'devices.show'>> { return todo(); }
  remove(_name: string): CallOutput<'devices.remove'> { return todo(); }
  createShare(_input: CallParsedInput<'shares.create'>): CallOutput<'shares.create'> { return todo(); }
  listShares(_device: string): CallOutput<'shares.list'> { return todo(); }
  editShare(_input: CallParsedInput<'shares.edit'>): CallOutput<'shares.edit'> { return todo(); }
  setShareOnline(_device: string, _name: string, _online: boolean): CallOutput<'shares.online'> { return todo(); }
  deleteShare(_device: string, _name: string): CallOutput<'shares.delete'> | Promise<CallOutput<'shares.delete'>> { return todo(); }
  createVolume(_input: CallParsedInput<'volumes.create'>): CallOutput<'volumes.create'> { return todo(); }
  listVolumes(_device: string): CallOutput<'volumes.list'> { return todo(); }
  editVolume(_input: CallParsedInput<'volumes.edit'>): CallOutput<'volumes.edit'> { return todo(); }
  setVolumeOnline(_device: string, _name: string, _online: boolean): CallOutput<'volumes.online'> { return todo(); }
  deleteVolume(_device: string, _name: string): CallOutput<'volumes.delete'> | Promise<CallOutput<'volumes.delete'>> { return todo(); }
}
