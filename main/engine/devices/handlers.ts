/** Handlers of the devices.*, shares.* and volumes.* calls. */
import { LifeboatError } from '../errors';
import type { Handlers } from '../api/handlers';

type DeviceCalls = Extract<keyof Handlers, `devices.${string}` | `shares.${string}` | `volumes.${string}`>;

const todo = () => {
  throw new LifeboatError('not_allowed', 'Devices are not available in this version yet.');
};

export const deviceHandlers: Pick<Handlers, DeviceCalls> = {
  'devices.create': todo,
  'devices.register': todo,
  'devices.list': todo,
  'devices.show': todo,
  'devices.policy': todo,
  'devices.backup': todo,
  'devices.heat': todo,
  'devices.deactivate': todo,
  'devices.remove': todo,
  'shares.create': todo,
  'shares.list': todo,
  'shares.edit': todo,
  'shares.offline': todo,
  'shares.online': todo,
  'shares.delete': todo,
  'volumes.create': todo,
  'volumes.list': todo,
  'volumes.edit': todo,
  'volumes.offline': todo,
  'volumes.online': todo,
  'volumes.delete': todo,
};
