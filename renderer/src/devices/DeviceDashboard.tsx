/**
 * A device's dashboard: its properties and usage, its shares or volumes, backups, backup policy, jobs, the heat map
 * of its newest backup, and, when it took over another device by failover, the DNS alias checklist.
 */
import {
  Button,
  Card,
  Link,
  ProgressBar,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Title3,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import {
  ArrowLeftRegular,
  ArrowRepeatAllRegular,
  ArrowSyncRegular,
  PlugConnectedRegular,
  PlugDisconnectedRegular,
  PowerRegular,
  SaveRegular,
} from '@fluentui/react-icons';
import { useEffect, useState, type ReactNode } from 'react';
import { call } from '../api/client';
import { useLifeboat } from '../api/hooks';
import { formatBytes, formatTime, percent } from '../format';
import { ErrorBar } from '../ui/ErrorBar';
import { JobsTable } from '../ui/JobsTable';
import { Page, useSectionStyles } from '../ui/Page';
import { DnsChecklistView } from './DnsChecklistView';
import { FailedOverTo } from './FailedOverTo';
import { HeatChart } from './HeatChart';
import { OfflineDialog } from './ItemDialogs';
import { ItemsSection } from './ItemsSection';
import {
  BACKUP_KIND_LABEL,
  DeviceStatusBadge,
  HealthBadge,
  TYPE_LABEL,
  type Device,
  type DeviceDetail,
  type DnsChecklist,
} from './labels';
import { NoticeBar, type Notice } from '../ui/Notice';
import { takeBackupNow } from './notice';
import { PolicyEditor } from './PolicyEditor';
import { RegisterDevice } from './RegisterDevice';
import { useDeviceQuery } from './useDeviceQuery';

const useStyles = makeStyles({
  grid: {
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fit, minmax(360px, 1fr))',
    gap: tokens.spacingHorizontalL,
  },
  usage: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXS },
  muted: { color: tokens.colorNeutralForeground3 },
});

export function DeviceDashboard({
  name,
  notice,
  setNotice,
  onDeactivate,
  onFailover,
}: {
  name: string;
  notice: Notice | null;
  setNotice(n: Notice | null): void;
  onDeactivate(d: Device): void;
  onFailover(d: Device): void;
}) {
  const styles = useStyles();
  const section = useSectionStyles();
  const detail = useDeviceQuery('devices.show', { name }, name);
  const [takingOffline, setTakingOffline] = useState(false);
  const [measuring, setMeasuring] = useState(false);
  const d = detail.data?.device ?? null;
  const back = (
    <Link href="#/devices">
      <ArrowLeftRegular /> All devices
    </Link>
  );

  if (!detail.data)
    return (
      <Page title={name} description="Device">
        {back}
        {detail.loading ? <Spinner label="Loading the device…" /> : <ErrorBar error={detail.error} />}
      </Page>
    );
  const dev = d!;
  const usable = dev.status === 'online' || dev.status === 'offline';
  const bringOnline = async () => {
    const r = await call('devices.online', { name: dev.name });
    if (r.ok) detail.reload();
    else setNotice({ intent: 'error', title: r.error.message, body: r.error.hint });
  };
  // Usage is otherwise as of the last periodic scan (at most 30 s old); this measures it now.
  const refresh = async () => {
    setMeasuring(true);
    const r = await call('devices.show', { name: dev.name, refresh: true });
    setMeasuring(false);
    if (r.ok) detail.reload();
    else setNotice({ intent: 'error', title: r.error.message, body: r.error.hint });
  };

  return (
    <Page
      title={dev.name}
      description={`${TYPE_LABEL[dev.type]} · ${dev.model} · software ${dev.softwareVersion}`}
      actions={
        <>
          <Button
            icon={measuring ? <Spinner size="tiny" /> : <ArrowSyncRegular />}
            disabled={measuring}
            onClick={() => void refresh()}
          >
            Refresh
          </Button>
          <Button icon={<SaveRegular />} disabled={!usable} onClick={() => void takeBackupNow(dev, setNotice)}>
            Take backup now
          </Button>
          {dev.status === 'online' && (
            <Button icon={<PlugDisconnectedRegular />} onClick={() => setTakingOffline(true)}>
              Take device offline
            </Button>
          )}
          {dev.status === 'offline' && (
            <Button icon={<PlugConnectedRegular />} onClick={bringOnline}>
              Bring device online
            </Button>
          )}
          <Button
            icon={<PowerRegular />}
            disabled={dev.status === 'deactivated' || dev.status === 'deleted'}
            onClick={() => onDeactivate(dev)}
          >
            Deactivate
          </Button>
          <Button
            icon={<ArrowRepeatAllRegular />}
            disabled={dev.status !== 'deactivated'}
            onClick={() => onFailover(dev)}
          >
            Fail over
          </Button>
        </>
      }
    >
      {back}
      <NoticeBar notice={notice} onDismiss={() => setNotice(null)} testId="device-notice" />
      <ErrorBar error={detail.error} />
      {dev.status === 'ready-to-set-up' && <RegisterDevice device={dev} onRegistered={detail.reload} />}
      <div className={styles.grid}>
        <Card className={section.card} role="region" aria-labelledby="device-props-title">
          <Title3 as="h2" id="device-props-title">
            Properties
          </Title3>
          <Properties device={dev} />
        </Card>
        <Card className={section.card} role="region" aria-labelledby="device-usage-title">
          <Title3 as="h2" id="device-usage-title">
            Usage
          </Title3>
          <Usage device={dev} />
        </Card>
      </div>
      {dev.replaces && <ReplacesChecklist device={dev} detail={detail.data} />}
      {dev.status === 'deleted' ? (
        <FailedOverTo device={dev} jobIds={detail.data.jobs} />
      ) : (
        <Card className={section.card} role="region" aria-labelledby="items-title" data-testid="device-items">
          <ItemsSection
            device={dev}
            shares={detail.data.shares}
            volumes={detail.data.volumes}
            onChanged={detail.reload}
          />
        </Card>
      )}
      <Card className={section.card} role="region" aria-labelledby="heat-title">
        <Title3 as="h2" id="heat-title">
          Heat map
        </Title3>
        <HeatChart heat={detail.data.heat} />
      </Card>
      {dev.status !== 'deleted' && (
        <Card className={section.card} role="region" aria-labelledby="policy-title">
          <Title3 as="h2" id="policy-title">
            Backup policy
          </Title3>
          <PolicyEditor device={dev} onSaved={detail.reload} />
        </Card>
      )}
      {dev.status !== 'deleted' && (
        <Card className={section.card} role="region" aria-labelledby="device-backups-title">
          <Title3 as="h2" id="device-backups-title">
            Backups
          </Title3>
          <Backups detail={detail.data} />
        </Card>
      )}
      {takingOffline && (
        <OfflineDialog
          kind="device"
          device={dev.name}
          name={dev.name}
          onClose={(done) => {
            setTakingOffline(false);
            if (done) detail.reload();
          }}
        />
      )}
      <Card className={section.card} role="region" aria-labelledby="device-jobs-title">
        <Title3 as="h2" id="device-jobs-title">
          Jobs
        </Title3>
        <DeviceJobs ids={detail.data.jobs} />
      </Card>
    </Page>
  );
}

function Properties({ device: d }: { device: Device }) {
  const section = useSectionStyles();
  const rows: Array<[string, ReactNode]> = [
    ['Status', <DeviceStatusBadge key="s" status={d.status} />],
    ['Health', <HealthBadge key="h" health={d.health} reasons={d.healthReasons} />],
    [
      'Data root',
      <span key="r" className={section.mono}>
        {d.root}
      </span>,
    ],
    ['Site', d.site ? `The agent site ${d.site} (the data root is on its host)` : 'This machine'],
    ['Serial number', d.serial],
    ['Domain', d.domain ?? '—'],
    ['Time zone', d.timeZone],
    ['FIPS mode', d.fips ? 'On' : 'Off'],
    ['Storage account', d.account ?? '—'],
    ['Registered', formatTime(d.registeredAt)],
    ['Last backup', formatTime(d.lastBackupAt)],
    ...(d.deactivatedAt ? ([['Deactivated', formatTime(d.deactivatedAt)]] as Array<[string, string]>) : []),
    ...(d.replaces ? ([['Replaces', d.replaces]] as Array<[string, string]>) : []),
  ];
  return (
    <dl className={section.dl} data-testid="device-properties">
      {rows.map(([k, v]) => [
        <dt key={`${k}-k`}>{k}</dt>,
        <dd key={`${k}-v`} className={section.dd}>
          {v}
        </dd>,
      ])}
    </dl>
  );
}

function Usage({ device: d }: { device: Device }) {
  const styles = useStyles();
  const cap = Math.max(1, d.capacity);
  return (
    <div className={styles.usage} data-testid="device-usage">
      <Text>
        Provisioned {formatBytes(d.provisioned)} of {formatBytes(d.capacity)} ({percent(d.provisioned / cap)})
      </Text>
      <ProgressBar
        value={Math.min(1, d.provisioned / cap)}
        thickness="large"
        aria-label={`Provisioned: ${percent(d.provisioned / cap)} of the capacity`}
      />
      <Text>
        Used on disk {formatBytes(d.used)} ({percent(d.used / cap)})
      </Text>
      <ProgressBar
        value={Math.min(1, d.used / cap)}
        thickness="large"
        color={d.used > d.capacity ? 'error' : 'success'}
        aria-label={`Used: ${percent(d.used / cap)} of the capacity`}
      />
      <Text size={200} className={styles.muted}>
        {d.type === 'file'
          ? `${d.shares} share${d.shares === 1 ? '' : 's'}`
          : `${d.volumes} volume${d.volumes === 1 ? '' : 's'}`}
        . Tiered data keeps only its hot part on the device.
      </Text>
    </div>
  );
}

function Backups({ detail }: { detail: DeviceDetail }) {
  const styles = useStyles();
  if (detail.backups.length === 0)
    return <Text className={styles.muted}>No backups yet. They run on the policy, or take one now.</Text>;
  return (
    <Table aria-label="Backups of the device" size="small">
      <TableHeader>
        <TableRow>
          {['Created', 'Kind', 'Files', 'Size', 'New data stored', 'Backup id'].map((c) => (
            <TableHeaderCell key={c}>{c}</TableHeaderCell>
          ))}
        </TableRow>
      </TableHeader>
      <TableBody>
        {detail.backups.map((b) => (
          <TableRow key={b.id} data-device-backup={b.id} data-kind={b.kind}>
            <TableCell>{formatTime(b.createdAt)}</TableCell>
            <TableCell>{BACKUP_KIND_LABEL[b.kind]}</TableCell>
            <TableCell>{b.files}</TableCell>
            <TableCell>{formatBytes(b.bytes)}</TableCell>
            <TableCell>{formatBytes(b.storedNew)}</TableCell>
            <TableCell>{b.id}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

function DeviceJobs({ ids }: { ids: string[] }) {
  const { jobs } = useLifeboat();
  return (
    <JobsTable
      jobs={ids.map((id) => jobs.find((j) => j.id === id)).filter((j) => j !== undefined)}
      label="Jobs of the device"
    />
  );
}

/** The failover that made this device the replacement of another: its job, from the device or its job list. */
function ReplacesChecklist({ device, detail }: { device: Device; detail: DeviceDetail }) {
  const section = useSectionStyles();
  const { jobs } = useLifeboat();
  const [checklist, setChecklist] = useState<DnsChecklist | null>(null);
  const jobId =
    device.failoverJobId ??
    jobs.find(
      (j) =>
        /failover/.test(j.type) &&
        j.status === 'succeeded' &&
        (detail.jobs.includes(j.id) || j.objectName === device.replaces || j.objectName === device.name),
    )?.id ??
    null;
  useEffect(() => {
    if (!jobId) return;
    void call('failover.checklist', { id: jobId }).then((r) => r.ok && setChecklist(r.value));
  }, [jobId]);
  return (
    <Card className={section.card} role="region" aria-label="After the failover">
      <Title3 as="h2">Replaces {device.replaces}</Title3>
      {checklist ? (
        <DnsChecklistView checklist={checklist} />
      ) : (
        <Text>
          Create a DNS alias (CNAME) named {device.replaces} that points to {device.name}, so clients reach the shares
          or volumes under their old name.
        </Text>
      )}
    </Card>
  );
}
