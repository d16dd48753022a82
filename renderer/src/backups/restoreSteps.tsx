/**
 * The restore wizard as a step machine: backup → sources and sub-path → destination → confirm, which starts the
 * `backups.restore` job. A destination the engine refuses (not empty, not a folder) is shown on the destination step;
 * one that is a device's share or volume gets a warning naming them and a checkbox to replace its files.
 */
import {
  Button,
  Checkbox,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Select,
  Text,
  tokens,
} from '@fluentui/react-components';
import { FolderOpenRegular } from '@fluentui/react-icons';
import { deviceDataOf, type DeviceData } from '../../../main/shared/device-data';
import { call } from '../api/client';
import type { Backup, ErrorInfo, Job } from '../api/types';
import { formatBytes, formatTime } from '../format';
import { absolutePathProblem } from '../accounts/validation';
import { BackupBrowser } from './BackupBrowser';
import { fieldOf, fieldState, type Outcome, type StepMachine, type WizardStep } from '../wizard/machine';

export type RestoreStepId = 'backup' | 'sources' | 'destination' | 'confirm';

export interface RestoreData {
  /** The backups to choose from (newest first). */
  backups: Backup[];
  backupId: string;
  /** Names of the sources to restore; all of them by default. */
  sources: string[];
  subPath: string;
  /** The backup's files are shown (BackupBrowser). */
  browsing: boolean;
  to: string;
  overwrite: boolean;
  /** The device share or volume the destination is, as the engine's refusal named it (null: not one, or not known yet). */
  deviceData: DeviceData | null;
  job: Job | null;
}

const itemWords = (d: DeviceData) => `the ${d.kind} ${d.name} on ${d.device}`;

type Step = WizardStep<RestoreStepId, RestoreData>;

export const backupLabel = (b: Backup) =>
  `${formatTime(b.createdAt)} · ${b.label ?? 'no label'} · ${b.sourceNames} (${b.account})`;
const chosen = (d: RestoreData) => d.backups.find((b) => b.id === d.backupId) ?? null;

const backup: Step = {
  id: 'backup',
  title: 'Choose the backup',
  intro: () =>
    'Pick the point in time to restore. Each backup is a complete copy of its sources; restoring one never changes it.',
  nextLabel: () => 'Next',
  validate: (d) => ({ backup: chosen(d) ? undefined : 'Choose a backup.' }),
  submit: (d) => {
    const b = chosen(d)!;
    // A new backup starts with all its sources; the same backup keeps the user's choice.
    const keep = d.sources.length && d.sources.every((s) => b.sources.some((x) => x.name === s));
    return { ok: true, go: 'sources', patch: keep ? {} : { sources: b.sources.map((s) => s.name) } };
  },
  Body: ({ data, update, problems }) => (
    <Field label="Backup" required data-field="backup" {...fieldState(problems.backup)}>
      <Select value={data.backupId} onChange={(_, v) => update({ backupId: v.value })}>
        {!data.backupId && <option value="">Choose a backup…</option>}
        {data.backups.map((b) => (
          <option key={b.id} value={b.id}>
            {backupLabel(b)}
          </option>
        ))}
      </Select>
    </Field>
  ),
};

const sources: Step = {
  id: 'sources',
  title: 'What to restore',
  intro: () =>
    'Restore every source of the backup, or only some. To restore a single file or folder, browse the backup for it, or type its path inside the sources.',
  nextLabel: () => 'Next',
  back: () => 'backup',
  validate: (d) => ({
    sources: d.sources.length ? undefined : 'Choose at least one source.',
    subPath: /(^|[\\/])\.\.([\\/]|$)/.test(d.subPath) ? 'The path stays inside the backup: no "..".' : undefined,
  }),
  submit: () => ({ ok: true, go: 'destination' }),
  Body: ({ data, update, problems }) => {
    const b = chosen(data);
    if (!b) return null;
    const toggle = (name: string, on: boolean) =>
      update({ sources: on ? [...new Set([...data.sources, name])] : data.sources.filter((s) => s !== name) });
    return (
      <>
        <div
          role="group"
          aria-labelledby="restore-sources-label"
          data-field="sources"
          style={{ display: 'flex', flexDirection: 'column' }}
        >
          <Text id="restore-sources-label" weight="semibold">
            Sources
          </Text>
          {b.sources.map((s) => (
            <Checkbox
              key={s.name}
              checked={data.sources.includes(s.name)}
              onChange={(_, v) => toggle(s.name, v.checked === true)}
              label={`${s.name} — ${s.kind === 'tree' ? 'folder' : 'image file'}, ${s.files} file${s.files === 1 ? '' : 's'}, ${formatBytes(s.bytes)}${s.path ? ` (from ${s.path})` : ''}`}
            />
          ))}
          {problems.sources && (
            <Text role="alert" size={200} style={{ color: tokens.colorPaletteRedForeground1 }}>
              {problems.sources}
            </Text>
          )}
        </div>
        <Field
          label="Only this path (optional)"
          data-field="subPath"
          {...fieldState(problems.subPath)}
          hint="A file or folder inside the sources, e.g. docs/2024. Leave empty to restore everything."
        >
          <Input
            value={data.subPath}
            onChange={(_, v) => update({ subPath: v.value })}
            autoComplete="off"
            spellCheck={false}
          />
        </Field>
        <Button
          appearance="secondary"
          icon={<FolderOpenRegular />}
          aria-expanded={data.browsing}
          style={{ alignSelf: 'flex-start' }}
          onClick={() => update({ browsing: !data.browsing })}
        >
          {data.browsing ? 'Hide the backup’s files' : 'Browse the backup…'}
        </Button>
        {data.browsing && (
          <BackupBrowser
            backup={b}
            onChoose={(source, subPath) => update({ sources: [source], subPath, browsing: false })}
          />
        )}
      </>
    );
  },
};

const destination: Step = {
  id: 'destination',
  title: 'Where to restore',
  intro: () =>
    'Each source becomes a folder (or a file, for an image) in this folder. It must be empty or not exist yet, unless you choose to overwrite.',
  nextLabel: () => 'Next',
  back: () => 'sources',
  validate: (d) => ({ to: absolutePathProblem(d.to) ?? undefined }),
  submit: () => ({ ok: true, go: 'confirm' }),
  Body: ({ data, update, problems }) => (
    <>
      <Field
        label="Destination folder"
        required
        data-field="to"
        {...fieldState(problems.to)}
        hint="An absolute path on the machine Lifeboat runs on."
      >
        <Input
          value={data.to}
          onChange={(_, v) => update({ to: v.value, deviceData: null })}
          placeholder="/srv/restore"
          autoComplete="off"
          spellCheck={false}
        />
      </Field>
      {data.deviceData ? (
        <MessageBar intent="warning" layout="multiline" data-testid="restore-device-warning">
          <MessageBarBody>
            <MessageBarTitle>This folder is {itemWords(data.deviceData)}.</MessageBarTitle>
            Hosts use its files: the restore replaces those with the same names by the backup&apos;s. Choose a folder
            outside the device to keep them.
            <Checkbox
              checked={data.overwrite}
              onChange={(_, v) => update({ overwrite: v.checked === true })}
              label={`Replace the files of ${itemWords(data.deviceData)}`}
            />
          </MessageBarBody>
        </MessageBar>
      ) : (
        <Checkbox
          checked={data.overwrite}
          onChange={(_, v) => update({ overwrite: v.checked === true })}
          label="Overwrite: restore into a folder that is not empty"
        />
      )}
      {data.overwrite && !data.deviceData && (
        <MessageBar intent="warning" layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>Files in the destination with the same names are replaced.</MessageBarTitle>
            Files that are not in the backup are left alone. Choose an empty folder to keep everything that is there
            now.
          </MessageBarBody>
        </MessageBar>
      )}
    </>
  ),
};

function restoreError(error: ErrorInfo): Outcome<RestoreStepId, RestoreData> {
  const field = fieldOf(error);
  // A device's share or volume: the destination step names them, with its own checkbox to replace their files.
  const device = deviceDataOf(error.message);
  if (device) {
    const hint = `Check "Replace the files of ${itemWords(device)}" to restore into it, or choose a folder outside ${device.device}.`;
    return {
      ok: false,
      error: { ...error, hint },
      go: 'destination',
      field: 'to',
      patch: { deviceData: device, overwrite: false },
    };
  }
  // The engine's hint names the CLI flag; here the same choice is the Overwrite checkbox.
  if (error.code === 'conflict')
    return {
      ok: false,
      error: { ...error, hint: 'Choose an empty folder (or a new one), or check Overwrite to replace what is there.' },
      go: 'destination',
      field: 'to',
    };
  if (field === 'to') return { ok: false, error, go: 'destination', field: 'to' };
  if (field === 'source' || /source/i.test(error.message)) return { ok: false, error, go: 'sources', field: 'sources' };
  if (field === 'path') return { ok: false, error, go: 'sources', field: 'subPath' };
  return { ok: false, error };
}

const confirm: Step = {
  id: 'confirm',
  title: 'Confirm the restore',
  intro: () =>
    'The restore runs as a job: follow its progress on the Jobs page. It verifies every chunk and can be resumed if it is interrupted.',
  nextLabel: () => 'Start restore',
  back: () => 'destination',
  validate: () => ({}),
  submit: async (d) => {
    const b = chosen(d)!;
    const all = b.sources.every((s) => d.sources.includes(s.name));
    const r = await call('backups.restore', {
      id: b.id,
      to: d.to.trim(),
      overwrite: d.overwrite,
      ...(all ? {} : { source: d.sources }),
      ...(d.subPath.trim() ? { path: d.subPath.trim() } : {}),
    });
    return r.ok ? { ok: true, go: 'finish', patch: { job: r.value } } : restoreError(r.error);
  },
  Body: ({ data }) => {
    const b = chosen(data);
    if (!b) return null;
    const rows: Array<[string, string]> = [
      ['Backup', backupLabel(b)],
      ['Sources', data.sources.join(', ')],
      ['Path', data.subPath.trim() || 'Everything'],
      ['Destination', data.to.trim()],
      [
        'Overwrite',
        data.overwrite
          ? `Yes: files with the same names${data.deviceData ? ` in ${itemWords(data.deviceData)}` : ''} are replaced`
          : 'No: the folder must be empty',
      ],
    ];
    return (
      <>
        <dl
          style={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', columnGap: 16, rowGap: 4, margin: 0 }}
          aria-label="The restore to start"
          data-testid="restore-summary"
        >
          {rows.map(([k, v]) => [
            <dt key={`${k}-k`}>{k}</dt>,
            <dd key={`${k}-v`} style={{ margin: 0, wordBreak: 'break-all' }}>
              {v}
            </dd>,
          ])}
        </dl>
        <Text size={200}>Up to {formatBytes(b.bytes)} is written.</Text>
      </>
    );
  },
};

export const restoreSteps: StepMachine<RestoreStepId, RestoreData> = { backup, sources, destination, confirm };
export const restorePath = (): RestoreStepId[] => ['backup', 'sources', 'destination', 'confirm'];

export function initialRestore(backups: Backup[], backupId: string): { step: RestoreStepId; data: RestoreData } {
  const b = backups.find((x) => x.id === backupId);
  return {
    step: 'backup',
    data: {
      backups,
      backupId,
      sources: b ? b.sources.map((s) => s.name) : [],
      subPath: '',
      browsing: false,
      to: '',
      overwrite: false,
      deviceData: null,
      job: null,
    },
  };
}
