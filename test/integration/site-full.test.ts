/**
 * A recovery site whose disk is full, for real: the site's root is on a 3 MiB tmpfs mounted for the test (needs
 * root; skipped, and said so, where mount is refused). The first copy fits; then 4 MiB of new data at the source
 * cannot be staged there, and the cycle fails with ENOSPC, which is final: the item turns Critical, a critical alert
 * is raised, and nothing is scheduled (no retry, no next cycle) until someone acts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMain, cli, ok, tempHome } from '../helpers/home';
import { age, BLOCK, makeDisk, MiB, writeAt } from '../helpers/replication-lab';

const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { stdio: 'ignore' }).status === 0;

/** A 3 MiB tmpfs of the test's own; null where this machine refuses the mount. */
function smallDisk(): string | null {
  if (process.getuid?.() !== 0) return null;
  const dir = path.join(tempHome('lifeboat-full-'), 'mnt');
  fs.mkdirSync(dir);
  return sh(`mount -t tmpfs -o size=3m lifeboat-test '${dir}'`) ? dir : null;
}

const mnt = smallDisk();
beforeAll(async () => {
  if (!mnt) console.warn('site-full: skipped: no tmpfs mount here (needs root)');
  else await buildMain();
}, 120_000);
afterAll(() => void (mnt && sh(`umount '${mnt}'`)));

describe.skipIf(!mnt)('a full recovery site', () => {
  it('is Critical with a critical alert, and is not retried', () => {
    const home = tempHome();
    const disk = makeDisk(path.join(tempHome('lifeboat-src-'), 'vm.img'), 8 * MiB, [0, 1, 2, 3]);
    age(disk);
    const j = <T>(args: string[]) => ok(cli(home, [...args, '--json'])).json<T>();
    ok(cli(home, ['site', 'add', 'dr', '--root', path.join(mnt!, 'dr')]));
    ok(cli(home, ['policy', 'create', 'fast', '--frequency', '30s', '--app-consistent', '0']));
    ok(cli(home, ['item', 'protect', 'vm', '--disk', disk, '--recovery-site', 'dr', '--policy', 'fast']));

    writeAt(disk, 16 * BLOCK, 4 * MiB);
    age(disk);
    const r = cli(home, ['item', 'replicate', 'vm', '--json']);
    expect(r.code).not.toBe(0);
    const item = j<{
      health: string;
      nextCycleAt: string | null;
      retry: unknown;
      lastError: { code: string; message: string } | null;
    }>(['item', 'show', 'vm']);
    expect(item.health).toBe('critical');
    expect(item.lastError?.code).toBe('disk_full');
    expect(item.retry).toBeNull();
    expect(item.nextCycleAt).toBeNull();
    const alerts = j<{ severity: string; title: string }[]>(['alerts', 'list']);
    expect(alerts).toContainEqual(
      expect.objectContaining({ severity: 'critical', title: 'Replication of vm stopped' }),
    );
  }, 300_000);
});
