/**
 * The per-device choice of device agent (devices/site-agents.ts): a path in the root of a device at an agent site
 * goes to that site's `device` call, any other path to this machine's agent; a site that does not answer becomes an
 * error naming the site, the device and `lifeboat site test`; a removed site is named as removed. Also the refusals
 * of site-choice.ts: site remove while a device uses the site, and backups of a device at a site.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceAgent } from '../../main/engine/devices/agent';
import { SiteDeviceAgents } from '../../main/engine/devices/site-agents';
import { refuseSiteInUse, refuseVolumesAtSite } from '../../main/engine/devices/site-choice';
import type { DeviceOpRequest } from '../../main/engine/sites/agent-device';
import { LifeboatError } from '../../main/shared/errors';

const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: LifeboatError) => e,
  );

function setUp(siteUp = true) {
  const localCalls: string[] = [];
  const siteCalls: DeviceOpRequest[] = [];
  const local = new Proxy({} as DeviceAgent, {
    get: (_t, op: string) => (p: string) => {
      localCalls.push(`${op} ${p}`);
      return Promise.resolve(op === 'exists' ? true : 0);
    },
  });
  const agents = new SiteDeviceAgents({
    local,
    siteDevices: () => [
      { name: 'fs1', root: '/agent/devices/fs1', site_id: 'site_dr' },
      { name: 'gone', root: '/agent/devices/gone', site_id: 'site_old' },
    ],
    site: (id) =>
      id === 'site_dr'
        ? {
            name: 'dr',
            device: (req) => {
              siteCalls.push(req);
              if (!siteUp)
                return Promise.reject(
                  new LifeboatError(
                    'unavailable',
                    'The site agent at https://127.0.0.1:9 cannot be reached (ECONNREFUSED).',
                    'Check it.',
                  ),
                );
              return Promise.resolve(req.op === 'usage' ? 4096 : true);
            },
          }
        : undefined,
  });
  return { agents, local, localCalls, siteCalls };
}

describe('device agents chosen per device', () => {
  it('sends a path in the root of a device at a site to that site, and every other path to this machine', async () => {
    const { agents, local, localCalls, siteCalls } = setUp();
    expect(await agents.usage('/agent/devices/fs1/shares/docs')).toBe(4096);
    expect(await agents.exists('/agent/devices/fs1')).toBe(true);
    await agents.setWritable('/agent/devices/fs1/shares/docs', false);
    expect(siteCalls).toEqual([
      { op: 'usage', path: '/agent/devices/fs1/shares/docs', args: [] },
      { op: 'exists', path: '/agent/devices/fs1', args: [] },
      { op: 'setWritable', path: '/agent/devices/fs1/shares/docs', args: [false] },
    ]);
    // A sibling whose name starts the same is not inside the root.
    await agents.usage('/agent/devices/fs10/shares/docs');
    await agents.exists('/srv/local/fs2');
    expect(localCalls).toEqual(['usage /agent/devices/fs10/shares/docs', 'exists /srv/local/fs2']);
    // A root that has no device yet: the site asked for.
    expect(await agents.atSite('site_dr').exists('/agent/devices/new')).toBe(true);
    expect(agents.atSite(null)).toBe(local);
  });

  it('names the site, the device and site test when the site does not answer, and a removed site as removed', async () => {
    const { agents } = setUp(false);
    const e = await failure(agents.usage('/agent/devices/fs1/shares/docs'));
    expect(e).toBeInstanceOf(LifeboatError);
    expect(e?.code).toBe('unavailable');
    expect(e?.message).toBe(
      'The site dr, which holds the data root of the device fs1, cannot be reached: The site agent at https://127.0.0.1:9 cannot be reached (ECONNREFUSED).',
    );
    expect(e?.hint).toContain('lifeboat site test dr');
    expect(() => agents.atSite('site_old', 'gone')).toThrow(
      'The site that holds the data root of the device gone was removed from Lifeboat.',
    );
  });

  it('refuses removing a site a device uses, and backing up the volumes of a device at a site', () => {
    expect(() =>
      refuseSiteInUse({ id: 'site_dr', name: 'dr' }, [
        { name: 'fs1', site_id: 'site_dr' },
        { name: 'fs2', site_id: null },
      ]),
    ).toThrow('The site dr holds the data root of the device fs1.');
    expect(() => refuseSiteInUse({ id: 'site_dr', name: 'dr' }, [{ name: 'fs2', site_id: null }])).not.toThrow();
    expect(() => refuseVolumesAtSite({ name: 'is1', site_id: 'site_dr' }, 1, 'dr')).toThrow(
      'backs up the shares of a device at an agent site, not its volumes.',
    );
    expect(() => refuseVolumesAtSite({ name: 'fs1', site_id: 'site_dr' }, 0, 'dr')).not.toThrow();
    expect(() => refuseVolumesAtSite({ name: 'is2', site_id: null }, 1, null)).not.toThrow();
  });
});
