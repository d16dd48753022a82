/**
 * Removing a storage account only forgets it here: its data stays in the folder or container. The engine refuses an
 * account that holds backups (or is in use) with a message and what to do; that refusal is shown in the dialog, and
 * "Remove even though it holds backups" sends `force`.
 */
import {
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Spinner,
  Text,
} from '@fluentui/react-components';
import { useState } from 'react';
import { call } from '../api/client';
import type { CallOutput, ErrorInfo, StorageAccount } from '../api/types';
import { ErrorBar } from '../ui/ErrorBar';

export function RemoveAccountDialog({ account, onClose }: { account: StorageAccount; onClose(removed: CallOutput<'accounts.remove'> | null): void }) {
  const [force, setForce] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);

  const remove = async () => {
    setBusy(true);
    setError(null);
    const r = await call('accounts.remove', { name: account.name, force });
    setBusy(false);
    if (r.ok) onClose(r.value);
    else setError(r.error);
  };

  return (
    <Dialog open modalType="alert" onOpenChange={(_, d) => !d.open && !busy && onClose(null)}>
      <DialogSurface aria-label={`Remove the storage account ${account.name}`}>
        <DialogBody>
          <DialogTitle>Remove “{account.name}”?</DialogTitle>
          <DialogContent style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
            <Text>
              Lifeboat forgets this storage account and the {account.backups} backup{account.backups === 1 ? '' : 's'} it lists for it. The data stays in {account.location}: add the
              account again to see its backups.
            </Text>
            <ErrorBar error={error} alert testId="remove-account-error" />
            <Checkbox checked={force} onChange={(_, d) => setForce(d.checked === true)} label="Remove even though it holds backups" />
          </DialogContent>
          <DialogActions>
            <Button onClick={() => onClose(null)} disabled={busy}>
              Cancel
            </Button>
            <Button appearance="primary" onClick={remove} disabled={busy} icon={busy ? <Spinner size="tiny" /> : undefined}>
              Remove
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
