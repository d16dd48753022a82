/** What an administrator must know: alerts newest first, each with what to do; acknowledge one or all. */
import {
  Button,
  Switch,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { CheckmarkRegular } from '@fluentui/react-icons';
import { useMemo, useState } from 'react';
import { call } from '../api/client';
import { useLifeboat } from '../api/hooks';
import type { ErrorInfo } from '../api/types';
import { formatTime } from '../format';
import { ErrorBar } from '../ui/ErrorBar';
import { placesForCommands } from '../ui/screen-errors';
import { Page, useSectionStyles } from '../ui/Page';
import { SeverityBadge } from '../ui/severity';

const useStyles = makeStyles({
  hint: { color: tokens.colorNeutralForeground3 },
  acknowledged: { opacity: 0.7 },
});

export function AlertsPage() {
  const styles = useStyles();
  const section = useSectionStyles();
  const { alerts } = useLifeboat();
  const [showAcknowledged, setShowAcknowledged] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const unread = useMemo(() => alerts.filter((a) => !a.acknowledged), [alerts]);
  const shown = showAcknowledged ? alerts : unread;

  const ack = async (input: { id: string } | { all: true }) => {
    const r = await call('alerts.ack', input);
    setError(r.ok ? null : r.error);
  };

  return (
    <Page
      title="Alerts"
      description="Failures and conditions that need your attention, with what to do about them."
      actions={
        <>
          <Switch
            checked={showAcknowledged}
            onChange={(_, d) => setShowAcknowledged(d.checked)}
            label="Show acknowledged"
          />
          <Button icon={<CheckmarkRegular />} disabled={unread.length === 0} onClick={() => ack({ all: true })}>
            Acknowledge all
          </Button>
        </>
      }
    >
      <ErrorBar error={error} />
      {shown.length === 0 ? (
        <section className={section.empty} data-testid="alerts-empty">
          <Text weight="semibold">No alerts need your attention</Text>
          <Text>
            When a job fails, a device needs attention or replication falls behind, an alert appears here and on the
            bell in the header, with the recommended action. Acknowledge it once it is resolved.
          </Text>
        </section>
      ) : (
        <div style={{ overflowX: 'auto' }}>
          <Table aria-label="Alerts" size="small">
            <TableHeader>
              <TableRow>
                <TableHeaderCell style={{ width: 120 }}>Severity</TableHeaderCell>
                <TableHeaderCell>Alert</TableHeaderCell>
                <TableHeaderCell style={{ width: 140 }}>Object</TableHeaderCell>
                <TableHeaderCell style={{ width: 112 }}>Time</TableHeaderCell>
                <TableHeaderCell style={{ width: 150 }}>Action</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {shown.map((a) => (
                <TableRow key={a.id} data-alert-id={a.id} className={a.acknowledged ? styles.acknowledged : undefined}>
                  <TableCell>
                    <SeverityBadge severity={a.severity} />
                  </TableCell>
                  <TableCell>
                    <Text weight="semibold" block>
                      {a.title}
                    </Text>
                    <Text block>{placesForCommands(a.message)}</Text>
                    {a.hint && (
                      <Text size={200} block className={styles.hint}>
                        What to do: {placesForCommands(a.hint)}
                      </Text>
                    )}
                  </TableCell>
                  <TableCell>
                    {a.objectName ? `${a.objectName}${a.objectKind ? ` (${a.objectKind})` : ''}` : '—'}
                  </TableCell>
                  <TableCell>{formatTime(a.createdAt)}</TableCell>
                  <TableCell>
                    {a.acknowledged ? (
                      <Text className={styles.hint}>Acknowledged</Text>
                    ) : (
                      <Button size="small" onClick={() => ack({ id: a.id })} aria-label={`Acknowledge ${a.title}`}>
                        Acknowledge
                      </Button>
                    )}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
      )}
    </Page>
  );
}
