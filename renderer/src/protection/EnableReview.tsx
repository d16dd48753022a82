/**
 * The last two steps of Enable protection: the review (what will be protected where, and the first copy's size and
 * ETA once the engine measures them), then the job's progress with its steps, as other job dialogs show it.
 */
import { Link, MessageBar, MessageBarBody, MessageBarTitle, Text } from '@fluentui/react-components';
import { useLifeboat, useNow } from '../api/hooks';
import { formatBytes, formatDuration } from '../format';
import { JobDetails } from '../jobs/JobDetails';
import { JobProgress } from '../jobs/JobProgress';
import { JobStatusBadge } from '../jobs/JobStatusBadge';
import type { StepBodyProps } from '../wizard/machine';
import type { EnableData } from './enableSteps';
import { COMMANDS } from './enableSteps';
import { itemHref } from './labels';
import { pathLines } from './validation';

const dl = { display: 'grid', gridTemplateColumns: 'max-content 1fr', columnGap: 16, rowGap: 4, margin: 0 } as const;
const dd = { margin: 0, wordBreak: 'break-all' } as const;

export function EnableReview({ data }: StepBodyProps<EnableData>) {
  const commands = COMMANDS.filter((c) => data.commands[c].trim());
  const rows: Array<[string, string]> = [
    ['Machine', data.name.trim()],
    ['Source site', data.sourceSite || 'this installation (primary)'],
    ['Disk images', pathLines(data.disks).join('\n') || 'none'],
    ['Folders', pathLines(data.folders).join('\n') || 'none'],
    [
      'Commands',
      commands.length
        ? commands.map((c) => `${c}: ${data.commands[c].trim()}`).join('\n')
        : 'none (crash-consistent points only)',
    ],
    ['Recovery site', data.recoverySite],
    ['Storage account', data.account || 'none'],
    ['Policy', data.policy],
    ['Replication group', data.group.trim() || 'none'],
  ];
  return (
    <>
      <dl style={dl} aria-label="The protection to enable" data-testid="enable-review">
        {rows.map(([k, v]) => [
          <dt key={`${k}-k`}>{k}</dt>,
          <dd key={`${k}-v`} style={{ ...dd, whiteSpace: 'pre-line' }}>
            {v}
          </dd>,
        ])}
      </dl>
      <Text size={200}>
        The first copy holds every allocated block of the disks (holes are skipped) and every file of the folders; the
        job measures it first and shows its size and time left.
      </Text>
    </>
  );
}

export function EnableProgress({ data }: StepBodyProps<EnableData>) {
  const { jobs } = useLifeboat();
  const started = data.job;
  const job = started ? (jobs.find((j) => j.id === started.id) ?? started) : null;
  const now = useNow(job?.status === 'running', 1000);
  if (!job) return null;
  const firstCopy = job.bytesTotal > 0 ? formatBytes(job.bytesTotal) : null;
  const left = job.bytesTotal - job.bytesDone;
  const eta = job.status === 'running' && job.rate > 0 && left > 0 ? formatDuration((left / job.rate) * 1000) : null;
  return (
    <div
      style={{ display: 'flex', flexDirection: 'column', gap: 8 }}
      data-testid="enable-progress"
      data-status={job.status}
      data-autofocus
      tabIndex={-1}
    >
      <div style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
        <Text weight="semibold">{job.title}</Text>
        <JobStatusBadge status={job.status} />
      </div>
      <JobProgress job={job} />
      {(firstCopy || eta) && (
        <Text size={200} data-testid="first-copy">
          {firstCopy ? `First copy: ${firstCopy}` : ''}
          {eta ? ` · about ${eta} left` : ''}
        </Text>
      )}
      <JobDetails job={job} now={now} />
      {job.status === 'succeeded' && (
        <MessageBar intent="success" layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>“{data.name.trim()}” is protected.</MessageBarTitle>
            Its first recovery point is at {data.recoverySite}; delta replication runs at the policy&apos;s frequency.{' '}
            <Link href={itemHref(data.name.trim())}>Open its page</Link>.
          </MessageBarBody>
        </MessageBar>
      )}
    </div>
  );
}
