/** Handlers of the devices.*, shares.* and volumes.* calls: they call the domain and map its results to the contract's outputs. */
import type { Handlers } from '../api/handlers';
import { deviceSiteName } from './site-agents';
import { refuseAtSite } from './site-choice';

type DeviceCalls = Extract<keyof Handlers, `devices.${string}` | `shares.${string}` | `volumes.${string}`>;
/** The engine as every handler gets it (named through the handlers' type: nothing in devices/ imports engine.ts). */
type Engine = Parameters<Handlers['devices.show']>[0];

/** A device at an agent site takes no backups yet (site-choice.ts): refused before anything starts. */
function refuseBackupAtSite(engine: Engine, name: string, what = 'back up'): void {
  const device = engine.devices.store.require(name);
  refuseAtSite(device, what, deviceSiteName(engine.sites, device.site_id));
}

export const deviceHandlers: Pick<Handlers, DeviceCalls> = {
  'devices.create': (engine, input) => engine.devices.create(input),
  'devices.register': (engine, input) => engine.devices.register(input),
  'devices.checkRoot': (engine, input) => engine.devices.setup.inspectRoot(input.root, input.site),
  'devices.offline': (engine, input) => engine.devices.setDeviceOnline(input.name, false),
  'devices.online': (engine, input) => engine.devices.setDeviceOnline(input.name, true),
  'devices.list': (engine, input) => engine.devices.list(input),
  'devices.show': async (engine, input) => {
    const { device, shares, volumes, jobs } = await engine.devices.show(input.name, { refresh: input.refresh });
    return { device, shares, volumes, backups: engine.deviceBackups.listFor(device.id), heat: engine.deviceBackups.heatMap(device.id), jobs };
  },
  'devices.remove': (engine, input) => engine.devices.remove(input.name),
  'devices.policy': (engine, input) => {
    if (input.frequency !== 'off') refuseBackupAtSite(engine, input.name, 'schedule backups of');
    return engine.deviceBackups.policy(input);
  },
  'devices.backup': (engine, input) => {
    refuseBackupAtSite(engine, input.name);
    return engine.deviceBackups.backup(input.name);
  },
  'devices.heat': (engine, input) => engine.deviceBackups.heat(input.name),
  'devices.deactivate': (engine, input) => {
    if (input.finalBackup) refuseBackupAtSite(engine, input.name, 'take a final backup of');
    return engine.deviceBackups.deactivate(input);
  },
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
