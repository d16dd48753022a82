/**
 * Devices (virtual arrays): a table with status, capacity, type, model, account, last backup and health; a toolbar
 * to configure a device and, for the selected one, take a backup, deactivate it or fail it over. A device's name
 * opens its dashboard at `#/devices/NAME`.
 */
import {
  Button,
  Link,
  Radio,
  Spinner,
  Switch,
  Table,
  TableBody,
  TableCell,
  TableRow,
  Text,
  Title3,
  Toolbar,
  ToolbarDivider,
  Tooltip,
  makeStyles,
  mergeClasses,
  tokens,
} from '@fluentui/react-components';
import { AddRegular, ArrowRepeatAllRegular, PowerRegular, SaveRegular, ServerRegular } from '@fluentui/react-icons';
import { useEffect, useState, useSyncExternalStore } from 'react';
import { DeactivateDialog } from '../devices/DeactivateDialog';
import { DeviceDashboard } from '../devices/DeviceDashboard';
import { FailoverWizard } from '../devices/FailoverWizard';
import { ConfigureDeviceWizard } from '../devices/ConfigureDeviceWizard';
import {
  DeviceStatusBadge,
  HEALTH_LABEL,
  HealthBadge,
  TYPE_LABEL,
  deviceHref,
  selectedDeviceFromHash,
  type Device,
} from '../devices/labels';
import { takeBackupNow } from '../devices/notice';
import { NoticeBar, jobStartedNotice, type Notice } from '../ui/Notice';
import { useDeviceQuery } from '../devices/useDeviceQuery';
import { formatBytes, formatTime } from '../format';
import { ColumnHeader, type Column } from '../ui/ColumnHeader';
import { ErrorBar } from '../ui/ErrorBar';
import { Page, useSectionStyles } from '../ui/Page';

const useStyles = makeStyles({
  toolbar: {
    display: 'flex',
    alignItems: 'center',
    gap: tokens.spacingHorizontalM,
    flexWrap: 'wrap',
    justifyContent: 'space-between',
  },
  muted: { color: tokens.colorNeutralForeground3 },
  row: { cursor: 'pointer' },
  selected: { backgroundColor: tokens.colorSubtleBackgroundSelected },
});

/** Headers and widths, sized so every column shows in a 1024 px window (type, model and software share one). */
const COLUMNS: Column[] = [
  ['', 40],
  ['Name'],
  ['Status', 120],
  ['Provisioned / maximum', 104],
  ['Type / model', 128],
  ['Storage account', 88],
  ['Last backup', 88],
  ['Health', 72],
];

const useHash = () =>
  useSyncExternalStore(
    (notify) => {
      window.addEventListener('hashchange', notify);
      return () => window.removeEventListener('hashchange', notify);
    },
    () => location.hash,
  );

type Dialog =
  { kind: 'configure' } | { kind: 'deactivate'; device: Device } | { kind: 'failover'; device: Device } | null;

export function DevicesPage() {
  const open = selectedDeviceFromHash(useHash());
  const [dialog, setDialog] = useState<Dialog>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  // A notice is about the view it was given on: going between the list and a dashboard drops it.
  useEffect(() => setNotice(null), [open]);
  const dialogs = (
    <>
      {dialog?.kind === 'configure' && (
        <ConfigureDeviceWizard
          onClose={(device) => {
            setDialog(null);
            if (device)
              setNotice({
                intent: 'success',
                title: `Configured “${device.name}”`,
                body:
                  device.status === 'ready-to-set-up'
                    ? 'It is Ready to set up: register it to use it.'
                    : 'It is Online.',
              });
          }}
        />
      )}
      {dialog?.kind === 'deactivate' && (
        <DeactivateDialog
          device={dialog.device}
          onClose={(job) => {
            setDialog(null);
            if (job) setNotice(jobStartedNotice(job));
          }}
        />
      )}
      {dialog?.kind === 'failover' && <FailoverWizard source={dialog.device} onClose={() => setDialog(null)} />}
    </>
  );
  return open ? (
    <>
      <DeviceDashboard
        name={open}
        notice={notice}
        setNotice={setNotice}
        onDeactivate={(device) => setDialog({ kind: 'deactivate', device })}
        onFailover={(device) => setDialog({ kind: 'failover', device })}
      />
      {dialogs}
    </>
  ) : (
    <>
      <DeviceList notice={notice} setNotice={setNotice} setDialog={setDialog} />
      {dialogs}
    </>
  );
}

function DeviceList({
  notice,
  setNotice,
  setDialog,
}: {
  notice: Notice | null;
  setNotice(n: Notice | null): void;
  setDialog(d: Dialog): void;
}) {
  const styles = useStyles();
  const section = useSectionStyles();
  const [showDeleted, setShowDeleted] = useState(false);
  const devices = useDeviceQuery('devices.list', { all: showDeleted });
  const [selectedName, setSelectedName] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const list = devices.data ?? [];
  const selected = list.find((d) => d.name === selectedName) ?? null;

  useEffect(() => {
    if (selectedName && devices.data && !devices.data.some((d) => d.name === selectedName)) setSelectedName(null);
  }, [devices.data, selectedName]);

  const configure = (
    <Button appearance="primary" icon={<AddRegular />} onClick={() => setDialog({ kind: 'configure' })}>
      Configure device
    </Button>
  );
  const active = selected && selected.status !== 'deleted';

  const backup = async () => {
    if (!selected) return;
    setBusy(true);
    await takeBackupNow(selected, setNotice);
    setBusy(false);
    devices.reload();
  };

  return (
    <Page
      title="Devices"
      description="Virtual arrays: file servers and iSCSI servers whose shares and volumes Lifeboat backs up and fails over."
    >
      <NoticeBar notice={notice} onDismiss={() => setNotice(null)} testId="devices-notice" />
      <ErrorBar error={devices.error} />
      <div className={styles.toolbar}>
        <Toolbar aria-label="Device actions">
          {configure}
          <ToolbarDivider />
          <Button
            appearance="subtle"
            icon={busy ? <Spinner size="tiny" /> : <SaveRegular />}
            disabled={!active || busy || !(selected.status === 'online' || selected.status === 'offline')}
            onClick={backup}
          >
            Take backup now
          </Button>
          <Button
            appearance="subtle"
            icon={<PowerRegular />}
            disabled={!active || selected.status === 'deactivated'}
            onClick={() => selected && setDialog({ kind: 'deactivate', device: selected })}
          >
            Deactivate
          </Button>
          <Button
            appearance="subtle"
            icon={<ArrowRepeatAllRegular />}
            disabled={!selected || selected.status !== 'deactivated'}
            onClick={() => selected && setDialog({ kind: 'failover', device: selected })}
          >
            Fail over
          </Button>
        </Toolbar>
        <Switch checked={showDeleted} onChange={(_, d) => setShowDeleted(d.checked)} label="Show deleted" />
      </div>
      {devices.loading && !devices.data ? (
        <Spinner label="Loading devices…" />
      ) : list.length === 0 ? (
        <section className={section.empty} aria-labelledby="devices-empty-title">
          <ServerRegular fontSize={40} />
          <Title3 as="h2" id="devices-empty-title">
            No devices yet
          </Title3>
          <Text>
            A device keeps its shares (folders) or volumes (disk images) under a data root on this machine, backs them
            up to a storage account on a schedule, and records which data is hot.
          </Text>
          <Text>
            When a device is lost, deactivate it and fail it over to another device of the same type: its shares or
            volumes come back under the same names, the most used data first.
          </Text>
          {configure}
        </section>
      ) : (
        <div style={{ overflowX: 'auto' }}>
          <Table aria-label="Devices" size="small">
            <ColumnHeader columns={COLUMNS} />
            <TableBody>
              {list.map((d) => {
                const isSelected = d.name === selectedName;
                return (
                  <TableRow
                    key={d.id}
                    data-device={d.name}
                    data-status={d.status}
                    aria-selected={isSelected}
                    className={mergeClasses(styles.row, isSelected && styles.selected)}
                    onClick={() => setSelectedName(d.name)}
                  >
                    <TableCell>
                      <Radio
                        name="device-selection"
                        checked={isSelected}
                        onChange={() => setSelectedName(d.name)}
                        aria-label={`Select ${d.name}`}
                      />
                    </TableCell>
                    <TableCell>
                      <Link href={deviceHref(d.name)} onClick={(e) => e.stopPropagation()}>
                        <Text weight="semibold">{d.name}</Text>
                      </Link>
                      {d.replaces && (
                        <Text block size={200} className={styles.muted}>
                          replaces {d.replaces}
                        </Text>
                      )}
                    </TableCell>
                    <TableCell data-testid="device-status">
                      <DeviceStatusBadge status={d.status} />
                    </TableCell>
                    <TableCell>
                      {formatBytes(d.provisioned)} / {formatBytes(d.capacity)}
                    </TableCell>
                    <TableCell>
                      {TYPE_LABEL[d.type]}
                      <Text block size={200} className={styles.muted}>
                        {d.model} · {d.softwareVersion}
                      </Text>
                    </TableCell>
                    <TableCell>{d.account ?? '—'}</TableCell>
                    <TableCell>{formatTime(d.lastBackupAt)}</TableCell>
                    <TableCell>
                      <HealthCell device={d} />
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        </div>
      )}
    </Page>
  );
}

/** The narrow health column says why on hover or focus (the device's page lists the reasons in full). */
function HealthCell({ device }: { device: Device }) {
  const reasons = device.healthReasons;
  if (!reasons.length) return <HealthBadge health={device.health} />;
  const why = `${HEALTH_LABEL[device.health]}: ${reasons.join('; ')}`;
  return (
    <Tooltip content={why} relationship="description" withArrow positioning="before">
      <span tabIndex={0} data-testid="health-why" data-reasons={reasons.join('; ')}>
        <HealthBadge health={device.health} />
      </span>
    </Tooltip>
  );
}
