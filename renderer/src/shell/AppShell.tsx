/**
 * The app shell: header, left navigation and the page of the current route. The Console stays mounted (hidden)
 * once opened, so its terminals and their scrollback survive page switches.
 */
import { makeStyles, tokens } from '@fluentui/react-components';
import { useEffect, useRef, useState } from 'react';
import { ConsolePage } from '../console/ConsolePage';
import { AlertsPage } from '../pages/AlertsPage';
import { BackupsPage } from '../pages/BackupsPage';
import { Dashboard } from '../pages/Dashboard';
import { DevicesPage } from '../pages/DevicesPage';
import { JobsPage } from '../pages/JobsPage';
import { PlannedPage } from '../pages/PlannedPage';
import { RecoveryPlansPage } from '../plans/RecoveryPlansPage';
import { ProtectedItemsPage } from '../pages/ProtectedItemsPage';
import { SettingsPage } from '../pages/SettingsPage';
import { StorageAccountsPage } from '../pages/StorageAccountsPage';
import { Header } from './Header';
import { NavMenu } from './NavMenu';
import { Notifier } from './Notifier';
import { routeLabel, useRoute, type RouteId } from './routes';

const useStyles = makeStyles({
  shell: {
    height: '100%',
    display: 'grid',
    gridTemplateAreas: '"header header" "nav main"',
    gridTemplateRows: '48px 1fr',
    // The navigation sets its own width: full, or its icons alone in a narrow window.
    gridTemplateColumns: 'auto minmax(0, 1fr)',
    backgroundColor: tokens.colorNeutralBackground1,
  },
  nav: {
    gridArea: 'nav',
    backgroundColor: tokens.colorNeutralBackground2,
    borderRight: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
    minHeight: 0,
    display: 'flex',
  },
  main: { gridArea: 'main', minWidth: 0, minHeight: 0, overflow: 'auto', position: 'relative', outline: 'none' },
  console: { height: '100%' },
  skip: {
    position: 'absolute',
    left: '-10000px',
    top: '8px',
    zIndex: 10,
    ':focus': {
      left: '8px',
      padding: '8px',
      backgroundColor: tokens.colorNeutralBackground1,
      color: tokens.colorBrandForeground1,
    },
  },
});

function RoutePage({ route }: { route: Exclude<RouteId, 'console'> }) {
  switch (route) {
    case 'dashboard':
      return <Dashboard />;
    case 'jobs':
      return <JobsPage />;
    case 'alerts':
      return <AlertsPage />;
    case 'settings':
      return <SettingsPage />;
    case 'storage-accounts':
      return <StorageAccountsPage />;
    case 'backups':
      return <BackupsPage />;
    case 'devices':
      return <DevicesPage />;
    case 'protected-items':
      return <ProtectedItemsPage />;
    case 'recovery-plans':
      return <RecoveryPlansPage />;
    default:
      return <PlannedPage route={route} />;
  }
}

export function AppShell() {
  const styles = useStyles();
  const route = useRoute();
  const [consoleOpened, setConsoleOpened] = useState(route === 'console');
  const main = useRef<HTMLElement>(null);
  useEffect(() => {
    if (route === 'console') setConsoleOpened(true);
    document.title = `${routeLabel(route)} · Lifeboat`;
  }, [route]);

  return (
    <div className={styles.shell}>
      <a href="#main-content" className={styles.skip} onClick={(e) => (e.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <Header />
      <div className={styles.nav}>
        <NavMenu route={route} />
      </div>
      <main ref={main} id="main-content" className={styles.main} tabIndex={-1} aria-label={routeLabel(route)}>
        {route !== 'console' && <RoutePage route={route} />}
        {consoleOpened && (
          <div className={styles.console} hidden={route !== 'console'}>
            <ConsolePage visible={route === 'console'} />
          </div>
        )}
      </main>
      <Notifier />
    </div>
  );
}
