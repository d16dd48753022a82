/** The notice a page shows after an action: what started (with the Jobs page link), what was done, or the refusal. */
import {
  Button,
  Link,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
} from '@fluentui/react-components';
import { DismissRegular } from '@fluentui/react-icons';
import type { ReactNode } from 'react';
import { useLifeboat } from '../api/hooks';
import type { ErrorInfo, Job } from '../api/types';
import { labelledMessage } from './screen-errors';

/** `jobId`: a notice about a started job; it ends when the device that job was about has been failed over. */
export type Notice = {
  intent: 'success' | 'warning' | 'error' | 'info';
  title: string;
  body?: ReactNode;
  jobId?: string;
};

/** A refusal as a notice: the message, then what to do. */
export const errorNotice = (error: ErrorInfo): Notice => ({
  intent: 'error',
  title: labelledMessage(error),
  body: error.hint,
});

export const jobStartedNotice = (job: Job): Notice => ({
  intent: 'info',
  jobId: job.id,
  title: `Started “${job.title}”`,
  body: (
    <>
      Follow its progress on the <Link href="#/jobs">Jobs page</Link>; a notification says when it ends.
    </>
  ),
});

export function NoticeBar({ notice, onDismiss, testId }: { notice: Notice | null; onDismiss(): void; testId: string }) {
  const { jobs } = useLifeboat();
  const about = notice?.jobId ? jobs.find((j) => j.id === notice.jobId) : undefined;
  // A device failed over is done with: the notice of what was started on it (its deactivation) ends there.
  const over =
    about?.objectKind === 'device' &&
    jobs.some((j) => j.type === 'device.failover' && j.status === 'succeeded' && j.objectName === about.objectName);
  if (!notice || over) return null;
  return (
    <MessageBar intent={notice.intent} layout="multiline" data-testid={testId}>
      <MessageBarBody>
        <MessageBarTitle>{notice.title}</MessageBarTitle>
        {notice.body}
      </MessageBarBody>
      <MessageBarActions
        containerAction={
          <Button appearance="transparent" aria-label="Dismiss" icon={<DismissRegular />} onClick={onDismiss} />
        }
      />
    </MessageBar>
  );
}

/** What to do about a refusal whose message is shown on the field it names. */
export function HintBar({ hint, testId }: { hint: string | undefined; testId?: string }) {
  if (!hint) return null;
  return (
    <MessageBar intent="error" layout="multiline" role="alert" data-testid={testId}>
      <MessageBarBody>{hint}</MessageBarBody>
    </MessageBar>
  );
}
