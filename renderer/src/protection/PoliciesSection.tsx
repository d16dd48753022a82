/**
 * Replication policies: how often items replicate, the RPO threshold, how long points are kept and how often a
 * point is app-consistent. Create and edit them; the failback policy is fixed and shown read-only.
 */
import {
  Badge,
  Button,
  Field,
  Input,
  Select,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Toolbar,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { AddRegular, EditRegular, LockClosedRegular } from '@fluentui/react-icons';
import { useState, type FormEvent } from 'react';
import { call } from '../api/client';
import type { ErrorInfo } from '../api/types';
import { NoticeBar, type Notice } from '../ui/Notice';
import { ErrorBar } from '../ui/ErrorBar';
import { FormDialog } from '../ui/FormDialog';
import { fieldState } from '../wizard/machine';
import { describeSeconds, type PolicyInfo } from './labels';
import { ResyncWindowSetting } from './ResyncWindowSetting';
import { useProtectionQuery } from './useProtectionQuery';
import { FREQUENCIES, durationProblem, durationSeconds, nameProblem } from './validation';

const useStyles = makeStyles({
  muted: { color: tokens.colorNeutralForeground3 },
});

export function PoliciesSection() {
  const policies = useProtectionQuery('policies.list', {}, 0);
  const [editing, setEditing] = useState<PolicyInfo | 'new' | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  return (
    <section aria-label="Replication policies" style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
      <Text>
        A policy says how often changes are sent (30 s, 5 min or 15 min), above which RPO an item turns Warning, how
        long recovery points are kept, and how often a point is app-consistent (quiesce, point, thaw). The failback
        policy is fixed: failback uses it.
      </Text>
      <Toolbar aria-label="Policy actions">
        <Button appearance="primary" icon={<AddRegular />} onClick={() => setEditing('new')}>
          Create policy
        </Button>
      </Toolbar>
      <NoticeBar notice={notice} onDismiss={() => setNotice(null)} testId="policies-notice" />
      <ErrorBar error={policies.error} />
      {policies.loading && !policies.data ? (
        <Spinner label="Loading policies…" />
      ) : (
        <Table aria-label="Replication policies" size="small">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Name</TableHeaderCell>
              <TableHeaderCell>Frequency</TableHeaderCell>
              <TableHeaderCell>RPO threshold</TableHeaderCell>
              <TableHeaderCell>Retention</TableHeaderCell>
              <TableHeaderCell>App-consistent</TableHeaderCell>
              <TableHeaderCell>Items</TableHeaderCell>
              <TableHeaderCell style={{ width: 110 }}>Actions</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {(policies.data ?? []).map((p) => (
              <TableRow key={p.name} data-policy={p.name}>
                <TableCell>
                  <Text weight="semibold">{p.name}</Text>{' '}
                  {p.builtin && (
                    <Badge appearance="tint" color="subtle" icon={<LockClosedRegular />}>
                      fixed
                    </Badge>
                  )}
                </TableCell>
                <TableCell>{describeSeconds(p.frequencySeconds)}</TableCell>
                <TableCell>{describeSeconds(p.rpoThresholdSeconds)}</TableCell>
                <TableCell>{describeSeconds(p.retentionSeconds)}</TableCell>
                <TableCell>
                  {p.appConsistentSeconds ? `every ${describeSeconds(p.appConsistentSeconds)}` : 'none'}
                </TableCell>
                <TableCell>{p.items.length ? p.items.join(', ') : '—'}</TableCell>
                <TableCell>
                  {!p.builtin && (
                    <Button size="small" appearance="subtle" icon={<EditRegular />} onClick={() => setEditing(p)}>
                      Edit
                    </Button>
                  )}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <ResyncWindowSetting />
      {editing && (
        <PolicyDialog
          policy={editing === 'new' ? null : editing}
          onClose={(saved) => {
            setEditing(null);
            if (saved) {
              setNotice({
                intent: 'success',
                title: `${editing === 'new' ? 'Created' : 'Saved'} the policy “${saved.name}”`,
              });
              policies.reload();
            }
          }}
        />
      )}
    </section>
  );
}

const asText = (s: number) => (s === 0 ? '0' : s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`);

function PolicyDialog({ policy, onClose }: { policy: PolicyInfo | null; onClose(saved: PolicyInfo | null): void }) {
  const styles = useStyles();
  const [form, setForm] = useState({
    name: policy?.name ?? '',
    frequency: policy ? asText(policy.frequencySeconds) : '5m',
    rpoThreshold: policy ? asText(policy.rpoThresholdSeconds) : '15m',
    retention: policy ? asText(policy.retentionSeconds) : '24h',
    appConsistent: policy ? asText(policy.appConsistentSeconds) : '60m',
  });
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const freq = durationSeconds(form.frequency) ?? 300;
  const problems: Record<string, string | undefined> = {
    name: policy ? undefined : nameProblem(form.name, 'policy', 50),
    rpoThreshold: durationProblem(form.rpoThreshold, { what: 'RPO threshold', atLeast: freq }),
    retention: durationProblem(form.retention, { what: 'retention', atLeast: freq }),
    appConsistent: durationProblem(form.appConsistent, { what: 'app-consistent frequency', zero: true }),
  };
  // The engine names a flag ("--rpo-threshold: …") or the name ("NAME: …"); the form's field is its camelCase.
  const flag = error
    ? /^--?([a-z-]+):/.exec(error.message)?.[1]?.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
    : undefined;
  const refused = error ? (flag ?? (/^NAME:/.test(error.message) ? 'name' : null)) : null;
  const shown = (f: string) => (refused === f ? error?.message : tried ? problems[f] : undefined);
  const set = (patch: Partial<typeof form>) => {
    setForm((f) => ({ ...f, ...patch }));
    if (error && refused) setError(null);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (Object.values(problems).some(Boolean) || busy) return;
    setBusy(true);
    setError(null);
    const input = {
      name: form.name.trim(),
      frequency: form.frequency,
      rpoThreshold: form.rpoThreshold.trim(),
      retention: form.retention.trim(),
      appConsistent: form.appConsistent.trim(),
    };
    const r = await call(policy ? 'policies.edit' : 'policies.create', input);
    setBusy(false);
    if (r.ok) onClose(r.value);
    else setError(r.error);
  };
  return (
    <FormDialog
      title={policy ? `Edit “${policy.name}”` : 'Create a replication policy'}
      label={policy ? `Edit the policy ${policy.name}` : 'Create a replication policy'}
      testId="policy-dialog"
      busy={busy}
      primary={policy ? 'Save' : 'Create policy'}
      onSubmit={(e) => void submit(e)}
      onCancel={() => onClose(null)}
    >
      {policy && policy.items.length > 0 && (
        <Text className={styles.muted}>{`Changes apply to ${policy.items.join(', ')} from the next cycle.`}</Text>
      )}
      {!policy && (
        <Field label="Policy name" required {...fieldState(shown('name'))}>
          <Input value={form.name} onChange={(_, v) => set({ name: v.value })} autoComplete="off" spellCheck={false} />
        </Field>
      )}
      <Field label="Replication frequency" required {...fieldState(shown('frequency'))}>
        <Select value={form.frequency} onChange={(_, v) => set({ frequency: v.value })}>
          {FREQUENCIES.map((f) => (
            <option key={f.value} value={f.value}>
              {f.label}
            </option>
          ))}
        </Select>
      </Field>
      <Field
        label="RPO threshold"
        required
        {...fieldState(shown('rpoThreshold'))}
        hint="Above it, health turns Warning. E.g. 15m."
      >
        <Input value={form.rpoThreshold} onChange={(_, v) => set({ rpoThreshold: v.value })} autoComplete="off" />
      </Field>
      <Field
        label="Recovery point retention"
        required
        {...fieldState(shown('retention'))}
        hint="How long points are kept. E.g. 24h."
      >
        <Input value={form.retention} onChange={(_, v) => set({ retention: v.value })} autoComplete="off" />
      </Field>
      <Field
        label="App-consistent point frequency"
        required
        {...fieldState(shown('appConsistent'))}
        hint="E.g. 60m; 0 for none. Needs the item's quiesce and thaw commands."
      >
        <Input value={form.appConsistent} onChange={(_, v) => set({ appConsistent: v.value })} autoComplete="off" />
      </Field>
      {error && !refused && <ErrorBar error={error} alert testId="policy-error" />}
      {error && refused && error.hint && <Text>{error.hint}</Text>}
    </FormDialog>
  );
}
