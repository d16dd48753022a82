/**
 * The reprotect and failback figures of `npm run bench`'s replication section (issue #17), continuing on the item the
 * failover figures left failed over (test/bench/failover.ts): commit; 1% of the disk changed at the recovery site (the
 * machine runs there) and 1% at the original disk; reprotect (dr → primary) sends only what differs: its bytes sent
 * against the disk's size (goal <= 3%). Then failback end to end on the same data: 1% more changed at the recovery
 * site, a planned failback (its final cycle into the original disk), commit, 1% changed at the primary, reprotect
 * (primary → dr): the bytes of the final cycle and of that reprotect against the disk's size. Figures, not assertions.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Engine } from '../../main/engine/engine';

type Outcome<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };
function value<T>(r: Outcome<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

const BLOCK = 64 * 1024;
const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

interface Done {
  status: string;
  error?: { message: string };
  result?: { bytesSent?: number; bytesCompared?: number; finalCycleBytes?: number | null };
}

async function settle(engine: Engine, job: unknown): Promise<NonNullable<Done['result']>> {
  const done = (await engine.runner.wait((job as { id: string }).id, 1_800_000)) as Done;
  if (done.status !== 'succeeded') throw new Error(`a job ended ${done.status}: ${done.error?.message ?? ''}`);
  return done.result ?? {};
}

/** Writes random 64 KiB blocks over 1% of a disk, spread over it, and ages its mtime past the racy window. */
function changeOnePercent(file: string, salt: number): void {
  const blocks = fs.statSync(file).size / BLOCK;
  const n = Math.ceil(blocks / 100);
  const fd = fs.openSync(file, 'r+');
  for (let i = 0; i < n; i++) fs.writeSync(fd, crypto.randomBytes(BLOCK), 0, BLOCK, ((i * 97 + salt) % blocks) * BLOCK);
  fs.closeSync(fd);
  const t = Date.now() / 1000 - 60;
  fs.utimesSync(file, t, t);
}

export async function reprotectFigures(engine: Engine, image: string, log: (...a: unknown[]) => void) {
  const size = fs.statSync(image).size;
  value(await engine.call('items.edit', { name: 'vm', shutdown: '' }));
  value(await engine.call('items.commit', { name: 'vm' }));
  const shown = () =>
    engine.call('items.show', { name: 'vm' }).then((r) => value(r) as { disks: { activePath: string }[] });
  const copy = (await shown()).disks[0].activePath;
  changeOnePercent(copy, 1);
  changeOnePercent(image, 50);
  const reprotect = await settle(engine, value(await engine.call('items.reprotect', { name: 'vm' })));
  const reprotectSentVsDisk = round(reprotect.bytesSent! / size);
  log(
    `reprotect (dr → primary), 1% changed on each side: sent ${reprotect.bytesSent} B of ${size} (${round(reprotectSentVsDisk * 100, 2)}%)`,
  );

  changeOnePercent(copy, 3);
  const failback = await settle(
    engine,
    value(await engine.call('items.failover', { name: 'vm', type: 'planned', point: 'latest', shutdownSource: false })),
  );
  value(await engine.call('items.commit', { name: 'vm' }));
  changeOnePercent(image, 7);
  const again = await settle(engine, value(await engine.call('items.reprotect', { name: 'vm' })));
  const failbackBytes = (failback.finalCycleBytes ?? 0) + again.bytesSent!;
  const failbackSentVsDisk = round(failbackBytes / size);
  log(
    `failback end to end (final cycle, commit, reprotect primary → dr): sent ${failbackBytes} B (${round(failbackSentVsDisk * 100, 2)}%)`,
  );
  return {
    reprotectBytesSent: reprotect.bytesSent!,
    reprotectBytesCompared: reprotect.bytesCompared!,
    reprotectSentVsDisk,
    failbackBytesSent: failbackBytes,
    failbackSentVsDisk,
  };
}
