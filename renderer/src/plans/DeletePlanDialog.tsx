/** Delete a recovery plan, confirmed: its items stay protected; refused (and said here) while a run is on its way. */
import { Button, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, Spinner, Text } from '@fluentui/react-components';
import { useState } from 'react';
import { call } from '../api/client';
import type { ErrorInfo } from '../api/types';
import { ErrorBar } from '../ui/ErrorBar';

export function DeletePlanDialog({ name, onClose }: { name: string; onClose(deleted: boolean): void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const remove = async () => {
    setBusy(true);
    setError(null);
    const r = await call('plans.delete', { name });
    setBusy(false);
    if (r.ok) onClose(true);
    else setError(r.error);
  };
  return (
    <Dialog open modalType="alert" onOpenChange={(_, d) => !d.open && !busy && onClose(false)}>
      <DialogSurface aria-label={`Delete recovery plan ${name}`} data-testid="delete-plan-dialog">
        <DialogBody>
          <DialogTitle>Delete the recovery plan “{name}”?</DialogTitle>
          <DialogContent style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
            <Text>Its groups and actions are deleted; its items stay protected and keep replicating.</Text>
            <ErrorBar error={error} alert />
          </DialogContent>
          <DialogActions>
            <Button onClick={() => onClose(false)} disabled={busy}>
              Cancel
            </Button>
            <Button appearance="primary" onClick={() => void remove()} disabled={busy} icon={busy ? <Spinner size="tiny" /> : undefined}>
              Delete plan
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
