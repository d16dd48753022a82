/**
 * The global resync window (`item settings`): when a required resynchronization may run by itself, for every item
 * without a window of its own (an item's Edit sets one). Empty sets it back to the default, 18:00-06:00.
 */
import { Button, Field, Input, Spinner, Text, makeStyles, tokens } from '@fluentui/react-components';
import { useEffect, useState, type FormEvent } from 'react';
import { call } from '../api/client';
import type { ErrorInfo } from '../api/types';
import { fieldState } from '../wizard/machine';
import { useProtectionQuery } from './useProtectionQuery';
import { withoutFlag } from './validation';

const useStyles = makeStyles({
  form: { display: 'flex', gap: tokens.spacingHorizontalM, alignItems: 'flex-end', flexWrap: 'wrap' },
  muted: { color: tokens.colorNeutralForeground3 },
});

export function ResyncWindowSetting() {
  const styles = useStyles();
  const settings = useProtectionQuery('items.settings', {}, 0);
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const current = settings.data?.resyncWindow;
  useEffect(() => {
    if (current) setValue(current);
  }, [current]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(null);
    const r = await call('items.settings', { resyncWindow: value.trim() || 'default' });
    setBusy(false);
    if (!r.ok) return setError(r.error);
    setValue(r.value.resyncWindow);
    setSaved(r.value.resyncWindow);
    settings.reload();
  };
  return (
    <form
      className={styles.form}
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-label="Resync window"
      data-testid="resync-window-setting"
    >
      <Field
        label="Resync window (every item without its own)"
        hint={`Local HH:MM-HH:MM; empty: the default ${settings.data?.defaultResyncWindow ?? '18:00-06:00'}.`}
        {...fieldState(error ? `${withoutFlag(error.message)} ${error.hint ?? ''}`.trim() : undefined)}
      >
        <Input value={value} onChange={(_, v) => setValue(v.value)} autoComplete="off" spellCheck={false} />
      </Field>
      <Button type="submit" disabled={busy || !settings.data} icon={busy ? <Spinner size="tiny" /> : undefined}>
        Save window
      </Button>
      {saved && (
        <Text className={styles.muted} role="status">
          {`Resyncs run by themselves between ${saved.replace('-', ' and ')}.`}
        </Text>
      )}
    </form>
  );
}
