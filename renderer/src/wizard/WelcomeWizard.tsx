/** The welcome wizard's full-page frame: its steps (steps.tsx) run on the shared step machine through useWizard. */
import { Button, Card, Spinner, Text, Title2, makeStyles, tokens } from '@fluentui/react-components';
import { useState } from 'react';
import type { Service } from '../api/types';
import { initialWelcome, stepPath, welcomeSteps } from './steps';
import { useWizard } from './useWizard';
import { RefusalBar } from './WizardDialog';

const useStyles = makeStyles({
  page: {
    height: '100%',
    overflowY: 'auto',
    display: 'flex',
    alignItems: 'flex-start',
    justifyContent: 'center',
    padding: '8vh 16px',
    boxSizing: 'border-box',
    backgroundColor: tokens.colorNeutralBackground2,
  },
  card: { width: 'min(640px, 100%)', padding: tokens.spacingHorizontalXXL },
  form: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalL },
  footer: {
    display: 'flex',
    justifyContent: 'space-between',
    gap: tokens.spacingHorizontalS,
    marginTop: tokens.spacingVerticalM,
  },
  brand: { color: tokens.colorBrandForeground1, fontWeight: tokens.fontWeightSemibold },
});

export function WelcomeWizard({ service, onFinish }: { service: Service | null; onFinish(): void }) {
  const styles = useStyles();
  const [initial] = useState(() => initialWelcome(service));
  const w = useWizard({ id: 'welcome', steps: welcomeSteps, path: stepPath, initial, onFinish });
  const { current, data, back } = w;

  return (
    <main className={styles.page} aria-label="Welcome">
      <Card className={styles.card}>
        <form
          className={styles.form}
          onSubmit={w.submit}
          onKeyDown={w.onKeyDown}
          aria-labelledby="welcome-title"
          data-step={w.step}
          noValidate
        >
          <Text className={styles.brand}>Lifeboat{w.progress && ` · ${w.progress}`}</Text>
          <Title2 as="h1" id="welcome-title">
            {current.title}
          </Title2>
          <Text>{current.intro(data)}</Text>
          <RefusalBar refusal={w.refusal} testId="welcome-error" />
          <div ref={w.body} className={styles.form}>
            <current.Body data={data} update={w.update} problems={w.problems} error={w.refusal?.error ?? null} />
          </div>
          <div className={styles.footer}>
            <div>{back && <Button onClick={() => w.go(back)}>Back</Button>}</div>
            <Button
              id="welcome-next"
              appearance="primary"
              type="submit"
              disabled={w.busy}
              icon={w.busy ? <Spinner size="tiny" /> : undefined}
            >
              {current.nextLabel(data)}
            </Button>
          </div>
        </form>
      </Card>
    </main>
  );
}
