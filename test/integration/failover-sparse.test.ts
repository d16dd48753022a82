/**
 * A failover keeps the holes of sparse files inside shares: a share whose 100 MiB disk image holds 8 KiB of data uses
 * the same blocks on the target as on the source (it used 204 800 blocks there before hole tracking).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/engine/engine';
import { describeTree } from '../helpers/tree';
import { deactivate, fileServer, MiB, openEngine, settle, value } from './failover-setup';

let engine: Engine | null = null;
afterEach(async () => {
  await engine?.close();
  engine = null;
});

/** Blocks allocated to every file under root, by path. */
function blocksOf(root: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir)) {
      const full = path.join(dir, name);
      const st = fs.lstatSync(full);
      if (st.isDirectory()) walk(full);
      else if (st.isFile()) out[path.relative(root, full)] = st.blocks;
    }
  };
  walk(root);
  return out;
}

describe('failover of a share holding sparse files', () => {
  it('restores them on the target with their holes, byte for byte', async () => {
    const o = await openEngine();
    engine = o.engine;
    const e = o.engine;
    const source = await fileServer(e, o.key, 'fs1');
    value(await e.call('shares.create', { device: 'fs1', name: 'vms', quota: '500MiB', pinned: false }));
    const share = path.join(source.root, 'shares', 'vms');
    const fd = fs.openSync(path.join(share, 'disk.vhd'), 'w');
    fs.ftruncateSync(fd, 100 * MiB);
    fs.writeSync(fd, crypto.randomBytes(8192), 0, 8192, 50 * MiB);
    fs.closeSync(fd);
    fs.mkdirSync(path.join(share, 'logs'));
    const log = fs.openSync(path.join(share, 'logs', 'app.log'), 'w');
    fs.writeSync(log, crypto.randomBytes(MiB + 3), 0, MiB + 3, 0);
    fs.ftruncateSync(log, 30 * MiB);
    fs.closeSync(log);
    fs.writeFileSync(path.join(share, 'dense.txt'), 'dense\n'.repeat(10_000));
    const before = { tree: describeTree(share), blocks: blocksOf(share) };
    expect(before.blocks['disk.vhd']).toBeLessThanOrEqual(64); // the premise: this file system keeps holes

    await deactivate(e, 'fs1');
    const target = await fileServer(e, o.key, 'fs2');
    await settle(e, value(await e.call('failover.start', { source: 'fs1', target: 'fs2' })));

    const restored = path.join(target.root, 'shares', 'vms');
    expect(describeTree(restored)).toEqual(before.tree);
    expect(blocksOf(restored)).toEqual(before.blocks);
    expect(fs.statSync(path.join(restored, 'disk.vhd')).size).toBe(100 * MiB);
  });
});
