/**
 * The seed's procedure (take the shares or volumes offline, deactivate, fail over) must leave the target's data with
 * the modes it had online: offline makes the data read-only on disk, and that must not reach the backup.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/engine/engine';
import { describeTree } from '../helpers/tree';
import {
  deactivate,
  fileServer,
  fileServerWithData,
  iscsiServer,
  iscsiServerWithData,
  openEngine,
  settle,
  value,
} from './failover-setup';

let engine: Engine | null = null;
afterEach(async () => {
  await engine?.close();
  engine = null;
});

const modeOf = (p: string) => (fs.lstatSync(p).mode & 0o7777).toString(8);

describe('failover after the shares were taken offline', () => {
  it('gives the target every folder and file with the mode it had online', async () => {
    const o = await openEngine();
    const e = (engine = o.engine);
    const { docs, pinned } = await fileServerWithData(e, o.key, 'fs1');
    // Modes beyond the defaults: a private file, a read-only file (which must stay read-only), a private folder.
    fs.writeFileSync(path.join(docs, 'secret.txt'), 'owner only\n');
    fs.chmodSync(path.join(docs, 'secret.txt'), 0o600);
    fs.writeFileSync(path.join(docs, 'frozen.txt'), 'read-only already\n');
    fs.chmodSync(path.join(docs, 'frozen.txt'), 0o444);
    fs.chmodSync(path.join(docs, 'projects', '2026'), 0o700);
    const before = { docs: describeTree(docs), pinned: describeTree(pinned) };

    value(await e.call('shares.offline', { device: 'fs1', name: 'docs' }));
    value(await e.call('shares.offline', { device: 'fs1', name: 'pinned' }));
    // Offline really is read-only on disk (what the fix must not undo).
    expect(modeOf(path.join(docs, 'readme.txt'))).toBe('444');
    expect(modeOf(path.join(docs, 'projects'))).toBe('555');
    await deactivate(e, 'fs1');
    await fileServer(e, o.key, 'fs2');
    await settle(e, value(await e.call('failover.start', { source: 'fs1', target: 'fs2' })));

    const root = e.devices.store.require('fs2').root;
    expect(describeTree(path.join(root, 'shares', 'docs'))).toEqual(before.docs);
    expect(describeTree(path.join(root, 'shares', 'pinned'))).toEqual(before.pinned);
    expect(value(await e.call('devices.show', { name: 'fs2' })).shares.map((s) => [s.name, s.online])).toEqual([
      ['docs', true],
      ['pinned', true],
    ]);
  });

  it('gives an iSCSI target its volume image with the mode it had online', async () => {
    const o = await openEngine();
    const e = (engine = o.engine);
    const { image } = await iscsiServerWithData(e, o.key, 'is1');
    fs.chmodSync(image, 0o660); // group write too: giving the owner write access back alone would not bring it
    value(await e.call('volumes.offline', { device: 'is1', name: 'vol1' }));
    expect(modeOf(image)).toBe('440');
    await deactivate(e, 'is1');
    await iscsiServer(e, o.key, 'is2');
    await settle(e, value(await e.call('failover.start', { source: 'is1', target: 'is2' })));
    expect(modeOf(path.join(e.devices.store.require('is2').root, 'volumes', 'vol1'))).toBe('660');
  });
});
