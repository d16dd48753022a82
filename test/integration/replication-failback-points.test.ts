/**
 * Failback to any point on an in-process engine and real files (docs/failover.md, "Failback to any point"): after
 * reprotect the item replicates dr → primary into its original disk and folder; the failback's options list each point
 * with its time and loss, the RTO estimate based on the reverse cycles (forward: on the recovery site's `site test`); a crash with the app-consistent point's
 * copy complete beside the original and not yet switched in leaves the original a whole point, and the failback then
 * puts exactly that point's bytes in the original disk and folder. The machine writes; change-point to latest gives the
 * newest point's bytes (the held replica untouched), back to the app point and to latest again; commit removes the held
 * replica; reprotect sends only the differences. A group's members fail back to their newest common point
 * (latest-multi-processed) and change to an older one by id; a cancelled failback puts the held replica back.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BLOCK, makeDisk, MiB, openLab, points, settle, show, value, writeAt, type Lab } from '../helpers/protection';
import { age } from '../helpers/replication-lab';
import type { Result } from '../../main/shared/errors';

let lab: Lab | null = null;
afterEach(async () => {
  await lab?.close();
  lab = null;
});

function change(file: string, first: number, count: number): void {
  for (let b = first; b < first + count; b++) writeAt(file, b * BLOCK, BLOCK);
  age(file);
}

/** The disk's bytes and the folder's files, as a point holds them. */
function snapshot(disk: string, folder: string) {
  const files = Object.fromEntries(
    fs
      .readdirSync(folder)
      .sort()
      .map((f) => [f, fs.readFileSync(path.join(folder, f), 'utf8')]),
  );
  return { disk: fs.readFileSync(disk), files };
}

describe('failback to any point', () => {
  it('puts an older app-consistent point in the original files, safely; change-point to latest; commit; reprotect sends differences', async () => {
    lab = await openLab();
    const { engine, work, siteRoot } = lab;
    const call = async <T>(r: Promise<Result<T>>) => value(await r);
    const disk = makeDisk(path.join(work, 'vm.img'), 4 * MiB, [...Array(32).keys()]);
    const folder = path.join(work, 'data');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'a.txt'), 'first');
    for (const p of [disk, path.join(folder, 'a.txt'), folder]) age(p);
    const protect = {
      name: 'vm',
      disk: [disk],
      folder: [folder],
      recoverySite: 'dr',
      policy: 'fast',
      shutdown: 'true',
      quiesce: 'true',
    };
    await settle(engine, await call(engine.call('items.protect', protect)));
    const activeDisk = path.join(siteRoot, '_active', 'vm', 'disks', 'vm.img');
    const activeFolder = path.join(siteRoot, '_active', 'vm', 'folders', 'data');

    // The RTO estimate: on the item's cycles, then on the recovery site's last `site test`, with the start command's run.
    const rto = async () =>
      (await call(engine.call('items.failoverOptions', { name: 'vm', type: 'planned' }))).rtoBasis;
    expect(await rto()).toMatchObject({ source: 'cycles', startCommandMs: null, measuredAt: expect.any(String) });
    const probe = await call(engine.call('sites.test', { name: 'dr' }));
    expect(await rto()).toMatchObject({
      source: 'site-test',
      bytesPerSecond: probe.writeBytesPerSecond,
      description: expect.stringContaining('site test dr'),
    });

    // Failover, commit, reprotect: the item replicates dr → primary into its original disk and folder.
    await settle(
      engine,
      await call(
        engine.call('items.failover', { name: 'vm', type: 'planned', point: 'latest', shutdownSource: false }),
      ),
    );
    await call(engine.call('items.commit', { name: 'vm' }));
    expect((await settle(engine, await call(engine.call('items.reprotect', { name: 'vm' })))).result).toMatchObject({
      direction: 'dr → primary',
    });

    // Three more points in reverse, the machine at dr writing between them; what each point holds is kept.
    const at = new Map<string, ReturnType<typeof snapshot>>();
    at.set((await points(engine, 'vm')).at(-1)!.id, snapshot(activeDisk, activeFolder));
    lab.t += 3_600_000; // the failback policy's app-consistent frequency: the next cycle makes an app point
    for (const [block, text] of [
      [10, 'second'],
      [20, 'third'],
      [30, 'fourth'],
    ] as const) {
      lab.t += 60_000;
      change(activeDisk, block, 1);
      fs.writeFileSync(path.join(activeFolder, 'a.txt'), text);
      fs.writeFileSync(path.join(activeFolder, `${text}.txt`), text);
      for (const p of [path.join(activeFolder, 'a.txt'), path.join(activeFolder, `${text}.txt`), activeFolder]) age(p);
      await settle(engine, await call(engine.call('items.replicate', { name: 'vm' })));
      at.set((await points(engine, 'vm')).at(-1)!.id, snapshot(activeDisk, activeFolder));
    }
    const list = await points(engine, 'vm');
    const app = list.filter((p) => p.kind === 'app').at(-1)!;
    const newest = list.at(-1)!;
    expect(app, 'an app-consistent point in reverse').toBeDefined();
    expect(app.id).not.toBe(newest.id);
    expect(at.get(app.id)!.disk.equals(at.get(newest.id)!.disk)).toBe(false);

    // The failback's options: each point option with its point and what it would lose; the RTO on the reverse cycles.
    lab.t += 60_000;
    const options = await call(engine.call('items.failoverOptions', { name: 'vm', type: 'unplanned' }));
    expect(options).toMatchObject({
      reversed: true,
      from: 'dr',
      to: 'primary',
      rtoBasis: { source: 'cycles', copyBytes: expect.any(Number) },
    });
    const option = (name: string) => options.options.find((o) => o.option === name)!;
    expect(option('latest-app-consistent')).toMatchObject({ available: true, point: { id: app.id } });
    expect(option('latest-processed')).toMatchObject({ available: true, point: { id: newest.id } });
    expect(option('latest-app-consistent').lossSeconds).toBeGreaterThan(option('latest-processed').lossSeconds!);

    // A crash with the app point's copy complete beside the original and not yet switched in: the original is whole.
    const item = engine.protection.items.store.requireItem('vm');
    const agent = engine.protection.failover.steps.agent(item);
    const crash = agent.placeCopy({ id: item.id, name: 'vm' }, 'active', app.id, {
      beforeSwap: () => Promise.reject(new Error('killed')),
    });
    await expect(crash).rejects.toThrow('killed');
    expect(fs.readFileSync(disk).equals(at.get(newest.id)!.disk)).toBe(true);
    expect(fs.existsSync(path.join(work, '.vm.img.lifeboat-partial'))).toBe(true);

    // The failback finishes it: the original disk and folder hold exactly the app point's bytes.
    const fb = await settle(
      engine,
      await call(
        engine.call('items.failover', {
          name: 'vm',
          type: 'unplanned',
          point: 'latest-app-consistent',
          shutdownSource: false,
        }),
      ),
    );
    expect(fb.result).toMatchObject({ to: 'primary', point: { id: app.id } });
    expect(fs.readFileSync(disk).equals(at.get(app.id)!.disk)).toBe(true);
    expect(snapshot(disk, folder).files).toEqual(at.get(app.id)!.files);
    expect(await show(engine, 'vm')).toMatchObject({
      phase: 'failed-over',
      activeSite: 'primary',
      failover: { pointId: app.id },
    });
    expect(fs.readdirSync(work).filter((f) => f.includes('lifeboat-partial'))).toEqual([]);

    // The machine runs at the primary and writes; change-point to latest, back, and to latest again: each point's bytes.
    change(disk, 40, 2);
    fs.writeFileSync(path.join(folder, 'new.txt'), 'written after the failback');
    const changePoint = async (point: string) =>
      settle(engine, await call(engine.call('items.changePoint', { name: 'vm', point })));
    await changePoint('latest');
    expect(fs.readFileSync(disk).equals(at.get(newest.id)!.disk)).toBe(true);
    expect(snapshot(disk, folder).files).toEqual(at.get(newest.id)!.files);
    await changePoint(app.id);
    expect(fs.readFileSync(disk).equals(at.get(app.id)!.disk)).toBe(true);
    change(disk, 45, 1);
    await changePoint('latest');
    expect(fs.readFileSync(disk).equals(at.get(newest.id)!.disk)).toBe(true);
    expect(await show(engine, 'vm')).toMatchObject({ phase: 'failed-over', failover: { pointId: newest.id } });

    // Commit: the held replica goes, nothing of Lifeboat's stays beside the user's files.
    await call(engine.call('items.commit', { name: 'vm' }));
    expect(fs.readdirSync(work).filter((f) => f.includes('lifeboat'))).toEqual([]);

    // Reprotect primary → dr: only what differs from the recovery-site copy is sent.
    change(disk, 50, 1);
    const again = await settle(engine, await call(engine.call('items.reprotect', { name: 'vm' })));
    expect(again.result).toMatchObject({ direction: 'primary → dr', blocksSent: 1 });
    expect((again.result as { bytesSent: number }).bytesSent).toBeLessThan(BLOCK + 1024); // the block, and at most a few small files of the folder
    expect(fs.readFileSync(path.join(siteRoot, 'vm', 'disks', 'vm.img')).equals(fs.readFileSync(disk))).toBe(true);
  }, 300_000);

  it('fails a group back to its common point; a cancelled failback puts the held replica back', async () => {
    lab = await openLab();
    const { engine, work, siteRoot } = lab;
    const call = async <T>(r: Promise<Result<T>>) => value(await r);
    const names = ['a', 'b'];
    const disks = names.map((n) => makeDisk(path.join(work, `${n}.img`), 2 * MiB, [0, 1, 2, 3]));
    for (const [i, name] of names.entries())
      await settle(
        engine,
        await call(
          engine.call('items.protect', { name, disk: [disks[i]], recoverySite: 'dr', policy: 'fast', group: 'g' }),
        ),
      );
    for (const name of names)
      await settle(
        engine,
        await call(engine.call('items.failover', { name, type: 'planned', point: 'latest', shutdownSource: false })),
      );
    for (const name of names) await call(engine.call('items.commit', { name }));
    await settle(engine, await call(engine.call('items.reprotect', { name: 'a' })));
    const active = (n: string) => path.join(siteRoot, '_active', n, 'disks', `${n}.img`);

    // Two group points in reverse; what each member's disk held at each is kept.
    const at = new Map<string, Buffer>();
    const keep = async () => {
      for (const n of names) at.set(`${n}:${(await points(engine, n)).at(-1)!.groupPoint}`, fs.readFileSync(active(n)));
    };
    await keep();
    const group = (await points(engine, 'a')).at(-1)!.groupPoint!;
    change(active('a'), 8, 1);
    change(active('b'), 9, 1);
    lab.t += 60_000;
    await settle(engine, await call(engine.call('items.replicate', { name: 'a' })));
    await keep();
    const [newestA, newestB] = [(await points(engine, 'a')).at(-1)!, (await points(engine, 'b')).at(-1)!];
    expect(newestA.groupPoint).not.toBe(group);

    // A failback of a member to an older point, then cancelled: the original is the newest point again, nothing beside it.
    const a = engine.protection.items.store.requireItem('a');
    const agent = engine.protection.failover.steps.agent(a);
    const older = (await points(engine, 'a')).find((p) => p.groupPoint === group)!;
    await agent.placeCopy({ id: a.id, name: 'a' }, 'active', older.id);
    expect(fs.readFileSync(disks[0]).equals(at.get(`a:${group}`)!)).toBe(true);
    await agent.removeCopy({ id: a.id, name: 'a' }, 'active');
    expect(fs.readFileSync(disks[0]).equals(at.get(`a:${newestA.groupPoint}`)!)).toBe(true);
    expect(fs.readdirSync(work).filter((f) => f.includes('lifeboat'))).toEqual([]);

    // Each member fails back to the newest common point (latest-multi-processed), then one member to the older one by id.
    for (const [i, name] of names.entries()) {
      const done = await settle(
        engine,
        await call(
          engine.call('items.failover', {
            name,
            type: 'unplanned',
            point: 'latest-multi-processed',
            shutdownSource: false,
          }),
        ),
      );
      expect(done.result).toMatchObject({ to: 'primary', point: { groupPoint: newestA.groupPoint } });
      expect(fs.readFileSync(disks[i]).equals(at.get(`${name}:${newestB.groupPoint}`)!)).toBe(true);
    }
    await settle(
      engine,
      await call(
        engine.call('items.changePoint', {
          name: 'b',
          point: (await points(engine, 'b')).find((p) => p.groupPoint === group)!.id,
        }),
      ),
    );
    expect(fs.readFileSync(disks[1]).equals(at.get(`b:${group}`)!)).toBe(true);
  }, 300_000);
});
