/** Entry of the worker threads (bundled to dist/main/worker.cjs). */
import { parentPort, workerData } from 'node:worker_threads';
import { runEncoder, type EncoderInit } from '../repo/encoder';
import type { WorkerTask } from './tasks';

// The same script also runs a backup's encoder thread (repo/encoder.ts), started with its own workerData. The task
// modules (and the storage SDKs they pull in) load only on the first task, so an encoder thread stays small.
if (parentPort && (workerData as Partial<EncoderInit> | undefined)?.lifeboatEncoder) runEncoder(parentPort, workerData as EncoderInit);

export default async function (task: WorkerTask): Promise<unknown> {
  const { runTask } = await import('./tasks');
  return runTask(task);
}
