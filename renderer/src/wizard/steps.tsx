/**
 * The welcome wizard on the shared step machine (machine.ts): each step declares its strings, its fields, the checks
 * that run before Next, and what Next does (an API call) and where it leads. WelcomeWizard.tsx is its full-page frame.
 */
import {
  Checkbox,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Radio,
  RadioGroup,
  Text,
  Textarea,
} from '@fluentui/react-components';
import { call } from '../api/client';
import type { CallOutput, Service } from '../api/types';
import { fieldOf, fieldState, type StepMachine, type WizardStep } from './machine';
import { SdekBox } from './SdekBox';
import { compactKey, last4Problem, serviceNameProblem } from './validation';

export type StepId = 'choose' | 'name' | 'key' | 'confirm' | 'join' | 'done';

export interface WelcomeData {
  path: 'create' | 'join';
  name: string;
  created: CallOutput<'service.init'> | null;
  keptKey: boolean;
  last4: string;
  joinSdek: string;
  joinName: string;
  /** The service as the engine last returned it (also set on a reload with an unconfirmed service). */
  service: Service | null;
}

type Step = WizardStep<StepId, WelcomeData>;

const choose: Step = {
  id: 'choose',
  title: 'Welcome to Lifeboat',
  intro: () =>
    'Lifeboat belongs to one disaster-recovery service. Create a new service for this installation, or join an existing one to recover its devices and backups from a storage account.',
  nextLabel: () => 'Next',
  validate: () => ({}),
  submit: (d) => ({ ok: true, go: d.path === 'create' ? 'name' : 'join' }),
  Body: ({ data, update }) => (
    <RadioGroup
      aria-label="How to start"
      value={data.path}
      onChange={(_, v) => update({ path: v.value as WelcomeData['path'] })}
    >
      <Radio value="create" label="Create a new service (first installation)" />
      <Radio value="join" label="Join an existing service with its service data encryption key" />
    </RadioGroup>
  ),
};

const name: Step = {
  id: 'name',
  title: 'Name the service',
  intro: () =>
    'The name identifies this service in Lifeboat, on devices that register with it and in storage accounts. You can use up to 50 characters.',
  nextLabel: () => 'Create service',
  back: () => 'choose',
  validate: (d) => ({ name: serviceNameProblem(d.name) ?? undefined }),
  submit: async (d) => {
    const r = await call('service.init', { name: d.name.trim() });
    return r.ok
      ? { ok: true, go: 'key', patch: { created: r.value, service: r.value.service } }
      : { ok: false, error: r.error, field: 'name' };
  },
  Body: ({ data, update, problems }) => (
    <Field
      label="Service name"
      required
      data-field="name"
      {...fieldState(problems.name)}
      hint="Letters, digits, spaces, dots, hyphens and underscores; starts with a letter or digit."
    >
      <Input value={data.name} maxLength={60} onChange={(_, v) => update({ name: v.value })} autoComplete="off" />
    </Field>
  ),
};

const key: Step = {
  id: 'key',
  title: 'Save the service data encryption key',
  intro: () =>
    'Lifeboat encrypts every backup and replica with keys derived from this service data encryption key (SDEK). Every device that registers later needs it, and so does a fresh installation that recovers this service.',
  nextLabel: () => 'Next',
  validate: (d) => ({ keptKey: d.keptKey ? undefined : 'Confirm that you saved the key before going on.' }),
  submit: () => ({ ok: true, go: 'confirm' }),
  Body: ({ data, update, problems }) => (
    <>
      <MessageBar intent="warning" layout="multiline">
        <MessageBarBody>
          <MessageBarTitle>This is the only time Lifeboat shows this key.</MessageBarTitle>
          Copy it or save it to a file now, and keep it somewhere safe away from this computer (a password manager or a
          vault). If it is lost, backups in your storage accounts cannot be restored on another installation, and no one
          can recover it for you.
        </MessageBarBody>
      </MessageBar>
      {data.created && <SdekBox sdek={data.created.sdek} serviceName={data.created.service.name} />}
      {data.created && (
        <Text size={200}>
          Devices register with the service registration key <code>{data.created.registrationKey}</code>, which you can
          show again from the Dashboard at any time.
        </Text>
      )}
      <Field data-field="keptKey" {...fieldState(problems.keptKey)}>
        <Checkbox
          checked={data.keptKey}
          onChange={(_, v) => update({ keptKey: v.checked === true })}
          label="I saved the service data encryption key in a safe place"
        />
      </Field>
    </>
  ),
};

const confirm: Step = {
  id: 'confirm',
  title: 'Confirm you kept the key',
  intro: (d) =>
    d.created
      ? 'To make sure the key was saved, type its last 4 characters as you kept them (hyphens do not count).'
      : `The service data encryption key of "${d.service?.name ?? 'this service'}" was shown once, when the service was created. Before Lifeboat is used, confirm that it was kept: type its last 4 characters (hyphens do not count). If it was lost, start again with a new data directory, since no one can show it again.`,
  nextLabel: () => 'Confirm',
  back: (d) => (d.created ? 'key' : null),
  validate: (d) => ({ last4: last4Problem(d.last4) ?? undefined }),
  submit: async (d) => {
    const r = await call('service.confirmSdek', { last4: compactKey(d.last4) });
    return r.ok ? { ok: true, go: 'done', patch: { service: r.value } } : { ok: false, error: r.error, field: 'last4' };
  },
  Body: ({ data, update, problems }) => (
    <Field label="Last 4 characters of the key" required data-field="last4" {...fieldState(problems.last4)}>
      <Input
        value={data.last4}
        onChange={(_, v) => update({ last4: v.value })}
        maxLength={8}
        autoComplete="off"
        spellCheck={false}
        style={{ fontFamily: 'monospace', maxWidth: '12em' }}
      />
    </Field>
  ),
};

const join: Step = {
  id: 'join',
  title: 'Join an existing service',
  intro: () =>
    'Paste the service data encryption key that was shown when the service was created (11 groups of 5 letters and digits). With it, this installation can read the service data in its storage accounts.',
  nextLabel: () => 'Join service',
  back: () => 'choose',
  validate: (d) => ({
    joinSdek: d.joinSdek.trim() ? undefined : 'Paste the service data encryption key.',
    joinName: (d.joinName.trim() && serviceNameProblem(d.joinName)) || undefined,
  }),
  submit: async (d) => {
    const r = await call('service.join', { sdek: d.joinSdek.trim(), name: d.joinName.trim() || undefined });
    // A refused name is shown on the name field; anything else is about the key.
    return r.ok
      ? { ok: true, go: 'done', patch: { service: r.value } }
      : { ok: false, error: r.error, field: fieldOf(r.error) === 'name' ? 'joinName' : 'joinSdek' };
  },
  Body: ({ data, update, problems }) => (
    <>
      <Field label="Service data encryption key" required data-field="joinSdek" {...fieldState(problems.joinSdek)}>
        <Textarea
          value={data.joinSdek}
          onChange={(_, v) => update({ joinSdek: v.value })}
          resize="vertical"
          rows={3}
          spellCheck={false}
          autoComplete="off"
          data-enter="next"
          textarea={{ style: { fontFamily: 'monospace' } }}
        />
      </Field>
      <Field
        label="Service name (optional)"
        data-field="joinName"
        {...fieldState(problems.joinName)}
        hint="How this installation shows the service; you can leave it empty."
      >
        <Input
          value={data.joinName}
          onChange={(_, v) => update({ joinName: v.value })}
          maxLength={60}
          autoComplete="off"
        />
      </Field>
    </>
  ),
};

const done: Step = {
  id: 'done',
  title: 'The service is ready',
  intro: (d) =>
    d.path === 'join'
      ? `This installation joined "${d.service?.name ?? 'the service'}". Add the storage account that holds its data to see its backups and devices.`
      : `"${d.service?.name ?? 'The service'}" is set up and its key is confirmed. Next, add a storage account for backups, then set up devices.`,
  nextLabel: () => 'Open the dashboard',
  validate: () => ({}),
  submit: () => ({ ok: true, go: 'finish' }),
  Body: () => null,
};

export const welcomeSteps: StepMachine<StepId, WelcomeData> = { choose, name, key, confirm, join, done };

/** The steps a path goes through, for "Step N of M". */
export const stepPath = (data: WelcomeData): StepId[] =>
  data.path === 'join'
    ? ['choose', 'join', 'done']
    : data.created || data.service === null
      ? ['choose', 'name', 'key', 'confirm', 'done']
      : ['confirm', 'done'];

export function initialWelcome(service: Service | null): { step: StepId; data: WelcomeData } {
  const data: WelcomeData = {
    path: 'create',
    name: '',
    created: null,
    keptKey: false,
    last4: '',
    joinSdek: '',
    joinName: '',
    service,
  };
  return { step: service && !service.sdekConfirmed ? 'confirm' : 'choose', data };
}
