/**
 * Where a new device's data root is: this machine (no site, or the primary site), or a paired agent site, whose
 * device roots live under its root's devices/ folder on the agent host (sites/agent-device.ts). Also the refusals for
 * what a device at an agent site cannot do yet: back up its volumes (its shares are backed up from a mirror here,
 * site-mirror.ts). It is no failover target (failover/compatibility.ts), and a restore never writes into it.
 */
import path from 'node:path';
import { LifeboatError } from '../../shared/errors';
import { DEVICE_AREA } from '../sites/agent-device';
import type { SiteManager } from '../sites/manager';

export interface DeviceSiteChoice {
  /** The site's id; null: this machine. */
  id: string | null;
  name: string | null;
  /** `<agent root>/devices` on the agent host; null: this machine. */
  area: string | null;
}

const HERE: DeviceSiteChoice = { id: null, name: null, area: null };

export function resolveDeviceSite(
  sites: Pick<SiteManager, 'store' | 'show'>,
  name: string | undefined,
): DeviceSiteChoice {
  if (name === undefined || name.trim().toLowerCase() === 'primary') return HERE;
  const row = sites.store.byName(name.trim());
  if (!row)
    throw new LifeboatError(
      'not_found',
      `site: there is no site ${name.trim()}.`,
      'List the sites with `lifeboat site list`, or pair a site agent with `lifeboat site add NAME --agent https://HOST:PORT --pairing-key KEY`.',
    );
  if (row.kind !== 'agent')
    throw new LifeboatError(
      'invalid_input',
      `site: the site ${row.name} is a folder on this machine, not a site agent.`,
      'Leave out --site and give the data root on this machine, or choose an agent site (`lifeboat site list`).',
    );
  const root = sites.show(row.name).root;
  if (!root)
    throw new LifeboatError(
      'forbidden',
      `site: the credentials of the agent site ${row.name} are missing from this installation's secrets.`,
      'Remove the site and pair it again (`lifeboat site add NAME --agent … --pairing-key …`).',
    );
  return { id: row.id, name: row.name, area: path.join(root, DEVICE_AREA) };
}

/**
 * A device at an agent site is backed up from a mirror of its shares on this machine (site-mirror.ts); its volumes
 * (images) are not mirrored, so a device at a site with volumes refuses backups up front.
 */
export function refuseVolumesAtSite(
  device: { name: string; site_id: string | null },
  volumes: number,
  siteName: string | null,
): void {
  if (!device.site_id || !volumes) return;
  throw new LifeboatError(
    'not_allowed',
    `The data root of the device ${device.name} is at the agent site ${siteName ?? '(removed)'}: ` +
      'Lifeboat backs up the shares of a device at an agent site, not its volumes.',
    'Back up an iSCSI server whose data root is on this machine (`lifeboat device create NAME --type iscsi --root DIR` without --site).',
  );
}

/** A site holding the data root of a device cannot be removed (the device's every operation goes through it). */
export function refuseSiteInUse(
  site: { id: string; name: string },
  devices: Array<{ name: string; site_id: string | null }>,
): void {
  const using = devices.filter((d) => d.site_id === site.id).map((d) => d.name);
  if (!using.length) return;
  const them = using.length === 1 ? 'that device' : 'those devices';
  throw new LifeboatError(
    'not_allowed',
    `The site ${site.name} holds the data root of the device${using.length > 1 ? 's' : ''} ${using.join(', ')}.`,
    `Delete the shares and volumes of ${them} and remove ${them} first (\`lifeboat device remove NAME\`).`,
  );
}
