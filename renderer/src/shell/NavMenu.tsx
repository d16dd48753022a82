/** The left navigation: a vertical tab list (arrow keys move, Enter or Space opens) inside a nav landmark. */
import { Tab, TabList, makeStyles, tokens } from '@fluentui/react-components';
import {
  AlertRegular,
  ArchiveRegular,
  BoardRegular,
  DatabaseRegular,
  FlowchartRegular,
  ServerRegular,
  SettingsRegular,
  ShieldCheckmarkRegular,
  TaskListLtrRegular,
  WindowConsoleRegular,
} from '@fluentui/react-icons';
import type { JSX } from 'react';
import { navigate, routes, type RouteId } from './routes';

const icons: Record<RouteId, JSX.Element> = {
  dashboard: <BoardRegular />,
  devices: <ServerRegular />,
  'storage-accounts': <DatabaseRegular />,
  backups: <ArchiveRegular />,
  'protected-items': <ShieldCheckmarkRegular />,
  'recovery-plans': <FlowchartRegular />,
  jobs: <TaskListLtrRegular />,
  alerts: <AlertRegular />,
  console: <WindowConsoleRegular />,
  settings: <SettingsRegular />,
};

const useStyles = makeStyles({
  nav: { padding: `${tokens.spacingVerticalM} ${tokens.spacingHorizontalS}`, overflowY: 'auto' },
  list: { width: '100%' },
  tab: { justifyContent: 'flex-start' },
});

export function NavMenu({ route }: { route: RouteId }) {
  const styles = useStyles();
  return (
    <nav aria-label="Main navigation" className={styles.nav}>
      <TabList vertical selectedValue={route} onTabSelect={(_, d) => navigate(d.value as RouteId)} className={styles.list} aria-label="Pages">
        {routes.map((r) => (
          <Tab key={r.id} value={r.id} icon={icons[r.id]} className={styles.tab} data-route={r.id}>
            {r.label}
          </Tab>
        ))}
      </TabList>
    </nav>
  );
}
