/**
 * The dialog skeleton every page shares. DialogFrame is the frame: a title, the content, the actions, an optional
 * form (Enter submits) and no dismissal while busy. FormDialog is a frame with Cancel and a primary button that shows
 * a spinner while busy; ConfirmDialog asks before something that cannot be undone or that starts work, and shows the
 * engine's refusal in place; jobStarter is a ConfirmDialog's `run` for an action that starts a job.
 */
import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Spinner,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { useState, type FormEvent, type ReactNode } from 'react';
import type { ErrorInfo, Job, Result } from '../api/types';
import { ErrorBar } from './ErrorBar';
import { jobStartedNotice, type Notice } from './Notice';

const useStyles = makeStyles({
  content: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  surface: { maxWidth: 'none' },
});

export interface DialogFrameProps {
  title: ReactNode;
  /** The dialog's accessible name (e.g. "Delete backup ID" for "Delete this backup?"). */
  label: string;
  testId: string;
  /** While busy, Escape and a click outside do nothing. */
  busy?: boolean;
  /** Escape or a click outside (not while busy). */
  onDismiss(): void;
  /** Given: the body is a form that this submits (Enter works; a button of type submit too). */
  onSubmit?(e: FormEvent): void;
  /** "alert": a confirmation that must be answered (no light dismiss). */
  modalType?: 'modal' | 'alert';
  /** The surface's width in pixels (narrowed to the window). */
  width?: number;
  /** Extra data-* attributes for the surface (e.g. the stage a multi-step dialog is at). */
  data?: Record<`data-${string}`, string>;
  actions: ReactNode;
  children: ReactNode;
}

export function DialogFrame(props: DialogFrameProps) {
  const {
    title,
    label,
    testId,
    busy = false,
    onDismiss,
    onSubmit,
    modalType = 'modal',
    width = 600,
    data,
    actions,
    children,
  } = props;
  const styles = useStyles();
  const body = (
    <DialogBody>
      <DialogTitle>{title}</DialogTitle>
      <DialogContent className={styles.content}>{children}</DialogContent>
      <DialogActions>{actions}</DialogActions>
    </DialogBody>
  );
  return (
    <Dialog open modalType={modalType} onOpenChange={(_, d) => !d.open && !busy && onDismiss()}>
      <DialogSurface
        aria-label={label}
        data-testid={testId}
        className={styles.surface}
        style={{ width: `min(${width}px, calc(100vw - 32px))` }}
        {...data}
      >
        {onSubmit ? (
          <form onSubmit={onSubmit} noValidate>
            {body}
          </form>
        ) : (
          body
        )}
      </DialogSurface>
    </Dialog>
  );
}

/** The primary button, with a spinner while busy; without onClick it is the form's submit button. */
export function PrimaryButton({
  busy,
  disabled,
  onClick,
  children,
}: {
  busy: boolean;
  disabled?: boolean;
  onClick?(): void;
  children: ReactNode;
}) {
  return (
    <Button
      appearance="primary"
      type={onClick ? 'button' : 'submit'}
      onClick={onClick}
      disabled={busy || disabled}
      icon={busy ? <Spinner size="tiny" /> : undefined}
    >
      {children}
    </Button>
  );
}

export interface FormDialogProps {
  title: string;
  /** The dialog's accessible name, when it is not the title. */
  label?: string;
  /** false: the primary button stays disabled (a confirmation not yet given). */
  ready?: boolean;
  testId: string;
  busy: boolean;
  /** The primary button's label. */
  primary: string;
  onSubmit(e: FormEvent): void;
  onCancel(): void;
  modalType?: 'modal' | 'alert';
  children: ReactNode;
}

export function FormDialog({
  title,
  label,
  ready = true,
  testId,
  busy,
  primary,
  onSubmit,
  onCancel,
  modalType = 'modal',
  children,
}: FormDialogProps) {
  const actions = (
    <>
      <Button onClick={onCancel} disabled={busy}>
        Cancel
      </Button>
      <PrimaryButton busy={busy} disabled={!ready}>
        {primary}
      </PrimaryButton>
    </>
  );
  return (
    <DialogFrame
      title={title}
      label={label ?? title}
      testId={testId}
      busy={busy}
      onDismiss={onCancel}
      onSubmit={onSubmit}
      modalType={modalType}
      actions={actions}
    >
      {children}
    </DialogFrame>
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

export function ConfirmDialog({ errorTestId, run, onClose, children, ...shown }: ConfirmDialogProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy || shown.ready === false) return;
    setBusy(true);
    setError(null);
    const r = await run();
    setBusy(false);
    if (r.ok) onClose(true);
    else setError(r.error);
  };
  return (
    <FormDialog
      {...shown}
      busy={busy}
      onSubmit={(e) => void submit(e)}
      onCancel={() => onClose(false)}
      modalType="alert"
    >
      {children}
      <ErrorBar error={error} alert testId={errorTestId} />
    </FormDialog>
  );
}

/** A ConfirmDialog's `run` for an action that starts a job: once started, the page's notice links to the job. */
export const jobStarter = (onNotice: (n: Notice) => void) => (start: () => Promise<Result<Job>>) => async () => {
  const r = await start();
  if (r.ok) onNotice(jobStartedNotice(r.value));
  return r;
};
