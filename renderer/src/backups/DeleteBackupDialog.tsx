/** Confirms deleting a backup; the data only it used is freed by the next prune. */
import { Text } from '@fluentui/react-components';
import { call } from '../api/client';
import type { Backup } from '../api/types';
import { ConfirmDialog } from '../ui/FormDialog';
import { backupLabel } from './restoreSteps';

export function DeleteBackupDialog({ backup, onClose }: { backup: Backup; onClose(deleted: boolean): void }) {
  return (
    <ConfirmDialog
      title="Delete this backup?"
      label={`Delete backup ${backup.id}`}
      testId="delete-backup-dialog"
      primary="Delete backup"
      run={() => call('backups.delete', { id: backup.id })}
      onClose={onClose}
    >
      <Text>{backupLabel(backup)}</Text>
      <Text>
        It can no longer be restored. Data that no other backup uses is freed from “{backup.account}” by the next prune;
        other backups are not affected.
      </Text>
    </ConfirmDialog>
  );
}
