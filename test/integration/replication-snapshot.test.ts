/**
 * Reflink snapshots (replication/snapshot.ts): a disk image on a file system with reflinks (XFS, reflink=1, made in a
 * loop-mounted file: needs root and xfsprogs; skipped, and said so, where it cannot be mounted) is written without a
 * pause by a writer process while cycles run. Read in place, such a writer tears every attempt; read from a snapshot,
 * each cycle makes a point, and every point is a state the disk really had: the writer writes sequence numbers 1, 2, 3…
 * into blocks 1, 2, … N-1, 0, 1, … in turn, so the point whose highest number is S must hold, in every block, the last
 * number at most S written there. The snapshot file is gone after each cycle.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { snapshotPathOf } from '../../main/engine/replication/snapshot';
import { tempHome } from '../helpers/home';
import { BLOCK, diskAt, makeDisk, openLab, points, settle, value, type Lab } from '../helpers/protection';

const N = 64;
const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { stdio: 'ignore' }).status === 0;

/** A fresh XFS with reflinks, loop-mounted; null where this machine cannot make one. */
function mountXfs(): { dir: string; undo: () => void } | null {
  if (process.getuid?.() !== 0 || !sh('command -v mkfs.xfs')) return null;
  const base = tempHome('lifeboat-xfs-');
  const file = path.join(base, 'fs.img');
  const dir = path.join(base, 'mnt');
  fs.mkdirSync(dir);
  fs.writeFileSync(file, '');
  fs.truncateSync(file, 512 * 1024 * 1024);
  const undo = () => void sh(`umount '${dir}'`);
  return sh(`mkfs.xfs -q -m reflink=1 '${file}' && mount -o loop '${file}' '${dir}'`) ? { dir, undo } : null;
}

const WRITER = `
const fs = require('fs');
const fd = fs.openSync(process.argv[1], 'r+');
const buf = Buffer.alloc(${BLOCK}), pause = new Int32Array(new SharedArrayBuffer(4));
for (let n = 1; ; n++) {
  buf.writeUInt32LE(n, 0);
  fs.writeSync(fd, buf, 0, ${BLOCK}, (n % ${N}) * ${BLOCK});
  if (n === 1) process.stdout.write('started\\n');
  if (n % 8 === 0) Atomics.wait(pause, 0, 0, 1);
}`;

const xfs = mountXfs();
let lab: Lab | null = null;
let writer: ChildProcess | null = null;
afterEach(async () => {
  writer?.kill('SIGKILL');
  writer = null;
  await lab?.close();
  lab = null;
});
afterAll(() => xfs?.undo());
beforeAll(() => {
  if (!xfs)
    console.warn('replication-snapshot: skipped: no XFS loop mount here (needs root, xfsprogs and mount -o loop)');
});

describe.skipIf(!xfs)('reflink snapshots of disk images', () => {
  it('a writer that never pauses gets a point each cycle, and every point is a state the disk had', async () => {
    lab = await openLab({ appConsistent: '0' });
    const { engine } = lab;
    const disk = makeDisk(path.join(xfs!.dir, 'vm.img'), 4 * N * BLOCK, []); // the writer changes a quarter: under the 50% rule
    await settle(
      engine,
      value(await engine.call('items.protect', { name: 'vm', disk: [disk], recoverySite: 'dr', policy: 'fast' })),
    );
    const before = (await points(engine, 'vm')).length;
    writer = spawn(process.execPath, ['-e', WRITER, disk], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      writer!.stdout!.once('data', () => resolve());
      writer!.once('exit', (code) => reject(new Error(`the writer exited with ${code}`)));
    });
    for (let i = 0; i < 4; i++) {
      await settle(engine, value(await engine.call('items.replicate', { name: 'vm' })));
      expect(fs.existsSync(snapshotPathOf(disk))).toBe(false);
    }
    writer.kill('SIGKILL');
    const made = (await points(engine, 'vm')).slice(before);
    expect(made.length).toBe(4);
    for (const p of made) {
      const bytes = await diskAt(lab, 'vm', p.id, 'vm.img');
      const seqs = Array.from({ length: N }, (_, b) => bytes.readUInt32LE(b * BLOCK));
      const top = Math.max(...seqs);
      expect(top).toBeGreaterThan(0);
      // The last number at most `top` written to block b: top - ((top - b) mod N), or none (0) yet.
      const expected = seqs.map((_, b) => Math.max(0, top - ((((top - b) % N) + N) % N)));
      expect(seqs).toEqual(expected);
    }
  }, 300_000);
});
