/** Every job, live: status, progress, duration; child jobs under their parent; a row expands to its steps. */
import {
  Button,
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
import { ChevronDownRegular, ChevronRightRegular } from '@fluentui/react-icons';
import { Fragment, useMemo, useState, type ReactNode } from 'react';
import { useLifeboat, useNow } from '../api/hooks';
import type { ErrorInfo, Job } from '../api/types';
import { formatDuration, formatTime } from '../format';
import { JobActions } from '../jobs/JobActions';
import { JobDetails } from '../jobs/JobDetails';
import { JobProgress } from '../jobs/JobProgress';
import { JobStatusBadge } from '../jobs/JobStatusBadge';
import { ErrorBar } from '../ui/ErrorBar';
import { Page, useSectionStyles } from '../ui/Page';

const useStyles = makeStyles({
  title: { display: 'flex', alignItems: 'center', gap: tokens.spacingHorizontalXS },
  details: { backgroundColor: tokens.colorNeutralBackground2 },
  muted: { color: tokens.colorNeutralForeground3 },
});

/** Headers and widths: a job names its kind and object under its title, and Started carries the duration, so the
 * title keeps a readable width in a 1024 px window. */
const COLUMNS: Array<[string, number?]> = [
  ['', 28],
  ['Job'],
  ['Status', 104],
  ['Progress', 136],
  ['Started, duration', 104],
  ['Actions', 150],
];

function duration(job: Job, now: number): string {
  if (!job.startedAt) return '—';
  const end = job.endedAt ? Date.parse(job.endedAt) : job.status === 'running' ? now : null;
  return end === null ? '—' : formatDuration(end - Date.parse(job.startedAt));
}

export function JobsPage() {
  const styles = useStyles();
  const section = useSectionStyles();
  const { jobs } = useLifeboat();
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [error, setError] = useState<ErrorInfo | null>(null);
  const now = useNow(jobs.some((j) => j.status === 'running'));

  const { roots, childrenOf } = useMemo(() => {
    const ids = new Set(jobs.map((j) => j.id));
    const childrenOf = new Map<string, Job[]>();
    for (const j of jobs) {
      if (j.parentId && ids.has(j.parentId)) childrenOf.set(j.parentId, [...(childrenOf.get(j.parentId) ?? []), j]);
    }
    // Children whose parent is not loaded still show, at the top level.
    return { roots: jobs.filter((j) => !j.parentId || !ids.has(j.parentId)), childrenOf };
  }, [jobs]);

  const toggle = (id: string) =>
    setExpanded((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const renderJob = (job: Job, depth: number): ReactNode => {
    const open = expanded.has(job.id);
    const children = childrenOf.get(job.id) ?? [];
    return (
      <Fragment key={job.id}>
        <TableRow data-job-id={job.id} data-status={job.status}>
          <TableCell>
            <Button
              appearance="subtle"
              size="small"
              icon={open ? <ChevronDownRegular /> : <ChevronRightRegular />}
              aria-expanded={open}
              aria-controls={`job-steps-${job.id}`}
              aria-label={`${open ? 'Hide' : 'Show'} the steps of ${job.title}`}
              onClick={() => toggle(job.id)}
            />
          </TableCell>
          <TableCell>
            <div className={styles.title} style={{ paddingLeft: depth * 20 }}>
              <Text weight={depth ? 'regular' : 'semibold'}>{job.title}</Text>
            </div>
            <Text block size={200} className={styles.muted} style={{ paddingLeft: depth * 20 }}>
              {job.type}
              {job.objectName ? ` · ${job.objectName}${job.objectKind ? ` (${job.objectKind})` : ''}` : ''}
            </Text>
          </TableCell>
          <TableCell>
            <JobStatusBadge status={job.status} />
          </TableCell>
          <TableCell>
            <JobProgress job={job} />
          </TableCell>
          <TableCell>
            <Text block>{formatTime(job.startedAt)}</Text>
            <Text block size={200} className={styles.muted} data-testid="job-duration">
              {duration(job, now)}
            </Text>
          </TableCell>
          <TableCell>
            <JobActions job={job} onError={setError} />
          </TableCell>
        </TableRow>
        {open && (
          <TableRow id={`job-steps-${job.id}`} className={styles.details}>
            <TableCell colSpan={COLUMNS.length}>
              <JobDetails job={job} now={now} />
            </TableCell>
          </TableRow>
        )}
        {children.map((c) => renderJob(c, depth + 1))}
      </Fragment>
    );
  };

  return (
    <Page
      title="Jobs"
      description="Every operation Lifeboat runs, as it runs. Jobs survive restarts and resume from their last committed step."
    >
      <ErrorBar error={error} onDismiss={() => setError(null)} />
      {jobs.length === 0 ? (
        <section className={section.empty}>
          <Text weight="semibold">No jobs yet</Text>
          <Text>
            Backups, restores, failovers and self-tests appear here with their steps and live progress. Start a
            self-test from the Dashboard.
          </Text>
        </section>
      ) : (
        <div style={{ overflowX: 'auto' }}>
          <Table aria-label="Jobs" size="small">
            <TableHeader>
              <TableRow>
                {COLUMNS.map(([c, width], i) => (
                  <TableHeaderCell key={c || i} style={width ? { width } : undefined}>
                    {c || <span className={section.srOnly}>Details</span>}
                  </TableHeaderCell>
                ))}
              </TableRow>
            </TableHeader>
            <TableBody>{roots.map((j) => renderJob(j, 0))}</TableBody>
          </Table>
        </div>
      )}
    </Page>
  );
}
