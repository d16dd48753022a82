/** Disable protection of an item, confirmed: its replica and recovery points are deleted unless "keep" is checked. */
import {
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  MessageBar,
  MessageBarBody,
  Spinner,
  Text,
} from '@fluentui/react-components';
import { useState } from 'react';
import { call } from '../api/client';
import type { ErrorInfo } from '../api/types';
import { ErrorBar } from '../pages/ErrorBar';

export function DisableItemDialog({ name, onClose }: { name: string; onClose(disabled: boolean): void }) {
  const [keep, setKeep] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const disable = async () => {
    setBusy(true);
    setError(null);
    const r = await call('items.disable', { name, keepReplica: keep });
    setBusy(false);
    if (r.ok) onClose(true);
    else setError(r.error);
  };
  return (
    <Dialog open modalType="alert" onOpenChange={(_, d) => !d.open && !busy && onClose(false)}>
      <DialogSurface aria-label={`Disable protection of ${name}`} data-testid="disable-item-dialog">
        <DialogBody>
          <DialogTitle>Disable protection of “{name}”?</DialogTitle>
          <DialogContent style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
            <MessageBar intent="warning" layout="multiline">
              <MessageBarBody>
                Replication stops. {keep ? 'The replica and its points stay at the recovery site.' : 'Its replica and every recovery point are deleted.'}
              </MessageBarBody>
            </MessageBar>
            <Text>The machine itself is not touched: its disks and folders stay where they are.</Text>
            <Checkbox checked={keep} onChange={(_, d) => setKeep(d.checked === true)} label="Keep the replica and its recovery points at the recovery site" />
            <ErrorBar error={error} alert />
          </DialogContent>
          <DialogActions>
            <Button onClick={() => onClose(false)} disabled={busy}>
              Cancel
            </Button>
            <Button appearance="primary" onClick={() => void disable()} disabled={busy} icon={busy ? <Spinner size="tiny" /> : undefined}>
              Disable protection
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
