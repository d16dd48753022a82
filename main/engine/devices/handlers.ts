/** Handlers of the devices.*, shares.* and volumes.* calls. */
import type { Handlers } from '../api/handlers';

type DeviceCalls = Extract<keyof Handlers, `devices.${string}` | `shares.${string}` | `volumes.${string}`>;

export const deviceHandlers: Pick<Handlers, DeviceCalls> = {
  'devices.create': (engine, input) => engine.devices.create(input),
  'devices.register': (engine, input) => engine.devices.register(input),
  'devices.checkRoot': (engine, input) => engine.devices.inspectRoot(input.root),
  'devices.offline': (engine, input) => engine.devices.setDeviceOnline(input.name, false),
  'devices.online': (engine, input) => engine.devices.setDeviceOnline(input.name, true),
  'devices.list': (engine, input) => engine.devices.list(input),
  'devices.show': (engine, input) => engine.devices.show(input.name, { refresh: input.refresh }),
  'devices.remove': (engine, input) => engine.devices.remove(input.name),
  'devices.policy': (engine, input) => engine.deviceBackups.policy(input),
  'devices.backup': (engine, input) => engine.deviceBackups.backup(input.name),
  'devices.heat': (engine, input) => engine.deviceBackups.heat(input.name),
  'devices.deactivate': (engine, input) => engine.deviceBackups.deactivate(input),
  'shares.create': (engine, input) => engine.devices.createShare(input),
  'shares.list': (engine, input) => engine.devices.listShares(input.device),
  'shares.edit': (engine, input) => engine.devices.editShare(input),
  'shares.offline': (engine, input) => engine.devices.setShareOnline(input.device, input.name, false),
  'shares.online': (engine, input) => engine.devices.setShareOnline(input.device, input.name, true),
  'shares.delete': (engine, input) => engine.devices.deleteShare(input.device, input.name),
  'volumes.create': (engine, input) => engine.devices.createVolume(input),
  'volumes.list': (engine, input) => engine.devices.listVolumes(input.device),
  'volumes.edit': (engine, input) => engine.devices.editVolume(input),
  'volumes.offline': (engine, input) => engine.devices.setVolumeOnline(input.device, input.name, false),
  'volumes.online': (engine, input) => engine.devices.setVolumeOnline(input.device, input.name, true),
  'volumes.delete': (engine, input) => engine.devices.deleteVolume(input.device, input.name),
};
