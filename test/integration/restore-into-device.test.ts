/**
 * A restore into a device's share (its folder, or the shares folder above it) replaces what hosts use: without
 * overwrite it is refused, naming the device and the share; with overwrite it goes ahead. The restore wizard shows
 * the same refusal as a warning with a checkbox (renderer/src/backups/restoreSteps.tsx).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deviceDataOf } from '../../main/shared/device-data';
import { call, closeEngines, lab } from '../helpers/device-lab';
import { tempHome } from '../helpers/home';

afterEach(closeEngines);

describe('a restore into a device share', () => {
  it('is refused without overwrite, naming the device and share, and replaces the files with it', async () => {
    const { engine: e, key } = await lab();
    const root = path.join(tempHome('lifeboat-root-'), 'root');
    await call(e, 'devices.create', {
      name: 'fs1',
      type: 'file',
      root,
      capacity: '1GiB',
      account: 'lab',
      registrationKey: key,
    });
    const docs = await call(e, 'shares.create', { device: 'fs1', name: 'docs', quota: '100MiB' });
    const src = path.join(tempHome('lifeboat-src-'), 'docs');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'a.txt'), 'from the backup');
    expect(
      (await e.runner.wait((await call(e, 'backups.create', { account: 'lab', source: [src] })).id, 60_000)).status,
    ).toBe('succeeded');
    const id = (await call(e, 'backups.list', {}))[0].id;

    // An empty share folder, and the shares folder whose "docs" the source would replace: both refused.
    for (const to of [docs.path, path.join(root, 'shares')]) {
      const r = await e.call('backups.restore', { id, to, overwrite: false });
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.error).toMatchObject({
        code: 'conflict',
        message: expect.stringContaining('the share docs of the device fs1 (online)'),
        hint: expect.stringContaining('--overwrite'),
      });
      // The wizard reads the device and share from the refusal, to show them beside its checkbox.
      expect(deviceDataOf(r.error.message)).toEqual({ kind: 'share', name: 'docs', device: 'fs1' });
    }
    expect(fs.readdirSync(docs.path)).toEqual([]);
    expect(e.runner.store.list({ limit: 100 }).filter((j) => j.type === 'backup.restore')).toEqual([]);

    const job = await e.runner.wait(
      (await call(e, 'backups.restore', { id, to: path.join(root, 'shares'), overwrite: true })).id,
      60_000,
    );
    expect(job.status).toBe('succeeded');
    expect(fs.readFileSync(path.join(docs.path, 'a.txt'), 'utf8')).toBe('from the backup');
    // Elsewhere, nothing changes: an empty folder outside any device needs no overwrite.
    const elsewhere = path.join(tempHome('lifeboat-dst-'), 'out');
    expect(
      (await e.runner.wait((await call(e, 'backups.restore', { id, to: elsewhere, overwrite: false })).id, 60_000))
        .status,
    ).toBe('succeeded');
    expect(deviceDataOf('The folder /x is not empty.')).toBeNull();
  });
});
