/**
 * The Configure device wizard as a step machine, after StorSimple's local web UI: data root (RootStep.tsx: on this
 * machine or at an agent site) → name → type →
 * capacity → settings (domain and time zone for a file server, FIPS) → storage account → registration → review →
 * done. `devices.create` runs on the review step (name and type are permanent); a refusal goes back to the step of
 * the field it names.
 */
import {
  Button,
  Checkbox,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  Radio,
  RadioGroup,
  Select,
  Text,
} from '@fluentui/react-components';
import { KeyRegular } from '@fluentui/react-icons';
import { useEffect, useState } from 'react';
import { call } from '../api/client';
import { useQuery } from '../api/query';
import type { ErrorInfo } from '../api/types';
import { formatBytes } from '../format';
import { fieldOf, fieldState, type Outcome, type StepMachine, type WizardStep } from '../wizard/machine';
import { STATUS_LABEL, TYPE_LABEL, policyText, type Device, type RootCheck } from './labels';
import { rootStep as root } from './RootStep';
import { deviceNameProblem, fqdnProblem, sizeBytes, sizeProblem, timeZoneProblem } from './validation';

export type ConfigureStepId =
  'root' | 'name' | 'type' | 'capacity' | 'settings' | 'account' | 'register' | 'review' | 'done';

export interface ConfigureData {
  root: string;
  /** The paired agent site holding the data root; '' is this machine. */
  site: string;
  name: string;
  type: 'file' | 'iscsi';
  capacity: string;
  domain: string;
  timeZone: string;
  fips: boolean;
  /** '' is the embedded "default" account. */
  account: string;
  /** The account was chosen (by the user, or set to the first account the user added once the list loaded). */
  accountChosen: boolean;
  registrationKey: string;
  skipRegistration: boolean;
  /** What the engine said of the data root (null until checked, or when the check is not available). */
  rootCheck: RootCheck | null;
  device: Device | null;
}

export const initialConfigure: ConfigureData = {
  root: '',
  site: '',
  name: '',
  type: 'file',
  capacity: '',
  domain: '',
  timeZone: 'UTC',
  fips: false,
  account: '',
  accountChosen: false,
  registrationKey: '',
  skipRegistration: false,
  rootCheck: null,
  device: null,
};

type Step = WizardStep<ConfigureStepId, ConfigureData>;

const name: Step = {
  id: 'name',
  title: 'Device name',
  intro: () =>
    'The name hosts and the service know the device by. It cannot be changed later, and a failover target needs a different name from its source.',
  nextLabel: () => 'Next',
  back: () => 'root',
  validate: (d) => ({ name: deviceNameProblem(d.name) ?? undefined }),
  submit: () => ({ ok: true, go: 'type' }),
  Body: ({ data, update, problems }) => {
    // Checked as you type, once something is typed; the engine's refusal (in problems) wins.
    const live = problems.name ?? (data.name ? deviceNameProblem(data.name) : null);
    return (
      <>
        {data.rootCheck && (
          <MessageBar intent="info" layout="multiline" data-testid="root-check">
            <MessageBarBody>{data.rootCheck.message}</MessageBarBody>
          </MessageBar>
        )}
        <Field
          label="Device name"
          required
          data-field="name"
          {...fieldState(live)}
          hint="1 to 15 letters, digits and hyphens, not all digits."
        >
          <Input
            value={data.name}
            onChange={(_, v) => update({ name: v.value })}
            maxLength={30}
            autoComplete="off"
            spellCheck={false}
          />
        </Field>
      </>
    );
  },
};

const type: Step = {
  id: 'type',
  title: 'Device type',
  intro: () =>
    'A file server shares folders over SMB; an iSCSI server presents volumes (disk images) to initiators. The type cannot be changed later.',
  nextLabel: () => 'Next',
  back: () => 'name',
  validate: () => ({}),
  submit: () => ({ ok: true, go: 'capacity' }),
  Body: ({ data, update }) => (
    <RadioGroup
      aria-label="Device type"
      value={data.type}
      onChange={(_, v) => update({ type: v.value as ConfigureData['type'] })}
    >
      <Radio value="file" label="File server: shares (folders) with quotas and user permissions" />
      <Radio value="iscsi" label="iSCSI server: volumes (sparse disk images) with access control records and CHAP" />
    </RadioGroup>
  ),
};

const capacity: Step = {
  id: 'capacity',
  title: 'Capacity',
  intro: (d) =>
    `The most the ${d.type === 'file' ? 'shares' : 'volumes'} of this device can provision in total. Tiered data only keeps its hot part on the device; locally pinned data is kept whole, so it needs space on the data root.`,
  nextLabel: () => 'Next',
  back: () => 'type',
  validate: (d) => {
    const bytes = sizeBytes(d.capacity);
    const free = d.rootCheck?.freeBytes ?? null;
    return {
      capacity:
        sizeProblem(d.capacity, 'capacity') ??
        (bytes !== null && free !== null && bytes > free
          ? `At most ${formatBytes(free)}: the free space of the data root's disk.`
          : undefined),
    };
  },
  submit: () => ({ ok: true, go: 'settings' }),
  Body: ({ data, update, problems }) => {
    const bytes = sizeBytes(data.capacity);
    return (
      <Field
        label="Maximum capacity"
        required
        data-field="capacity"
        {...fieldState(problems.capacity)}
        hint={`${bytes ? `= ${formatBytes(bytes)}.` : 'e.g. 10 GiB or 500 GB (GiB are powers of 1024, GB of 1000).'} ${data.rootCheck ? `${formatBytes(data.rootCheck.freeBytes)} free on the data root's disk.` : 'At most the free space of the data root.'}`}
      >
        <Input
          value={data.capacity}
          onChange={(_, v) => update({ capacity: v.value })}
          placeholder="10 GiB"
          autoComplete="off"
          spellCheck={false}
        />
      </Field>
    );
  },
};

const zones = (() => {
  const all = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  return ['UTC', ...all.filter((z) => z !== 'UTC')];
})();

const settings: Step = {
  id: 'settings',
  title: 'Device settings',
  intro: (d) =>
    d.type === 'file'
      ? 'The domain the file server joins, so that share permissions resolve to its users and groups, and the time zone its backup schedule runs in. A failover target should join the same domain.'
      : 'The time zone the backup schedule runs in, and FIPS mode.',
  nextLabel: () => 'Next',
  back: () => 'capacity',
  validate: (d) => ({
    domain: d.type === 'file' ? (fqdnProblem(d.domain) ?? undefined) : undefined,
    timeZone: timeZoneProblem(d.timeZone) ?? undefined,
  }),
  submit: () => ({ ok: true, go: 'account' }),
  Body: ({ data, update, problems }) => (
    <>
      {data.type === 'file' && (
        <Field
          label="Domain (optional)"
          data-field="domain"
          {...fieldState(problems.domain)}
          hint="Fully qualified, e.g. corp.contoso.com. Leave empty for a workgroup file server."
        >
          <Input
            value={data.domain}
            onChange={(_, v) => update({ domain: v.value })}
            placeholder="corp.contoso.com"
            autoComplete="off"
            spellCheck={false}
          />
        </Field>
      )}
      <Field label="Time zone" required data-field="timeZone" {...fieldState(problems.timeZone)}>
        <Select value={data.timeZone} onChange={(_, v) => update({ timeZone: v.value })}>
          {(zones.includes(data.timeZone) ? zones : [data.timeZone, ...zones]).map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </Select>
      </Field>
      <Checkbox
        checked={data.fips}
        onChange={(_, v) => update({ fips: v.checked === true })}
        label="FIPS mode: use only FIPS 140-validated cryptography (a FIPS device fails over only to another FIPS device)"
      />
    </>
  ),
};

const DEFAULT_ACCOUNT = 'default';

/** Offers every account; until one is chosen, the first one the user added is preselected over the embedded one. */
function AccountBody({ data, update, problems }: Parameters<Step['Body']>[0]) {
  const accounts = useQuery('accounts.list', {});
  const list = accounts.data ?? [];
  const hasDefault = list.some((a) => a.name === DEFAULT_ACCOUNT);
  useEffect(() => {
    if (data.accountChosen || !accounts.data) return;
    update({ account: accounts.data.find((a) => a.name !== DEFAULT_ACCOUNT)?.name ?? '', accountChosen: true });
  }, [accounts.data, data.accountChosen]);
  return (
    <Field
      label="Storage account"
      required
      data-field="account"
      {...fieldState(problems.account ?? accounts.error?.message)}
      hint="Backups of this device, and the data a failover restores, are kept here."
    >
      <Select value={data.account} onChange={(_, v) => update({ account: v.value, accountChosen: true })}>
        {!hasDefault && (
          <option value="">{DEFAULT_ACCOUNT} (the embedded account in Lifeboat&apos;s data directory)</option>
        )}
        {list.map((a) => (
          <option key={a.id} value={a.name === DEFAULT_ACCOUNT ? '' : a.name}>
            {a.name} ({a.kind === 'local' ? 'local folder' : 'Azure Blob'})
          </option>
        ))}
      </Select>
    </Field>
  );
}

const account: Step = {
  id: 'account',
  title: 'Storage account',
  intro: () =>
    'Where the backups of this device go. The embedded default account needs no set-up; add others on the Storage accounts page.',
  nextLabel: () => 'Next',
  back: () => 'settings',
  validate: () => ({}),
  submit: () => ({ ok: true, go: 'register' }),
  Body: AccountBody,
};

const STEP_OF_FIELD: Record<string, ConfigureStepId> = {
  root: 'root',
  site: 'root',
  name: 'name',
  type: 'type',
  capacity: 'capacity',
  domain: 'settings',
  timeZone: 'settings',
  fips: 'settings',
  account: 'account',
  registrationKey: 'register',
};

/** Where a refusal of `devices.create` can be fixed: the step of the field it names, else where it fits. */
export function routeConfigureError(error: ErrorInfo): Outcome<ConfigureStepId, ConfigureData> {
  const field = fieldOf(error);
  if (field && STEP_OF_FIELD[field]) return { ok: false, error, go: STEP_OF_FIELD[field], field };
  if (error.code === 'already_exists' && /device/i.test(error.message))
    return { ok: false, error, go: 'name', field: 'name' };
  if (/registration key/i.test(error.message)) return { ok: false, error, go: 'register', field: 'registrationKey' };
  if (/data root|folder/i.test(error.message)) return { ok: false, error, go: 'root', field: 'root' };
  if (/capacity|free space/i.test(error.message)) return { ok: false, error, go: 'capacity', field: 'capacity' };
  if (/storage account/i.test(error.message)) return { ok: false, error, go: 'account', field: 'account' };
  return { ok: false, error };
}

function RegisterBody({ data, update, problems }: Parameters<Step['Body']>[0]) {
  const [keyError, setKeyError] = useState<string | null>(null);
  const useServiceKey = async () => {
    const r = await call('service.registrationKey', {});
    if (r.ok) update({ registrationKey: r.value.registrationKey, skipRegistration: false });
    setKeyError(r.ok ? null : r.error.message);
  };
  return (
    <>
      <Field
        label="Service registration key"
        required={!data.skipRegistration}
        data-field="registrationKey"
        {...fieldState(problems.registrationKey ?? keyError)}
        hint="Shown on the Dashboard (Show registration key); or fill it in with the button below."
      >
        <Input
          type="password"
          value={data.registrationKey}
          onChange={(_, v) => update({ registrationKey: v.value })}
          disabled={data.skipRegistration}
          autoComplete="off"
          spellCheck={false}
        />
      </Field>
      <div>
        <Button size="small" icon={<KeyRegular />} onClick={useServiceKey} disabled={data.skipRegistration}>
          Use this service&apos;s registration key
        </Button>
      </div>
      <Checkbox
        checked={data.skipRegistration}
        onChange={(_, v) => update({ skipRegistration: v.checked === true })}
        label="Register later: the device stays Ready to set up and cannot hold shares or volumes until it is registered"
      />
    </>
  );
}

const register: Step = {
  id: 'register',
  title: 'Register with the service',
  intro: () =>
    'The registration key ties the device to this service: its backups are encrypted with the service data encryption key, and it can be a failover target.',
  nextLabel: () => 'Next',
  back: () => 'account',
  validate: (d) => ({
    registrationKey:
      d.skipRegistration || d.registrationKey.trim()
        ? undefined
        : 'Enter the service registration key, or choose to register later.',
  }),
  submit: () => ({ ok: true, go: 'review' }),
  Body: RegisterBody,
};

const review: Step = {
  id: 'review',
  title: 'Review and configure',
  intro: () =>
    'Check the settings before the device is configured. Its name and type cannot be changed later; go Back to change anything.',
  nextLabel: () => 'Configure',
  back: () => 'register',
  validate: () => ({}),
  submit: async (d) => {
    const r = await call('devices.create', {
      name: d.name.trim(),
      type: d.type,
      root: d.root.trim(),
      ...(d.site ? { site: d.site } : {}),
      capacity: d.capacity.trim(),
      timeZone: d.timeZone,
      fips: d.fips,
      ...(d.account ? { account: d.account } : {}),
      ...(d.type === 'file' && d.domain.trim() ? { domain: d.domain.trim() } : {}),
      ...(d.skipRegistration ? {} : { registrationKey: d.registrationKey.trim() }),
    });
    return r.ok ? { ok: true, go: 'done', patch: { device: r.value } } : routeConfigureError(r.error);
  },
  Body: ({ data }) => {
    const bytes = sizeBytes(data.capacity);
    const rows: Array<[string, string]> = [
      ['Name (permanent)', data.name.trim()],
      ['Type (permanent)', TYPE_LABEL[data.type]],
      ['Data root', data.site ? `${data.root.trim()} at the agent site ${data.site}` : data.root.trim()],
      ['Maximum capacity', bytes === null ? data.capacity : formatBytes(bytes)],
      ...(data.type === 'file' ? [['Domain', data.domain.trim() || 'none (workgroup)'] as [string, string]] : []),
      ['Time zone', data.timeZone],
      ['FIPS mode', data.fips ? 'On' : 'Off'],
      ['Storage account', data.account || `${DEFAULT_ACCOUNT} (embedded)`],
      [
        'Registration',
        data.skipRegistration ? 'Later: the device stays Ready to set up' : 'Now, with the service registration key',
      ],
    ];
    return <Facts rows={rows} testId="configure-review" />;
  },
};

/** Settings as a two-column list (the review, and the configured device). */
function Facts({ rows, testId }: { rows: Array<[string, string]>; testId: string }) {
  return (
    <dl
      style={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', columnGap: 16, rowGap: 4, margin: 0 }}
      data-testid={testId}
      data-autofocus
      tabIndex={-1}
    >
      {rows.map(([k, v]) => [
        <dt key={`${k}-k`}>{k}</dt>,
        <dd key={`${k}-v`} style={{ margin: 0, wordBreak: 'break-all' }}>
          {v}
        </dd>,
      ])}
    </dl>
  );
}

const done: Step = {
  id: 'done',
  title: 'Device configured',
  intro: (d) =>
    d.device?.status === 'ready-to-set-up'
      ? `"${d.device.name}" is configured and Ready to set up: register it from its dashboard to create ${d.type === 'file' ? 'shares' : 'volumes'}.`
      : `"${d.device?.name ?? d.name}" is registered and Online. Create its ${d.type === 'file' ? 'shares' : 'volumes'} from its dashboard.`,
  nextLabel: () => 'Finish',
  validate: () => ({}),
  submit: () => ({ ok: true, go: 'finish' }),
  Body: ({ data }) => {
    const dev = data.device;
    if (!dev) return null;
    const rows: Array<[string, string]> = [
      ['Name', dev.name],
      ['Status', STATUS_LABEL[dev.status]],
      ['Type', TYPE_LABEL[dev.type]],
      ['Capacity', formatBytes(dev.capacity)],
      ['Data root', dev.site ? `${dev.root} at the agent site ${dev.site}` : dev.root],
      ['Model', `${dev.model}, software ${dev.softwareVersion}`],
      ['Serial number', dev.serial],
      ['Storage account', dev.account ?? '—'],
    ];
    return (
      <>
        <Facts rows={rows} testId="configured-device" />
        <MessageBar intent="success">
          <MessageBarBody>Backups: {policyText(dev.policy)}. Change the policy on the device dashboard.</MessageBarBody>
        </MessageBar>
        <Text size={200}>Deactivating the device later is permanent; it is how a device is failed over.</Text>
      </>
    );
  },
};

export const configureSteps: StepMachine<ConfigureStepId, ConfigureData> = {
  root,
  name,
  type,
  capacity,
  settings,
  account,
  register,
  review,
  done,
};
export const configurePath = (): ConfigureStepId[] => [
  'root',
  'name',
  'type',
  'capacity',
  'settings',
  'account',
  'register',
  'review',
  'done',
];
