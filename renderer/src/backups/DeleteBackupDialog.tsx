/** Confirms deleting a backup; the data only it used is freed by the next prune. */
import {
  Button,
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
import type { Backup, ErrorInfo } from '../api/types';
import { backupLabel } from './restoreSteps';
import { ErrorBar } from '../ui/ErrorBar';

export function DeleteBackupDialog({ backup, onClose }: { backup: Backup; onClose(deleted: boolean): void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const remove = async () => {
    setBusy(true);
    setError(null);
    const r = await call('backups.delete', { id: backup.id });
    setBusy(false);
    if (r.ok) onClose(true);
    else setError(r.error);
  };
  return (
    <Dialog open modalType="alert" onOpenChange={(_, d) => !d.open && !busy && onClose(false)}>
      <DialogSurface aria-label={`Delete backup ${backup.id}`}>
        <DialogBody>
          <DialogTitle>Delete this backup?</DialogTitle>
          <DialogContent style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
            <Text>{backupLabel(backup)}</Text>
            <Text>
              It can no longer be restored. Data that no other backup uses is freed from “{backup.account}” by the next prune; other backups are not affected.
            </Text>
            <ErrorBar error={error} alert />
          </DialogContent>
          <DialogActions>
            <Button onClick={() => onClose(false)} disabled={busy}>
              Cancel
            </Button>
            <Button appearance="primary" onClick={remove} disabled={busy} icon={busy ? <Spinner size="tiny" /> : undefined}>
              Delete backup
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
