/**
 * Whether a job is still going, in one place for every side (the engine's stores and guards, the CLI, the UI).
 * Ended: succeeded, failed or cancelled; nothing more happens to it. Unfinished: queued, running or paused; it
 * still holds what it works on (an account, a backup, a device) and may go on. Underway: queued or running; it goes
 * on by itself, where a paused job waits for someone to resume it.
 */
import type { JobStatus } from './schemas';

export const ENDED: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);
export const UNFINISHED: readonly JobStatus[] = ['queued', 'running', 'paused'];
export const UNDERWAY: readonly JobStatus[] = ['queued', 'running'];

export const jobEnded = (status: JobStatus): boolean => ENDED.has(status);
export const jobUnfinished = (status: JobStatus): boolean => UNFINISHED.includes(status);
export const jobUnderway = (status: JobStatus): boolean => UNDERWAY.includes(status);
