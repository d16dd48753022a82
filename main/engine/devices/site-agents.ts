/**
 * The device agent of every device, chosen per device: a device whose data root is at an agent site (its row's
 * `site_id`) is served by that site's `RemoteDeviceAgent` (one `device` call each, sites/agent-device.ts), every other
 * device by the `LocalDeviceAgent`. The engine's code calls one `DeviceAgent` with paths under a device's root, so this
 * class routes each call by the device root the path lies in (roots never overlap, whatever their site: setup.ts
 * refuses that), and `atSite` serves a root that has no device yet (the wizard's checks and `device create`).
 *
 * A site that cannot be reached gives an error naming the site and the device and saying what to do.
 */
import path from 'node:path';
import { LifeboatError } from '../../shared/errors';
import { within } from '../placement';
import type { Db } from '../db/database';
import type { DeviceOpRequest } from '../sites/agent-device';
import type { SiteManager } from '../sites/manager';
import { RemoteSiteAgent } from '../sites/remote-agent';
import type { DeviceMarker, RootState } from './agent';
import { LocalDeviceAgent, type DeviceAgent } from './agent';
import { RemoteDeviceAgent } from './agent-remote';

/** What routing needs of a site: its name and its `device` call. */
export interface DeviceSite {
  name: string;
  device(req: DeviceOpRequest): Promise<unknown>;
}

export interface SiteDeviceAgentsDeps {
  local: DeviceAgent;
  /** Devices whose data root is at a site (deleted ones too), with their root and site id. */
  siteDevices: () => Array<{ name: string; root: string; site_id: string | null }>;
  /** The site of that id, or undefined when it was removed. */
  site: (siteId: string) => DeviceSite | undefined;
}

/** The remedy for a site that does not answer. */
export const siteTestHint = (site: string) =>
  `Check the site with \`lifeboat site test ${site}\`: start \`lifeboat agent serve\` on its host if it stopped, or mend the network to it, then try again.`;

export class SiteDeviceAgents implements DeviceAgent {
  constructor(private readonly deps: SiteDeviceAgentsDeps) {}

  /** The agent for a data root at a site (null: this machine); `device` names the device in errors. */
  atSite(siteId: string | null, device?: string): DeviceAgent {
    if (siteId === null) return this.deps.local;
    const site = this.deps.site(siteId);
    const who = device ? `the device ${device}` : 'this device';
    if (!site)
      throw new LifeboatError(
        'not_found',
        `The site that holds the data root of ${who} was removed from Lifeboat.`,
        'Add the site again (`lifeboat site add NAME --agent …`), or remove the device.',
      );
    return new RemoteDeviceAgent(async (req) => {
      try {
        return await site.device(req);
      } catch (err) {
        if (err instanceof LifeboatError && err.code === 'unavailable')
          throw new LifeboatError(
            'unavailable',
            `The site ${site.name}, which holds the data root of ${who}, cannot be reached: ${err.message}`,
            siteTestHint(site.name),
            {
              retryable: true,
              cause: err,
            },
          );
        throw err;
      }
    });
  }

  /** The agent for a path: the site's when the path is in the root of a device at a site, else this machine's. */
  private at(target: string): DeviceAgent {
    const p = path.resolve(target);
    const d = this.deps.siteDevices().find((row) => row.site_id !== null && within(p, path.resolve(row.root)));
    return d ? this.atSite(d.site_id, d.name) : this.deps.local;
  }

  inspectRoot(root: string): Promise<RootState> {
    return this.at(root).inspectRoot(root);
  }
  prepareRoot(root: string, marker: DeviceMarker): Promise<void> {
    return this.at(root).prepareRoot(root, marker);
  }
  createShare(dir: string): Promise<void> {
    return this.at(dir).createShare(dir);
  }
  createVolume(file: string, size: number): Promise<void> {
    return this.at(file).createVolume(file, size);
  }
  setWritable(target: string, writable: boolean): Promise<void> {
    return this.at(target).setWritable(target, writable);
  }
  onlineModes(target: string): Promise<Record<string, number> | null> {
    return this.at(target).onlineModes(target);
  }
  remove(target: string): Promise<void> {
    return this.at(target).remove(target);
  }
  trash(target: string, id: string): Promise<void> {
    return this.at(target).trash(target, id);
  }
  untrash(target: string, id: string): Promise<boolean> {
    return this.at(target).untrash(target, id);
  }
  trashed(root: string): Promise<string[]> {
    return this.at(root).trashed(root);
  }
  emptyTrash(root: string, id: string): Promise<void> {
    return this.at(root).emptyTrash(root, id);
  }
  usage(target: string): Promise<number> {
    return this.at(target).usage(target);
  }
  fileSize(target: string): Promise<number | null> {
    return this.at(target).fileSize(target);
  }
  freeBytes(target: string): Promise<number> {
    return this.at(target).freeBytes(target);
  }
  space(target: string): Promise<{ free: number; total: number }> {
    return this.at(target).space(target);
  }
  exists(target: string): Promise<boolean> {
    return this.at(target).exists(target);
  }
}

/** The name of the agent site a device's root is at (null: this machine, or the site was removed). */
export function deviceSiteName(sites: Pick<SiteManager, 'store'>, siteId: string | null): string | null {
  return siteId ? (sites.store.byId(siteId)?.name ?? null) : null;
}

/**
 * The engine's device agents: devices at a site from the devices table, sites from the site manager (made after the
 * device manager, so it is looked up at each call).
 */
export function engineDeviceAgents(db: Db, sites: () => SiteManager | undefined): SiteDeviceAgents {
  const rows = db.prepare('SELECT name, root, site_id FROM devices WHERE site_id IS NOT NULL');
  return new SiteDeviceAgents({
    local: new LocalDeviceAgent(),
    siteDevices: () => rows.all() as Array<{ name: string; root: string; site_id: string | null }>,
    site: (id) => {
      const manager = sites();
      const row = manager?.store.byId(id);
      if (!manager || !row || row.kind !== 'agent') return undefined;
      const agent = manager.agentFor(row);
      if (!(agent instanceof RemoteSiteAgent)) return undefined;
      return { name: row.name, device: (req) => agent.device(req) };
    },
  });
}
