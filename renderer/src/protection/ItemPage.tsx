/**
 * A protected item's page: phase, health and why, RPO against its threshold, sites, policy and group; its disks and
 * folders with source and replica paths; the recovery points timeline; RPO and throughput charts from the cycle
 * history; the commands' last outputs; the item's jobs; and its actions (ItemActions).
 */
import {
  Card,
  Link,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
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
import { ArrowLeftRegular } from '@fluentui/react-icons';
import { useState } from 'react';
import { useNow } from '../api/hooks';
import { NoticeBar, type Notice } from '../ui/Notice';
import { formatBytes, formatTime } from '../format';
import { ErrorBar } from '../ui/ErrorBar';
import { Page, useSectionStyles } from '../pages/Page';
import { CommandOutputs } from './CommandOutputs';
import { CycleCharts } from './CycleChart';
import { DrillReports } from './failover/DrillReports';
import { ItemActions } from './ItemActions';
import { ItemJobs } from './ItemJobs';
import { ItemHealthBadge, PhaseBadge, describeSeconds, formatAge, isReversed, liveRpo, type ItemInfo } from './labels';
import { PointsTimeline } from './PointsTimeline';
import { useProtectionQuery } from './useProtectionQuery';

const useStyles = makeStyles({
  cards: {
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fit, minmax(300px, 1fr))',
    gap: tokens.spacingHorizontalL,
  },
  card: {
    padding: tokens.spacingHorizontalL,
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalS,
    minWidth: 0,
  },
  path: { fontFamily: tokens.fontFamilyMonospace, wordBreak: 'break-all', fontSize: tokens.fontSizeBase200 },
  big: {
    fontSize: tokens.fontSizeHero700,
    lineHeight: tokens.lineHeightHero700,
    fontWeight: tokens.fontWeightSemibold,
  },
  over: { color: tokens.colorPaletteDarkOrangeForeground1 },
});

export function ItemPage({ name }: { name: string }) {
  const styles = useStyles();
  const section = useSectionStyles();
  const item = useProtectionQuery('items.show', { name });
  const points = useProtectionQuery('items.points', { name });
  const history = useProtectionQuery('items.history', { name }, 15_000);
  const [notice, setNotice] = useState<Notice | null>(null);
  const now = useNow(true, 1000);
  const back = (
    <Link href="#/protected-items">
      <ArrowLeftRegular /> All protected items
    </Link>
  );
  const i = item.data;
  const reloadAll = () => {
    item.reload();
    points.reload();
  };
  if (!i)
    return (
      <Page title={name}>
        {back}
        {item.error ? <ErrorBar error={item.error} /> : <Spinner label="Loading the item…" />}
      </Page>
    );

  const rpo = liveRpo(i, now);
  const over = rpo !== null && rpo > i.rpoThresholdSeconds;

  return (
    <Page
      title={i.name}
      description={`Replicates from ${i.primarySite} to ${i.recoverySite} every ${describeSeconds(i.frequencySeconds)} (policy ${i.policy}).`}
      actions={<ItemActions item={i} onNotice={setNotice} reload={reloadAll} />}
    >
      {back}
      <NoticeBar notice={notice} onDismiss={() => setNotice(null)} testId="item-notice" />
      <ErrorBar error={item.error} />
      {i.lastError && (
        <MessageBar
          intent={i.health === 'critical' ? 'error' : 'warning'}
          layout="multiline"
          data-testid="item-last-error"
        >
          <MessageBarBody>
            <MessageBarTitle>{i.lastError.message}</MessageBarTitle>
            {i.lastError.hint}
            {i.retry && ` Attempt ${i.retry.attempt} failed; the next is at ${formatTime(i.retry.nextAttemptAt)}.`}
          </MessageBarBody>
        </MessageBar>
      )}
      {i.resync?.required && (
        <MessageBar intent="warning" layout="multiline" data-testid="item-resync">
          <MessageBarBody>
            <MessageBarTitle>Resynchronization required</MessageBarTitle>
            {i.resync.reason} It runs by itself in the window {i.resync.window}
            {i.resync.nextRunAt ? ` (next at ${formatTime(i.resync.nextRunAt)})` : ''}, or now with Resync.
          </MessageBarBody>
        </MessageBar>
      )}
      <div className={styles.cards}>
        <Card className={styles.card} data-testid="item-status" data-phase={i.phase} data-health={i.health}>
          <Title3 as="h2">Status</Title3>
          <dl className={section.dl}>
            <dt>Phase</dt>
            <dd className={section.dd}>
              <PhaseBadge phase={i.phase} paused={i.paused} reversed={isReversed(i)} testing={!!i.testFailover} />
            </dd>
            <dt>Health</dt>
            <dd className={section.dd}>
              <ItemHealthBadge health={i.health} reasons={i.healthReasons} />
            </dd>
            <dt>Last point</dt>
            <dd className={section.dd}>{formatTime(i.lastPointAt)}</dd>
            <dt>Next cycle</dt>
            <dd className={section.dd}>{i.paused ? 'paused' : formatTime(i.nextCycleAt)}</dd>
            <dt>Pending</dt>
            <dd className={section.dd}>
              {i.pendingBytes === null || i.pendingBytes === undefined ? '—' : formatBytes(i.pendingBytes)}
            </dd>
            {i.appConsistent?.warning && (
              <>
                <dt>App-consistent</dt>
                <dd className={section.dd}>{i.appConsistent.warning}</dd>
              </>
            )}
          </dl>
        </Card>
        <Card className={styles.card}>
          <Title3 as="h2">Recovery point objective</Title3>
          <Text className={over ? `${styles.big} ${styles.over}` : styles.big} data-testid="item-rpo">
            {formatAge(rpo)}
          </Text>
          <Text className={section.muted}>
            Threshold {describeSeconds(i.rpoThresholdSeconds)}: health turns Warning above it. Points every{' '}
            {describeSeconds(i.frequencySeconds)}
            {i.appConsistent?.frequencySeconds
              ? `, app-consistent every ${describeSeconds(i.appConsistent.frequencySeconds)}`
              : ''}
            .
          </Text>
        </Card>
        <Card className={styles.card}>
          <Title3 as="h2">Sites</Title3>
          <dl className={section.dl}>
            <dt>Active site</dt>
            <dd className={section.dd}>{i.activeSite}</dd>
            <dt>Recovery site</dt>
            <dd className={section.dd}>{i.recoverySite}</dd>
            <dt>Storage account</dt>
            <dd className={section.dd}>{i.account ?? '—'}</dd>
            <dt>Replication group</dt>
            <dd className={section.dd}>{i.group ? `${i.group} (${i.groupMembers.join(', ')})` : '—'}</dd>
          </dl>
        </Card>
      </div>
      <ReplicatedTable item={i} />
      <section aria-labelledby="points-title">
        <Title3 as="h2" id="points-title">
          Recovery points
        </Title3>
        <ErrorBar error={points.error} />
        {points.data && <PointsTimeline points={points.data} />}
      </section>
      <section aria-labelledby="charts-title">
        <Title3 as="h2" id="charts-title">
          RPO and throughput, last 24 hours
        </Title3>
        {history.data ? (
          <CycleCharts cycles={history.data} rpoThresholdSeconds={i.rpoThresholdSeconds} />
        ) : (
          <ErrorBar error={history.error} />
        )}
      </section>
      <CommandOutputs item={i} />
      <DrillReports item={i.name} />
      <ItemJobs item={i} />
    </Page>
  );
}

function ReplicatedTable({ item }: { item: ItemInfo }) {
  const styles = useStyles();
  const rows = [
    ...item.disks.map((d) => ({ ...d, kind: 'Disk' })),
    ...item.folders.map((f) => ({ ...f, kind: 'Folder' })),
  ];
  // Failed over, an item runs from a copy at the other site; a test failover has its own isolated copy.
  const moved = rows.some((r) => r.activePath && r.activePath !== r.sourcePath);
  const testing = rows.some((r) => r.testPath);
  return (
    <section aria-labelledby="replicated-title">
      <Title3 as="h2" id="replicated-title">
        Disks and folders
      </Title3>
      <Table aria-label="Disks and folders" size="small">
        <TableHeader>
          <TableRow>
            <TableHeaderCell style={{ width: 80 }}>Kind</TableHeaderCell>
            <TableHeaderCell style={{ width: 160 }}>Name</TableHeaderCell>
            <TableHeaderCell>Source ({item.primarySite})</TableHeaderCell>
            <TableHeaderCell>Replica ({item.recoverySite})</TableHeaderCell>
            {moved && <TableHeaderCell>Active ({item.activeSite})</TableHeaderCell>}
            {testing && <TableHeaderCell>Test copy</TableHeaderCell>}
          </TableRow>
        </TableHeader>
        <TableBody>
          {rows.map((r) => (
            <TableRow key={`${r.kind}-${r.sourcePath}`} data-replicated={r.name}>
              <TableCell>{r.kind}</TableCell>
              <TableCell>{r.name}</TableCell>
              <TableCell className={styles.path}>{r.sourcePath}</TableCell>
              <TableCell className={styles.path}>{r.replicaPath}</TableCell>
              {moved && <TableCell className={styles.path}>{r.activePath ?? '—'}</TableCell>}
              {testing && (
                <TableCell className={styles.path} data-testid="test-path">
                  {r.testPath ?? '—'}
                </TableCell>
              )}
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </section>
  );
}
