/**
 * The configure-target-array wizard's checks and steps: the data root (checked on its own first, so the wizard can
 * show the free space), the device record, and registration with the service registration key. The data root is on
 * this machine, or at a paired agent site (a path under its root's devices/ folder on the agent host): the device
 * then keeps its site, and every file operation on it goes through that site (site-agents.ts).
 */
import path from 'node:path';
import crypto from 'node:crypto';
import type { CallParsedInput } from '../../shared/contract';
import type { RootCheck } from '../../shared/device-schemas';
import { LifeboatError } from '../../shared/errors';
import { newId } from '../keys';
import { describeOverlap, findOverlap, within as inside } from '../placement';
import { formatBytes, parseSize } from '../../shared/units';
import type { DeviceAgent } from './agent';
import type { DeviceManager } from './manager';
import { DEFAULT_POLICY } from './schedule';
import { SiteDeviceAgents } from './site-agents';
import { resolveDeviceSite, type DeviceSiteChoice } from './site-choice';
import type { DeviceRow } from './store';
import { checkCapacity, checkDeviceName, checkDomain, checkTimeZone } from '../../shared/device-rules';

/** A new device's capacity past this share of its root's free disk space is allowed, with a warning alert. */
export const FREE_SPACE_WARN = 0.9;

const ROOT_HINT =
  'Choose an empty folder (or one that does not exist yet), or the data root of a device that was removed.';
const PLACE_HINT = "Choose a folder outside Lifeboat's data directory and the storage accounts' folders.";
const pct = (part: number, whole: number) => `${Math.round((100 * part) / whole)}%`;

type RootVerdict = Omit<RootCheck, 'freeBytes' | 'totalBytes'> & { code: 'invalid_input' | 'conflict'; hint?: string };

/** A data root Lifeboat may not write: the cause ($AT: the root; $WRITE: "write to", or "create" for a missing one) and the fix. */
const GRANT =
  'Give the user Lifeboat runs as write access to it (or to the folder it is made in), or choose another folder.';
const WRITE_REFUSALS: Record<string, [string, string]> = {
  EROFS: ['$AT is on a read-only filesystem', 'Mount that disk read-write, or choose a data root on a writable disk.'],
  EACCES: ['Lifeboat may not $WRITE $AT (permission denied)', GRANT],
  EPERM: ['Lifeboat may not $WRITE $AT (operation not permitted)', GRANT],
};

export class DeviceSetup {
  constructor(private readonly m: DeviceManager) {}

  private get store() {
    return this.m.store;
  }

  /** The site a new device's root is at (none: this machine), checked: a paired agent site. */
  private site(name: string | undefined): DeviceSiteChoice {
    return resolveDeviceSite(this.m.sites, name);
  }

  /** The device agent for a root at that site. */
  private agentAt(site: DeviceSiteChoice): DeviceAgent {
    if (!site.id) return this.m.agent;
    if (!(this.m.agent instanceof SiteDeviceAgents))
      throw new LifeboatError(
        'not_allowed',
        `site: this installation's devices cannot use the agent site ${site.name}.`,
      );
    return this.m.agent.atSite(site.id);
  }

  /** What a folder is as a data root, with the free space of its disk (devices.checkRoot). */
  async inspectRoot(given: string, siteName?: string): Promise<RootCheck> {
    const site = this.site(siteName);
    const v = await this.classify(given, site);
    const at = path.isAbsolute(given) ? path.resolve(given) : '/';
    const { free, total } =
      v.state === 'outside-site' ? { free: 0, total: 0 } : await this.agentAt(site).space(site.id ? v.root : at);
    const { code: _code, hint: _hint, ...check } = v;
    return { ...check, freeBytes: free, totalBytes: total };
  }

  /** Absolute; empty or missing (created), or the root of a previous device that is no longer live here. */
  async checkRoot(given: string, site: DeviceSiteChoice): Promise<string> {
    const v = await this.classify(given, site);
    if (!v.usable) throw new LifeboatError(v.code, `root: ${v.message}`, v.hint ?? ROOT_HINT);
    return v.root;
  }

  private async classify(given: string, site: DeviceSiteChoice): Promise<RootVerdict> {
    const verdict = (
      state: RootCheck['state'],
      root: string,
      message: string,
      code: RootVerdict['code'] = 'invalid_input',
      previousDevice: string | null = null,
    ): RootVerdict => ({
      root,
      usable: state === 'missing' || state === 'empty' || state === 'previous-device',
      state,
      message,
      previousDevice,
      code,
    });
    if (!path.isAbsolute(given)) return verdict('not-a-folder', given, `give an absolute path (got ${given}).`);
    const root = path.resolve(given);
    if (site.area && !inside(root, site.area))
      return {
        ...verdict(
          'outside-site',
          root,
          `${root} is not under ${site.area}, the folder of device roots at the site ${site.name}.`,
        ),
        hint: `Choose a folder under ${site.area} on the agent host.`,
      };
    if (site.area && root === site.area)
      return {
        ...verdict('outside-site', root, `${root} is the folder of all device roots at the site ${site.name}.`),
        hint: `Choose a folder in it, e.g. ${path.join(site.area, 'fs1')}.`,
      };
    // Roots never overlap, at whatever site: the device agents route each path by the root it lies in.
    for (const d of this.store.list())
      if (inside(root, d.root) || inside(d.root, root))
        return verdict(
          'in-use',
          root,
          `${root} ${root === d.root ? 'is' : 'overlaps'} the data root of the device ${d.name} (${d.root}).`,
          'conflict',
        );
    // Shares in the data directory or an account would be backed up into themselves, and removed with it.
    const deps = this.m.deps;
    const accounts = deps.accounts.store.all().filter((a) => a.kind === 'local');
    const clash = site.id
      ? null
      : findOverlap(root, [
          { path: deps.dataDir, what: "Lifeboat's data directory" },
          ...accounts.map((a) => ({ path: a.location, what: `the folder of the storage account ${a.name}` })),
          ...this.store
            .list()
            .filter((d) => !d.site_id)
            .map((d) => ({ path: d.root, what: `the data root of the device ${d.name}` })),
        ]);
    if (clash) return { ...verdict('in-use', root, describeOverlap(root, clash), 'conflict'), hint: PLACE_HINT };
    const state = await this.agentAt(site).inspectRoot(root);
    if (state.exists && !state.isDirectory) return verdict('not-a-folder', root, `${root} is a file, not a folder.`);
    if (state.marker) {
      // A live device's root is in use whatever its disk; a previous device's root (below) must be writable to be taken over.
      const owner = this.store.byId(state.marker.id);
      if (owner && owner.status !== 'deleted')
        return verdict(
          'in-use',
          root,
          `${root} is the data root of the device ${owner.name}.`,
          'conflict',
          state.marker.name,
        );
    }
    if (state.writeRefusal) {
      const [why, fix] = WRITE_REFUSALS[state.writeRefusal] ?? [
        `Lifeboat may not $WRITE $AT (${state.writeRefusal})`,
        GRANT,
      ];
      const message = `${why.replace('$AT', root).replace('$WRITE', state.exists ? 'write to' : 'create')}.`;
      return { ...verdict('not-writable', root, message), hint: fix };
    }
    if (state.marker)
      return verdict(
        'previous-device',
        root,
        `${root} is the data root of the earlier device ${state.marker.name}; the new device takes it over.`,
        'invalid_input',
        state.marker.name,
      );
    if (state.entries.length > 0) {
      const shown = state.entries.slice(0, 3).join(', ') + (state.entries.length > 3 ? ', …' : '');
      return verdict(
        'not-empty',
        root,
        `${root} is not empty (it holds ${shown}) and is not the data root of a previous Lifeboat device.`,
      );
    }
    if (!state.exists) return verdict('missing', root, `${root} does not exist yet; it is created with the device.`);
    return verdict('empty', root, `${root} is an empty folder.`);
  }

  checkRegistrationKey(key: string): void {
    const service = this.m.deps.service;
    if (!service.get())
      throw new LifeboatError(
        'not_initialized',
        'registrationKey: no service is set up yet, so a device cannot register with it.',
        'Create the service first with `lifeboat service init --name NAME` (or join one with `lifeboat service join`), then register the device.',
      );
    const expected = Buffer.from(service.registrationKey().trim());
    const given = Buffer.from(key);
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected))
      throw new LifeboatError(
        'invalid_input',
        'registrationKey: this is not the service registration key.',
        'Get the key with `lifeboat service registration-key` and paste it whole.',
      );
  }

  /** The named account, else the default one (which needs a service; without one the device gets it when it registers). */
  private async accountFor(name: string | undefined): Promise<string | null> {
    const accounts = this.m.deps.accounts;
    if (name) return accounts.store.require(name).id;
    if (!this.m.deps.service.get()) return null;
    return (await accounts.ensureDefault()).id;
  }

  async create(input: CallParsedInput<'devices.create'>): Promise<DeviceRow> {
    const deps = this.m.deps;
    const name = checkDeviceName(input.name);
    const clash = this.store.byName(name);
    if (clash)
      throw new LifeboatError(
        'conflict',
        `name: there is already a device named ${clash.name}.`,
        'Choose another name, or see the devices with `lifeboat device list`.',
      );
    if (input.domain !== undefined && input.type === 'iscsi')
      throw new LifeboatError(
        'invalid_input',
        'domain: only a file server joins a domain; an iSCSI server has none.',
        'Leave out --domain, or create a file server (--type file).',
      );
    const domain = input.domain === undefined ? null : checkDomain(input.domain);
    const timeZone = checkTimeZone(input.timeZone);
    const site = this.site(input.site);
    const agent = this.agentAt(site);
    const root = await this.checkRoot(input.root, site);
    const capacity = checkCapacity(parseSize(input.capacity, 'capacity'));
    const free = await agent.freeBytes(root);
    if (capacity > free)
      throw new LifeboatError(
        'invalid_input',
        `capacity: ${formatBytes(capacity)} is more than the ${formatBytes(free)} free on the filesystem of ${root}.`,
        `Give a capacity of at most ${formatBytes(free)}, or choose a data root on a larger disk.`,
      );
    const key = input.registrationKey?.trim() || null;
    if (key !== null) this.checkRegistrationKey(key);
    const account = await this.accountFor(input.account);

    const now = new Date().toISOString();
    const row: DeviceRow = {
      id: newId('dev'),
      name,
      type: input.type,
      status: key ? 'online' : 'ready-to-set-up',
      root,
      capacity,
      domain,
      time_zone: timeZone,
      fips: input.fips ? 1 : 0,
      account_id: account,
      serial: `LBVA-${crypto.randomBytes(5).toString('hex').toUpperCase()}`,
      lineage: newId('lineage'),
      replaces: null,
      // An iSCSI server at an agent site takes no backups (its volumes are not mirrored: site-choice.ts).
      policy: JSON.stringify(
        site.id && input.type === 'iscsi' ? { ...DEFAULT_POLICY, frequency: 'off' } : DEFAULT_POLICY,
      ),
      next_backup_at: null,
      failover_job_id: null,
      created_at: now,
      updated_at: now,
      registered_at: key ? now : null,
      deactivated_at: null,
      deleted_at: null,
      site_id: site.id,
    };
    await agent.prepareRoot(root, { id: row.id, name, type: row.type, createdAt: now });
    try {
      this.store.insert(row);
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT'))
        throw new LifeboatError('conflict', `name: there is already a device named ${name}.`, 'Choose another name.');
      throw err;
    }
    deps.log.info('device created', {
      device: name,
      type: row.type,
      root,
      site: site.name,
      capacity,
      status: row.status,
    });
    if (capacity > FREE_SPACE_WARN * free)
      deps.alerts.raise({
        severity: 'warning',
        title: `Device ${name}: capacity close to the free disk space`,
        message: `The capacity of ${name} (${formatBytes(capacity)}) is ${pct(capacity, free)} of the ${formatBytes(free)} free on the filesystem of ${root}; shares or volumes may not fit once they fill up.`,
        hint: 'Free space on that disk, or keep the provisioned size of shares and volumes below the free space.',
        objectKind: 'device',
        objectName: name,
        jobId: null,
      });
    return row;
  }

  async register(input: CallParsedInput<'devices.register'>): Promise<DeviceRow> {
    const device = this.store.require(input.name);
    this.m.assertNotHeld(device);
    if (device.status === 'online' || device.status === 'offline')
      throw new LifeboatError('conflict', `The device ${device.name} is already registered.`, 'Nothing to do.');
    if (device.status !== 'ready-to-set-up') this.m.requireWritable(device.name);
    this.checkRegistrationKey(input.registrationKey.trim());
    const accountId = device.account_id ?? (await this.accountFor(undefined));
    this.store.update(device.id, { status: 'online', registered_at: new Date().toISOString(), account_id: accountId });
    this.m.deps.log.info('device registered', { device: device.name });
    return this.store.byId(device.id)!;
  }
}
