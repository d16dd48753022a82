/**
 * The Dashboard's storage cards: what the devices offer, promise and use, what the storage accounts protect, and the
 * devices that need attention (not healthy, or not serving: the engine's rule, with its reasons), each a link to its dashboard.
 */
import { Card, Link, ProgressBar, Text, Title3, makeStyles, tokens } from '@fluentui/react-components';
import { needsAttention } from '../../../main/shared/device-health';
import { useQuery } from '../api/query';
import { DeviceStatusBadge, HealthBadge, deviceHref } from '../devices/labels';
import { useDeviceQuery } from '../devices/useDeviceQuery';
import { formatBytes, percent } from '../format';
import { navigate } from '../shell/routes';
import { useSectionStyles } from '../ui/Page';

const useStyles = makeStyles({
  list: {
    listStyle: 'none',
    margin: 0,
    padding: 0,
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalS,
  },
  item: { display: 'flex', gap: tokens.spacingHorizontalS, alignItems: 'center', flexWrap: 'wrap' },
});

export function StorageOverview() {
  const styles = useStyles();
  const section = useSectionStyles();
  const devices = useDeviceQuery('devices.list', { all: false }).data ?? [];
  const accounts = useQuery('accounts.list', {}).data ?? [];
  const sum = (f: (d: (typeof devices)[number]) => number) => devices.reduce((n, d) => n + f(d), 0);
  const capacity = sum((d) => d.capacity);
  const used = sum((d) => d.used);
  const ofCapacity = (n: number) => percent(capacity ? n / capacity : 0);
  const attention = devices.filter(needsAttention);

  return (
    <>
      <Card className={section.card} role="region" aria-labelledby="dash-storage">
        <Title3 as="h2" id="dash-storage">
          Storage
        </Title3>
        <dl className={section.dl}>
          <dt>Devices</dt>
          <dd className={section.dd}>
            {devices.length} ({devices.filter((d) => d.status === 'online').length} online)
          </dd>
          <dt>Capacity</dt>
          <dd className={section.dd} data-testid="storage-capacity">
            {formatBytes(capacity)}
          </dd>
          <dt>Provisioned</dt>
          <dd className={section.dd}>
            {formatBytes(sum((d) => d.provisioned))} ({ofCapacity(sum((d) => d.provisioned))} of capacity)
          </dd>
          <dt>Used</dt>
          <dd className={section.dd} data-testid="storage-used">
            {formatBytes(used)} ({ofCapacity(used)})
            <ProgressBar
              value={capacity ? Math.min(1, used / capacity) : 0}
              thickness="large"
              aria-label={`Used: ${ofCapacity(used)} of the devices' capacity`}
            />
          </dd>
          <dt>Protected</dt>
          <dd className={section.dd}>
            {formatBytes(accounts.reduce((n, a) => n + a.bytes, 0))} in {accounts.reduce((n, a) => n + a.backups, 0)}{' '}
            backups, {accounts.length} storage {accounts.length === 1 ? 'account' : 'accounts'}
          </dd>
        </dl>
        <Link onClick={() => navigate('devices')}>Open the Devices page</Link>
      </Card>
      <Card className={section.card} role="region" aria-labelledby="dash-attention">
        <Title3 as="h2" id="dash-attention">
          Devices that need attention
        </Title3>
        {attention.length === 0 ? (
          <Text className={section.muted}>
            {devices.length ? 'Every device is online and healthy.' : 'No devices yet.'}
          </Text>
        ) : (
          <ul className={styles.list}>
            {attention.map((d) => (
              <li key={d.name} className={styles.item} data-device={d.name}>
                <Link href={deviceHref(d.name)}>{d.name}</Link>
                <DeviceStatusBadge status={d.status} />
                <HealthBadge health={d.health} reasons={d.healthReasons} />
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}
