/**
 * Backups of a device whose data root is at an agent site, through the real bin and a real `lifeboat agent serve`
 * child: `device backup` brings each share's tree from the agent into a mirror on this machine and backs that up
 * (the result says the bytes read from the agent); a second backup after one file changed reads only that file; a
 * file deleted at the agent is gone from the next backup; the backup restores into a device on this machine byte for
 * byte; deactivation's final backup fetches too; with the agent killed the backup fails naming the site and `site test`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../main/shared/schemas';
import { agentSiteHome } from '../helpers/device-at-site';
import { buildMain, cli, ok, tempHome } from '../helpers/home';
import type { AgentProc } from '../helpers/site-agent';

beforeAll(buildMain, 120_000);

let agent: AgentProc | null = null;
afterAll(async () => {
  await agent?.stop('SIGKILL');
});

/** Every file under `dir` (relative path → sha256), and every folder. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (d: string, rel: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      if (fs.statSync(p).isDirectory()) {
        out[`${r}/`] = 'dir';
        visit(p, r);
      } else out[r] = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  visit(dir, '');
  return out;
}

/** Writes a file with an mtime an hour ago, so its size and mtime alone tell whether it changed. */
function put(file: string, data: Buffer | string, ageS = 3600): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  const t = Date.now() / 1000 - ageS;
  fs.utimesSync(file, t, t);
}

describe('backups of a device at an agent site through the CLI', () => {
  it('back up from a mirror fetched from the agent, fetch only changed files, restore byte-identical, and name the site when it is down', async () => {
    const at = await agentSiteHome();
    agent = at.agent;
    const { home, create } = at;
    const root = path.join(at.area, 'fs1');
    ok(create('fs1', root, '--site', 'dr'));
    ok(cli(home, ['share', 'create', 'fs1', 'docs', '--quota', '100MiB']));
    const share = path.join(root, 'shares', 'docs');
    const big = crypto.randomBytes(9 << 20); // more than one 8 MiB read
    put(path.join(share, 'big.bin'), big);
    put(path.join(share, 'a.txt'), 'alpha');
    put(path.join(share, 'sub', 'deep', 'b.txt'), 'beta'.repeat(1000));
    put(path.join(share, 'gone.txt'), 'deleted before the second backup');
    fs.chmodSync(path.join(share, 'a.txt'), 0o640);
    const all = [big.length, 5, 4000, 32].reduce((a, b) => a + b, 0);

    const first = ok(cli(home, ['device', 'backup', 'fs1', '--json'])).json<Job>();
    expect(first).toMatchObject({ type: 'device.backup', status: 'succeeded' });
    expect(first.result).toMatchObject({ device: 'fs1', fetchedBytes: all });

    // One file changes (same size, new content and mtime), one is deleted: only the changed one is read.
    put(path.join(share, 'sub', 'deep', 'b.txt'), 'BETA'.repeat(1000), 60);
    fs.rmSync(path.join(share, 'gone.txt'));
    const second = ok(cli(home, ['device', 'backup', 'fs1', '--json'])).json<Job>();
    expect(second).toMatchObject({ type: 'device.backup', status: 'succeeded' });
    expect(second.result).toMatchObject({ device: 'fs1', fetchedBytes: 4000 });
    const id = String(second.result!.backupId);
    expect(id).not.toBe(String(first.result!.backupId));

    // The backup restores into a device on this machine: the same files, bytes and modes as at the agent.
    const localRoot = path.join(tempHome('lifeboat-root-'), 'fs2');
    ok(create('fs2', localRoot));
    ok(cli(home, ['share', 'create', 'fs2', 'docs', '--quota', '100MiB']));
    const restored = ok(
      cli(home, ['backup', 'restore', id, '--to', path.join(localRoot, 'shares'), '--overwrite', '--json']),
    ).json<Job>();
    expect(restored).toMatchObject({ type: 'backup.restore', status: 'succeeded' });
    const local = path.join(localRoot, 'shares', 'docs');
    expect(tree(local)).toEqual(tree(share));
    expect(Object.keys(tree(local))).not.toContain('gone.txt');
    expect(fs.statSync(path.join(local, 'a.txt')).mode & 0o777).toBe(0o640);
    expect(fs.statSync(path.join(local, 'sub', 'deep', 'b.txt')).mtimeMs).toBeCloseTo(
      fs.statSync(path.join(share, 'sub', 'deep', 'b.txt')).mtimeMs,
      -1,
    );

    // Deactivation's final backup fetches from the site too.
    const root3 = path.join(at.area, 'fs3');
    ok(create('fs3', root3, '--site', 'dr'));
    ok(cli(home, ['share', 'create', 'fs3', 'home', '--quota', '10MiB']));
    put(path.join(root3, 'shares', 'home', 'h.txt'), 'final words');
    const deactivated = ok(cli(home, ['device', 'deactivate', 'fs3', '--confirm', 'fs3', '--json'])).json<Job>();
    expect(deactivated).toMatchObject({ type: 'device.deactivate', status: 'succeeded' });
    expect(deactivated.result).toMatchObject({ device: 'fs3', fetchedBytes: 11 });
    expect(deactivated.result!.finalBackupId).toBeTruthy();

    // The agent is killed: the backup fails, naming the site and what to do.
    await agent.stop('SIGKILL');
    agent = null;
    const down = cli(home, ['device', 'backup', 'fs1', '--json']);
    const text = down.stdout + down.stderr;
    expect(text).toContain('The site dr, which holds the data root of the device fs1, cannot be reached');
    expect(text).toContain('lifeboat site test dr');
  }, 300_000);
});
