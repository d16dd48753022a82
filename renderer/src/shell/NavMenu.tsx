/**
 * The left navigation: a vertical tab list (arrow keys move, Enter or Space opens) inside a nav landmark. In a window
 * narrower than 1200 px it collapses to its icons, each page's name in a tooltip (and still the tab's name), so the
 * page keeps the width its tables need.
 */
import { Tab, TabList, Tooltip, makeStyles, mergeClasses, tokens } from '@fluentui/react-components';
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
import { useRef, useState, useSyncExternalStore, type JSX } from 'react';
import { useSectionStyles } from '../ui/Page';
import { navigate, routes, type RouteId } from './routes';

const narrow = () => window.matchMedia('(max-width: 1199.98px)');

/** Whether the window is narrow enough to collapse the navigation, following resizes. */
function useNarrowWindow(): boolean {
  return useSyncExternalStore(
    (notify) => {
      const query = narrow();
      query.addEventListener('change', notify);
      return () => query.removeEventListener('change', notify);
    },
    () => narrow().matches,
  );
}

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
  nav: {
    padding: `${tokens.spacingVerticalM} ${tokens.spacingHorizontalS}`,
    overflowY: 'auto',
    width: '220px',
    boxSizing: 'border-box',
  },
  collapsed: { width: 'auto', padding: `${tokens.spacingVerticalM} ${tokens.spacingHorizontalXS}` },
  list: { width: '100%' },
  tab: { justifyContent: 'flex-start' },
});

export function NavMenu({ route }: { route: RouteId }) {
  const styles = useStyles();
  const section = useSectionStyles();
  const collapsed = useNarrowWindow();
  // Opening a page hides its tooltip, which would otherwise stay (with the focus, or after its show delay) over the
  // page's left edge; it shows again once the pointer or focus has left that tab.
  const [tip, setTip] = useState<RouteId | null>(null);
  const opened = useRef<RouteId | null>(null);
  const onTip = (id: RouteId, visible: boolean) => {
    if (opened.current === id && visible) return;
    if (!visible && opened.current === id) opened.current = null;
    setTip(visible ? id : null);
  };
  return (
    <nav
      aria-label="Main navigation"
      className={mergeClasses(styles.nav, collapsed && styles.collapsed)}
      data-collapsed={collapsed}
    >
      <TabList
        vertical
        selectedValue={route}
        onTabSelect={(_, d) => {
          opened.current = d.value as RouteId;
          setTip(null);
          navigate(d.value as RouteId);
        }}
        className={styles.list}
        aria-label="Pages"
      >
        {routes.map((r) =>
          collapsed ? (
            // The name stays in the tab (read by screen readers, matched by voice control); the tooltip shows it.
            <Tooltip
              key={r.id}
              content={r.label}
              relationship="inaccessible"
              positioning="after"
              visible={tip === r.id}
              onVisibleChange={(_, d) => onTip(r.id, d.visible)}
            >
              <Tab value={r.id} icon={icons[r.id]} className={styles.tab} data-route={r.id}>
                <span className={section.srOnly}>{r.label}</span>
              </Tab>
            </Tooltip>
          ) : (
            <Tab key={r.id} value={r.id} icon={icons[r.id]} className={styles.tab} data-route={r.id}>
              {r.label}
            </Tab>
          ),
        )}
      </TabList>
    </nav>
  );
}
