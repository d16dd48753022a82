/**
 * Drives a step machine (machine.ts) for any frame, the modal WizardDialog or the full-page welcome wizard: the
 * current step and data, "Step N of M", the local checks once Next was tried, an engine refusal shown on the step
 * and field its outcome names, Enter as Next, Back that keeps what was typed, and the first field focused per step.
 */
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { ErrorInfo } from '../api/types';
import { hasProblems, type Problems, type StepMachine } from './machine';

export interface WizardOptions<Id extends string, D> {
  /** Prefix of the Next button's id (`${id}-next`), focused when a step has no field. */
  id: string;
  steps: StepMachine<Id, D>;
  /** The steps a user goes through with this data, for "Step N of M". */
  path(data: D): Id[];
  initial: { step: Id; data: D };
  onFinish(data: D): void;
}

export function useWizard<Id extends string, D>({ id, steps, path, initial, onFinish }: WizardOptions<Id, D>) {
  const [{ step, data }, setWizard] = useState(initial);
  const [tried, setTried] = useState(false);
  const [refusal, setRefusal] = useState<{ error: ErrorInfo; field?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const body = useRef<HTMLDivElement>(null);
  const current = steps[step];
  const local = current.validate(data);
  const order = path(data);

  // Each step starts with the keyboard on its first field (or the field the engine named), else on Next.
  useEffect(() => {
    const root = body.current;
    const named = refusal?.field
      ? root?.querySelector<HTMLElement>(
          `[data-field="${refusal.field}"] input, [data-field="${refusal.field}"] textarea`,
        )
      : null;
    const first = root?.querySelector<HTMLElement>(
      'input:not([type=hidden]):not([disabled]), textarea, [data-autofocus]',
    );
    (named ?? first ?? document.getElementById(`${id}-next`))?.focus();
    // Only on a step change: typing must not move the focus.
  }, [step]);

  const update = (patch: Partial<D>) => {
    // A refusal about a field ends when that field is typed in; its hint stays until Next.
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
    if (outcome.go === 'finish') onFinish(patched);
    else {
      setWizard({ step: outcome.go, data: patched });
      setTried(false);
      setRefusal(null);
    }
  };

  // Enter in a field is Next; buttons, links and text areas keep theirs, except a text area marked data-enter="next"
  // (a pasted key wraps but is one line), where Shift+Enter still breaks a line.
  const onKeyDown = (e: KeyboardEvent<HTMLFormElement>) => {
    const target = e.target as HTMLElement;
    const keepsEnter =
      target.tagName === 'BUTTON' ||
      target.tagName === 'A' ||
      (target.tagName === 'TEXTAREA' && target.dataset.enter !== 'next');
    if (e.key !== 'Enter' || e.shiftKey || keepsEnter) return;
    e.preventDefault();
    e.currentTarget.requestSubmit();
  };

  const problems: Problems = {
    ...(tried ? local : {}),
    ...(refusal?.field ? { [refusal.field]: refusal.error.message } : {}),
  };
  return {
    step,
    data,
    current,
    busy,
    refusal,
    problems,
    body,
    update,
    go,
    submit,
    onKeyDown,
    back: current.back?.(data) ?? null,
    /** "Step N of M", or '' on a step off the path. */
    progress: order.indexOf(step) >= 0 ? `Step ${order.indexOf(step) + 1} of ${order.length}` : '',
  };
}
