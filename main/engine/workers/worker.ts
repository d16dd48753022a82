/** Entry of the worker threads (bundled to dist/main/worker.cjs). */
import { parentPort, workerData } from 'node:worker_threads';
import { runEncoder, type EncoderInit } from '../repo/encoder';
import type { WorkerTask } from './tasks';

// The same script also runs a backup's encoder thread (repo/encoder.ts), started with its own workerData. The task
// modules (and the storage SDKs they pull in) load only on the first task, so an encoder thread stays small.
if (parentPort && (workerData as Partial<EncoderInit> | undefined)?.lifeboatEncoder)
  runEncoder(parentPort, workerData as EncoderInit);

export default async function (task: WorkerTask): Promise<unknown> {
  // A replication scan's blocks (replication/disk-scan.ts) need none of the other tasks' modules: a fresh thread (a CLI
  // process's first copy) starts on them at once.
  if (task.op === 'replica-hash') return (await import('../replication/disk-scan')).runHashBlocks(task);
  const { runTask } = await import('./tasks');
  return runTask(task);
}
