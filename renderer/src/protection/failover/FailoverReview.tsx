/**
 * The Failover wizard's last two steps: the review (type, direction, point and what it loses, shutdown, the RTO
 * estimate, and the explicit confirmation) and the job's progress with its result: where the disks and folders came
 * up, how long until the start command, the start command's output and any warning.
 */
import {
  Checkbox,
  Link,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Text,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { useLifeboat, useNow } from '../../api/hooks';
import { useQuery } from '../../api/query';
import { formatBytes, formatDuration } from '../../format';
import { JobDetails } from '../../jobs/JobDetails';
import { JobProgress } from '../../jobs/JobProgress';
import { JobStatusBadge } from '../../jobs/JobStatusBadge';
import { useSectionStyles } from '../../pages/Page';
import { fieldState, type StepBodyProps } from '../../wizard/machine';
import { formatAge } from '../labels';
import {
  describeLoss,
  directionText,
  typeText,
  useFailoverOptions,
  type FailoverData,
  type FailoverResultInfo,
} from './labels';
import { describeChoice } from './PointChoice';

const useStyles = makeStyles({
  rto: { fontSize: tokens.fontSizeBase500, fontWeight: tokens.fontWeightSemibold },
  output: {
    fontFamily: tokens.fontFamilyMonospace,
    fontSize: tokens.fontSizeBase200,
    whiteSpace: 'pre-wrap',
    margin: 0,
  },
});

export function FailoverReview({ data, update, problems }: StepBodyProps<FailoverData>) {
  const styles = useStyles();
  const section = useSectionStyles();
  const options = useFailoverOptions(data).data;
  const points = useQuery('items.points', { name: data.item }).data ?? [];
  const now = useNow(true, 5000);
  if (!options) return <Text>Reading the options…</Text>;
  const named = options.options.find((o) => o.option === data.point);
  const custom = named ? null : points.find((p) => p.id === data.point);
  const loss = named
    ? describeLoss(named)
    : custom
      ? `the last ${formatAge((now - Date.parse(custom.createdAt)) / 1000)} of writes`
      : '—';
  // A custom point costs what latest-processed costs: a copy of the replica wound back, no final cycle.
  const rto = named?.rtoSeconds ?? options.options.find((o) => o.option === 'latest-processed')?.rtoSeconds ?? null;
  const shutdown =
    data.type === 'test'
      ? 'no: a test leaves the source running'
      : data.type === 'planned' || data.shutdownSource
        ? 'yes'
        : 'no';
  return (
    <>
      <dl className={section.dl} data-testid="failover-review">
        <dt>Item</dt>
        <dd className={section.dd}>{data.item}</dd>
        <dt>Type</dt>
        <dd className={section.dd}>{typeText(data.type, data.back).label}</dd>
        <dt>Direction</dt>
        <dd className={section.dd}>{directionText(options)}</dd>
        <dt>Recovery point</dt>
        <dd className={section.dd}>{describeChoice(data.point, options.options, points)}</dd>
        <dt>Loses</dt>
        <dd className={section.dd}>{loss}</dd>
        <dt>Shut down the source</dt>
        <dd className={section.dd}>{shutdown}</dd>
      </dl>
      <Text data-testid="rto-estimate">
        Estimated time to the start command:{' '}
        <span className={styles.rto}>{rto === null ? '—' : `about ${formatAge(rto)}`}</span>
      </Text>
      <Text size={200} data-testid="rto-basis">
        {options.rtoBasis.description}
      </Text>
      <Checkbox
        checked={data.confirmed}
        onChange={(_, v) => update({ confirmed: v.checked === true })}
        data-field="confirmed"
        {...fieldState(problems.confirmed)}
        label={
          data.type === 'test'
            ? `I understand that a test copy of ${data.item} starts at ${options.to}, isolated from its replica`
            : data.back
              ? `I understand that ${data.item} will run at ${options.to} again, and that replication stops until it is committed and reprotected`
              : `I understand that ${data.item} will run at ${options.to}, and that replication stops until it is committed and reprotected`
        }
      />
      {problems.confirmed && (
        <Text role="alert" size={200}>
          {problems.confirmed}
        </Text>
      )}
    </>
  );
}

export function FailoverProgress({ data }: StepBodyProps<FailoverData>) {
  const styles = useStyles();
  const { jobs } = useLifeboat();
  const started = data.job;
  const job = started ? (jobs.find((j) => j.id === started.id) ?? started) : null;
  const now = useNow(job?.status === 'running', 1000);
  if (!job) return null;
  const result = job.status === 'succeeded' ? (job.result as FailoverResultInfo | undefined) : undefined;
  return (
    <div
      style={{ display: 'flex', flexDirection: 'column', gap: 8 }}
      data-testid="failover-progress"
      data-status={job.status}
      data-autofocus
      tabIndex={-1}
    >
      <div style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
        <Text weight="semibold">{job.title}</Text>
        <JobStatusBadge status={job.status} />
      </div>
      <JobProgress job={job} />
      <JobDetails job={job} now={now} />
      {job.status === 'succeeded' && (
        <MessageBar intent="success" layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>
              {data.type === 'test'
                ? `A test copy of “${data.item}” is up.`
                : `“${data.item}” runs at ${result?.to ?? 'the other site'}${data.back ? ' again' : ''}.`}
            </MessageBarTitle>
            {result &&
              (data.back && data.type !== 'test'
                ? `Back in its original disks and folders at the point of ${new Date(result.point.createdAt).toLocaleString()}`
                : `${formatBytes(result.bytes)} materialized from the point of ${new Date(result.point.createdAt).toLocaleString()}`) +
                `; the start command ran after ${formatDuration(result.timeToStartMs)}. `}
            {data.type === 'test'
              ? 'Clean it up from the item’s page when the drill is done.'
              : 'Check it, then change its recovery point or commit.'}{' '}
            <Link href={`#/protected-items/${encodeURIComponent(data.item)}`}>Open its page</Link>.
          </MessageBarBody>
        </MessageBar>
      )}
      {result?.warnings.map((w) => (
        <MessageBar key={w} intent="warning" layout="multiline">
          <MessageBarBody>{w}</MessageBarBody>
        </MessageBar>
      ))}
      {result?.start && (
        <pre className={styles.output} data-testid="start-output">
          {result.start.output || '(the start command printed nothing)'}
        </pre>
      )}
    </div>
  );
}
