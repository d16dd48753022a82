/**
 * Create or edit a share: name, description, tier (fixed once created), quota and the users or groups with full
 * permission. The engine's refusal is shown on the field it names, or above the form.
 */
import { Field, Input, Radio, RadioGroup, Textarea } from '@fluentui/react-components';
import { useState, type FormEvent } from 'react';
import { call } from '../api/client';
import type { ErrorInfo } from '../api/types';
import { formatBytes } from '../format';
import { ErrorBar } from '../ui/ErrorBar';
import { fieldState } from '../wizard/machine';
import type { Share } from './labels';
import { HintBar } from '../ui/Notice';
import { itemNameProblem, shownField, sizeBytes, sizeProblem } from './validation';
import { FormDialog } from '../ui/FormDialog';

const splitUsers = (text: string) =>
  text
    .split(/[\n,;]+/)
    .map((u) => u.trim())
    .filter(Boolean);

export function ShareDialog({
  device,
  share,
  onClose,
}: {
  device: string;
  share: Share | null;
  onClose(saved: Share | null): void;
}) {
  const editing = share !== null;
  const [name, setName] = useState(share?.name ?? '');
  const [description, setDescription] = useState(share?.description ?? '');
  const [pinned, setPinned] = useState(share?.tier === 'locally-pinned');
  const [quota, setQuota] = useState(share ? formatBytes(share.quota) : '');
  const [users, setUsers] = useState((share?.users ?? []).join('\n'));
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);

  const named = shownField(
    error,
    editing ? ['quota', 'description', 'user'] : ['name', 'quota', 'description', 'user'],
  );
  const local = {
    name: editing ? null : itemNameProblem(name, 'share'),
    // Optional on create (the engine picks a default); on edit, empty keeps the quota.
    quota: quota.trim() ? sizeProblem(quota, 'quota') : null,
  };
  const shown = (field: 'name' | 'quota' | 'description' | 'user') =>
    named === field ? error!.message : tried ? ((local as Record<string, string | null>)[field] ?? null) : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setTried(true);
    if (local.name || local.quota) return;
    setBusy(true);
    setError(null);
    const userList = splitUsers(users);
    const r = editing
      ? await call('shares.edit', {
          device,
          name: share.name,
          description,
          user: userList,
          ...(quota.trim() && sizeBytes(quota) !== share.quota ? { quota: quota.trim() } : {}),
        })
      : await call('shares.create', {
          device,
          name: name.trim(),
          description,
          pinned,
          ...(quota.trim() ? { quota: quota.trim() } : {}),
          ...(userList.length ? { user: userList } : {}),
        });
    setBusy(false);
    if (r.ok) onClose(r.value);
    else setError(r.error);
  };

  return (
    <FormDialog
      title={editing ? `Edit “${share.name}”` : 'Add a share'}
      label={editing ? `Edit the share ${share.name}` : 'Add a share'}
      testId="share-dialog"
      busy={busy}
      primary={editing ? 'Save' : 'Create'}
      onSubmit={(e) => void submit(e)}
      onCancel={() => onClose(null)}
    >
      {error && !named && <ErrorBar error={error} alert testId="share-error" />}
      {error && named && <HintBar hint={error.hint} testId="share-error" />}
      {!editing && (
        <Field
          label="Share name"
          required
          {...fieldState(shown('name'))}
          hint="What hosts see: letters, digits, hyphens, underscores and dots."
        >
          <Input
            value={name}
            onChange={(_, v) => (setName(v.value), setError(null))}
            autoComplete="off"
            spellCheck={false}
          />
        </Field>
      )}
      <Field label="Description (optional)" {...fieldState(shown('description'))}>
        <Textarea value={description} onChange={(_, v) => setDescription(v.value)} maxLength={500} resize="vertical" />
      </Field>
      <RadioGroup
        aria-label="Type"
        value={pinned ? 'locally-pinned' : 'tiered'}
        onChange={(_, v) => setPinned(v.value === 'locally-pinned')}
        disabled={editing}
      >
        <Radio value="tiered" label="Tiered: hot data stays on the device, cold data lives in the storage account" />
        <Radio
          value="locally-pinned"
          label="Locally pinned: all data stays on the device (needs local space for the whole quota)"
        />
      </RadioGroup>
      <Field
        label={editing ? 'Quota' : 'Quota (optional)'}
        {...fieldState(shown('quota'))}
        hint={
          editing
            ? `Now ${formatBytes(share.quota)}.`
            : 'e.g. 2 GiB. Default: 1 GiB, or what is left of the capacity if less.'
        }
      >
        <Input
          value={quota}
          onChange={(_, v) => (setQuota(v.value), setError(null))}
          autoComplete="off"
          spellCheck={false}
        />
      </Field>
      <Field
        label="Users and groups with full permission (optional)"
        {...fieldState(shown('user'))}
        hint="One per line, e.g. CONTOSO\\finance."
      >
        <Textarea value={users} onChange={(_, v) => setUsers(v.value)} resize="vertical" />
      </Field>
    </FormDialog>
  );
}
