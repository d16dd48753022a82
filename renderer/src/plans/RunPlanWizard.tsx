/**
 * Run a recovery plan, as a two-step wizard: choose what to run (test, planned or unplanned failover, commit,
 * reprotect, failback, cleanup of a test failover; for a failover the recovery point and whether to shut the sources
 * down first), then confirm it with what it will do. Starting it returns the
 * plan's job, which the page then shows step by step. The engine's refusal (items in mixed phases, a run already on
 * its way) shows on the first step with what to do.
 */
import { Checkbox, Field, Radio, RadioGroup, Select, Text } from '@fluentui/react-components';
import { call } from '../api/client';
import type { Job } from '../api/types';
import type { StepMachine, WizardStep } from '../wizard/machine';
import { WizardDialog } from '../wizard/WizardDialog';

export type RunChoice = 'test' | 'planned' | 'unplanned' | 'commit' | 'reprotect' | 'failback' | 'cleanup-test';

type Point = 'latest' | 'latest-processed' | 'latest-app-consistent' | 'latest-multi-processed' | 'latest-multi-app-consistent';

interface RunData {
  plan: string;
  choice: RunChoice;
  point: Point;
  shutdownSource: boolean;
  understood: boolean;
  job: Job | null;
}

const CHOICES: { value: RunChoice; label: string; does: string }[] = [
  { value: 'test', label: 'Test failover', does: 'brings up an isolated copy of every item at the recovery site; replication goes on and the items stay protected.' },
  { value: 'planned', label: 'Planned failover', does: "shuts every item down, replicates its last changes, then fails it over: no data loss. The plan stops at the first item's error." },
  { value: 'unplanned', label: 'Unplanned failover', does: "fails every item over to its latest processed point, going on past an item's error to the end." },
  { value: 'commit', label: 'Commit', does: 'ends the failover of every item: their recovery points are deleted and the point can no longer be changed.' },
  { value: 'reprotect', label: 'Reprotect', does: 'replicates every committed item back the other way, sending only the differences.' },
  { value: 'failback', label: 'Failback', does: 'fails every reprotected item back to the primary site (a planned failover the other way).' },
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

const start = (d: RunData) => {
  switch (d.choice) {
    case 'test':
    case 'planned':
    case 'unplanned':
      return call('plans.failover', { name: d.plan, type: d.choice, point: d.point, shutdownSource: d.shutdownSource });
    case 'commit':
      return call('plans.commit', { name: d.plan });
    case 'reprotect':
      return call('plans.reprotect', { name: d.plan });
    case 'failback':
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
  intro: (d) => `Groups of ${d.plan} run in order, the items of a group together, with the plan's actions between groups.`,
  nextLabel: () => 'Next',
  validate: () => ({}),
  submit: () => ({ ok: true, go: 'confirm' }),
  Body: function ChooseBody({ data, update }) {
    return (
      <>
        <RadioGroup value={data.choice} onChange={(_, v) => update({ choice: v.value as RunChoice, understood: false })} aria-label="Operation">
          {CHOICES.map((c) => (
            <Radio key={c.value} value={c.value} label={c.label} data-testid={`run-choice-${c.value}`} />
          ))}
        </RadioGroup>
        {failsOver(data.choice) && (
          <Field label="Recovery point of every item" hint="Items of a replication group go to their newest common point with the multi-item choices.">
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
    return (
      <>
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
      initial={{ step: 'choose', data: { plan, choice: 'test', point: 'latest-processed', shutdownSource: false, understood: false, job: null } }}
      onClose={(data) => onClose(data.job)}
    />
  );
}
