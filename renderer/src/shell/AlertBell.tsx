/** The header's bell: the count of unacknowledged alerts, live, opening the newest of them. */
import {
  Button,
  CounterBadge,
  Link,
  Popover,
  PopoverSurface,
  PopoverTrigger,
  Text,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { AlertRegular } from '@fluentui/react-icons';
import { useMemo, useState } from 'react';
import { call } from '../api/client';
import { useLifeboat } from '../api/hooks';
import { formatTime } from '../format';
import { placesForCommands } from '../ui/screen-errors';
import { SeverityIcon } from '../ui/severity';
import { navigate } from './routes';

const useStyles = makeStyles({
  trigger: { color: 'inherit', ':hover': { color: 'inherit' }, ':hover:active': { color: 'inherit' } },
  icon: { position: 'relative', display: 'inline-flex' },
  badge: { position: 'absolute', top: '-6px', right: '-8px', pointerEvents: 'none' },
  surface: { width: '360px', display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
  list: {
    listStyle: 'none',
    margin: 0,
    padding: 0,
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalS,
    maxHeight: '50vh',
    overflowY: 'auto',
  },
  item: { display: 'grid', gridTemplateColumns: 'auto 1fr', columnGap: tokens.spacingHorizontalS },
  meta: { color: tokens.colorNeutralForeground3 },
  actions: { display: 'flex', justifyContent: 'space-between', alignItems: 'center' },
});

export function AlertBell() {
  const styles = useStyles();
  const { alerts } = useLifeboat();
  const [open, setOpen] = useState(false);
  const unread = useMemo(() => alerts.filter((a) => !a.acknowledged), [alerts]);
  const openAlertsPage = () => {
    setOpen(false);
    navigate('alerts');
  };
  return (
    <Popover open={open} onOpenChange={(_, d) => setOpen(d.open)} positioning="below-end" withArrow trapFocus>
      <PopoverTrigger disableButtonEnhancement>
        <Button
          appearance="transparent"
          className={styles.trigger}
          aria-label={`Alerts: ${unread.length} unacknowledged`}
          data-testid="alert-bell"
          icon={
            <span className={styles.icon}>
              <AlertRegular />
              {unread.length > 0 && (
                <CounterBadge
                  className={styles.badge}
                  count={unread.length}
                  size="small"
                  color="danger"
                  data-testid="alert-count"
                />
              )}
            </span>
          }
        />
      </PopoverTrigger>
      <PopoverSurface className={styles.surface} aria-label="Unacknowledged alerts">
        <Text weight="semibold" as="h2" size={400}>
          Alerts
        </Text>
        {unread.length === 0 ? (
          <Text>No alerts need your attention.</Text>
        ) : (
          <ul className={styles.list}>
            {unread.slice(0, 8).map((a) => (
              <li key={a.id} className={styles.item}>
                <SeverityIcon severity={a.severity} />
                <div>
                  <Text weight="semibold" block>
                    {a.title}
                  </Text>
                  <Text size={200} block>
                    {placesForCommands(a.message)}
                  </Text>
                  <Text size={200} className={styles.meta}>
                    {formatTime(a.createdAt)}
                  </Text>
                </div>
              </li>
            ))}
          </ul>
        )}
        <div className={styles.actions}>
          <Link onClick={openAlertsPage}>Open the Alerts page</Link>
          {unread.length > 0 && <Button onClick={() => void call('alerts.ack', { all: true })}>Acknowledge all</Button>}
        </div>
      </PopoverSurface>
    </Popover>
  );
}
