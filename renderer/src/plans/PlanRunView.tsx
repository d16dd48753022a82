/**
 * One run of a recovery plan: its job with each group and action as a step, each item's outcome, each script's
 * output, the items a run with a direction skipped and why, and, while the run waits on a manual action, what to do
 * and a Confirm button (`plans.confirm`). The job comes live from the store (engine events), so steps move as the run
 * goes.
 */
import {
  Badge,
  Button,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  Text,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { CheckmarkRegular } from '@fluentui/react-icons';
import { useState } from 'react';
import { call } from '../api/client';
import { useLifeboat, useNow } from '../api/hooks';
import type { ErrorInfo, Job } from '../api/types';
import { JobActions } from '../jobs/JobActions';
import { JobDetails } from '../jobs/JobDetails';
import { JobStatusBadge } from '../jobs/JobStatusBadge';
import { ErrorBar } from '../ui/ErrorBar';

interface RunResult {
  items?: { item: string; status: string; jobId: string | null; error: ErrorInfo | null }[];
  skipped?: { item: string; reason: string }[];
  actions?: { step: number; title: string; status: string; output?: string; error?: string }[];
  waiting?: { step: number; text: string } | null;
}

const useStyles = makeStyles({
  box: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
  head: { display: 'flex', alignItems: 'center', gap: tokens.spacingHorizontalM, flexWrap: 'wrap' },
  items: { display: 'flex', gap: tokens.spacingHorizontalS, flexWrap: 'wrap' },
  output: {
    fontFamily: tokens.fontFamilyMonospace,
    fontSize: tokens.fontSizeBase200,
    whiteSpace: 'pre-wrap',
    margin: 0,
    maxHeight: '160px',
    overflow: 'auto',
  },
});

export function PlanRunView({ job: initial }: { job: Job }) {
  const styles = useStyles();
  const { jobs } = useLifeboat();
  const job = jobs.find((j) => j.id === initial.id) ?? initial;
  const now = useNow(job.status === 'running', 1000);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const result = (job.result ?? {}) as RunResult;
  const waiting = job.status === 'paused' ? result.waiting : null;

  const confirm = async () => {
    setBusy(true);
    setError(null);
    const r = await call('plans.confirm', { id: job.id });
    setBusy(false);
    if (!r.ok) setError(r.error);
  };

  return (
    <section className={styles.box} aria-label={`Run ${job.title}`} data-testid="plan-run" data-status={job.status}>
      <div className={styles.head}>
        <Text weight="semibold">{job.title}</Text>
        <JobStatusBadge status={job.status} />
        <JobActions job={job} onError={setError} />
      </div>
      {waiting && (
        <MessageBar intent="warning" layout="multiline" data-testid="plan-waiting">
          <MessageBarBody>
            <MessageBarTitle>Waiting for a manual action</MessageBarTitle>
            {waiting.text}
          </MessageBarBody>
          <MessageBarActions>
            <Button appearance="primary" icon={<CheckmarkRegular />} disabled={busy} onClick={() => void confirm()}>
              Confirm
            </Button>
          </MessageBarActions>
        </MessageBar>
      )}
      <ErrorBar error={error} />
      <JobDetails job={job} now={now} />
      {!!result.items?.length && (
        <div className={styles.items} aria-label="Items of the run">
          {result.items.map((i) => (
            <Badge
              key={i.item}
              appearance="tint"
              color={
                i.status === 'succeeded'
                  ? 'success'
                  : i.status === 'failed'
                    ? 'danger'
                    : i.status === 'skipped'
                      ? 'informative'
                      : 'brand'
              }
              title={i.error?.message ?? result.skipped?.find((x) => x.item === i.item)?.reason}
            >
              {i.item}: {i.status}
            </Badge>
          ))}
        </div>
      )}
      {!!result.skipped?.length && (
        <Text size={200} data-testid="plan-run-skipped">
          {`Skipped: ${result.skipped.map((x) => x.reason).join('; ')}.`}
        </Text>
      )}
      {result.actions
        ?.filter((a) => a.output !== undefined)
        .map((a) => (
          <div key={a.step}>
            <Text size={200} weight="semibold">
              {a.title} · {a.status}
              {a.error ? ` · ${a.error}` : ''}
            </Text>
            <pre className={styles.output} data-testid={`plan-action-output-${a.step}`}>
              {a.output || '(no output)'}
            </pre>
          </div>
        ))}
    </section>
  );
}
