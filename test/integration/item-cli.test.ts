/**
 * `item edit`, `item history`, `item settings` and `item resync` through the real `lifeboat` bin, as an administrator
 * types them: commands and their timeout and the resync window changed and removed, bad input refused with what to
 * do; the history of cycles with the bytes each sent; the global resync window set and reset; and a resync by hand
 * that sends nothing while both sides agree and exactly the damaged block once the replica was damaged at the site.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildMain, cli, ok } from '../helpers/home';
import { age, BLOCK, MiB, vmLab, writeAt } from '../helpers/replication-lab';

beforeAll(buildMain, 120_000);

interface Detail {
  commands: Record<string, string>;
  commandTimeoutSeconds: number;
  resync: { window: string; windowIsItemOwn: boolean };
  disks: { name: string; replicaPath: string }[];
}

function refused(r: ReturnType<typeof cli>): string {
  expect(r.code, r.stdout).not.toBe(0);
  return r.stderr + r.stdout;
}

describe('item edit, history, settings and resync through the CLI', () => {
  it('changes and removes commands, lists cycles, sets the resync window and resyncs by hand', () => {
    const { home, root, disk } = vmLab(2 * MiB);
    const j = <T>(args: string[]) => ok(cli(home, [...args, '--json'])).json<T>();
    ok(cli(home, ['site', 'add', 'dr', '--root', root]));
    ok(cli(home, ['policy', 'create', 'fast', '--frequency', '30s', '--app-consistent', '0']));
    ok(cli(home, ['item', 'protect', 'vm', '--disk', disk, '--recovery-site', 'dr', '--policy', 'fast']));

    // item edit: commands, their timeout, the item's own resync window; "" removes a command, "default" the window.
    const edited = j<Detail>([
      'item',
      'edit',
      'vm',
      '--quiesce',
      'sync',
      '--thaw',
      'true',
      '--command-timeout',
      '30s',
      '--resync-window',
      '22:00-05:00',
    ]);
    expect(edited.commands).toEqual({ quiesce: 'sync', thaw: 'true' });
    expect(edited.commandTimeoutSeconds).toBe(30);
    expect(edited.resync).toMatchObject({ window: '22:00-05:00', windowIsItemOwn: true });
    const removed = j<Detail>(['item', 'edit', 'vm', '--thaw', '', '--resync-window', 'default']);
    expect(removed.commands).toEqual({ quiesce: 'sync' });
    expect(removed.resync).toMatchObject({ window: '18:00-06:00', windowIsItemOwn: false });
    expect(refused(cli(home, ['item', 'edit', 'vm', '--resync-window', '25:00-01:00']))).toContain('invalid_input');
    expect(refused(cli(home, ['item', 'edit', 'vm', '--command-timeout', 'soon']))).toContain('invalid_input');
    expect(refused(cli(home, ['item', 'edit', 'nosuch', '--quiesce', 'sync']))).toContain('not_found');

    // item settings: the global window, which items without their own follow; "default" resets it.
    expect(j<{ resyncWindow: string }>(['item', 'settings'])).toEqual({
      resyncWindow: '18:00-06:00',
      defaultResyncWindow: '18:00-06:00',
    });
    expect(j<{ resyncWindow: string }>(['item', 'settings', '--resync-window', '20:00-04:00']).resyncWindow).toBe(
      '20:00-04:00',
    );
    expect(j<Detail>(['item', 'show', 'vm']).resync).toMatchObject({ window: '20:00-04:00', windowIsItemOwn: false });
    expect(refused(cli(home, ['item', 'settings', '--resync-window', 'nightly']))).toContain('invalid_input');
    expect(j<{ resyncWindow: string }>(['item', 'settings', '--resync-window', 'default']).resyncWindow).toBe(
      '18:00-06:00',
    );

    // item history: a delta cycle that changed two blocks sent those two blocks.
    writeAt(disk, 10 * BLOCK, 2 * BLOCK);
    age(disk);
    ok(cli(home, ['item', 'replicate', 'vm']));
    const history = j<{ kind: string; ok: boolean; bytesSent: number }[]>(['item', 'history', 'vm']);
    expect(history.at(-1)).toMatchObject({ ok: true, bytesSent: 2 * BLOCK });
    expect(ok(cli(home, ['item', 'history', 'vm'])).stdout).toMatch(/bytes/i);

    // item resync: both sides agree, so nothing is sent; a damaged block at the site is sent again, alone.
    const clean = j<{ status: string; result: { bytesCompared: number; bytesSent: number } }>(['item', 'resync', 'vm']);
    expect(clean.status).toBe('succeeded');
    expect(clean.result).toMatchObject({ bytesCompared: 2 * MiB, bytesSent: 0 });
    const replica = j<Detail>(['item', 'show', 'vm']).disks[0].replicaPath;
    expect(fs.existsSync(replica)).toBe(true);
    writeAt(replica, 2 * BLOCK, BLOCK);
    const repaired = j<{ result: { bytesSent: number } }>(['item', 'resync', 'vm']);
    expect(repaired.result.bytesSent).toBe(BLOCK);
    expect(fs.readFileSync(replica).equals(fs.readFileSync(disk))).toBe(true);
    expect(refused(cli(home, ['item', 'resync', 'nosuch']))).toContain('not_found');
    expect(path.basename(replica)).toBe('vm.img');
  }, 300_000);
});
