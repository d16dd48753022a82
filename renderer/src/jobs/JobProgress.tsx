/** A job's progress: the bar, its percent, and when bytes are known the rate and the time left. */
import { ProgressBar, Text, makeStyles, tokens } from '@fluentui/react-components';
import type { Job } from '../api/types';
import { formatBytes, formatDuration, formatRate, percent } from '../format';

const useStyles = makeStyles({
  box: { display: 'flex', flexDirection: 'column', gap: '2px', minWidth: '120px' },
  line: { display: 'flex', gap: tokens.spacingHorizontalS, color: tokens.colorNeutralForeground3, flexWrap: 'wrap' },
});

export function JobProgress({
  job,
}: {
  job: Pick<Job, 'status' | 'progress' | 'bytesDone' | 'bytesTotal' | 'rate' | 'title'>;
}) {
  const styles = useStyles();
  const running = job.status === 'running';
  const color =
    job.status === 'failed'
      ? 'error'
      : job.status === 'succeeded'
        ? 'success'
        : job.status === 'paused'
          ? 'warning'
          : 'brand';
  const eta =
    running && job.rate > 0 && job.bytesTotal > job.bytesDone
      ? ((job.bytesTotal - job.bytesDone) / job.rate) * 1000
      : null;
  return (
    <div className={styles.box}>
      <ProgressBar
        value={Math.min(1, Math.max(0, job.progress))}
        color={color}
        thickness="large"
        aria-label={`${job.title}: ${percent(job.progress)}`}
      />
      <div className={styles.line}>
        <Text size={200} data-testid="job-percent">
          {percent(job.progress)}
        </Text>
        {running && job.bytesTotal > 0 && (
          <Text size={200}>{`${formatBytes(job.bytesDone)} of ${formatBytes(job.bytesTotal)}`}</Text>
        )}
        {running && job.rate > 0 && <Text size={200}>{formatRate(job.rate)}</Text>}
        {eta !== null && <Text size={200}>{`${formatDuration(eta)} left`}</Text>}
      </div>
    </div>
  );
}
