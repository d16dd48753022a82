/**
 * Edit a protected item's commands (quiesce, thaw, shutdown, start), their timeout and its own resync window: the
 * `item edit` call. An emptied command is removed; an emptied window means the global one (Replication policies tab).
 * Only what changed is sent; a refusal is shown under the field it names.
 */
import { Field, Input, Text, makeStyles, tokens } from '@fluentui/react-components';
import { useState, type FormEvent } from 'react';
import { call } from '../api/client';
import type { ErrorInfo } from '../api/types';
import { ErrorBar } from '../ui/ErrorBar';
import { fieldState } from '../wizard/machine';
import { FormDialog } from '../ui/FormDialog';
import type { ItemInfo } from './labels';
import { durationProblem, flagField, withoutFlag } from './validation';

const useStyles = makeStyles({
  mono: { fontFamily: tokens.fontFamilyMonospace },
  muted: { color: tokens.colorNeutralForeground3 },
});

const FIELDS = ['quiesce', 'thaw', 'shutdown', 'start', 'commandTimeout', 'resyncWindow'] as const;
type FieldName = (typeof FIELDS)[number];

const LABELS: Record<FieldName, { label: string; hint: string }> = {
  quiesce: {
    label: 'Quiesce command',
    hint: 'Runs (sh -c) before an app-consistent point, e.g. flushes a database. Empty: crash-consistent points only.',
  },
  thaw: { label: 'Thaw command', hint: 'Runs once the app-consistent point was read.' },
  shutdown: { label: 'Shutdown command', hint: 'Shuts the machine down, before a planned failover.' },
  start: { label: 'Start command', hint: 'Starts the machine where it is active, after a failover.' },
  commandTimeout: { label: 'Command timeout', hint: 'How long each command may run, e.g. 60s or 5m.' },
  resyncWindow: {
    label: 'Resync window',
    hint: 'Local HH:MM-HH:MM when a resynchronization may run by itself. Empty: the global window.',
  },
};

const WINDOW = /^\s*\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}\s*$/;

function initial(item: ItemInfo): Record<FieldName, string> {
  return {
    quiesce: item.commands.quiesce ?? '',
    thaw: item.commands.thaw ?? '',
    shutdown: item.commands.shutdown ?? '',
    start: item.commands.start ?? '',
    commandTimeout: `${item.commandTimeoutSeconds}s`,
    resyncWindow: item.resync.windowIsItemOwn ? item.resync.window : '',
  };
}

export function ItemEditDialog({ item, onClose }: { item: ItemInfo; onClose(saved: ItemInfo | null): void }) {
  const styles = useStyles();
  const [start] = useState(() => initial(item));
  const [form, setForm] = useState(start);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const problems: Partial<Record<FieldName, string>> = {
    commandTimeout: durationProblem(form.commandTimeout, { what: 'command timeout' }),
    resyncWindow:
      form.resyncWindow.trim() && !WINDOW.test(form.resyncWindow)
        ? 'Write local start and end times, e.g. 18:00-06:00.'
        : undefined,
  };
  const refused = error ? flagField(error.message, FIELDS) : null;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (Object.values(problems).some(Boolean) || busy) return;
    const changed: Partial<Record<FieldName, string>> = {};
    for (const f of FIELDS)
      if (form[f].trim() !== start[f].trim())
        changed[f] = f === 'resyncWindow' && !form[f].trim() ? 'default' : form[f].trim();
    setBusy(true);
    setError(null);
    const r = await call('items.edit', { name: item.name, ...changed });
    setBusy(false);
    if (r.ok) onClose(r.value);
    else setError(r.error);
  };
  const shown = (f: FieldName) =>
    refused === f && error ? withoutFlag(error.message) : tried ? problems[f] : undefined;
  return (
    <FormDialog
      title={`Edit “${item.name}”`}
      testId="item-edit-dialog"
      busy={busy}
      primary="Save"
      onSubmit={(e) => void submit(e)}
      onCancel={() => onClose(null)}
    >
      <Text className={styles.muted}>
        Commands run where the item is active, with their output kept on the item&apos;s page.
      </Text>
      {FIELDS.map((f) => (
        <Field key={f} label={LABELS[f].label} hint={LABELS[f].hint} {...fieldState(shown(f))} data-field={f}>
          <Input
            className={f === 'commandTimeout' || f === 'resyncWindow' ? undefined : styles.mono}
            value={form[f]}
            onChange={(_, v) => {
              setForm((old) => ({ ...old, [f]: v.value }));
              if (refused === f) setError(null);
            }}
            placeholder={
              f === 'resyncWindow'
                ? `global: ${item.resync.windowIsItemOwn ? 'see Replication policies' : item.resync.window}`
                : undefined
            }
            autoComplete="off"
            spellCheck={false}
          />
        </Field>
      ))}
      {error && !refused && <ErrorBar error={error} alert />}
      {error && refused && error.hint && <Text role="alert">{error.hint}</Text>}
    </FormDialog>
  );
}
