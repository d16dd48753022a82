/**
 * Worker threads for hashing, compression, encryption and file I/O, so the main event loop stays responsive.
 * Piscina gives us a bounded pool with a queue (backpressure) and cancellation through AbortSignal.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Piscina } from 'piscina';
import type { WorkerTask, WorkerResult } from './tasks';

/** The bundled worker script: beside this file when bundled, else under dist/ of the package (tests run sources). */
export function workerScript(): string {
  const candidates = [process.env.LIFEBOAT_WORKER_SCRIPT, path.join(__dirname, 'worker.cjs')];
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) {
      candidates.push(path.join(dir, 'dist', 'main', 'worker.cjs'));
      break;
    }
  }
  const found = candidates.find((c) => c && fs.existsSync(c));
  if (!found) throw new Error('The worker script dist/main/worker.cjs is missing: run `npm run build`.');
  return found;
}

export class WorkerPool {
  private pool: Piscina;
  constructor(threads = Math.max(2, Math.min(os.availableParallelism(), 8))) {
    this.pool = new Piscina({
      filename: workerScript(),
      minThreads: 1,
      maxThreads: threads,
      maxQueue: threads * 64,
      idleTimeout: 30_000,
      // A small young generation: backups and restores allocate a short-lived buffer per chunk (cipher output,
      // decompressed data) but few JS objects, so with the default the scavenger rarely runs and dead buffers pile
      // up to the external-memory limit (~60 MB of RSS). Scavenges of a mostly dead 3 MB young space are cheap.
      resourceLimits: { maxYoungGenerationSizeMb: 3 },
    });
  }

  run<T extends WorkerTask>(task: T, signal?: AbortSignal): Promise<WorkerResult<T>> {
    return this.pool.run(task, { signal }) as Promise<WorkerResult<T>>;
  }

  get threads(): number {
    return this.pool.threads.length;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
