/**
 * Run a recovery plan, as a two-step wizard: choose what to run (test, planned or unplanned failover, commit,
 * reprotect, failback, cleanup of a test failover; for a failover the recovery point and whether to shut the sources
 * down first), then confirm it with what it will do. A failover shows its direction (primary → recovery site, or
 * back); when some items already failed over (the plan is split between its sites) the user picks the direction, and
 * the items already where it goes are skipped. Starting it returns the plan's job, which the page then shows step by
 * step. The engine's refusal (items in mixed phases, a run already on its way) shows on the first step with what to do.
 */
import {
  Checkbox,
  Field,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Radio,
  RadioGroup,
  Select,
  Text,
} from '@fluentui/react-components';
import { useEffect } from 'react';
import { call } from '../api/client';
import { useQuery } from '../api/query';
import type { CallOutput, Job } from '../api/types';
import type { StepMachine, WizardStep } from '../wizard/machine';
import { WizardDialog } from '../wizard/WizardDialog';

export type RunChoice = 'test' | 'planned' | 'unplanned' | 'commit' | 'reprotect' | 'failback' | 'cleanup-test';

type Point =
  'latest' | 'latest-processed' | 'latest-app-consistent' | 'latest-multi-processed' | 'latest-multi-app-consistent';

type Direction = 'to-recovery' | 'to-primary';

interface RunData {
  plan: string;
  /** Some items run at their primary site and some at their recovery site: a failover needs a direction. */
  split: boolean;
  direction: Direction | null;
  choice: RunChoice;
  point: Point;
  shutdownSource: boolean;
  understood: boolean;
  job: Job | null;
}

const CHOICES: { value: RunChoice; label: string; does: string }[] = [
  {
    value: 'test',
    label: 'Test failover',
    does: 'brings up an isolated copy of every item at the recovery site; replication goes on and the items stay protected.',
  },
  {
    value: 'planned',
    label: 'Planned failover',
    does: "shuts every item down, replicates its last changes, then fails it over: no data loss. The plan stops at the first item's error.",
  },
  {
    value: 'unplanned',
    label: 'Unplanned failover',
    does: "fails every item over to its latest processed point, going on past an item's error to the end.",
  },
  {
    value: 'commit',
    label: 'Commit',
    does: 'ends the failover of every item: their recovery points are deleted and the point can no longer be changed.',
  },
  {
    value: 'reprotect',
    label: 'Reprotect',
    does: 'replicates every committed item back the other way, sending only the differences.',
  },
  {
    value: 'failback',
    label: 'Failback',
    does: 'fails every reprotected item back to the primary site (a planned failover the other way).',
  },
  { value: 'cleanup-test', label: 'Clean up test failover', does: "removes every item's test copy." },
];

const POINTS: { value: Point; label: string }[] = [
  { value: 'latest-processed', label: 'Latest processed (lowest RTO)' },
  { value: 'latest', label: 'Latest: process all data received first (lowest RPO)' },
  { value: 'latest-app-consistent', label: 'Latest app-consistent' },
  { value: 'latest-multi-processed', label: 'Latest multi-item processed (a replication group at one instant)' },
  { value: 'latest-multi-app-consistent', label: 'Latest multi-item app-consistent' },
];

/** Operations that bring items up at a recovery point. */
const failsOver = (c: RunChoice) => c === 'test' || c === 'planned' || c === 'unplanned' || c === 'failback';
/** Failover choices whose direction the user picks when the plan is split (a failback goes to the primary site). */
const picksDirection = (c: RunChoice) => c === 'test' || c === 'planned' || c === 'unplanned';

type PlanSites = CallOutput<'plans.show'>['itemSites'];

/** The plan's items by where they run: at their primary site (there) or at their recovery site (back). */
function sidesOf(sites: PlanSites) {
  const entries = Object.entries(sites);
  const back = entries.filter(([, s]) => s.activeSite === s.recoverySite).map(([n]) => n);
  const there = entries.filter(([, s]) => s.activeSite !== s.recoverySite).map(([n]) => n);
  const primary = entries.find(([, s]) => s.activeSite !== s.recoverySite)?.[1].activeSite ?? 'primary';
  const recovery = [...new Set(entries.map(([, s]) => s.recoverySite))].join(', ');
  return { back, there, primary, recovery, split: back.length > 0 && there.length > 0 };
}

const list = (names: string[]) => names.join(', ');
const verb = (names: string[], one: string, many: string) => (names.length > 1 ? many : one);

/** What a direction does to each item of a split plan, in a sentence. */
function directionEffect(d: Direction, s: ReturnType<typeof sidesOf>): string {
  return d === 'to-recovery'
    ? `Fails over ${list(s.there)}; ${list(s.back)} ${verb(s.back, 'is', 'are')} skipped: already at ${s.recovery}.`
    : `Fails back ${list(s.back)} (each must be protected in reverse: committed and reprotected); ` +
        `${list(s.there)} ${verb(s.there, 'is', 'are')} skipped: already at ${s.primary}.`;
}

const DIRECTION_LABEL = (d: Direction, s: ReturnType<typeof sidesOf>) =>
  d === 'to-recovery'
    ? `Fail over to the recovery site (${s.primary} → ${s.recovery})`
    : `Fail back to the primary site (${s.recovery} → ${s.primary})`;

/** The direction of a plan that is not split: where all its items go. */
function wholeDirection(s: ReturnType<typeof sidesOf>, choice: RunChoice): string {
  if (choice === 'failback' || s.there.length === 0)
    return `${s.recovery} → ${s.primary}: every item runs at its recovery site, so this fails it back to the primary site (a failback).`;
  return `${s.primary} → ${s.recovery}: every item runs at its primary site, so this fails it over to its recovery site.`;
}

const start = (d: RunData) => {
  const direction = d.split && d.direction ? { direction: d.direction } : {};
  switch (d.choice) {
    case 'test':
    case 'planned':
    case 'unplanned':
      return call('plans.failover', {
        name: d.plan,
        type: d.choice,
        point: d.point,
        shutdownSource: d.shutdownSource,
        ...direction,
      });
    case 'commit':
      return call('plans.commit', { name: d.plan });
    case 'reprotect':
      return call('plans.reprotect', { name: d.plan });
    case 'failback':
      // A split plan fails back its items at the recovery site and skips the others.
      if (d.split)
        return call('plans.failover', {
          name: d.plan,
          type: 'planned',
          point: d.point,
          shutdownSource: false,
          direction: 'to-primary',
        });
      return call('plans.failback', { name: d.plan, point: d.point });
    case 'cleanup-test':
      return call('plans.cleanupTest', { name: d.plan });
  }
};

type Id = 'choose' | 'confirm';
type Step = WizardStep<Id, RunData>;

const choose: Step = {
  id: 'choose',
  title: 'What to run',
  intro: (d) =>
    `Groups of ${d.plan} run in order, the items of a group together, with the plan's actions between groups.`,
  nextLabel: () => 'Next',
  validate: (d) =>
    d.split && picksDirection(d.choice) && !d.direction
      ? { direction: 'Choose the direction: some items of the plan already failed over.' }
      : {},
  submit: () => ({ ok: true, go: 'confirm' }),
  Body: function ChooseBody({ data, update, problems }) {
    const sites = useQuery('plans.show', { name: data.plan }).data?.itemSites;
    const sides = sites ? sidesOf(sites) : null;
    const split = sides?.split ?? false;
    useEffect(() => {
      if (sides && data.split !== split) update({ split, direction: null });
    }, [sides, split, data.split, update]);
    return (
      <>
        <RadioGroup
          value={data.choice}
          onChange={(_, v) => update({ choice: v.value as RunChoice, understood: false })}
          aria-label="Operation"
        >
          {CHOICES.map((c) => (
            <Radio key={c.value} value={c.value} label={c.label} data-testid={`run-choice-${c.value}`} />
          ))}
        </RadioGroup>
        {sides && failsOver(data.choice) && !(split && picksDirection(data.choice)) && (
          <Text data-testid="run-direction">
            <b>Direction: </b>
            {split
              ? `${sides.recovery} → ${sides.primary}: ${directionEffect('to-primary', sides)}`
              : wholeDirection(sides, data.choice)}
          </Text>
        )}
        {sides && split && picksDirection(data.choice) && (
          <>
            <MessageBar intent="info" layout="multiline" data-testid="run-split">
              <MessageBarBody>
                <MessageBarTitle>Some items already failed over</MessageBarTitle>
                {`${list(sides.there)} ${verb(sides.there, 'runs', 'run')} at ${sides.primary}; ${list(sides.back)} ` +
                  `${verb(sides.back, 'runs', 'run')} at ${sides.recovery}. Choose which way this run goes: the items already there are skipped.`}
              </MessageBarBody>
            </MessageBar>
            <Field label="Direction" required data-field="direction" validationMessage={problems.direction}>
              <RadioGroup
                value={data.direction ?? ''}
                onChange={(_, v) => update({ direction: v.value as Direction, understood: false })}
              >
                {(['to-recovery', 'to-primary'] as const).map((d) => (
                  <Radio
                    key={d}
                    value={d}
                    label={
                      <span style={{ display: 'flex', flexDirection: 'column' }} data-testid={`run-direction-${d}`}>
                        <Text weight="semibold">{DIRECTION_LABEL(d, sides)}</Text>
                        <Text size={200}>{directionEffect(d, sides)}</Text>
                      </span>
                    }
                  />
                ))}
              </RadioGroup>
            </Field>
          </>
        )}
        {failsOver(data.choice) && (
          <Field
            label="Recovery point of every item"
            hint="Items of a replication group go to their newest common point with the multi-item choices."
          >
            <Select value={data.point} onChange={(_, v) => update({ point: v.value as Point })}>
              {POINTS.map((p) => (
                <option key={p.value} value={p.value}>
                  {p.label}
                </option>
              ))}
            </Select>
          </Field>
        )}
        {data.choice !== 'failback' && failsOver(data.choice) && (
          <Checkbox
            checked={data.shutdownSource}
            onChange={(_, v) => update({ shutdownSource: !!v.checked })}
            label="Shut down each source machine before its failover (the failover goes on if that fails)"
          />
        )}
      </>
    );
  },
};

const confirm: Step = {
  id: 'confirm',
  title: 'Confirm',
  intro: (d) => {
    const c = CHOICES.find((x) => x.value === d.choice)!;
    return `${c.label} of ${d.plan} ${c.does}`;
  },
  nextLabel: (d) => `Start ${CHOICES.find((x) => x.value === d.choice)!.label.toLowerCase()}`,
  back: () => 'choose',
  validate: (d) => (d.understood ? {} : { understood: 'Check the box to confirm.' }),
  submit: async (d) => {
    const r = await start(d);
    if (!r.ok) return { ok: false, error: r.error, go: 'choose' };
    return { ok: true, go: 'finish', patch: { job: r.value } };
  },
  Body: function ConfirmBody({ data, update, problems }) {
    const sites = useQuery('plans.show', { name: data.plan }).data?.itemSites;
    const sides = sites ? sidesOf(sites) : null;
    const direction: Direction | null = data.choice === 'failback' ? 'to-primary' : data.direction;
    return (
      <>
        {sides && data.split && failsOver(data.choice) && direction && (
          <Text data-testid="run-summary">
            <b>{`${DIRECTION_LABEL(direction, sides)}. `}</b>
            {directionEffect(direction, sides)}
          </Text>
        )}
        <Text>Manual actions pause the run until someone confirms them here or with `lifeboat plan confirm JOB`.</Text>
        <Checkbox
          checked={data.understood}
          onChange={(_, v) => update({ understood: !!v.checked })}
          label={`I understand what this does to every item of ${data.plan}`}
          data-testid="run-understood"
        />
        {problems.understood && <Text role="alert">{problems.understood}</Text>}
      </>
    );
  },
};

const steps: StepMachine<Id, RunData> = { choose, confirm };

export function RunPlanWizard({ plan, onClose }: { plan: string; onClose(job: Job | null): void }) {
  return (
    <WizardDialog
      id="run-plan"
      label={`Run recovery plan ${plan}`}
      steps={steps}
      path={() => ['choose', 'confirm']}
      initial={{
        step: 'choose',
        data: {
          plan,
          split: false,
          direction: null,
          choice: 'test',
          point: 'latest-processed',
          shutdownSource: false,
          understood: false,
          job: null,
        },
      }}
      onClose={(data) => onClose(data.job)}
    />
  );
}
