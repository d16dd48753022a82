/** Handlers of the devices.*, shares.* and volumes.* calls: they call the domain and map its results to the contract's outputs. */
import type { Handlers } from '../api/types';
import { deviceSiteName } from './site-agents';
import { refuseVolumesAtSite } from './site-choice';

type DeviceCalls = Extract<keyof Handlers, `devices.${string}` | `shares.${string}` | `volumes.${string}`>;

export const deviceHandlers: Pick<Handlers, DeviceCalls> = {
  'devices.create': (engine, input) => engine.devices.create(input),
  'devices.register': (engine, input) => engine.devices.register(input),
  'devices.checkRoot': (engine, input) => engine.devices.setup.inspectRoot(input.root, input.site),
  'devices.offline': (engine, input) => engine.devices.setDeviceOnline(input.name, false),
  'devices.online': (engine, input) => engine.devices.setDeviceOnline(input.name, true),
  'devices.list': (engine, input) => engine.devices.list(input),
  'devices.show': async (engine, input) => {
    const { device, shares, volumes, jobs } = await engine.devices.show(input.name, { refresh: input.refresh });
    return {
      device,
      shares,
      volumes,
      backups: engine.deviceBackups.listFor(device.id),
      heat: engine.deviceBackups.heatMap(device.id),
      jobs,
    };
  },
  'devices.remove': (engine, input) => engine.devices.remove(input.name),
  'devices.policy': (engine, input) => {
    // An iSCSI server at an agent site would fail every scheduled backup (its volumes are not mirrored): refused up front.
    const device = engine.devices.store.require(input.name);
    if (input.frequency !== 'off' && device.type === 'iscsi')
      refuseVolumesAtSite(device, 1, deviceSiteName(engine.sites, device.site_id));
    return engine.deviceBackups.policy(input);
  },
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
