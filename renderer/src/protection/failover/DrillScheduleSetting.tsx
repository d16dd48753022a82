/**
 * Scheduled drills of a protected item, in its Drills section (`items.drillSchedule`, docs/failover.md "Scheduled
 * drills"): the schedule in words with the next drill, when the test copy of one that is up gets cleaned up and why
 * the last one could not run; Schedule drills… / Change schedule… (every N days at a local time, the recovery-point
 * option, how long the test copy stays up) and Stop scheduled drills, confirmed.
 */
import {
  Button,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  Select,
  Text,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { CalendarClockRegular, CalendarCancelRegular } from '@fluentui/react-icons';
import { useState, type FormEvent } from 'react';
import { call } from '../../api/client';
import type { ErrorInfo } from '../../api/types';
import { formatTime } from '../../format';
import { ConfirmDialog, FormDialog } from '../../ui/FormDialog';
import { ErrorBar } from '../../ui/ErrorBar';
import { useProtectionQuery } from '../useProtectionQuery';
import { OPTION_TEXT } from './labels';

const useStyles = makeStyles({
  row: { display: 'flex', alignItems: 'center', gap: tokens.spacingHorizontalM, flexWrap: 'wrap' },
  muted: { color: tokens.colorNeutralForeground3 },
});

/** The recovery-point options a drill can use (a point id would go stale as points age out). */
const DRILL_POINTS = [
  'latest-processed',
  'latest',
  'latest-app-consistent',
  'latest-multi-processed',
  'latest-multi-app-consistent',
] as const;

interface Schedule {
  everyDays: number;
  at: string;
  point: string;
  holdMinutes: number;
  nextAt: string | null;
  cleanupAt: string | null;
  lastError: string | null;
}

/** "Every 7 days at 02:00 (Latest processed), the test copy cleaned up after 30 min." */
export function describeSchedule(s: Pick<Schedule, 'everyDays' | 'at' | 'point' | 'holdMinutes'>): string {
  const every = s.everyDays === 1 ? 'Every day' : `Every ${s.everyDays} days`;
  return `${every} at ${s.at} (${OPTION_TEXT[s.point]?.label ?? s.point}), the test copy cleaned up after ${s.holdMinutes} min.`;
}

export function DrillScheduleSetting({ item }: { item: string }) {
  const styles = useStyles();
  const q = useProtectionQuery('items.drillSchedule', { name: item }, 30_000);
  const [dialog, setDialog] = useState<'edit' | 'stop' | null>(null);
  const schedule = q.data?.schedule ?? null;
  const close = () => {
    setDialog(null);
    q.reload();
  };
  return (
    <div data-testid="drill-schedule" data-scheduled={!!schedule}>
      <ErrorBar error={q.error} />
      <div className={styles.row}>
        <Text>
          <b>Scheduled drills: </b>
          {schedule
            ? describeSchedule(schedule)
            : 'none. A schedule runs a test failover every few days and cleans it up by itself.'}
          {schedule?.nextAt && ` Next: ${formatTime(schedule.nextAt)}.`}
          {schedule?.cleanupAt && ` The drill that is up is cleaned up at ${formatTime(schedule.cleanupAt)}.`}
        </Text>
        <Button size="small" icon={<CalendarClockRegular />} onClick={() => setDialog('edit')}>
          {schedule ? 'Change schedule…' : 'Schedule drills…'}
        </Button>
        {schedule && (
          <Button size="small" icon={<CalendarCancelRegular />} onClick={() => setDialog('stop')}>
            Stop scheduled drills
          </Button>
        )}
      </div>
      {schedule?.lastError && (
        <MessageBar intent="warning" layout="multiline" data-testid="drill-schedule-error">
          <MessageBarBody>{`The last scheduled drill could not run: ${schedule.lastError}`}</MessageBarBody>
        </MessageBar>
      )}
      {dialog === 'edit' && <ScheduleDialog item={item} current={schedule} onClose={close} />}
      {dialog === 'stop' && (
        <ConfirmDialog
          title={`Stop the scheduled drills of “${item}”?`}
          testId="drill-schedule-stop-dialog"
          primary="Stop scheduled drills"
          run={() => call('items.drillSchedule', { name: item, off: true })}
          onClose={close}
        >
          <Text>
            No more test failovers start by themselves. A drill that is up still gets its cleanup, and the drill reports
            stay.
          </Text>
        </ConfirmDialog>
      )}
    </div>
  );
}

function ScheduleDialog({ item, current, onClose }: { item: string; current: Schedule | null; onClose(): void }) {
  const [everyDays, setEveryDays] = useState(String(current?.everyDays ?? 7));
  const [at, setAt] = useState(current?.at ?? '02:00');
  const [point, setPoint] = useState(current?.point ?? 'latest-processed');
  const [hold, setHold] = useState(String(current?.holdMinutes ?? 30));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const days = Number(everyDays);
  const minutes = Number(hold);
  const daysProblem =
    Number.isInteger(days) && days >= 1 && days <= 365 ? undefined : 'Enter a whole number of days from 1 to 365.';
  const holdProblem =
    Number.isInteger(minutes) && minutes >= 1 && minutes <= 10080
      ? undefined
      : 'Enter whole minutes from 1 to 10080 (a week).';
  const atProblem = /^([01]\d|2[0-3]):[0-5]\d$/.test(at) ? undefined : 'Enter a time of day as HH:MM, e.g. 02:00.';
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy || daysProblem || holdProblem || atProblem) return;
    setBusy(true);
    setError(null);
    const r = await call('items.drillSchedule', { name: item, everyDays: days, at, point, hold: minutes, off: false });
    setBusy(false);
    if (r.ok) onClose();
    else setError(r.error);
  };
  return (
    <FormDialog
      title={current ? `Change the drill schedule of “${item}”` : `Schedule drills of “${item}”`}
      testId="drill-schedule-dialog"
      busy={busy}
      primary={current ? 'Save schedule' : 'Schedule drills'}
      onSubmit={(e) => void submit(e)}
      onCancel={onClose}
    >
      <Text>
        Each drill is a test failover: a copy of the point comes up isolated at the other site while replication goes
        on, and after the hold it is cleaned up with the notes “scheduled drill”. Its report is listed below.
      </Text>
      <Field label="Every (days)" required validationMessage={daysProblem}>
        <Input type="number" min={1} max={365} value={everyDays} onChange={(_, v) => setEveryDays(v.value)} />
      </Field>
      <Field label="At (local time)" required validationMessage={atProblem} hint="24-hour clock, HH:MM">
        <Input value={at} onChange={(_, v) => setAt(v.value)} placeholder="02:00" />
      </Field>
      <Field label="Recovery point of each drill">
        <Select value={point} onChange={(_, v) => setPoint(v.value)}>
          {DRILL_POINTS.map((p) => (
            <option key={p} value={p}>
              {OPTION_TEXT[p]?.label ?? p}
            </option>
          ))}
        </Select>
      </Field>
      <Field
        label="Test copy stays up for (minutes)"
        required
        validationMessage={holdProblem}
        hint="Then the schedule cleans it up."
      >
        <Input type="number" min={1} max={10080} value={hold} onChange={(_, v) => setHold(v.value)} />
      </Field>
      <ErrorBar error={error} alert />
    </FormDialog>
  );
}
