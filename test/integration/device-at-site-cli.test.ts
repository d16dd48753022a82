/**
 * A device whose data root is at an agent site, through the real bin: a `lifeboat agent serve` child paired with
 * `site add --agent`, then `device create --site`: the root, its share folders and volume images are made at the
 * agent's root (devices/), `device show --json` gives the site and the usage measured there, offline and online act
 * there, a backup policy is set (backups: device-at-site-backup.test.ts), `site remove` is refused
 * while the device uses the site, and a killed agent makes the device show a reason naming the site and `site test`
 * instead of failing. Hostile input: an unknown site, a local site, a root outside the agent's devices/ folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceDetail } from '../../main/shared/device-schemas';
import { agentSiteHome } from '../helpers/device-at-site';
import { buildMain, cli, ok, tempHome, type CliResult } from '../helpers/home';
import type { AgentProc } from '../helpers/site-agent';

beforeAll(buildMain, 120_000);

let agent: AgentProc | null = null;
afterAll(async () => {
  await agent?.stop('SIGKILL');
});

function failed(r: CliResult): string {
  expect(r.code, r.stdout).not.toBe(0);
  return r.stderr + r.stdout;
}

describe('a device at an agent site through the CLI', () => {
  it('creates its root, shares and volumes at the agent, refuses volume backups and site remove, and names the site when it is down', async () => {
    const at = await agentSiteHome();
    const { home, siteRoot, area, create, registrationKey: key } = at;
    agent = at.agent;
    ok(cli(home, ['site', 'add', 'near', '--root', path.join(tempHome('lifeboat-site-'), 'near')]));

    // Hostile input: no such site, a site on this machine, a root outside the agent's devices/ folder.
    expect(failed(create('fs1', path.join(area, 'fs1'), '--site', 'nowhere'))).toContain(
      'site: there is no site nowhere.',
    );
    expect(failed(create('fs1', path.join(area, 'fs1'), '--site', 'near'))).toContain(
      'site: the site near is a folder on this machine, not a site agent.',
    );
    const outside = failed(create('fs1', path.join(siteRoot, 'elsewhere'), '--site', 'dr'));
    expect(outside).toContain(
      `root: ${path.join(siteRoot, 'elsewhere')} is not under ${area}, the folder of device roots at the site dr.`,
    );
    expect(failed(create('fs1', area, '--site', 'dr'))).toContain('is the folder of all device roots at the site dr');
    const check = ok(cli(home, ['device', 'check-root', '/etc', '--site', 'dr', '--json'])).json<{
      usable: boolean;
      state: string;
    }>();
    expect(check).toMatchObject({ usable: false, state: 'outside-site' });
    expect(fs.existsSync(area) && fs.readdirSync(area).length).toBeFalsy();

    // The device: its root and marker at the agent, a share and files in it there, usage measured there.
    const root = path.join(area, 'fs1');
    const created = ok(create('fs1', root, '--site', 'dr', '--json')).json<{
      name: string;
      site: string;
      root: string;
    }>();
    expect(created).toMatchObject({ name: 'fs1', site: 'dr', root });
    expect(JSON.parse(fs.readFileSync(path.join(root, '.lifeboat-device.json'), 'utf8'))).toMatchObject({
      name: 'fs1',
      type: 'file',
    });
    ok(cli(home, ['share', 'create', 'fs1', 'docs', '--quota', '100MiB']));
    const share = path.join(root, 'shares', 'docs');
    expect(fs.statSync(share).isDirectory()).toBe(true);
    fs.writeFileSync(path.join(share, 'a.txt'), 'x'.repeat(64 * 1024));
    const shown = ok(cli(home, ['device', 'show', 'fs1', '--refresh', '--json'])).json<DeviceDetail>();
    expect(shown.device).toMatchObject({ site: 'dr', root, status: 'online' });
    expect(shown.device.policy.frequency).toBe('daily');
    expect(shown.shares[0]).toMatchObject({ name: 'docs', path: share });
    expect(shown.shares[0].used).toBeGreaterThanOrEqual(64 * 1024);

    // Offline acts at the agent: the share's files lose their write bits there, and get them back online.
    ok(cli(home, ['share', 'offline', 'fs1', 'docs', '--yes']));
    expect(fs.statSync(path.join(share, 'a.txt')).mode & 0o222).toBe(0);
    ok(cli(home, ['share', 'online', 'fs1', 'docs']));
    expect(fs.statSync(path.join(share, 'a.txt')).mode & 0o200).not.toBe(0);

    // Refused up front, saying why: removing the site the device uses.
    expect(failed(cli(home, ['site', 'remove', 'dr', '--yes']))).toContain(
      'The site dr holds the data root of the device fs1.',
    );

    // An iSCSI server at the site: its volume is a sparse image of exactly its size at the agent.
    const iscsiRoot = path.join(area, 'is1');
    ok(
      cli(home, [
        'device',
        'create',
        'is1',
        '--type',
        'iscsi',
        '--root',
        iscsiRoot,
        '--capacity',
        '1GiB',
        '--account',
        'lab',
        '--registration-key',
        key,
        '--site',
        'dr',
      ]),
    );
    ok(cli(home, ['volume', 'create', 'is1', 'lun0', '--size', '64MiB']));
    const image = fs.statSync(path.join(iscsiRoot, 'volumes', 'lun0'));
    expect(image.size).toBe(64 << 20);
    expect(image.blocks * 512).toBeLessThan(1 << 20);
    // Its volumes are not mirrored here: a backup and a backup schedule are refused, saying why.
    const volumes =
      'is at the agent site dr: Lifeboat backs up the shares of a device at an agent site, not its volumes.';
    expect(failed(cli(home, ['device', 'backup', 'is1']))).toContain(volumes);
    expect(failed(cli(home, ['device', 'policy', 'is1', '--frequency', 'daily', '--time', '22:00']))).toContain(
      volumes,
    );
    expect(failed(cli(home, ['site', 'remove', 'dr', '--yes']))).toContain(
      'The site dr holds the data root of the devices fs1, is1.',
    );

    // A root at the site is not a root here: another device may not take it, from this machine or the site.
    expect(failed(create('fs2', path.join(root, 'inner'), '--site', 'dr'))).toContain(
      'the data root of the device fs1',
    );

    // The agent stops: the device shows why (the site and what to do), and a change names the site.
    await agent.stop('SIGKILL');
    agent = null;
    const down = ok(cli(home, ['device', 'show', 'fs1', '--refresh', '--json'])).json<DeviceDetail>();
    expect(down.device.health).toBe('critical');
    expect(down.device.healthReasons[0]).toContain(
      'The site dr, which holds the data root of the device fs1, cannot be reached',
    );
    expect(down.device.healthReasons[0]).toContain('lifeboat site test dr');
    const listed = ok(cli(home, ['device', 'list', '--json'])).json<Array<{ name: string; health: string }>>();
    expect(listed.map((d) => [d.name, d.health])).toEqual([
      ['fs1', 'critical'],
      ['is1', 'critical'],
    ]);
    const change = failed(cli(home, ['share', 'create', 'fs1', 'more', '--quota', '10MiB']));
    expect(change).toContain('The site dr, which holds the data root of the device fs1, cannot be reached');
    expect(change).toContain('lifeboat site test dr');
  }, 300_000);
});
