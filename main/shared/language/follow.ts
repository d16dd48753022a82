/**
 * Follows a job the command started: a live progress line, then how it ended and what it made (its result: the
 * backup id, the failover's target). Ctrl+C asks before cancelling. With --json the caller prints the job instead.
 */
import type { Job } from '../schemas';
import { formatError, jobSummary, progressLine, record, type Style } from './format';
import type { CommandIO } from './io';
import { jobUnderway } from '../job-status';

export async function followJob(
  jobId: string,
  io: CommandIO,
  st: Style,
): Promise<{ job: Job | null; detached: boolean }> {
  let lastLine = '';
  let lastPrinted = -1;
  let asking = false;
  const draw = (p: Parameters<typeof progressLine>[0]) => {
    if (asking) return; // never overwrite the question being asked
    const line = progressLine(p, io.columns);
    if (io.interactive) {
      if (line !== lastLine) io.write(`\r\x1b[2K${line}`);
    } else {
      // Scripts and logs get a line every 10% instead of a redrawn bar.
      const decile = Math.floor(p.progress * 10);
      if (decile > lastPrinted) io.write(`${line}\n`);
      lastPrinted = Math.max(lastPrinted, decile);
    }
    lastLine = line;
  };
  const unsubscribe = io.onEvent((e) => {
    if (e.type === 'job.progress' && e.jobId === jobId) draw(e);
    else if (e.type === 'job.updated' && e.job.id === jobId && e.job.status === 'running') draw({ ...e.job });
  });
  try {
    for (;;) {
      const interrupted = new Promise<'interrupt'>((resolve) => {
        if (io.signal?.aborted) resolve('interrupt');
        io.signal?.addEventListener('abort', () => resolve('interrupt'), { once: true });
      });
      const waited = io.call('jobs.wait', { id: jobId, timeoutSeconds: 86400 });
      const outcome = await Promise.race([waited, interrupted]);
      if (outcome === 'interrupt') {
        if (io.interactive) io.write('\n');
        asking = true;
        const answer = io.prompt
          ? await io.prompt(`Cancel job ${jobId}? It stops at its next checkpoint. [y/N] `)
          : null;
        asking = false;
        if (answer && /^y(es)?$/i.test(answer.trim())) {
          const cancelled = await io.call('jobs.cancel', { id: jobId });
          if (!cancelled.ok) io.write(formatError(cancelled.error, st));
          const done = await io.call('jobs.wait', { id: jobId, timeoutSeconds: 120 });
          if (done.ok) io.write(jobSummary(done.value as Job, st));
          return { job: done.ok ? (done.value as Job) : null, detached: false };
        }
        io.write(`Stopped following; the job goes on. Follow it again with: lifeboat jobs wait ${jobId}\n`);
        return { job: null, detached: true };
      }
      if (!outcome.ok) {
        io.write(formatError(outcome.error, st));
        return { job: null, detached: false };
      }
      const job = outcome.value as Job;
      if (jobUnderway(job.status)) continue;
      if (io.interactive && lastLine) io.write('\r\x1b[2K');
      io.write(jobSummary(job, st));
      if (job.result) io.write(`result:\n${record(job.result, '  ')}`);
      return { job, detached: false };
    }
  } finally {
    unsubscribe();
  }
}
