/**
 * The main-thread side of backups/in-worker.ts: runs a repository task in the worker pool, feeds its progress to
 * the job, turns a job cancel or pause into a "stop" on the channel (so the worker ends cleanly, indexing what it
 * uploaded), and rebuilds the worker's error as a LifeboatError.
 */
import crypto from 'node:crypto';
import { BroadcastChannel } from 'node:worker_threads';
import type { StepContext } from '../jobs/types';
import type { ChannelMessage, RepoBackupTask, RepoRestoreTask, WorkerOutcome } from './in-worker';
import { fromWorkerError } from './worker-error';

export async function runOffloaded<T>(
  ctx: StepContext<any, any>,
  task: Omit<RepoBackupTask, 'channel'> | Omit<RepoRestoreTask, 'channel'>,
  onMessage: (m: ChannelMessage) => void,
): Promise<T> {
  const name = `lifeboat-${ctx.jobId}-${crypto.randomBytes(6).toString('hex')}`;
  const channel = new BroadcastChannel(name);
  let failure: unknown;
  const stop = () => channel.postMessage({ type: 'stop' } satisfies ChannelMessage);
  channel.onmessage = (ev) => {
    try {
      onMessage((ev as { data: ChannelMessage }).data);
    } catch (err) {
      // A checkpoint that finds a cancel or pause request throws: stop the worker and report that after it ends.
      failure ??= err;
      stop();
    }
  };
  ctx.signal.addEventListener('abort', stop);
  try {
    // No signal to the pool: aborting would kill the thread mid-write; the worker stops itself at the next chunk.
    const outcome = (await ctx.workers.run({ ...task, channel: name } as RepoBackupTask)) as WorkerOutcome<T>;
    // A result the worker completed is returned even if a stop arrived meanwhile: for a backup the manifest is
    // already saved, and dropping it here would leave a backup nobody records. The caller's next checkpoint stops.
    if (outcome.ok) return outcome.value;
    if (failure) throw failure;
    ctx.throwIfStopped();
    throw fromWorkerError(outcome.error);
  } finally {
    ctx.signal.removeEventListener('abort', stop);
    channel.close();
  }
}
