/**
 * The Add storage account wizard as a step machine: kind → credentials → container and name → validation probe →
 * result. The probe is `accounts.add`, which writes, reads, lists and deletes a test object, then opens or creates
 * the repository; a refusal goes back to the step where it can be fixed, with everything typed kept.
 */
import {
  Checkbox,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  Radio,
  RadioGroup,
  Text,
} from '@fluentui/react-components';
import { call } from '../api/client';
import type { CallInput, CallOutput, ErrorInfo } from '../api/types';
import { formatRate } from '../format';
import { fieldOf, fieldState, type Outcome, type Problems, type StepMachine, type WizardStep } from '../wizard/machine';
import { absolutePathProblem, accountNameProblem, containerProblem, httpUrlProblem, sasUrlProblem } from './validation';

export type AccountStepId = 'kind' | 'credentials' | 'container' | 'probe' | 'done';
export type AzureAuth = 'connection-string' | 'account-key' | 'sas-url';

export interface AccountData {
  kind: 'local' | 'azure';
  folder: string;
  auth: AzureAuth;
  connectionString: string;
  accountName: string;
  accountKey: string;
  endpoint: string;
  sasUrl: string;
  container: string;
  createContainer: boolean;
  name: string;
  result: CallOutput<'accounts.add'> | null;
}

export const initialAccountData: AccountData = {
  kind: 'local',
  folder: '',
  auth: 'connection-string',
  connectionString: '',
  accountName: '',
  accountKey: '',
  endpoint: '',
  sasUrl: '',
  container: '',
  createContainer: false,
  name: '',
  result: null,
};

type Step = WizardStep<AccountStepId, AccountData>;

const kind: Step = {
  id: 'kind',
  title: 'Where should backups be kept?',
  intro: () =>
    'A storage account holds the deduplicated, compressed and encrypted data of your backups. A local folder needs no set-up and can be a disk, a NAS mount or a removable drive; an Azure Blob container keeps the data off site.',
  nextLabel: () => 'Next',
  validate: () => ({}),
  submit: () => ({ ok: true, go: 'credentials' }),
  Body: ({ data, update }) => (
    <RadioGroup
      aria-label="Kind of storage account"
      value={data.kind}
      onChange={(_, v) => update({ kind: v.value as AccountData['kind'] })}
    >
      <Radio value="local" label="Local folder (the default: no set-up)" />
      <Radio value="azure" label="Azure Blob storage container" />
    </RadioGroup>
  ),
};

const AUTH_LABEL: Record<AzureAuth, string> = {
  'connection-string': 'Connection string',
  'account-key': 'Account name and key',
  'sas-url': 'Container SAS URL',
};

function credentialProblems(d: AccountData): Problems {
  if (d.kind === 'local') return { folder: d.folder.trim() ? (absolutePathProblem(d.folder) ?? undefined) : undefined };
  switch (d.auth) {
    case 'connection-string':
      return {
        connectionString: !d.connectionString.trim()
          ? 'Paste the connection string.'
          : !d.connectionString.includes('=')
            ? 'A connection string reads like DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…'
            : undefined,
      };
    case 'account-key':
      return {
        accountName: d.accountName.trim() ? undefined : 'Enter the storage account name.',
        accountKey: d.accountKey.trim() ? undefined : 'Enter the account key.',
        endpoint: d.endpoint.trim() ? (httpUrlProblem(d.endpoint) ?? undefined) : undefined,
      };
    case 'sas-url':
      return { sasUrl: sasUrlProblem(d.sasUrl) ?? undefined };
  }
}

const credentials: Step = {
  id: 'credentials',
  title: 'Credentials',
  intro: (d) =>
    d.kind === 'local'
      ? 'The folder that will hold the repository: an empty folder, a new one (it is created), or one that already holds a Lifeboat repository of this service.'
      : 'How Lifeboat signs in to the storage account. Lifeboat keeps the secret encrypted and never shows or logs it again.',
  nextLabel: () => 'Next',
  back: () => 'kind',
  validate: credentialProblems,
  submit: async (d) => {
    // A local folder Lifeboat cannot write (a read-only disk, no permission) is named here, not at the probe: the engine
    // checks it as it checks a device's data root. Other states (a repository already there …) are the probe's to judge.
    const folder = d.folder.trim();
    if (d.kind !== 'local' || !folder) return { ok: true, go: 'container' };
    const r = await call('devices.checkRoot', { root: folder });
    if (r.ok && r.value.state === 'not-writable') {
      const hint = 'Mount that disk read-write, or choose a folder Lifeboat can write to.';
      return { ok: false, error: { code: 'invalid_input', message: r.value.message, hint }, field: 'folder' };
    }
    return { ok: true, go: 'container' };
  },
  Body: ({ data, update, problems }) =>
    data.kind === 'local' ? (
      <Field
        label="Folder"
        data-field="folder"
        {...fieldState(problems.folder)}
        hint="An absolute path. Leave it empty to keep the account in Lifeboat's data directory."
      >
        <Input
          value={data.folder}
          onChange={(_, v) => update({ folder: v.value })}
          placeholder="/srv/lifeboat-backups"
          autoComplete="off"
          spellCheck={false}
        />
      </Field>
    ) : (
      <>
        <RadioGroup
          aria-label="How to sign in"
          value={data.auth}
          onChange={(_, v) => update({ auth: v.value as AzureAuth })}
          layout="horizontal"
        >
          {(Object.keys(AUTH_LABEL) as AzureAuth[]).map((a) => (
            <Radio key={a} value={a} label={AUTH_LABEL[a]} />
          ))}
        </RadioGroup>
        {data.auth === 'connection-string' && (
          <Field
            label="Connection string"
            required
            data-field="connectionString"
            {...fieldState(problems.connectionString)}
            hint='From the storage account&apos;s "Access keys" page.'
          >
            <Input
              type="password"
              value={data.connectionString}
              onChange={(_, v) => update({ connectionString: v.value })}
              autoComplete="off"
            />
          </Field>
        )}
        {data.auth === 'account-key' && (
          <>
            <Field label="Storage account name" required data-field="accountName" {...fieldState(problems.accountName)}>
              <Input
                value={data.accountName}
                onChange={(_, v) => update({ accountName: v.value })}
                autoComplete="off"
                spellCheck={false}
              />
            </Field>
            <Field label="Account key" required data-field="accountKey" {...fieldState(problems.accountKey)}>
              <Input
                type="password"
                value={data.accountKey}
                onChange={(_, v) => update({ accountKey: v.value })}
                autoComplete="off"
              />
            </Field>
            <Field
              label="Blob endpoint (optional)"
              data-field="endpoint"
              {...fieldState(problems.endpoint)}
              hint="Default: https://NAME.blob.core.windows.net"
            >
              <Input
                value={data.endpoint}
                onChange={(_, v) => update({ endpoint: v.value })}
                autoComplete="off"
                spellCheck={false}
              />
            </Field>
          </>
        )}
        {data.auth === 'sas-url' && (
          <Field
            label="Container SAS URL"
            required
            data-field="sasUrl"
            {...fieldState(problems.sasUrl)}
            hint="https://ACCOUNT.blob.core.windows.net/CONTAINER?sv=…&sig=… (read, write, list and delete permissions)"
          >
            <Input
              type="password"
              value={data.sasUrl}
              onChange={(_, v) => update({ sasUrl: v.value })}
              autoComplete="off"
            />
          </Field>
        )}
      </>
    ),
};

const container: Step = {
  id: 'container',
  title: 'Container and name',
  intro: (d) =>
    d.kind === 'local'
      ? 'Name the storage account: Lifeboat, its CLI and the console refer to it by this name.'
      : 'The blob container that holds the repository, and the name Lifeboat, its CLI and the console use for the account.',
  nextLabel: () => 'Next',
  back: () => 'credentials',
  validate: (d) => ({
    container:
      d.kind === 'azure' && !(d.auth === 'sas-url' && !d.container.trim())
        ? (containerProblem(d.container) ?? undefined)
        : undefined,
    name: accountNameProblem(d.name) ?? undefined,
  }),
  submit: () => ({ ok: true, go: 'probe' }),
  Body: ({ data, update, problems }) => (
    <>
      {data.kind === 'azure' && (
        <>
          <Field
            label={data.auth === 'sas-url' ? 'Container (optional: the SAS URL names it)' : 'Container'}
            required={data.auth !== 'sas-url'}
            data-field="container"
            {...fieldState(problems.container)}
            hint="3 to 63 lower-case letters, digits and single hyphens."
          >
            <Input
              value={data.container}
              onChange={(_, v) => update({ container: v.value })}
              autoComplete="off"
              spellCheck={false}
            />
          </Field>
          <Checkbox
            checked={data.createContainer}
            onChange={(_, v) => update({ createContainer: v.checked === true })}
            label="Create it if it does not exist"
          />
        </>
      )}
      <Field
        label="Storage account name"
        required
        data-field="name"
        {...fieldState(problems.name)}
        hint="Letters, digits, dots, hyphens and underscores; starts with a letter or digit."
      >
        <Input
          value={data.name}
          onChange={(_, v) => update({ name: v.value })}
          maxLength={60}
          autoComplete="off"
          spellCheck={false}
        />
      </Field>
    </>
  ),
};

export function addInput(d: AccountData): CallInput<'accounts.add'> {
  const name = d.name.trim();
  if (d.kind === 'local') return { name, kind: 'local', ...(d.folder.trim() ? { local: d.folder.trim() } : {}) };
  const creds =
    d.auth === 'connection-string'
      ? { connectionString: d.connectionString.trim() }
      : d.auth === 'account-key'
        ? {
            accountName: d.accountName.trim(),
            accountKey: d.accountKey.trim(),
            ...(d.endpoint.trim() ? { endpoint: d.endpoint.trim() } : {}),
          }
        : { sasUrl: d.sasUrl.trim() };
  return {
    name,
    kind: 'azure',
    azure: true,
    ...creds,
    ...(d.container.trim() ? { container: d.container.trim() } : {}),
    createContainer: d.createContainer,
  };
}

const CREDENTIAL_FIELDS = new Set(['local', 'connectionString', 'accountName', 'accountKey', 'endpoint', 'sasUrl']);
const SECRET_FIELD: Record<AzureAuth, string> = {
  'connection-string': 'connectionString',
  'account-key': 'accountKey',
  'sas-url': 'sasUrl',
};

/** Where a refusal of `accounts.add` can be fixed. */
export function routeAccountError(error: ErrorInfo, d: AccountData): Outcome<AccountStepId, AccountData> {
  const credentialsField = d.kind === 'local' ? 'folder' : SECRET_FIELD[d.auth];
  const named = fieldOf(error);
  if (named && CREDENTIAL_FIELDS.has(named))
    return { ok: false, error, go: 'credentials', field: named === 'local' ? 'folder' : named };
  if (named === 'container' || named === 'name') return { ok: false, error, go: 'container', field: named };
  if (error.code === 'already_exists' && /storage account named/.test(error.message))
    return { ok: false, error, go: 'container', field: 'name' };
  if (d.kind === 'azure' && error.code === 'not_found')
    return {
      ok: false,
      error: {
        ...error,
        hint: `Check "Create it if it does not exist" to create the container${d.container ? ` "${d.container}"` : ''}, or correct its name.`,
      },
      go: 'container',
      field: 'container',
    };
  if (d.kind === 'azure' && /container/i.test(error.message) && error.code === 'invalid_input')
    return { ok: false, error, go: 'container', field: 'container' };
  if (
    ['invalid_input', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'already_exists', 'io_error'].includes(
      error.code,
    )
  )
    return { ok: false, error, go: 'credentials', field: credentialsField };
  if (error.code === 'unavailable')
    return {
      ok: false,
      error,
      go: 'credentials',
      field: d.kind === 'azure' && d.auth === 'account-key' ? 'endpoint' : credentialsField,
    };
  return { ok: false, error };
}

function Summary({ data }: { data: AccountData }) {
  const rows: Array<[string, string]> = [
    ['Name', data.name.trim()],
    ['Kind', data.kind === 'local' ? 'Local folder' : 'Azure Blob'],
    ...(data.kind === 'local'
      ? ([['Folder', data.folder.trim() || "In Lifeboat's data directory"]] as Array<[string, string]>)
      : ([
          ['Sign-in', AUTH_LABEL[data.auth]],
          ['Container', data.container.trim() || 'from the SAS URL'],
          ['Create container', data.createContainer ? 'Yes, if missing' : 'No'],
        ] as Array<[string, string]>)),
  ];
  return (
    <dl
      style={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', columnGap: 16, rowGap: 4, margin: 0 }}
      aria-label="The storage account to add"
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

const probe: Step = {
  id: 'probe',
  title: 'Validate and add',
  intro: () =>
    'Lifeboat now writes, reads, lists and deletes a test object to measure latency and throughput, then opens the repository in the account or creates one. Nothing is added if this fails.',
  nextLabel: () => 'Validate and add',
  back: () => 'container',
  validate: () => ({}),
  submit: async (d) => {
    const r = await call('accounts.add', addInput(d));
    return r.ok ? { ok: true, go: 'done', patch: { result: r.value } } : routeAccountError(r.error, d);
  },
  Body: ({ data }) => <Summary data={data} />,
};

const ms = (v: number | null) => (v === null ? '—' : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`);
const rate = (v: number | null) => (v === null ? '—' : formatRate(v));

const done: Step = {
  id: 'done',
  title: 'Storage account added',
  intro: (d) => `"${d.result?.account.name ?? d.name}" passed the validation probe and is ready for backups.`,
  nextLabel: () => 'Finish',
  validate: () => ({}),
  submit: () => ({ ok: true, go: 'finish' }),
  Body: ({ data }) => {
    const r = data.result;
    if (!r) return null;
    return (
      <>
        <dl
          style={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', columnGap: 16, rowGap: 4, margin: 0 }}
          data-testid="probe-result"
          data-autofocus
          tabIndex={-1}
        >
          <dt>Latency</dt>
          <dd style={{ margin: 0 }}>{ms(r.probe.latencyMs)}</dd>
          <dt>Write throughput</dt>
          <dd style={{ margin: 0 }}>{rate(r.probe.writeBytesPerSecond)}</dd>
          <dt>Read throughput</dt>
          <dd style={{ margin: 0 }}>{rate(r.probe.readBytesPerSecond)}</dd>
          <dt>Location</dt>
          <dd style={{ margin: 0, wordBreak: 'break-all' }}>{r.account.location}</dd>
        </dl>
        <MessageBar intent="success" layout="multiline">
          <MessageBarBody>
            {r.repositoryCreated
              ? 'A new, empty repository was created in the account.'
              : `The account already holds a repository of this service: ${r.backupsFound} backup${r.backupsFound === 1 ? '' : 's'} found and added to the catalog.`}
          </MessageBarBody>
        </MessageBar>
        {r.devicesFound?.length ? (
          <MessageBar intent="warning" layout="multiline">
            <MessageBarBody>
              {`${r.devicesFound.join(', ')} came back from the account as Deactivated: their data is there, but this installation does not run them. ` +
                'Add a target device on the Devices page (Add device), then select each one and choose Fail over.'}
            </MessageBarBody>
          </MessageBar>
        ) : null}
        <Text size={200}>Take a backup from the Backups page, or test the account again at any time from its row.</Text>
      </>
    );
  },
};

export const accountSteps: StepMachine<AccountStepId, AccountData> = { kind, credentials, container, probe, done };
export const accountPath = (): AccountStepId[] => ['kind', 'credentials', 'container', 'probe', 'done'];
