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
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { ErrorInfo } from '../api/types';
import { hasProblems, type Problems, type StepMachine } from './machine';

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

export function WizardDialog<Id extends string, D>({ id, label, steps, path, initial, onClose }: WizardDialogProps<Id, D>) {
  const styles = useStyles();
  const [{ step, data }, setWizard] = useState(initial);
  const [tried, setTried] = useState(false);
  const [refusal, setRefusal] = useState<{ error: ErrorInfo; field?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const body = useRef<HTMLDivElement>(null);
  const current = steps[step];
  const local = current.validate(data);
  const order = path(data);
  const index = order.indexOf(step);

  // Each step starts with the keyboard on its first field (or the field the engine named), else on Next.
  useEffect(() => {
    const root = body.current;
    const named = refusal?.field ? root?.querySelector<HTMLElement>(`[data-field="${refusal.field}"] input, [data-field="${refusal.field}"] textarea`) : null;
    const first = root?.querySelector<HTMLElement>('input:not([type=hidden]):not([disabled]), textarea, [data-autofocus]');
    (named ?? first ?? document.getElementById(`${id}-next`))?.focus();
    // Only on a step change: typing must not move the focus.
  }, [step]);

  const update = (patch: Partial<D>) => {
    setRefusal((r) => (r?.field ? { error: r.error } : r));
    setWizard((w) => ({ step: w.step, data: { ...w.data, ...patch } }));
  };

  const go = (next: Id) => {
    setTried(false);
    setRefusal(null);
    setWizard((w) => ({ step: next, data: w.data }));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setTried(true);
    if (hasProblems(local)) return;
    setBusy(true);
    setRefusal(null);
    const outcome = await current.submit(data);
    setBusy(false);
    if (!outcome.ok) {
      setTried(false);
      setWizard((w) => ({ step: outcome.go ?? w.step, data: { ...w.data, ...outcome.patch } }));
      setRefusal({ error: outcome.error, field: outcome.field });
      return;
    }
    const patched = { ...data, ...outcome.patch };
    if (outcome.go === 'finish') onClose(patched, true);
    else {
      setWizard({ step: outcome.go, data: patched });
      setTried(false);
      setRefusal(null);
    }
  };

  // Enter in a field is Next (Shift+Enter still breaks a line in a text area); buttons and checkboxes keep theirs.
  const onKeyDown = (e: KeyboardEvent<HTMLFormElement>) => {
    const target = e.target as HTMLElement;
    if (e.key !== 'Enter' || e.shiftKey || target.tagName === 'BUTTON' || target.tagName === 'A' || target.tagName === 'TEXTAREA') return;
    e.preventDefault();
    e.currentTarget.requestSubmit();
  };

  const back = current.back?.(data) ?? null;
  const problems: Problems = { ...(tried ? local : {}), ...(refusal?.field ? { [refusal.field]: refusal.error.message } : {}) };

  return (
    <Dialog open modalType="modal" onOpenChange={(_, d) => !d.open && !busy && onClose(data, false)}>
      <DialogSurface className={styles.surface} aria-label={label} data-testid={`${id}-wizard`} data-step={step}>
        <form onSubmit={submit} onKeyDown={onKeyDown} noValidate>
          <DialogBody>
            <DialogTitle>
              <Text className={styles.progress} block size={200}>
                {label}
                {index >= 0 ? ` · Step ${index + 1} of ${order.length}` : ''}
              </Text>
              {current.title}
            </DialogTitle>
            <DialogContent className={styles.form}>
              <Text>{current.intro(data)}</Text>
              {refusal && (refusal.field ? refusal.error.hint : true) && (
                <MessageBar intent="error" layout="multiline" role="alert" data-testid={`${id}-error`}>
                  <MessageBarBody>
                    {/* A refusal about one field shows its message on the field, and here what to do. */}
                    {!refusal.field && <MessageBarTitle>{refusal.error.message}</MessageBarTitle>}
                    {refusal.error.hint}
                  </MessageBarBody>
                </MessageBar>
              )}
              <div ref={body} className={styles.fields}>
                <current.Body data={data} update={update} problems={problems} error={refusal?.error ?? null} />
              </div>
            </DialogContent>
            <DialogActions fluid className={styles.actions}>
              <div>
                {back && (
                  <Button onClick={() => go(back)} disabled={busy}>
                    Back
                  </Button>
                )}
              </div>
              <div className={styles.right}>
                <Button onClick={() => onClose(data, false)} disabled={busy}>
                  Cancel
                </Button>
                <Button id={`${id}-next`} appearance="primary" type="submit" disabled={busy} icon={busy ? <Spinner size="tiny" /> : undefined}>
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
