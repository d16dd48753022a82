/**
 * The Fail over wizard as a step machine: source and the backup it restores (newest, or an earlier one) → a
 * compatible target with its facts (every other device listed with why it is excluded) → the prechecks as a
 * checklist, then the plan with bytes, RTO estimate and the acknowledgement → progress of the failover job and its
 * restore jobs, then the DNS alias checklist (or Resume / Abandon).
 */
import {
  Checkbox,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Radio,
  RadioGroup,
  Spinner,
  Text,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { call } from '../api/client';
import type { ErrorInfo, Job } from '../api/types';
import type { FailoverPrechecks } from '../../../main/shared/device-schemas';
import { formatBytes, formatDuration, formatRate, formatTime } from '../format';
import { ErrorBar } from '../pages/ErrorBar';
import { useSectionStyles } from '../pages/Page';
import type { Outcome, StepMachine, WizardStep } from '../wizard/machine';
import { BackupPicker, TargetFactsLine } from './FailoverPickers';
import { FailoverProgress } from './FailoverProgress';
import { PrecheckList } from './PrecheckList';
import { BACKUP_KIND_LABEL, STATUS_LABEL, TYPE_LABEL, type Device, type FailoverPlan } from './labels';
import { useDeviceQuery } from './useDeviceQuery';

export type FailoverStepId = 'source' | 'target' | 'summary' | 'progress';

export interface FailoverData {
  source: Device;
  target: string;
  /** The backup to restore; null: the newest. */
  backupId: string | null;
  plan: FailoverPlan | null;
  /** The prechecks as last run on the summary step (null: running). */
  checks: FailoverPrechecks | null;
  understood: boolean;
  /** The failover job, once started (or the failed one this source is held by). */
  jobId: string | null;
}

type Step = WizardStep<FailoverStepId, FailoverData>;

const useStyles = makeStyles({
  list: {
    margin: 0,
    paddingLeft: tokens.spacingHorizontalXL,
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalXXS,
  },
  excluded: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXS },
  muted: { color: tokens.colorNeutralForeground3 },
});

const Rows = ({ rows, label, testId }: { rows: Array<[string, string]>; label: string; testId?: string }) => (
  <dl
    style={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', columnGap: 16, rowGap: 4, margin: 0 }}
    aria-label={label}
    data-testid={testId}
  >
    {rows.map(([k, v]) => [
      <dt key={`${k}-k`}>{k}</dt>,
      <dd key={`${k}-v`} style={{ margin: 0, wordBreak: 'break-word' }}>
        {v}
      </dd>,
    ])}
  </dl>
);

function SourceBody({ data, update }: Parameters<Step['Body']>[0]) {
  const detail = useDeviceQuery('devices.show', { name: data.source.name }, data.source.name);
  const s = data.source;
  const items = detail.data
    ? s.type === 'file'
      ? detail.data.shares.map((x) => x.name)
      : detail.data.volumes.map((x) => x.name)
    : [];
  return (
    <>
      <Rows
        label="The source device"
        testId="failover-source"
        rows={[
          ['Source device', s.name],
          ['Status', STATUS_LABEL[s.status]],
          ['Type', TYPE_LABEL[s.type]],
          ['Provisioned', `${formatBytes(s.provisioned)} of ${formatBytes(s.capacity)}`],
          [s.type === 'file' ? 'Shares' : 'Volumes', items.length ? items.join(', ') : detail.loading ? '…' : 'none'],
          ['Domain', s.domain ?? '—'],
          ['FIPS mode', s.fips ? 'On' : 'Off'],
          ['Storage account', s.account ?? '—'],
        ]}
      />
      <ErrorBar error={detail.error} />
      <Text weight="semibold">Backup to restore</Text>
      <BackupPicker
        source={s}
        value={data.backupId}
        onChange={(backupId) => update({ backupId, plan: null, checks: null, understood: false })}
      />
    </>
  );
}

const source: Step = {
  id: 'source',
  title: 'Source device',
  intro: (d) =>
    `Fail over the deactivated device "${d.source.name}": its ${d.source.type === 'file' ? 'shares' : 'volumes'} are restored on a target device from the backup you choose (the newest by default), under the same names and settings.`,
  nextLabel: () => 'Next',
  validate: () => ({}),
  submit: () => ({ ok: true, go: 'target' }),
  Body: SourceBody,
};

function TargetBody({ data, update, problems }: Parameters<Step['Body']>[0]) {
  const styles = useStyles();
  const section = useSectionStyles();
  const targets = useDeviceQuery('failover.targets', { source: data.source.name });
  const t = targets.data;
  if (targets.error) return <ErrorBar error={targets.error} />;
  if (!t) return <Spinner size="tiny" label="Checking the other devices…" />;
  return (
    <>
      {t.compatible.length === 0 ? (
        <MessageBar intent="error" layout="multiline" data-testid="no-compatible-targets">
          <MessageBarBody>
            <MessageBarTitle>No compatible target devices</MessageBarTitle>
            Configure and register a device of the same type with at least the source&apos;s capacity and no{' '}
            {data.source.type === 'file' ? 'shares' : 'volumes'}, then try again.
          </MessageBarBody>
        </MessageBar>
      ) : (
        <RadioGroup
          aria-label="Target device"
          data-field="target"
          value={data.target}
          onChange={(_, v) => update({ target: v.value, plan: null, understood: false })}
        >
          {t.compatible.map((c) => (
            <Radio
              key={c.device}
              value={c.device}
              label={
                <>
                  {c.device}
                  <TargetFactsLine facts={c.facts} />
                  {c.warnings.map((w) => (
                    <Text key={w.code} block size={200} style={{ color: tokens.colorPaletteDarkOrangeForeground1 }}>
                      {w.message}
                    </Text>
                  ))}
                </>
              }
            />
          ))}
        </RadioGroup>
      )}
      {problems.target && (
        <Text role="alert" size={200} style={{ color: tokens.colorPaletteRedForeground1 }}>
          {problems.target}
        </Text>
      )}
      {t.excluded.length > 0 && (
        <section className={styles.excluded} aria-labelledby="excluded-title" data-testid="excluded-targets">
          <Text id="excluded-title" weight="semibold">
            Devices that cannot be the target
          </Text>
          <ul className={styles.list}>
            {t.excluded.map((x) => (
              <li key={x.device} data-device={x.device}>
                <Text weight="semibold">{x.device}</Text>
                <Text className={styles.muted}>
                  {' '}
                  ({STATUS_LABEL[x.facts.status]}): {x.reasons.map((r) => r.message).join(' ')}
                </Text>
              </li>
            ))}
          </ul>
        </section>
      )}
      <span className={section.srOnly}>{`${t.compatible.length} compatible, ${t.excluded.length} excluded`}</span>
    </>
  );
}

function planError(error: ErrorInfo): Outcome<FailoverStepId, FailoverData> {
  if (/backup/i.test(error.message) && !/target/i.test(error.message)) return { ok: false, error, go: 'source' };
  return { ok: false, error, go: 'target', field: 'target' };
}

const target: Step = {
  id: 'target',
  title: 'Target device',
  intro: () =>
    'Only Online or Ready to set up devices of the same type, with no shares or volumes, a different name and enough capacity can be the target; one that is not registered yet is registered by the failover. A FIPS source needs a FIPS target.',
  nextLabel: () => 'Next',
  back: () => 'source',
  validate: (d) => ({ target: d.target ? undefined : 'Choose a compatible target device.' }),
  submit: async (d) => {
    // The prechecks run with the plan, so the summary opens on the checklist, before the RTO.
    const input = { source: d.source.name, target: d.target, backup: d.backupId ?? undefined };
    const [plan, checks] = await Promise.all([call('failover.plan', input), call('failover.prechecks', input)]);
    if (!plan.ok) return planError(plan.error);
    return { ok: true, go: 'summary', patch: { plan: plan.value, checks: checks.ok ? checks.value : null } };
  },
  Body: TargetBody,
};

/** Plan warnings the checklist does not already say (it has the domain, the backup and what comes back empty). */
const PLAN_ONLY = new Set(['no-throughput']);

function SummaryBody({ data, update, problems }: Parameters<Step['Body']>[0]) {
  const styles = useStyles();
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const p = data.plan;
  const rerun = async () => {
    setRunning(true);
    setError(null);
    const r = await call('failover.prechecks', {
      source: data.source.name,
      target: data.target,
      backup: data.backupId ?? undefined,
    });
    setRunning(false);
    if (r.ok) update({ checks: r.value });
    else setError(r.error);
  };
  // Opened without a checklist (its run failed on the way here): run it now.
  useEffect(() => {
    if (!data.checks) void rerun();
  }, []);
  if (!p) return null;
  return (
    <>
      <PrecheckList checks={data.checks} running={running} onRerun={() => void rerun()} />
      <ErrorBar error={error} />
      {problems.prechecks && (
        <Text role="alert" size={200} style={{ color: tokens.colorPaletteRedForeground1 }}>
          {problems.prechecks}
        </Text>
      )}
      <Rows
        label="The failover to start"
        testId="failover-summary"
        rows={[
          ['Source', p.source],
          ['Target', p.target],
          [
            'Backup',
            `${formatTime(p.backup.createdAt)} (${BACKUP_KIND_LABEL[p.backup.kind]})${p.backup.loses ? `; ${p.backup.loses.text}` : ''}`,
          ],
          ['Failover', p.planned ? 'Planned: no data loss' : 'Unplanned: changes after this backup are lost'],
          ['Data to restore', formatBytes(p.bytesToRestore)],
          [
            'Estimated time (RTO)',
            p.rtoSeconds === null
              ? 'Unknown until the account has been measured'
              : `about ${formatDuration(p.rtoSeconds * 1000)}`,
          ],
          ['Read throughput', p.throughputBytesPerSecond === null ? '—' : formatRate(p.throughputBytesPerSecond)],
        ]}
      />
      <ul className={styles.list} aria-label="What is restored">
        {p.items.map((i) => (
          <li key={i.name}>
            {i.kind === 'share' ? 'Share' : 'Volume'} {i.name}: {formatBytes(i.bytes)}
          </li>
        ))}
      </ul>
      {p.warnings
        .filter((w) => PLAN_ONLY.has(w.code))
        .map((w) => (
          <MessageBar key={w.code} intent="warning" layout="multiline" data-testid="plan-warning">
            <MessageBarBody>{w.message}</MessageBarBody>
          </MessageBar>
        ))}
      <Checkbox
        data-field="understood"
        checked={data.understood}
        onChange={(_, v) => update({ understood: v.checked === true })}
        label="I understand that this operation will fail over data to the target device"
      />
      {problems.understood && (
        <Text role="alert" size={200} style={{ color: tokens.colorPaletteRedForeground1 }}>
          {problems.understood}
        </Text>
      )}
    </>
  );
}

const summary: Step = {
  id: 'summary',
  title: 'Summary',
  intro: () =>
    "The prechecks below run again as the failover job's first step; nothing moves if one fails. Then one restore job per share or volume brings the data back, hot data first, and the target takes ownership.",
  nextLabel: () => 'Fail over',
  back: () => 'target',
  validate: (d) => ({
    prechecks:
      d.checks && !d.checks.ok
        ? 'Fix what the failed prechecks say, then re-run them: the failover cannot start until none fails.'
        : undefined,
    understood: d.understood ? undefined : 'Check that you understand, to start the failover.',
  }),
  submit: async (d) => {
    const r = await call('failover.start', {
      source: d.source.name,
      target: d.target,
      backup: d.backupId ?? undefined,
    });
    if (r.ok) return { ok: true, go: 'progress', patch: { jobId: r.value.id } };
    // A target that stopped being compatible (changed meanwhile) is chosen again on the target step.
    return /cannot be the failover target|compatible target/i.test(r.error.message)
      ? { ok: false, error: r.error, go: 'target', patch: { understood: false } }
      : { ok: false, error: r.error };
  },
  Body: SummaryBody,
};

const progress: Step = {
  id: 'progress',
  title: 'Failover',
  intro: () =>
    'The failover runs as a job and survives restarts; closing this keeps it running. Follow it here or on the Jobs page.',
  nextLabel: () => 'Close',
  // The failover's own Cancel (which says what it does now) is the only one; closing this keeps the job running.
  noCancel: true,
  validate: () => ({}),
  submit: () => ({ ok: true, go: 'finish' }),
  Body: ({ data, update }) =>
    data.jobId ? <FailoverProgress jobId={data.jobId} onJob={(job: Job) => update({ jobId: job.id })} /> : null,
};

export const failoverSteps: StepMachine<FailoverStepId, FailoverData> = { source, target, summary, progress };
export const failoverPath = (): FailoverStepId[] => ['source', 'target', 'summary', 'progress'];
