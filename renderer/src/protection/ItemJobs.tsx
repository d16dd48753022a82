/**
 * A protected item's jobs, newest first: enabling, cycles (its group's too), resyncs, failovers. From the live job
 * list every page shares; each row links to the Jobs page, which shows its steps.
 */
import { Link, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, Text, Title3, makeStyles, tokens } from '@fluentui/react-components';
import { useLifeboat } from '../api/hooks';
import type { Job } from '../api/types';
import { formatBytes, formatDuration, formatTime } from '../format';
import { JobProgress } from '../jobs/JobProgress';
import { JobStatusBadge } from '../jobs/JobStatusBadge';
import type { ItemInfo } from './labels';

const SHOWN = 12;

const useStyles = makeStyles({
  muted: { color: tokens.colorNeutralForeground3 },
  table: { minWidth: '640px' },
  scroll: { overflowX: 'auto' },
});

/** Jobs about the item, or about its replication group (whose cycles make the item's points). */
export const isItemJob = (item: Pick<ItemInfo, 'name' | 'group'>) => (j: Job) =>
  (j.objectKind === 'protected-item' && j.objectName === item.name) || (!!item.group && j.objectKind === 'replication-group' && j.objectName === item.group);

function ended(job: Job): string {
  if (!job.startedAt) return '—';
  if (!job.endedAt) return 'running';
  const took = formatDuration(Date.parse(job.endedAt) - Date.parse(job.startedAt));
  return job.bytesDone ? `${took}, ${formatBytes(job.bytesDone)}` : took;
}

export function ItemJobs({ item }: { item: ItemInfo }) {
  const styles = useStyles();
  const { jobs } = useLifeboat();
  const mine = jobs.filter(isItemJob(item));
  return (
    <section aria-labelledby="item-jobs-title" data-testid="item-jobs">
      <Title3 as="h2" id="item-jobs-title">
        Jobs
      </Title3>
      {mine.length === 0 ? (
        <Text className={styles.muted}>No jobs yet.</Text>
      ) : (
        <div className={styles.scroll}>
          <Table aria-label={`Jobs of ${item.name}`} size="small" className={styles.table}>
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
              {mine.slice(0, SHOWN).map((j) => (
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
                  <TableCell>{ended(j)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          {mine.length > SHOWN && <Text size={200} className={styles.muted}>{`${mine.length - SHOWN} older jobs are on the Jobs page.`}</Text>}
        </div>
      )}
    </section>
  );
}
