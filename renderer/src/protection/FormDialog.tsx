/**
 * The dialog skeleton moved to ui/FormDialog.tsx for every page; re-exported here for the protection views, with
 * jobStarter for a confirmed action that starts a job.
 */
import type { Job, Result } from '../api/types';
import { jobStartedNotice, type Notice } from '../devices/notice';

export { ConfirmDialog, FormDialog, type ConfirmDialogProps, type FormDialogProps } from '../ui/FormDialog';

/** A ConfirmDialog's `run` for an action that starts a job: once started, the page's notice links to the job. */
export const jobStarter = (onNotice: (n: Notice) => void) => (start: () => Promise<Result<Job>>) => async () => {
  const r = await start();
  if (r.ok) onNotice(jobStartedNotice(r.value));
  return r;
};
