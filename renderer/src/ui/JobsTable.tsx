/**
 * The jobs of one object (a device, a protected item), newest first: title (linking to the Jobs page, which shows its
 * steps) with its error, status, progress, when it started and how long it took. The pages choose which jobs.
 */
import {
  Link,
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
import type { Job } from '../api/types';
import { formatBytes, formatDuration, formatTime } from '../format';
import { JobProgress } from '../jobs/JobProgress';
import { JobStatusBadge } from '../jobs/JobStatusBadge';

const useStyles = makeStyles({
  muted: { color: tokens.colorNeutralForeground3 },
  table: { minWidth: '640px' },
  scroll: { overflowX: 'auto' },
});

/** How long an ended job took, with the bytes it moved; "running" while it runs. */
export function tookText(job: Job): string {
  if (!job.startedAt) return '—';
  if (!job.endedAt) return 'running';
  const took = formatDuration(Date.parse(job.endedAt) - Date.parse(job.startedAt));
  return job.bytesDone ? `${took}, ${formatBytes(job.bytesDone)}` : took;
}

/** `label`: the table's accessible name; `shown`: at most this many rows (default all), the rest pointed to the Jobs page. */
export function JobsTable({ jobs, label, shown = Infinity }: { jobs: Job[]; label: string; shown?: number }) {
  const styles = useStyles();
  if (jobs.length === 0) return <Text className={styles.muted}>No jobs yet.</Text>;
  return (
    <div className={styles.scroll}>
      <Table aria-label={label} size="small" className={styles.table}>
        <TableHeader>
          <TableRow>
            <TableHeaderCell>Job</TableHeaderCell>
            <TableHeaderCell style={{ width: 120 }}>Status</TableHeaderCell>
            <TableHeaderCell style={{ width: 160 }}>Progress</TableHeaderCell>
            <TableHeaderCell style={{ width: 170 }}>Started</TableHeaderCell>
            <TableHeaderCell style={{ width: 150 }}>Took</TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {jobs.slice(0, shown).map((j) => (
            <TableRow key={j.id} data-job-id={j.id} data-job-type={j.type} data-status={j.status}>
              <TableCell>
                <Link href="#/jobs">{j.title}</Link>
                {j.error && (
                  <Text block size={200} className={styles.muted}>
                    {j.error.message}
                  </Text>
                )}
              </TableCell>
              <TableCell>
                <JobStatusBadge status={j.status} />
              </TableCell>
              <TableCell>
                <JobProgress job={j} />
              </TableCell>
              <TableCell>{formatTime(j.startedAt ?? j.createdAt)}</TableCell>
              <TableCell>{tookText(j)}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {jobs.length > shown && (
        <Text size={200} className={styles.muted}>{`${jobs.length - shown} older jobs are on the Jobs page.`}</Text>
      )}
    </div>
  );
}
