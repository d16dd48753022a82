/**
 * The Failover wizard of a protected item as a step machine: type (test, planned, unplanned; the direction shown) →
 * recovery point (each option's time, loss and RTO, or a custom point on the timeline) → shut down the source →
 * review with the RTO estimate and an explicit confirmation → the job's progress. A test failover skips the shutdown
 * step: it leaves the source running. A refusal goes back to the step it is about, everything kept.
 */
import { Checkbox, Radio, RadioGroup, Text } from '@fluentui/react-components';
import { call } from '../../api/client';
import { useNow } from '../../api/hooks';
import { useQuery } from '../../api/query';
import type { ErrorInfo } from '../../api/types';
import type { Outcome, StepBodyProps, StepMachine, WizardStep } from '../../wizard/machine';
import { FailoverProgress, FailoverReview } from './FailoverReview';
import {
  FAILBACK_APP_NOTE,
  OPTION_TEXT,
  TYPE_TEXT,
  directionText,
  typeText,
  useFailoverOptions,
  type FailoverData,
  type FailoverType,
} from './labels';
import { CUSTOM, PointChoice, chosenPoint } from './PointChoice';

export type FailoverStepId = 'type' | 'point' | 'shutdown' | 'review' | 'progress';

type Step = WizardStep<FailoverStepId, FailoverData>;

function TypeBody({ data, update }: StepBodyProps<FailoverData>) {
  const options = useFailoverOptions(data).data;
  return (
    <>
      <RadioGroup
        value={data.type}
        onChange={(_, v) =>
          update({ type: v.value as FailoverType, shutdownSource: v.value === 'planned', confirmed: false })
        }
        aria-label="Failover type"
      >
        {(Object.keys(TYPE_TEXT) as FailoverType[]).map((t) => (
          <Radio key={t} value={t} label={<TypeLabel type={t} back={data.back} />} />
        ))}
      </RadioGroup>
      {options && (
        <Text data-testid="failover-direction" data-reversed={options.reversed}>
          <b>{directionText(options)}</b>
          {options.reversed
            ? ` — ${data.item} runs at its recovery site ${options.from} now, protected in reverse: this brings it back to its primary site ${options.to}, ` +
              'into its original disks and folders. Afterwards commit it, then reprotect it so that it replicates to the recovery site again.'
            : ` — ${data.item} runs at ${options.from} now and comes up at ${options.to}. ` +
              'The direction follows where the item runs: to come back after a failover, commit it and reprotect it, then fail it back.'}
        </Text>
      )}
      {options?.testActive && data.type === 'test' && (
        <Text data-testid="test-active">
          A test failover is up already: clean it up first (Cleanup test failover on the item&apos;s page).
        </Text>
      )}
    </>
  );
}

const TypeLabel = ({ type, back }: { type: FailoverType; back: boolean }) => (
  <span style={{ display: 'flex', flexDirection: 'column' }}>
    <Text weight="semibold">{typeText(type, back).label}</Text>
    <Text size={200}>{typeText(type, back).about}</Text>
  </span>
);

const type: Step = {
  id: 'type',
  title: 'Failover type',
  intro: (d) =>
    `How ${d.item} ${d.back ? 'fails back' : 'fails over'}. Nothing happens until you confirm on the last step.`,
  nextLabel: () => 'Next',
  validate: () => ({}),
  submit: () => ({ ok: true, go: 'point' }),
  Body: TypeBody,
};

function PointBody({ data, update, problems }: StepBodyProps<FailoverData>) {
  const options = useFailoverOptions(data);
  const points = useQuery('items.points', { name: data.item });
  const now = useNow(true, 5000);
  if (!options.data || !points.data) return <Text>Reading the recovery points…</Text>;
  return (
    <>
      <PointChoice
        options={options.data.options}
        points={points.data}
        value={data.point}
        onChange={(point) => update({ point, confirmed: false })}
        now={now}
        failback={data.back && data.type !== 'test'}
      />
      {data.back && data.type !== 'test' && (
        <Text size={200} data-testid="failback-app-note">
          {FAILBACK_APP_NOTE}
        </Text>
      )}
      {problems.point && (
        <Text role="alert" data-field="point">
          {problems.point}
        </Text>
      )}
    </>
  );
}

const point: Step = {
  id: 'point',
  title: 'Recovery point',
  intro: (d) =>
    d.back && d.type !== 'test'
      ? `A failback brings ${d.item} back in its own disks and folders at the point chosen: Latest ` +
        (d.type === 'planned'
          ? 'replicates every remaining change first and loses nothing; '
          : 'processes what was already sent first; ') +
        'an older point gives up what came after it.'
      : d.type === 'planned'
        ? 'A planned failover replicates every remaining change first, so Latest loses nothing. An older point gives up what came after it.'
        : 'The point the machine comes up from. Each option says when its point was made, what it would lose and how long the failover should take.',
  nextLabel: () => 'Next',
  back: () => 'type',
  validate: (d) => ({
    point: d.point === CUSTOM ? 'Pick a point on the timeline, or choose one of the options.' : undefined,
  }),
  submit: (d) => ({ ok: true, go: d.type === 'test' ? 'review' : 'shutdown' }),
  Body: PointBody,
};

function ShutdownBody({ data, update }: StepBodyProps<FailoverData>) {
  const options = useFailoverOptions(data).data;
  const planned = data.type === 'planned';
  return (
    <>
      <Checkbox
        checked={planned || data.shutdownSource}
        disabled={planned}
        onChange={(_, v) => update({ shutdownSource: v.checked === true, confirmed: false })}
        label={`Shut down ${data.item} at ${options?.from ?? 'its site'} before the ${data.back ? 'failback' : 'failover'}`}
      />
      <Text size={200}>
        {planned
          ? 'A planned failover always shuts the source down, so that no write is lost between the last cycle and the failover.'
          : 'Runs the item’s shutdown command. If it fails, the failover goes on and says so.'}
        {options &&
          !options.shutdownCommand &&
          ` ${data.item} has no shutdown command: shut it down yourself, or add one with Edit on its page.`}
      </Text>
    </>
  );
}

const shutdown: Step = {
  id: 'shutdown',
  title: 'Shut down the source',
  intro: (d) =>
    d.back
      ? 'Whether the machine is stopped at the recovery site, where it runs now, before it comes back up at the primary site.'
      : 'Whether the machine is stopped where it runs now, before it comes up at the other site.',
  nextLabel: () => 'Next',
  back: () => 'point',
  validate: () => ({}),
  submit: () => ({ ok: true, go: 'review' }),
  Body: ShutdownBody,
};

/** Where a refusal of `items.failover` can be fixed: a point that is not the item's goes back to the point step. */
function routeFailoverError(error: ErrorInfo): Outcome<FailoverStepId, FailoverData> {
  if (/^(?:--)?point:|recovery point|\bpoint\b/i.test(error.message)) return { ok: false, error, go: 'point' };
  if (/shutdown/i.test(error.message)) return { ok: false, error, go: 'shutdown' };
  return { ok: false, error };
}

const review: Step = {
  id: 'review',
  title: 'Review and start',
  intro: (d) =>
    d.type === 'test'
      ? 'The test copy comes up in an isolated folder at the other site; the replica and replication are not touched.'
      : d.back
        ? 'The failback job checks the prerequisites, brings the point into the item’s original disks and folders at the primary site ' +
          'and runs its start command.'
        : 'The failover job checks the prerequisites, materializes the point as the item’s disks and folders at the other site and runs its start command.',
  nextLabel: (d) => (d.type === 'test' ? 'Start test failover' : d.back ? 'Start failback' : 'Start failover'),
  back: (d) => (d.type === 'test' ? 'point' : 'shutdown'),
  validate: (d) => ({ confirmed: d.confirmed ? undefined : 'Confirm that you understand what the failover does.' }),
  submit: async (d) => {
    const point = chosenPoint(d.point) ?? 'latest';
    const shutdownSource = d.type !== 'test' && (d.type === 'planned' || d.shutdownSource);
    const r = await call('items.failover', { name: d.item, type: d.type, point, shutdownSource });
    return r.ok ? { ok: true, go: 'progress', patch: { job: r.value } } : routeFailoverError(r.error);
  },
  Body: FailoverReview,
};

const progress: Step = {
  id: 'progress',
  title: 'Progress',
  intro: (d) =>
    `The ${typeText(d.type, d.back).label.toLowerCase()} of “${d.item}”: closing this window does not stop it, and the Jobs page follows it too.`,
  nextLabel: () => 'Close',
  validate: () => ({}),
  submit: () => ({ ok: true, go: 'finish' }),
  Body: FailoverProgress,
};

export const failoverSteps: StepMachine<FailoverStepId, FailoverData> = { type, point, shutdown, review, progress };
export const failoverPath = (d: FailoverData): FailoverStepId[] =>
  d.type === 'test' ? ['type', 'point', 'review', 'progress'] : ['type', 'point', 'shutdown', 'review', 'progress'];

/** The option label for a named point, for notices ("Latest processed"). */
export const optionLabel = (value: string) => OPTION_TEXT[value]?.label ?? value;
