/**
 * A device's data root at a site agent: a real `lifeboat agent serve` process, paired with `site add --agent`, runs
 * the device agent's file operations on its host over the replication protocol (one `device` call): the root with its
 * marker, a share folder, a sparse volume image, usage and sizes, offline and back, trash. The agent refuses a path
 * outside its root's devices/ folder, a link that leads out of it, an unknown operation and bad arguments.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalDeviceAgent } from '../../main/engine/devices/agent';
import { RemoteDeviceAgent } from '../../main/engine/devices/agent-remote';
import { tempHome } from '../helpers/home';
import { failure, usePairedAgent } from '../helpers/paired-agent';

const pairedAgent = usePairedAgent();

describe('a device data root at a site agent', () => {
  it('creates and inspects a root, a share and a volume at the agent, and refuses anything outside devices/', async () => {
    const { root, site } = await pairedAgent();
    const devices = new RemoteDeviceAgent((req) => site.device(req));

    const dev = path.join(root, 'devices', 'fs1');
    expect(await devices.inspectRoot(dev)).toMatchObject({ exists: false, marker: null });
    const marker = { id: 'dev-1', name: 'fs1', type: 'file' as const, createdAt: new Date().toISOString() };
    await devices.prepareRoot(dev, marker);
    expect(await devices.inspectRoot(dev)).toMatchObject({ exists: true, isDirectory: true, marker, entries: [] });

    const share = path.join(dev, 'shares', 'docs');
    await devices.createShare(share);
    expect(fs.statSync(share).isDirectory()).toBe(true);
    fs.writeFileSync(path.join(share, 'a.txt'), 'x'.repeat(10_000));
    expect(await devices.usage(share)).toBeGreaterThanOrEqual(8192);

    const volume = path.join(dev, 'volumes', 'lun0.img');
    await devices.createVolume(volume, 64 << 20);
    expect(fs.statSync(volume).size).toBe(64 << 20);
    expect(await devices.fileSize(volume)).toBe(64 << 20);
    expect(await devices.usage(volume)).toBeLessThan(1 << 20); // sparse: nothing allocated yet

    await devices.setWritable(share, false);
    expect(fs.statSync(path.join(share, 'a.txt')).mode & 0o222).toBe(0);
    expect(await devices.onlineModes(share)).not.toBeNull();
    await devices.setWritable(share, true);
    expect(await devices.onlineModes(share)).toBeNull();

    await devices.trash(share, 'share-1');
    expect(await devices.exists(share)).toBe(false);
    expect(await devices.trashed(dev)).toEqual(['share-1']);
    await devices.emptyTrash(dev, 'share-1');
    expect(await devices.trashed(dev)).toEqual([]);
    expect((await devices.space(dev)).total).toBeGreaterThan(0);

    // Refusals, checked at the agent.
    const outside = path.join(path.dirname(root), 'elsewhere', 'shares', 'x');
    expect(await failure(devices.createShare(outside))).toMatchObject({ code: 'forbidden' });
    expect(fs.existsSync(outside)).toBe(false);
    expect(await failure(devices.createShare(path.join(root, 'devices', '..', 'sneaky', 'shares', 'x')))).toMatchObject(
      { code: 'forbidden' },
    );
    const away = tempHome('lifeboat-away-');
    fs.symlinkSync(away, path.join(root, 'devices', 'link'));
    expect(
      await failure(devices.prepareRoot(path.join(root, 'devices', 'link', 'fs2'), { ...marker, name: 'fs2' })),
    ).toMatchObject({ code: 'forbidden' });
    expect(fs.readdirSync(away)).toEqual([]);
    expect(await failure(devices.createVolume(path.join(dev, 'volumes', 'bad.img'), -1))).toMatchObject({
      code: 'invalid_input',
    });
    expect(await failure(site.device({ op: 'nosuch' as never, path: dev, args: [] }))).toMatchObject({
      code: 'invalid_input',
    });

    // Trash ids `.` and `..` would name the trash folder or its parent (the device root, or devices/ itself).
    const kept = path.join(dev, 'shares', 'kept');
    await devices.createShare(kept);
    for (const id of ['..', '.']) {
      expect(await failure(devices.trash(kept, id))).toMatchObject({ code: 'invalid_input' });
      expect(await failure(devices.emptyTrash(dev, id))).toMatchObject({ code: 'invalid_input' });
      expect(await failure(devices.untrash(kept, id))).toMatchObject({ code: 'invalid_input' });
    }
    expect(fs.statSync(kept).isDirectory()).toBe(true);
    expect(await devices.inspectRoot(dev)).toMatchObject({ exists: true, marker });
  }, 300_000);

  it('the device agent itself refuses the trash ids . and .. and deletes nothing', async () => {
    const devices = new LocalDeviceAgent();
    const root = tempHome('lifeboat-local-trash-');
    const dev = path.join(root, 'devices', 'fs1');
    await devices.prepareRoot(dev, { id: 'dev-1', name: 'fs1', type: 'file', createdAt: new Date().toISOString() });
    const share = path.join(dev, 'shares', 'docs');
    await devices.createShare(share);
    fs.writeFileSync(path.join(share, 'a.txt'), 'kept');
    for (const id of ['..', '.', 'a/b', '']) {
      expect(await failure(devices.trash(share, id))).toMatchObject({ code: 'invalid_input' });
      expect(await failure(devices.emptyTrash(dev, id))).toMatchObject({ code: 'invalid_input' });
      expect(await failure(devices.untrash(share, id))).toMatchObject({ code: 'invalid_input' });
    }
    expect(fs.readFileSync(path.join(share, 'a.txt'), 'utf8')).toBe('kept');
    expect(fs.existsSync(dev)).toBe(true);
  });
});
