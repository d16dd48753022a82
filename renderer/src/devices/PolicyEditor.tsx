/** A device's backup policy: off, daily or weekly at a time in the device's time zone, keeping N backups. */
import {
  Button,
  Field,
  Input,
  Select,
  SpinButton,
  Spinner,
  Text,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { useEffect, useState, type FormEvent } from 'react';
import { call } from '../api/client';
import type { ErrorInfo } from '../api/types';
import { formatTime } from '../format';
import { ErrorBar } from '../ui/ErrorBar';
import { fieldState } from '../wizard/machine';
import { WEEKDAYS, policyText, type Device } from './labels';

const useStyles = makeStyles({
  form: { display: 'flex', gap: tokens.spacingHorizontalM, alignItems: 'flex-end', flexWrap: 'wrap' },
  muted: { color: tokens.colorNeutralForeground3 },
});

type Frequency = Device['policy']['frequency'];

export function PolicyEditor({ device, onSaved }: { device: Device; onSaved(device: Device): void }) {
  const styles = useStyles();
  const p = device.policy;
  const [frequency, setFrequency] = useState<Frequency>(p.frequency);
  const [time, setTime] = useState(p.time);
  const [weekday, setWeekday] = useState(p.weekday ?? 0);
  const [retention, setRetention] = useState(p.retention);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [saved, setSaved] = useState(false);

  // Another client may change the policy; show what the engine holds when it does.
  useEffect(() => {
    setFrequency(p.frequency);
    setTime(p.time);
    setWeekday(p.weekday ?? 0);
    setRetention(p.retention);
  }, [p.frequency, p.time, p.weekday, p.retention]);

  const timeProblem = /^([01]\d|2[0-3]):[0-5]\d$/.test(time) ? null : 'Write the time as HH:MM, e.g. 22:00.';
  const retentionProblem =
    Number.isInteger(retention) && retention >= 1 && retention <= 1000 ? null : 'Keep 1 to 1000 backups.';
  const named = error?.field ?? null;
  const readOnly = device.status === 'deactivated' || device.status === 'deleted';

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (busy || (frequency !== 'off' && (timeProblem || retentionProblem))) return;
    setBusy(true);
    setError(null);
    setSaved(false);
    const r = await call('devices.policy', {
      name: device.name,
      frequency,
      time,
      retention,
      ...(frequency === 'weekly' ? { weekday } : {}),
    });
    setBusy(false);
    if (r.ok) {
      setSaved(true);
      onSaved(r.value);
    } else setError(r.error);
  };

  return (
    <form className={styles.form} onSubmit={save} aria-label="Backup policy" data-testid="policy-editor" noValidate>
      <Field label="Frequency">
        <Select value={frequency} onChange={(_, v) => setFrequency(v.value as Frequency)} disabled={readOnly}>
          <option value="off">Off</option>
          <option value="daily">Daily</option>
          <option value="weekly">Weekly</option>
        </Select>
      </Field>
      {frequency === 'weekly' && (
        <Field label="Day" {...fieldState(named === 'weekday' ? error?.message : null)}>
          <Select value={String(weekday)} onChange={(_, v) => setWeekday(Number(v.value))} disabled={readOnly}>
            {WEEKDAYS.map((d, i) => (
              <option key={d} value={i}>
                {d}
              </option>
            ))}
          </Select>
        </Field>
      )}
      {frequency !== 'off' && (
        <>
          <Field label={`Time (${device.timeZone})`} {...fieldState(named === 'time' ? error?.message : timeProblem)}>
            <Input value={time} onChange={(_, v) => setTime(v.value)} style={{ width: 90 }} disabled={readOnly} />
          </Field>
          <Field label="Backups to keep" {...fieldState(named === 'retention' ? error?.message : retentionProblem)}>
            <SpinButton
              value={retention}
              min={1}
              max={1000}
              onChange={(_, d) => setRetention(d.value ?? Number(d.displayValue))}
              style={{ width: 100 }}
              disabled={readOnly}
            />
          </Field>
        </>
      )}
      <Button
        type="submit"
        appearance="primary"
        disabled={busy || readOnly}
        icon={busy ? <Spinner size="tiny" /> : undefined}
      >
        Save policy
      </Button>
      <div style={{ flexBasis: '100%' }}>
        <Text size={200} className={styles.muted} data-testid="policy-summary">
          {readOnly ? 'A deactivated device takes no backups. ' : ''}Now: {policyText(p)}
          {p.nextAt ? `; next backup ${formatTime(p.nextAt)}` : ''}.{saved ? ' Saved.' : ''}
        </Text>
      </div>
      {error && !named && (
        <div style={{ flexBasis: '100%' }}>
          <ErrorBar error={error} onDismiss={() => setError(null)} />
        </div>
      )}
    </form>
  );
}
