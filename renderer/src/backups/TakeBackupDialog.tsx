/**
 * Take a backup: the account, one or more folders (shares) or image files (volumes), and a label. Starts the
 * `backups.create` job and hands it to the page, which links to the Jobs page.
 */
import { Button, Field, Input, Select, Text } from '@fluentui/react-components';
import { AddRegular, DeleteRegular } from '@fluentui/react-icons';
import { useState, type FormEvent } from 'react';
import { call } from '../api/client';
import type { ErrorInfo, Job, StorageAccount } from '../api/types';
import { absolutePathProblem } from '../accounts/validation';
import { fieldState } from '../wizard/machine';
import { ErrorBar } from '../ui/ErrorBar';
import { FormDialog } from '../ui/FormDialog';

/** The engine creates this account on first use when a backup names none. */
const DEFAULT_ACCOUNT = 'default';

export function TakeBackupDialog({
  accounts,
  account: initialAccount,
  onClose,
}: {
  accounts: StorageAccount[];
  account: string | null;
  onClose(job: Job | null): void;
}) {
  const [account, setAccount] = useState(initialAccount ?? accounts[0]?.name ?? DEFAULT_ACCOUNT);
  const [sources, setSources] = useState<string[]>(['']);
  const [label, setLabel] = useState('');
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);

  const problems = sources.map((s) => absolutePathProblem(s));
  const duplicate = sources.findIndex((s, i) => s.trim() && sources.findIndex((t) => t.trim() === s.trim()) !== i);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setTried(true);
    if (problems.some(Boolean) || duplicate >= 0) return;
    setBusy(true);
    setError(null);
    const known = accounts.some((a) => a.name === account);
    const r = await call('backups.create', {
      ...(known ? { account } : {}),
      source: sources.map((s) => s.trim()),
      ...(label.trim() ? { label: label.trim() } : {}),
    });
    setBusy(false);
    if (r.ok) onClose(r.value);
    else setError(r.error);
  };

  const setSource = (i: number, v: string) => {
    setError(null);
    setSources((list) => list.map((s, j) => (j === i ? v : s)));
  };

  return (
    <FormDialog
      title="Take a backup"
      testId="take-backup-dialog"
      busy={busy}
      primary="Start backup"
      onSubmit={(e) => void submit(e)}
      onCancel={() => onClose(null)}
    >
      <Text>
        Folders are backed up as shares, single files as volume images (holes kept). Only what changed since the last
        backup of the same sources is read and uploaded.
      </Text>
      <ErrorBar error={error} alert />
      <Field
        label="Storage account"
        hint={
          accounts.length
            ? undefined
            : 'No storage account yet: the backup goes to the default local account, created in the data directory.'
        }
      >
        <Select value={account} onChange={(_, v) => setAccount(v.value)}>
          {accounts.length === 0 && <option value={DEFAULT_ACCOUNT}>default (local, created now)</option>}
          {accounts.map((a) => (
            <option key={a.id} value={a.name}>
              {a.name} ({a.kind === 'local' ? 'local folder' : 'Azure Blob'})
            </option>
          ))}
        </Select>
      </Field>
      {sources.map((s, i) => (
        <div key={i} style={{ display: 'flex', gap: 8, alignItems: 'flex-start' }}>
          <Field
            label={sources.length > 1 ? `Source ${i + 1}` : 'Source folder or image file'}
            required
            style={{ flex: 1 }}
            {...fieldState(tried ? (problems[i] ?? (duplicate === i ? 'This source is listed twice.' : null)) : null)}
          >
            <Input
              value={s}
              onChange={(_, v) => setSource(i, v.value)}
              placeholder="/srv/shares/finance"
              autoComplete="off"
              spellCheck={false}
            />
          </Field>
          {sources.length > 1 && (
            <Button
              style={{ marginTop: 26 }}
              icon={<DeleteRegular />}
              aria-label={`Remove source ${i + 1}`}
              onClick={() => setSources((list) => list.filter((_, j) => j !== i))}
            />
          )}
        </div>
      ))}
      <div>
        <Button icon={<AddRegular />} onClick={() => setSources((list) => [...list, ''])}>
          Add another source
        </Button>
      </div>
      <Field label="Label (optional)" hint="Shown in the list of backups, e.g. “before the upgrade”.">
        <Input value={label} onChange={(_, v) => setLabel(v.value)} maxLength={200} autoComplete="off" />
      </Field>
    </FormDialog>
  );
}
