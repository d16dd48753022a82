/**
 * Health that tells the truth: a device whose data is not protected (never backed up, backups off, last backup
 * older than its policy allows) is a Warning with the reason, in the device list and page and in what the
 * Dashboard lists as needing attention. The clock is the device manager's, moved ahead instead of waited for.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { needsAttention } from '../../main/shared/device-health';
import type { Engine } from '../../main/engine/engine';
import { backup, deactivate, fileServer, openEngine, settle, value } from './failover-setup';

let engine: Engine | null = null;
afterEach(async () => {
  await engine?.close();
  engine = null;
});

const DAY = 86_400_000;

async function show(e: Engine, name: string) {
  return value(await e.call('devices.show', { name })).device;
}

describe('device health', () => {
  it('warns about a device never backed up, with backups off, or backed up longer ago than its policy allows', async () => {
    const o = await openEngine();
    const e = (engine = o.engine);
    const created = await fileServer(e, o.key, 'fs1');
    // New devices back up daily, from their first night on.
    expect(created.policy).toMatchObject({ frequency: 'daily', time: '22:00', nextAt: expect.any(String) });
    expect(Date.parse(created.policy.nextAt!) - Date.now()).toBeLessThanOrEqual(DAY);
    // Nothing to protect yet: healthy.
    expect(created).toMatchObject({ health: 'healthy', healthReasons: [] });

    value(await e.call('shares.create', { device: 'fs1', name: 'docs', quota: '10MiB' }));
    fs.writeFileSync(path.join(created.root, 'shares', 'docs', 'a.txt'), 'data\n');
    expect(await show(e, 'fs1')).toMatchObject({ health: 'warning', healthReasons: ['never backed up'] });
    // The Dashboard's list of devices that need attention comes from the same device list and the same rule.
    const listed = value(await e.call('devices.list', {}));
    expect(listed.map((d) => [d.name, d.health, d.healthReasons, needsAttention(d)])).toEqual([
      ['fs1', 'warning', ['never backed up'], true],
    ]);

    await backup(e, 'fs1');
    const fresh = await show(e, 'fs1');
    expect(fresh).toMatchObject({ health: 'healthy', healthReasons: [] });
    expect(needsAttention(fresh)).toBe(false);

    // A day later the daily backup is not late yet; three days later it is.
    const backedUpAt = Date.parse(fresh.lastBackupAt!);
    e.devices.now = () => backedUpAt + DAY;
    expect((await show(e, 'fs1')).health).toBe('healthy');
    e.devices.now = () => backedUpAt + 3 * DAY;
    expect(await show(e, 'fs1')).toMatchObject({
      health: 'warning',
      healthReasons: ['last backup 3 days ago, policy daily'],
    });
    expect(needsAttention(value(await e.call('devices.list', {}))[0])).toBe(true);

    // A weekly policy allows it.
    value(
      await e.call('devices.policy', { name: 'fs1', frequency: 'weekly', time: '22:00', weekday: 1, retention: 7 }),
    );
    expect((await show(e, 'fs1')).health).toBe('healthy');
    e.devices.now = () => backedUpAt + 11 * DAY;
    expect((await show(e, 'fs1')).healthReasons).toEqual(['last backup 11 days ago, policy weekly']);

    value(await e.call('devices.policy', { name: 'fs1', frequency: 'off', time: '22:00', retention: 7 }));
    e.devices.now = () => Date.now();
    expect(await show(e, 'fs1')).toMatchObject({ health: 'warning', healthReasons: ['backups are off'] });
  });

  it('gives the device that takes over by failover the source policy, healthy on the final backup', async () => {
    const o = await openEngine();
    const e = (engine = o.engine);
    const src = await fileServer(e, o.key, 'fs1');
    value(await e.call('shares.create', { device: 'fs1', name: 'docs', quota: '10MiB' }));
    fs.writeFileSync(path.join(src.root, 'shares', 'docs', 'a.txt'), 'data\n');
    await deactivate(e, 'fs1');
    await fileServer(e, o.key, 'fs2');
    await settle(e, value(await e.call('failover.start', { source: 'fs1', target: 'fs2' })));
    const fs2 = await show(e, 'fs2');
    expect(fs2.policy).toMatchObject({ frequency: 'daily', time: '22:00', nextAt: expect.any(String) });
    // Its data is protected by the source's final backup, so it is not "never backed up".
    expect(fs2).toMatchObject({ status: 'online', health: 'healthy', healthReasons: [] });
  });
});
