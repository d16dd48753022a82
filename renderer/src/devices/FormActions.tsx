/** The footer of a dialog form: Cancel, and the submit button, which spins while the engine works. */
import { Button, DialogActions, Spinner } from '@fluentui/react-components';

export function FormActions({ busy, label, onCancel, ready = true }: { busy: boolean; label: string; onCancel: () => void; ready?: boolean }) {
  return (
    <DialogActions>
      <Button onClick={onCancel} disabled={busy}>
        Cancel
      </Button>
      <Button appearance="primary" type="submit" disabled={!ready || busy} icon={busy ? <Spinner size="tiny" /> : undefined}>
        {label}
      </Button>
    </DialogActions>
  );
}
