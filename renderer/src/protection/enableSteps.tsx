/**
 * The Enable protection wizard as a step machine: source site → machine (name, disks, folders, commands) → recovery
 * site → storage account (optional) → policy → replication group (optional) → review → the job's progress. Next on
 * the review starts `items.protect`; a refusal goes back to the step of the field it names, everything kept.
 */
import { Field, Input, Select, Text, Textarea } from '@fluentui/react-components';
import { absolutePathProblem } from '../accounts/validation';
import { call } from '../api/client';
import { useQuery } from '../api/query';
import type { ErrorInfo, Job } from '../api/types';
import { fieldState, type Outcome, type StepMachine, type WizardStep } from '../wizard/machine';
import { describeSeconds } from './labels';
import { EnableProgress, EnableReview } from './EnableReview';
import { nameProblem, pathLines } from './validation';

export type EnableStepId = 'source' | 'machine' | 'recovery' | 'account' | 'policy' | 'group' | 'review' | 'progress';

export const COMMANDS = ['quiesce', 'thaw', 'shutdown', 'start'] as const;
export type CommandName = (typeof COMMANDS)[number];

export interface EnableData {
  sourceSite: string;
  name: string;
  disks: string;
  folders: string;
  commands: Record<CommandName, string>;
  commandTimeout: string;
  recoverySite: string;
  account: string;
  policy: string;
  group: string;
  job: Job | null;
}

export const initialEnable: EnableData = {
  sourceSite: '',
  name: '',
  disks: '',
  folders: '',
  commands: { quiesce: '', thaw: '', shutdown: '', start: '' },
  commandTimeout: '',
  recoverySite: '',
  account: '',
  policy: 'default',
  group: '',
  job: null,
};

const COMMAND_HINT: Record<CommandName, string> = {
  quiesce: 'Run before an app-consistent point (flush and freeze writes).',
  thaw: 'Run after the point was read (resume writes).',
  shutdown: 'Shuts the machine down (before a planned failover).',
  start: 'Starts the machine where it becomes active (after a failover).',
};

type Step = WizardStep<EnableStepId, EnableData>;

const source: Step = {
  id: 'source',
  title: 'Source site',
  intro: () =>
    'Where the machine runs now. Its disks and folders are read there; the primary site is this installation.',
  nextLabel: () => 'Next',
  validate: () => ({}),
  submit: () => ({ ok: true, go: 'machine' }),
  Body: function SourceBody({ data, update }) {
    const sites = useQuery('sites.list', {}).data ?? [];
    const sources = sites.filter((s) => s.kind === 'primary');
    const value = data.sourceSite || sources[0]?.name || '';
    return (
      <Field label="Source site" hint="Replication from a site agent's machines comes with the agent.">
        <Select value={value} onChange={(_, v) => update({ sourceSite: v.value })}>
          {sources.map((s) => (
            <option key={s.name} value={s.name}>
              {s.name} (this installation)
            </option>
          ))}
        </Select>
      </Field>
    );
  },
};

const machine: Step = {
  id: 'machine',
  title: 'Machine',
  intro: () =>
    'Name the machine and list what makes it up: disk images (files, usually sparse) and folders, one absolute path a line. ' +
    'Commands are optional and run with sh -c where the machine is active.',
  nextLabel: () => 'Next',
  back: () => 'source',
  validate: (d) => {
    const disks = pathLines(d.disks);
    const folders = pathLines(d.folders);
    const badDisk = disks.map((p) => absolutePathProblem(p)).find(Boolean);
    const badFolder = folders.map((p) => absolutePathProblem(p)).find(Boolean);
    return {
      name: nameProblem(d.name, 'machine'),
      disk: badDisk ?? (disks.length + folders.length === 0 ? 'List at least one disk image or folder.' : undefined),
      folder: badFolder ?? undefined,
      commandTimeout:
        d.commandTimeout.trim() && !/^\d+\s*(s|m|min|h)?$/i.test(d.commandTimeout.trim())
          ? 'Give a duration, e.g. 60s or 5m.'
          : undefined,
    };
  },
  submit: () => ({ ok: true, go: 'recovery' }),
  Body: ({ data, update, problems }) => (
    <>
      <Field
        label="Machine name"
        required
        data-field="name"
        {...fieldState(problems.name)}
        hint="Letters, digits, dots, hyphens and underscores."
      >
        <Input
          value={data.name}
          onChange={(_, v) => update({ name: v.value })}
          autoComplete="off"
          spellCheck={false}
          placeholder="sql01"
        />
      </Field>
      <Field
        label="Disk images"
        data-field="disk"
        {...fieldState(problems.disk)}
        hint="One path a line, e.g. /srv/vms/sql01/disk0.img"
      >
        <Textarea
          value={data.disks}
          onChange={(_, v) => update({ disks: v.value })}
          rows={2}
          spellCheck={false}
          resize="vertical"
        />
      </Field>
      <Field
        label="Folders"
        data-field="folder"
        {...fieldState(problems.folder)}
        hint="One path a line, e.g. /srv/vms/sql01/config"
      >
        <Textarea
          value={data.folders}
          onChange={(_, v) => update({ folders: v.value })}
          rows={2}
          spellCheck={false}
          resize="vertical"
        />
      </Field>
      <div
        style={{
          display: 'grid',
          gridTemplateColumns: 'repeat(auto-fit, minmax(260px, 1fr))',
          gap: 12,
          alignItems: 'start',
        }}
      >
        {COMMANDS.map((c) => (
          <Field
            key={c}
            label={`${c[0].toUpperCase()}${c.slice(1)} command (optional)`}
            data-field={c}
            {...fieldState(problems[c])}
            hint={COMMAND_HINT[c]}
          >
            <Input
              value={data.commands[c]}
              onChange={(_, v) => update({ commands: { ...data.commands, [c]: v.value } })}
              autoComplete="off"
              spellCheck={false}
            />
          </Field>
        ))}
      </div>
      <Field
        label="Command timeout (optional)"
        data-field="commandTimeout"
        {...fieldState(problems.commandTimeout)}
        hint="Each command's limit, e.g. 60s (default 5m)."
      >
        <Input
          value={data.commandTimeout}
          onChange={(_, v) => update({ commandTimeout: v.value })}
          autoComplete="off"
        />
      </Field>
    </>
  ),
};

const recovery: Step = {
  id: 'recovery',
  title: 'Recovery site',
  intro: () => 'Where the replica and the recovery points live. Add sites on the Sites tab of this page.',
  nextLabel: () => 'Next',
  back: () => 'machine',
  validate: (d) => ({
    recoverySite: d.recoverySite ? undefined : 'Choose a recovery site (add one on the Sites tab first).',
  }),
  submit: () => ({ ok: true, go: 'account' }),
  Body: function RecoveryBody({ data, update, problems }) {
    const sites = (useQuery('sites.list', {}).data ?? []).filter((s) => s.kind !== 'primary');
    return (
      <Field label="Recovery site" required data-field="recoverySite" {...fieldState(problems.recoverySite)}>
        <Select value={data.recoverySite} onChange={(_, v) => update({ recoverySite: v.value })}>
          <option value="">Choose a site…</option>
          {sites.map((s) => (
            <option key={s.name} value={s.name}>
              {`${s.name} — ${s.root ?? s.agent ?? ''}`}
            </option>
          ))}
        </Select>
      </Field>
    );
  },
};

const account: Step = {
  id: 'account',
  title: 'Storage account (optional)',
  intro: () =>
    'A storage account can hold older recovery points and seed the first copy. Without one, every point stays at the recovery site.',
  nextLabel: () => 'Next',
  back: () => 'recovery',
  validate: () => ({}),
  submit: () => ({ ok: true, go: 'policy' }),
  Body: function AccountBody({ data, update }) {
    const accounts = useQuery('accounts.list', {}).data ?? [];
    return (
      <Field label="Storage account" data-field="account">
        <Select value={data.account} onChange={(_, v) => update({ account: v.value })}>
          <option value="">None</option>
          {accounts.map((a) => (
            <option key={a.name} value={a.name}>
              {a.name}
            </option>
          ))}
        </Select>
      </Field>
    );
  },
};

const policy: Step = {
  id: 'policy',
  title: 'Replication policy',
  intro: () =>
    'How often changes are sent, the RPO threshold, how long points are kept, and how often a point is app-consistent. ' +
    'Create policies on the Replication policies tab.',
  nextLabel: () => 'Next',
  back: () => 'account',
  validate: (d) => ({ policy: d.policy ? undefined : 'Choose a policy.' }),
  submit: () => ({ ok: true, go: 'group' }),
  Body: function PolicyBody({ data, update, problems }) {
    const policies = (useQuery('policies.list', {}).data ?? []).filter((p) => !p.builtin);
    const chosen = policies.find((p) => p.name === data.policy);
    return (
      <>
        <Field label="Policy" required data-field="policy" {...fieldState(problems.policy)}>
          <Select value={data.policy} onChange={(_, v) => update({ policy: v.value })}>
            {!chosen && <option value={data.policy}>{data.policy || 'Choose a policy…'}</option>}
            {policies.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
              </option>
            ))}
          </Select>
        </Field>
        {chosen && (
          <Text data-testid="policy-summary">
            {`Every ${describeSeconds(chosen.frequencySeconds)}; Warning above ${describeSeconds(chosen.rpoThresholdSeconds)}; ` +
              `points kept ${describeSeconds(chosen.retentionSeconds)}; ` +
              `app-consistent ${chosen.appConsistentSeconds ? `every ${describeSeconds(chosen.appConsistentSeconds)}` : 'never'}.`}
          </Text>
        )}
      </>
    );
  },
};

const group: Step = {
  id: 'group',
  title: 'Replication group (optional)',
  intro: () =>
    'Items in one replication group get multi-item recovery points: one instant for all of them, for machines that must fail over consistent ' +
    'with each other. Leave it empty for an item of its own.',
  nextLabel: () => 'Next',
  back: () => 'policy',
  validate: (d) => ({ group: d.group.trim() ? nameProblem(d.group, 'replication group') : undefined }),
  submit: () => ({ ok: true, go: 'review' }),
  Body: function GroupBody({ data, update, problems }) {
    const groups = [
      ...new Set((useQuery('items.list', {}).data ?? []).map((i) => i.group).filter((g): g is string => !!g)),
    ];
    return (
      <Field
        label="Replication group"
        data-field="group"
        {...fieldState(problems.group)}
        hint={groups.length ? `Existing groups: ${groups.join(', ')}` : 'A new name makes a new group.'}
      >
        <Input
          value={data.group}
          onChange={(_, v) => update({ group: v.value })}
          autoComplete="off"
          spellCheck={false}
        />
      </Field>
    );
  },
};

const FIELD_STEP: Record<string, [EnableStepId, string]> = {
  name: ['machine', 'name'],
  disk: ['machine', 'disk'],
  folder: ['machine', 'folder'],
  quiesce: ['machine', 'quiesce'],
  thaw: ['machine', 'thaw'],
  shutdown: ['machine', 'shutdown'],
  start: ['machine', 'start'],
  'command-timeout': ['machine', 'commandTimeout'],
  'recovery-site': ['recovery', 'recoverySite'],
  account: ['account', 'account'],
  policy: ['policy', 'policy'],
  group: ['group', 'group'],
};

/** Where a refusal of `items.protect` can be fixed: "--disk: …", "NAME: …", or the kind of thing not found. */
export function routeEnableError(error: ErrorInfo): Outcome<EnableStepId, EnableData> {
  const m = /^(?:--)?([A-Za-z-]+):\s/.exec(error.message);
  const named = m ? (m[1] === 'NAME' ? 'name' : m[1].replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()) : null;
  const target = named ? FIELD_STEP[named] : undefined;
  if (target) return { ok: false, error, go: target[0], field: target[1] };
  for (const [word, step] of [
    ['recovery site', 'recovery'],
    ['site', 'recovery'],
    ['policy', 'policy'],
    ['account', 'account'],
    ['group', 'group'],
  ] as const)
    if (error.message.toLowerCase().includes(word)) return { ok: false, error, go: step };
  return { ok: false, error };
}

export function protectInput(d: EnableData) {
  const commands = Object.fromEntries(
    COMMANDS.filter((c) => d.commands[c].trim()).map((c) => [c, d.commands[c].trim()]),
  );
  const disks = pathLines(d.disks);
  const folders = pathLines(d.folders);
  return {
    name: d.name.trim(),
    ...(disks.length ? { disk: disks } : {}),
    ...(folders.length ? { folder: folders } : {}),
    recoverySite: d.recoverySite,
    policy: d.policy,
    ...(d.account ? { account: d.account } : {}),
    ...(d.group.trim() ? { group: d.group.trim() } : {}),
    ...(d.commandTimeout.trim() ? { commandTimeout: d.commandTimeout.trim() } : {}),
    ...commands,
  };
}

const review: Step = {
  id: 'review',
  title: 'Review and enable',
  intro: () =>
    'Lifeboat checks the prerequisites (paths readable, the recovery site reachable with room, commands executable, the name free), ' +
    'copies every disk and folder once while it tracks later writes, then applies what changed meanwhile. ' +
    'Delta replication then runs at the policy’s frequency.',
  nextLabel: () => 'Enable protection',
  back: () => 'group',
  validate: () => ({}),
  submit: async (d) => {
    const r = await call('items.protect', protectInput(d));
    return r.ok ? { ok: true, go: 'progress', patch: { job: r.value } } : routeEnableError(r.error);
  },
  Body: EnableReview,
};

const progress: Step = {
  id: 'progress',
  title: 'Enabling protection',
  intro: (d) =>
    `The Enable protection job of “${d.name.trim()}”: closing this window does not stop it, and the Jobs page follows it too.`,
  nextLabel: () => 'Close',
  validate: () => ({}),
  submit: () => ({ ok: true, go: 'finish' }),
  Body: EnableProgress,
};

export const enableSteps: StepMachine<EnableStepId, EnableData> = {
  source,
  machine,
  recovery,
  account,
  policy,
  group,
  review,
  progress,
};
export const enablePath = (): EnableStepId[] => [
  'source',
  'machine',
  'recovery',
  'account',
  'policy',
  'group',
  'review',
  'progress',
];
