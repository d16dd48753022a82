/**
 * A failover job as it runs: its steps (prechecks, restores, ownership transfer), its child restore jobs, then the
 * DNS alias checklist and what to reclaim; when it failed, its error with Resume and Abandon (confirmed).
 */
import {
  Button,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { ArrowRedoRegular, DeleteRegular, DismissRegular, PauseRegular } from '@fluentui/react-icons';
import { useEffect, useState } from 'react';
import { call } from '../api/client';
import { useLifeboat, useNow } from '../api/hooks';
import type { ErrorInfo, Job } from '../api/types';
import { JobDetails } from '../jobs/JobDetails';
import { JobProgress } from '../jobs/JobProgress';
import { JobStatusBadge } from '../jobs/JobStatusBadge';
import { ErrorBar } from '../ui/ErrorBar';
import { DnsChecklistView } from './DnsChecklistView';

const useStyles = makeStyles({
  box: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  head: { display: 'flex', gap: tokens.spacingHorizontalS, alignItems: 'center', flexWrap: 'wrap' },
  actions: { display: 'flex', gap: tokens.spacingHorizontalS },
});

export function FailoverProgress({ jobId, onJob }: { jobId: string; onJob(job: Job): void }) {
  const styles = useStyles();
  const { jobs } = useLifeboat();
  const [fetched, setFetched] = useState<Job | null>(null);
  const [busy, setBusy] = useState<'resume' | 'abandon' | null>(null);
  const [confirmAbandon, setConfirmAbandon] = useState(false);
  const [abandoned, setAbandoned] = useState<Job | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const live = jobs.find((j) => j.id === jobId) ?? null;
  const job = live ?? fetched;
  const children = jobs.filter((j) => j.parentId === jobId);
  const now = useNow(job?.status === 'running');

  // A job started elsewhere (or before the store saw it) is read once; the store keeps it current after that.
  useEffect(() => {
    if (live) return;
    void call('jobs.show', { id: jobId }).then((r) => (r.ok ? setFetched(r.value.job) : setError(r.error)));
  }, [jobId, live]);

  if (!job) return error ? <ErrorBar error={error} /> : <Spinner size="tiny" label="Starting the failover job…" />;
  // Failed with data moved, or paused: resume it or abandon it. A failed precheck released both devices (not
  // resumable); a cancelled failover was cleaned up by the engine already.
  const stopped = (job.status === 'failed' && job.resumable) || job.status === 'paused';
  const ended = (job.status === 'failed' && !job.resumable) || job.status === 'cancelled';

  const resume = async () => {
    setBusy('resume');
    setError(null);
    const r = await call('failover.resume', { id: job.id });
    setBusy(null);
    if (r.ok) onJob(r.value);
    else setError(r.error);
  };
  const abandon = async () => {
    setBusy('abandon');
    setError(null);
    const r = await call('failover.abandon', { id: job.id });
    setBusy(null);
    setConfirmAbandon(false);
    if (r.ok) setAbandoned(r.value);
    else setError(r.error);
  };

  return (
    <div className={styles.box} data-testid="failover-progress" data-status={abandoned ? 'abandoned' : job.status}>
      <div className={styles.head}>
        <Text weight="semibold">{job.title}</Text>
        <JobStatusBadge status={job.status} />
      </div>
      {/* One Cancel, saying what it does at this moment; a stopped failover is resumed or abandoned below. */}
      {(job.status === 'running' || job.status === 'queued') && !abandoned && (
        <CancelFailover job={job} onError={setError} />
      )}
      <JobProgress job={job} />
      <JobDetails job={job} now={now} />
      {children.length > 0 && (
        <Table aria-label="Restore jobs" size="extra-small">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Restore job</TableHeaderCell>
              <TableHeaderCell style={{ width: 120 }}>Status</TableHeaderCell>
              <TableHeaderCell style={{ width: 220 }}>Progress</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {children.map((c) => (
              <TableRow key={c.id} data-job-id={c.id} data-status={c.status}>
                <TableCell>{c.title}</TableCell>
                <TableCell>
                  <JobStatusBadge status={c.status} />
                </TableCell>
                <TableCell>
                  <JobProgress job={c} />
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <ErrorBar error={error} alert testId="failover-action-error" />
      {abandoned ? (
        <MessageBar intent="info" layout="multiline" data-testid="failover-abandoned">
          <MessageBarBody>
            <MessageBarTitle>The failover was abandoned.</MessageBarTitle>
            What it restored on the target was removed; the target is Ready to set up again and can be used for another
            failover.
          </MessageBarBody>
        </MessageBar>
      ) : ended ? (
        <MessageBar intent={job.status === 'failed' ? 'error' : 'info'} layout="multiline" data-testid="failover-ended">
          <MessageBarBody>
            <MessageBarTitle>
              {job.status === 'failed' ? 'The failover stopped before any data moved.' : 'The failover was cancelled.'}
            </MessageBarTitle>
            {job.status === 'failed'
              ? 'Both devices were released. Fix what the error says, then start the failover again.'
              : 'What it restored on the target was removed and both devices were released; the source can be failed over again.'}
          </MessageBarBody>
        </MessageBar>
      ) : stopped ? (
        <MessageBar intent={job.status === 'failed' ? 'error' : 'warning'} layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>
              {job.status === 'failed' ? 'The failover did not finish.' : 'The failover is paused.'}
            </MessageBarTitle>
            {job.status === 'failed' ? 'Fix what the error says, then resume it' : 'Resume it'}: what is already
            restored is not fetched again. Or abandon it: what it restored on the target is deleted and the target can
            be used again.
          </MessageBarBody>
          <MessageBarActions>
            <div className={styles.actions}>
              <Button
                size="small"
                icon={busy === 'resume' ? <Spinner size="extra-tiny" /> : <ArrowRedoRegular />}
                disabled={busy !== null}
                onClick={resume}
              >
                Resume
              </Button>
              {!confirmAbandon ? (
                <Button
                  size="small"
                  icon={<DeleteRegular />}
                  disabled={busy !== null}
                  onClick={() => setConfirmAbandon(true)}
                >
                  Abandon…
                </Button>
              ) : null}
            </div>
          </MessageBarActions>
        </MessageBar>
      ) : null}
      {confirmAbandon && !abandoned && (
        <MessageBar intent="warning" layout="multiline" role="alert">
          <MessageBarBody>
            <MessageBarTitle>Abandon this failover?</MessageBarTitle>
            What it restored on the target is deleted; the source stays Deactivated, so you can fail it over again.
          </MessageBarBody>
          <MessageBarActions>
            <div className={styles.actions}>
              <Button size="small" onClick={() => setConfirmAbandon(false)} disabled={busy !== null}>
                Keep it
              </Button>
              <Button
                size="small"
                appearance="primary"
                onClick={abandon}
                disabled={busy !== null}
                icon={busy === 'abandon' ? <Spinner size="extra-tiny" /> : undefined}
              >
                Abandon failover
              </Button>
            </div>
          </MessageBarActions>
        </MessageBar>
      )}
      {job.status === 'succeeded' && !abandoned && <Succeeded jobId={job.id} />}
    </div>
  );
}

function Succeeded({ jobId }: { jobId: string }) {
  const [checklist, setChecklist] = useState<Awaited<ReturnType<typeof loadChecklist>> | null>(null);
  useEffect(() => {
    void loadChecklist(jobId).then(setChecklist);
  }, [jobId]);
  return (
    <>
      <MessageBar intent="success" layout="multiline" data-testid="failover-succeeded">
        <MessageBarBody>
          <MessageBarTitle>The failover succeeded.</MessageBarTitle>
          The target now serves the data under the same names; the source was deleted from the service. Reclaim the
          source&apos;s resources (its data root, the machine or VM it ran on) once clients use the target.
        </MessageBarBody>
      </MessageBar>
      {!checklist ? (
        <Spinner size="tiny" label="Loading the DNS checklist…" />
      ) : checklist.ok ? (
        <DnsChecklistView checklist={checklist.value} />
      ) : (
        <ErrorBar error={checklist.error} />
      )}
    </>
  );
}

const loadChecklist = (id: string) => call('failover.checklist', { id });

/** What Cancel does now: before the restores nothing has moved; during them the target is cleaned; after, none. */
export function cancelMeaning(job: Job): string | null {
  const step = job.steps.find((s) => s.status === 'running')?.name ?? (job.status === 'queued' ? 'prechecks' : null);
  const target = /to (\S+)$/.exec(job.title)?.[1] ?? 'the target';
  if (step === 'prechecks') return 'Cancel: stops the prechecks. Nothing has moved; both devices are released.';
  if (step === 'restore')
    return `Cancel: stops the restores at their next checkpoint, deletes what they wrote on ${target} and releases both devices; the source stays Deactivated, to fail over again.`;
  return null;
}

function CancelFailover({ job, onError }: { job: Job; onError(e: ErrorInfo): void }) {
  const styles = useStyles();
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const meaning = cancelMeaning(job);
  if (!meaning || !job.cancellable)
    return (
      <Text size={200} data-testid="failover-cancel-meaning">
        The ownership transfer has begun: the failover can only finish now.
      </Text>
    );
  const act = async (name: 'jobs.cancel' | 'jobs.pause') => {
    setBusy(true);
    const r = await call(name, { id: job.id });
    setBusy(false);
    setConfirm(false);
    if (!r.ok) onError(r.error);
  };
  const cancel = () => act('jobs.cancel');
  return (
    <div className={styles.head}>
      {!confirm ? (
        <>
          {/* Pause keeps everything for a later Resume (or Abandon); Cancel undoes it. */}
          {job.status === 'running' && (
            <Button
              size="small"
              icon={<PauseRegular />}
              disabled={busy}
              onClick={() => void act('jobs.pause')}
              aria-label={`Pause ${job.title}`}
            >
              Pause
            </Button>
          )}
          <Button size="small" icon={<DismissRegular />} onClick={() => setConfirm(true)}>
            Cancel failover…
          </Button>
        </>
      ) : (
        <div className={styles.actions}>
          <Button size="small" disabled={busy} onClick={() => setConfirm(false)}>
            Keep it running
          </Button>
          <Button
            size="small"
            appearance="primary"
            disabled={busy}
            icon={busy ? <Spinner size="extra-tiny" /> : undefined}
            onClick={() => void cancel()}
          >
            Cancel failover
          </Button>
        </div>
      )}
      <Text size={200} data-testid="failover-cancel-meaning">
        {meaning}
      </Text>
    </div>
  );
}
