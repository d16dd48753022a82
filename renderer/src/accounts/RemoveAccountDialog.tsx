/**
 * Removing a storage account only forgets it here: its data stays in the folder or container. The engine refuses an
 * account that holds backups (or is in use) with a message and what to do; that refusal is shown in the dialog, and
 * "Remove even though it holds backups" sends `force`.
 */
import { Checkbox, Text } from '@fluentui/react-components';
import { useRef, useState } from 'react';
import { call } from '../api/client';
import type { CallOutput, StorageAccount } from '../api/types';
import { ConfirmDialog } from '../ui/FormDialog';

export function RemoveAccountDialog({
  account,
  onClose,
}: {
  account: StorageAccount;
  onClose(removed: CallOutput<'accounts.remove'> | null): void;
}) {
  const [force, setForce] = useState(false);
  // Read when the dialog closes, right after the call: a ref, not state, so the close sees this call's result.
  const removed = useRef<CallOutput<'accounts.remove'> | null>(null);
  const remove = async () => {
    const r = await call('accounts.remove', { name: account.name, force });
    if (r.ok) removed.current = r.value;
    return r;
  };
  return (
    <ConfirmDialog
      title={`Remove “${account.name}”?`}
      label={`Remove the storage account ${account.name}`}
      testId="remove-account-dialog"
      errorTestId="remove-account-error"
      primary="Remove"
      run={remove}
      onClose={(done) => onClose(done ? removed.current : null)}
    >
      <Text>
        Lifeboat forgets this storage account and the {account.backups} backup{account.backups === 1 ? '' : 's'} it
        lists for it. The data stays in {account.location}: add the account again to see its backups.
      </Text>
      <Checkbox
        checked={force}
        onChange={(_, d) => setForce(d.checked === true)}
        label="Remove even though it holds backups"
      />
    </ConfirmDialog>
  );
}
