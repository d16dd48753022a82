/**
 * A folder on a read-only filesystem is reported as read-only, not as missing: Node's recursive mkdir says ENOENT
 * there, and `account add` and `device create` passed that on as "does not exist". Needs a read-only mount (root,
 * `mount -t tmpfs -o ro`); where mounting is impossible the tests are reported skipped, with the reason.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeEngines, lab } from '../helpers/device-lab';
import { tempHome } from '../helpers/home';

const mountPoint = tempHome('lifeboat-rofs-');
let mounted = false;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mountPoint], { stdio: 'pipe' });
  mounted = true;
} catch (err) {
  console.warn(
    `readonly-fs.test.ts skipped: a read-only filesystem cannot be mounted here (${(err as Error).message.split('\n')[0]})`,
  );
}

afterAll(async () => {
  await closeEngines();
  if (mounted) execFileSync('umount', [mountPoint]);
});

describe.skipIf(!mounted)('a folder on a read-only filesystem', () => {
  it('is named read-only by account add, for the folder itself and for a new folder in it', async () => {
    const { engine } = await lab();
    for (const local of [mountPoint, path.join(mountPoint, 'acct')]) {
      const r = await engine.call('accounts.add', { name: 'ro', local });
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.error.message).toContain('read-only filesystem');
      expect(r.error.message).not.toMatch(/does not exist|ENOENT/);
      expect(r.error.hint).toMatch(/read-write/);
    }
  });

  it('is named read-only by device create, for a data root to be created there', async () => {
    const { engine, key } = await lab();
    const root = path.join(mountPoint, 'fs1');
    const r = await engine.call('devices.create', {
      name: 'fs1',
      type: 'file',
      root,
      capacity: '1MiB',
      account: 'lab',
      registrationKey: key,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toContain('read-only filesystem');
    expect(r.error.message).not.toMatch(/does not exist|ENOENT/);
    expect(fs.existsSync(root)).toBe(false);
  });

  it('is refused on the data root step, with its own cause, before the last step', async () => {
    const { engine } = await lab();
    for (const root of [mountPoint, path.join(mountPoint, 'fs1')]) {
      const r = await engine.call('devices.checkRoot', { root });
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(r.value).toMatchObject({
        usable: false,
        state: 'not-writable',
        message: `${root} is on a read-only filesystem.`,
      });
    }
    const refused = await engine.call('devices.create', {
      name: 'fs1',
      type: 'file',
      root: path.join(mountPoint, 'fs1'),
      capacity: '1MiB',
      account: 'lab',
    });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', field: 'root', hint: expect.stringMatching(/read-write/) },
    });
  });
});
