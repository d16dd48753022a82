/** Chooses between the welcome wizard (no service, or its key not confirmed yet) and the app shell. */
import { Button, MessageBar, MessageBarBody, MessageBarTitle, Spinner, makeStyles } from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { useLifeboat, useStore } from './api/hooks';
import { AppShell } from './shell/AppShell';
import { ConnectionBanner } from './shell/ConnectionBanner';
import { WelcomeWizard } from './wizard/WelcomeWizard';

const useStyles = makeStyles({
  center: {
    height: '100%',
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    padding: '24px',
    boxSizing: 'border-box',
  },
  column: { display: 'flex', flexDirection: 'column', height: '100%' },
  fill: { flex: 1, minHeight: 0 },
});

export function App() {
  const styles = useStyles();
  const store = useStore();
  const { loaded, loadError, service } = useLifeboat();
  const needsWelcome = loaded && (!service || !service.sdekConfirmed);
  // The wizard stays up after the key is confirmed, to show its last step, until the user leaves it.
  const [inWizard, setInWizard] = useState(false);
  useEffect(() => {
    if (needsWelcome) setInWizard(true);
  }, [needsWelcome]);

  let content;
  if (!loaded && loadError) {
    content = (
      <div className={styles.center}>
        <MessageBar intent="error" layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>Lifeboat could not load</MessageBarTitle>
            {loadError.message} {loadError.hint}
          </MessageBarBody>
          <Button onClick={() => void store.load()}>Try again</Button>
        </MessageBar>
      </div>
    );
  } else if (!loaded) {
    content = (
      <div className={styles.center}>
        <Spinner label="Connecting to Lifeboat…" />
      </div>
    );
  } else if (needsWelcome || inWizard) {
    content = <WelcomeWizard service={service} onFinish={() => setInWizard(false)} />;
  } else {
    content = <AppShell />;
  }
  return (
    <div className={styles.column}>
      <ConnectionBanner />
      <div className={styles.fill}>{content}</div>
    </div>
  );
}
