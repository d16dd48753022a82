/** A job's expanded row: its error with what to do, then each step with its own status and progress. */
import { ProgressBar, Text, makeStyles, tokens } from '@fluentui/react-components';
import type { Job } from '../api/types';
import { formatDuration, formatTime, percent } from '../format';
import { JobStatusBadge } from './JobStatusBadge';
import { ErrorBar } from '../ui/ErrorBar';
import { placesForCommands } from '../ui/screen-errors';

const useStyles = makeStyles({
  box: {
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalS,
    padding: `${tokens.spacingVerticalS} 0 ${tokens.spacingVerticalM}`,
  },
  steps: {
    listStyle: 'none',
    margin: 0,
    padding: 0,
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalS,
  },
  step: {
    display: 'grid',
    gridTemplateColumns: '2em minmax(180px, 1fr) 110px minmax(120px, 200px) auto',
    alignItems: 'center',
    columnGap: tokens.spacingHorizontalM,
  },
  stepError: { gridColumn: '2 / -1' },
  meta: { color: tokens.colorNeutralForeground3 },
});

export function JobDetails({ job, now }: { job: Job; now: number }) {
  const styles = useStyles();
  return (
    <div className={styles.box} data-testid={`job-details-${job.id}`}>
      <Text size={200} className={styles.meta}>
        Job {job.id} · created {formatTime(job.createdAt)}
        {job.attempts > 1 ? ` · attempt ${job.attempts}` : ''}
        {job.message ? ` · ${job.message}` : ''}
      </Text>
      <ErrorBar error={job.error} />
      <ol className={styles.steps} aria-label={`Steps of ${job.title}`}>
        {job.steps.map((s) => {
          const took = s.startedAt ? (s.endedAt ? Date.parse(s.endedAt) : now) - Date.parse(s.startedAt) : null;
          return (
            <li key={s.index} className={styles.step}>
              <Text className={styles.meta}>{s.index + 1}.</Text>
              <Text>{s.title}</Text>
              <JobStatusBadge status={s.status} />
              <ProgressBar
                value={s.status === 'succeeded' ? 1 : s.progress}
                color={s.status === 'failed' ? 'error' : 'brand'}
                aria-label={`${s.title}: ${percent(s.progress)}`}
              />
              <Text size={200} className={styles.meta}>
                {s.status === 'succeeded' ? '100%' : percent(s.progress)}
                {took !== null ? ` · ${formatDuration(took)}` : ''}
              </Text>
              {s.error && (
                <Text size={200} className={styles.stepError} style={{ color: tokens.colorPaletteRedForeground1 }}>
                  {placesForCommands(`${s.error.message} ${s.error.hint ?? ''}`)}
                </Text>
              )}
            </li>
          );
        })}
      </ol>
    </div>
  );
}
