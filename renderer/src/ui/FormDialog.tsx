/**
 * The dialog skeleton every page shares: a title, the content, Cancel and a primary button that shows a spinner
 * while busy. FormDialog submits a form (Enter works); ConfirmDialog asks before something that cannot be undone or
 * that starts work, and shows the engine's refusal in place.
 */
import { Button, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, Spinner, makeStyles, tokens } from '@fluentui/react-components';
import { useState, type FormEvent, type ReactNode } from 'react';
import type { ErrorInfo } from '../api/types';
import { ErrorBar } from './ErrorBar';

const useStyles = makeStyles({
  content: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  surface: { width: 'min(600px, calc(100vw - 32px))', maxWidth: 'none' },
});

export interface FormDialogProps {
  title: string;
  /** The dialog's accessible name, when it is not the title (e.g. "Delete backup ID" for "Delete this backup?"). */
  label?: string;
  /** false: the primary button stays disabled (a confirmation not yet given). */
  ready?: boolean;
  testId: string;
  busy: boolean;
  /** The primary button's label. */
  primary: string;
  onSubmit(e: FormEvent): void;
  onCancel(): void;
  /** "alert": a confirmation that must be answered (no light dismiss). */
  modalType?: 'modal' | 'alert';
  children: ReactNode;
}

export function FormDialog({ title, label, ready = true, testId, busy, primary, onSubmit, onCancel, modalType = 'modal', children }: FormDialogProps) {
  const styles = useStyles();
  return (
    <Dialog open modalType={modalType} onOpenChange={(_, d) => !d.open && !busy && onCancel()}>
      <DialogSurface aria-label={label ?? title} data-testid={testId} className={styles.surface}>
        <form onSubmit={onSubmit} noValidate>
          <DialogBody>
            <DialogTitle>{title}</DialogTitle>
            <DialogContent className={styles.content}>{children}</DialogContent>
            <DialogActions>
              <Button onClick={onCancel} disabled={busy}>
                Cancel
              </Button>
              <Button appearance="primary" type="submit" disabled={busy || !ready} icon={busy ? <Spinner size="tiny" /> : undefined}>
                {primary}
              </Button>
            </DialogActions>
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}

export interface ConfirmDialogProps {
  title: string;
  label?: string;
  /** false: the primary button stays disabled (e.g. until a checkbox is checked or a name typed). */
  ready?: boolean;
  /** The refusal's test id. */
  errorTestId?: string;
  testId: string;
  primary: string;
  /** Runs the action; an error keeps the dialog open and shows it; anything else closes it with that value. */
  run(): Promise<{ ok: true } | { ok: false; error: ErrorInfo }>;
  onClose(done: boolean): void;
  children: ReactNode;
}

export function ConfirmDialog({ title, label, ready = true, errorTestId, testId, primary, run, onClose, children }: ConfirmDialogProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy || !ready) return;
    setBusy(true);
    setError(null);
    const r = await run();
    setBusy(false);
    if (r.ok) onClose(true);
    else setError(r.error);
  };
  return (
    <FormDialog
      title={title}
      label={label}
      ready={ready}
      testId={testId}
      busy={busy}
      primary={primary}
      onSubmit={(e) => void submit(e)}
      onCancel={() => onClose(false)}
      modalType="alert"
    >
      {children}
      <ErrorBar error={error} alert testId={errorTestId} />
    </FormDialog>
  );
}
