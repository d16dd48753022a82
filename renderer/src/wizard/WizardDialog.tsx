/**
 * Renders and drives a step machine (machine.ts) in a modal dialog: "Step N of M", Enter is Next, Back keeps what
 * was typed, Escape or Cancel closes. An engine refusal is shown on the step its outcome names.
 */
import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Spinner,
  Text,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import type { ErrorInfo } from '../api/types';
import { labelledMessage } from '../ui/screen-errors';
import type { StepMachine } from './machine';
import { useWizard } from './useWizard';

const useStyles = makeStyles({
  surface: { width: 'min(680px, calc(100vw - 32px))', maxWidth: 'none' },
  form: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalL },
  fields: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  progress: { color: tokens.colorBrandForeground1, fontWeight: tokens.fontWeightSemibold },
  actions: { display: 'flex', justifyContent: 'space-between', width: '100%' },
  right: { display: 'flex', gap: tokens.spacingHorizontalS },
});

export interface WizardDialogProps<Id extends string, D> {
  /** Names the dialog and its test ids, e.g. "add-account". */
  id: string;
  label: string;
  steps: StepMachine<Id, D>;
  /** The steps a user goes through with this data, for "Step N of M". */
  path(data: D): Id[];
  initial: { step: Id; data: D };
  onClose(data: D, finished: boolean): void;
}

export function WizardDialog<Id extends string, D>({
  id,
  label,
  steps,
  path,
  initial,
  onClose,
}: WizardDialogProps<Id, D>) {
  const styles = useStyles();
  const w = useWizard({ id, steps, path, initial, onFinish: (data) => onClose(data, true) });
  const { current, data, refusal, busy, back } = w;

  return (
    <Dialog open modalType="modal" onOpenChange={(_, d) => !d.open && !busy && onClose(data, false)}>
      <DialogSurface className={styles.surface} aria-label={label} data-testid={`${id}-wizard`} data-step={w.step}>
        <form onSubmit={w.submit} onKeyDown={w.onKeyDown} noValidate>
          <DialogBody>
            <DialogTitle>
              <Text className={styles.progress} block size={200}>
                {label}
                {w.progress && ` · ${w.progress}`}
              </Text>
              {current.title}
            </DialogTitle>
            <DialogContent className={styles.form}>
              <Text>{current.intro(data)}</Text>
              <RefusalBar refusal={refusal} testId={`${id}-error`} />
              <div ref={w.body} className={styles.fields}>
                <current.Body data={data} update={w.update} problems={w.problems} error={refusal?.error ?? null} />
              </div>
            </DialogContent>
            <DialogActions fluid className={styles.actions}>
              <div>
                {back && (
                  <Button onClick={() => w.go(back)} disabled={busy}>
                    Back
                  </Button>
                )}
              </div>
              <div className={styles.right}>
                {!current.noCancel && (
                  <Button onClick={() => onClose(data, false)} disabled={busy}>
                    Cancel
                  </Button>
                )}
                <Button
                  id={`${id}-next`}
                  appearance="primary"
                  type="submit"
                  disabled={busy}
                  icon={busy ? <Spinner size="tiny" /> : undefined}
                >
                  {current.nextLabel(data)}
                </Button>
              </div>
            </DialogActions>
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}

/** The engine's refusal above a step's fields: a refusal about one field shows its message on the field, and here what to do. */
export function RefusalBar({
  refusal,
  testId,
}: {
  refusal: { error: ErrorInfo; field?: string } | null;
  testId: string;
}) {
  if (!refusal || (refusal.field && !refusal.error.hint)) return null;
  return (
    <MessageBar intent="error" layout="multiline" role="alert" data-testid={testId}>
      <MessageBarBody>
        {!refusal.field && <MessageBarTitle>{labelledMessage(refusal.error)}</MessageBarTitle>}
        {refusal.error.hint}
      </MessageBarBody>
    </MessageBar>
  );
}
