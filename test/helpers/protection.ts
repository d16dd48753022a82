/** Protected items for the replication tests: an in-process engine running jobs, with its protection clock in the test's hand. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Job } from '../../main/shared/schemas';
import { Engine } from '../../main/engine/engine';
import type { Result } from '../../main/shared/errors';
import { tempHome } from './home';

export { BLOCK, KiB, makeDisk, MiB, writeAt } from './replication-lab';

export function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

export function error<T>(r: Result<T>) {
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.value).slice(0, 300)}`);
  return r.error;
}

export interface Lab {
  engine: Engine;
  home: string;
  work: string;
  siteRoot: string;
  /** The protection clock, in ms; tests move it instead of waiting. */
  t: number;
  close(): Promise<void>;
}

/** An engine running jobs, its schedule stopped (tests tick it), a recovery site `dr` and a policy `fast`. */
export async function openLab(policy: Record<string, string> = {}): Promise<Lab> {
  const home = tempHome();
  const engine = Engine.open({ dataDir: home, mode: 'cli', runJobs: true });
  engine.protection.scheduler.stop();
  const lab: Lab = {
    engine,
    home,
    work: tempHome('lifeboat-src-'),
    siteRoot: path.join(tempHome('lifeboat-site-'), 'dr'),
    t: Date.now(),
    close: () => engine.close(),
  };
  engine.protection.setClock(() => new Date(lab.t));
  value(await engine.call('sites.add', { name: 'dr', root: lab.siteRoot }));
  value(await engine.call('policies.create', { name: 'fast', frequency: '30s', retention: '30d', ...policy }));
  return lab;
}

export async function settle(e: Engine, job: Job | string, status: Job['status'] = 'succeeded'): Promise<Job> {
  const done = await e.runner.wait(typeof job === 'string' ? job : job.id, 120_000);
  if (done.status !== status)
    throw new Error(
      `job ${done.id} (${done.type}) ended ${done.status}, expected ${status}: ${done.error?.message ?? ''}`,
    );
  return done;
}

export async function show(e: Engine, name: string) {
  return value(await e.call('items.show', { name }));
}

export async function points(e: Engine, name: string) {
  return value(await e.call('items.points', { name }));
}

/** Materializes a point into a fresh folder and returns the bytes of one of its disks. */
export async function diskAt(lab: Lab, item: string, point: string, disk: string): Promise<Buffer> {
  const to = path.join(tempHome('lifeboat-point-'), 'out');
  value(await lab.engine.call('items.materialize', { name: item, point, to }));
  return fs.readFileSync(path.join(to, 'disks', disk));
}

/**
 * The ordered writer of the replication-group tests: writes sequence number n to disk A, fsyncs, then n to disk B,
 * fsyncs, pauses 25-125 ms and goes on, so B is never ahead of A.
 */
export const ORDERED_WRITER = `
const fs = require('fs');
const [a, b] = process.argv.slice(1);
const fa = fs.openSync(a, 'r+'), fb = fs.openSync(b, 'r+');
const buf = Buffer.alloc(8), pause = new Int32Array(new SharedArrayBuffer(4));
for (let n = 1; ; n++) {
  buf.writeBigUInt64LE(BigInt(n));
  fs.writeSync(fa, buf, 0, 8, 0); fs.fsyncSync(fa);
  fs.writeSync(fb, buf, 0, 8, 0); fs.fsyncSync(fb);
  if (n === 1) process.stdout.write('started\\n');
  Atomics.wait(pause, 0, 0, 25 + Math.random() * 100);
}`;

/** The sequence number the ordered writer left at the start of a disk. */
export const seq = (disk: Buffer) => Number(disk.readBigUInt64LE(0));

/** Starts a writer script (node -e) and resolves once it printed its first line, i.e. it is writing. */
export async function startWriter(script: string, args: string[]): Promise<ChildProcess> {
  const writer = spawn(process.execPath, ['-e', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    writer.stdout!.once('data', () => resolve());
    writer.once('exit', (code) => reject(new Error(`the writer exited with ${code}`)));
  });
  return writer;
}
