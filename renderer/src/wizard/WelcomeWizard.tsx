/** Renders and drives the welcome wizard's step machine (steps.tsx): Enter is Next, errors show inline. */
import { Button, Card, MessageBar, MessageBarBody, Spinner, Text, Title2, makeStyles, tokens } from '@fluentui/react-components';
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { Service } from '../api/types';
import { initialWelcome, stepPath, welcomeSteps, type StepId, type WelcomeData } from './steps';

const useStyles = makeStyles({
  page: { height: '100%', overflowY: 'auto', display: 'flex', alignItems: 'flex-start', justifyContent: 'center', padding: '8vh 16px', boxSizing: 'border-box', backgroundColor: tokens.colorNeutralBackground2 },
  card: { width: 'min(640px, 100%)', padding: tokens.spacingHorizontalXXL },
  form: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalL },
  footer: { display: 'flex', justifyContent: 'space-between', gap: tokens.spacingHorizontalS, marginTop: tokens.spacingVerticalM },
  brand: { color: tokens.colorBrandForeground1, fontWeight: tokens.fontWeightSemibold },
});

export function WelcomeWizard({ service, onFinish }: { service: Service | null; onFinish(): void }) {
  const styles = useStyles();
  const [{ step, data }, setWizard] = useState(() => initialWelcome(service));
  const [tried, setTried] = useState(false);
  const [serverError, setServerError] = useState<{ message: string; hint?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const body = useRef<HTMLDivElement>(null);
  const current = welcomeSteps[step];
  const path = stepPath(data);
  const localProblem = current.validate(data);

  // Each step starts with the keyboard on its first field, or on Next when it has none.
  useEffect(() => {
    const first = body.current?.querySelector<HTMLElement>('input:not([type=hidden]), textarea, [data-autofocus]');
    (first ?? document.getElementById('welcome-next'))?.focus();
  }, [step]);

  const update = (patch: Partial<WelcomeData>) => {
    setServerError(null);
    setWizard((w) => ({ step: w.step, data: { ...w.data, ...patch } }));
  };

  const go = (next: StepId) => {
    setTried(false);
    setServerError(null);
    setWizard((w) => ({ step: next, data: w.data }));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setTried(true);
    if (localProblem) return;
    setBusy(true);
    const outcome = await current.submit(data);
    setBusy(false);
    if (!outcome.ok) {
      setServerError(outcome.error);
      return;
    }
    if (outcome.patch) setWizard((w) => ({ step: w.step, data: { ...w.data, ...outcome.patch } }));
    if (outcome.go === 'finish') onFinish();
    else go(outcome.go);
  };

  // Enter anywhere in the step is Next (Shift+Enter still breaks a line in a text area); buttons keep their own Enter.
  const onKeyDown = (e: KeyboardEvent<HTMLFormElement>) => {
    const target = e.target as HTMLElement;
    if (e.key !== 'Enter' || e.shiftKey || target.tagName === 'BUTTON' || target.tagName === 'A') return;
    e.preventDefault();
    e.currentTarget.requestSubmit();
  };

  const back = current.back?.(data) ?? null;
  const index = path.indexOf(step);
  const problem = serverError?.message ?? (tried ? localProblem : null);

  return (
    <main className={styles.page} aria-label="Welcome">
      <Card className={styles.card}>
        <form className={styles.form} onSubmit={submit} onKeyDown={onKeyDown} aria-labelledby="welcome-title" noValidate>
          <Text className={styles.brand}>
            Lifeboat{index >= 0 ? ` · Step ${index + 1} of ${path.length}` : ''}
          </Text>
          <Title2 as="h1" id="welcome-title">
            {current.title}
          </Title2>
          <Text>{current.intro(data)}</Text>
          <div ref={body} className={styles.form}>
            <current.Body data={data} update={update} problem={problem} />
          </div>
          {serverError?.hint && (
            <MessageBar intent="error">
              <MessageBarBody>{serverError.hint}</MessageBarBody>
            </MessageBar>
          )}
          <div className={styles.footer}>
            <div>{back && <Button onClick={() => go(back)}>Back</Button>}</div>
            <Button id="welcome-next" appearance="primary" type="submit" disabled={busy} icon={busy ? <Spinner size="tiny" /> : undefined}>
              {current.nextLabel}
            </Button>
          </div>
        </form>
      </Card>
    </main>
  );
}
