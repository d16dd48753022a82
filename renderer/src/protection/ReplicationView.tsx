/**
 * Replication, per site (AppAssure's core-to-core view): for each recovery site, the items this installation sends
 * to it (outgoing) and the items it sends back here (incoming, after a failover and reprotect), each with its health,
 * RPO, the bytes of its last cycle and the mean over its last cycles, and Pause or Resume, per item and per site.
 */
import {
  Badge,
  Button,
  Card,
  Link,
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
import { ArrowExportLtrRegular, ArrowImportRegular, PauseRegular, PlayRegular } from '@fluentui/react-icons';
import { useState, type ReactNode } from 'react';
import { call } from '../api/client';
import { useNow } from '../api/hooks';
import { NoticeBar, type Notice } from '../ui/Notice';
import { formatBytes, formatTime } from '../format';
import { ErrorBar } from '../ui/ErrorBar';
import {
  ItemHealthBadge,
  PhaseBadge,
  formatAge,
  isReversed,
  itemHref,
  liveRpo,
  type Item,
  type SiteInfo,
} from './labels';
import { useProtectionQuery } from './useProtectionQuery';

const useStyles = makeStyles({
  site: { padding: tokens.spacingHorizontalL, display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  head: { display: 'flex', gap: tokens.spacingHorizontalM, alignItems: 'baseline', flexWrap: 'wrap' },
  muted: { color: tokens.colorNeutralForeground3 },
  scroll: { overflowX: 'auto' },
  table: { minWidth: '760px' },
  direction: {
    display: 'inline-flex',
    gap: tokens.spacingHorizontalXS,
    alignItems: 'center',
    fontWeight: tokens.fontWeightSemibold,
  },
});

/** Items grouped by the site at the other end: outgoing when this installation (the primary) is the active site. */
export function replicationBySite(
  sites: SiteInfo[],
  items: Item[],
): Array<{ site: SiteInfo; outgoing: Item[]; incoming: Item[] }> {
  const primary = sites.find((s) => s.kind === 'primary')?.name ?? 'primary';
  return sites
    .filter((s) => s.kind !== 'primary')
    .map((site) => ({
      site,
      outgoing: items.filter((i) => i.recoverySite === site.name && i.activeSite === primary),
      // Active at the site: after a failover, and once reprotected it replicates back here.
      incoming: items.filter((i) => i.activeSite === site.name),
    }));
}

export function ReplicationView() {
  const styles = useStyles();
  const sites = useProtectionQuery('sites.list', {});
  const items = useProtectionQuery('items.list', {});
  const [notice, setNotice] = useState<Notice | null>(null);
  if ((sites.loading && !sites.data) || (items.loading && !items.data)) return <Spinner label="Loading replication…" />;
  const groups = replicationBySite(sites.data ?? [], items.data ?? []);
  const act = {
    onNotice: setNotice,
    reload: () => {
      items.reload();
      sites.reload();
    },
  };
  return (
    <section
      aria-label="Replication"
      style={{ display: 'flex', flexDirection: 'column', gap: 12 }}
      data-testid="replication-view"
    >
      <Text>
        What this installation sends to each recovery site, and what comes back here after a failover and reprotect.
        Bytes per cycle are what each cycle sent, after leaving out unchanged blocks and holes.
      </Text>
      <NoticeBar notice={notice} onDismiss={() => setNotice(null)} testId="replication-notice" />
      <ErrorBar error={sites.error ?? items.error} />
      {groups.length === 0 && <Text className={styles.muted}>No recovery sites yet: add one on the Sites tab.</Text>}
      {groups.map(({ site, outgoing, incoming }) => (
        <Card key={site.name} className={styles.site} data-replication-site={site.name}>
          <div className={styles.head}>
            <Title3 as="h2">{site.name}</Title3>
            <Text className={styles.muted}>
              {site.kind === 'agent' ? `site agent ${site.agent ?? ''}` : `folder ${site.root ?? ''}`}
            </Text>
            <Badge
              appearance="tint"
              color="informative"
            >{`${outgoing.length} outgoing · ${incoming.length} incoming`}</Badge>
            <SitePause site={site} {...act} />
          </div>
          <Direction
            label={`Outgoing: this installation → ${site.name}`}
            icon={<ArrowExportLtrRegular />}
            items={outgoing}
            testId="outgoing"
            {...act}
          />
          <Direction
            label={`Incoming: ${site.name} → this installation`}
            icon={<ArrowImportRegular />}
            items={incoming}
            testId="incoming"
            {...act}
          />
        </Card>
      ))}
    </section>
  );
}

interface DirectionProps {
  label: string;
  icon: ReactNode;
  items: Item[];
  testId: string;
  onNotice(n: Notice): void;
  reload(): void;
}

function Direction({ label, icon, items, testId, onNotice, reload }: DirectionProps) {
  const styles = useStyles();
  return (
    <div data-testid={testId}>
      <Text className={styles.direction}>
        {icon}
        {label}
      </Text>
      {items.length === 0 ? (
        <Text block className={styles.muted}>
          None.
        </Text>
      ) : (
        <div className={styles.scroll}>
          <Table aria-label={label} size="small" className={styles.table}>
            <TableHeader>
              <TableRow>
                <TableHeaderCell>Item</TableHeaderCell>
                <TableHeaderCell style={{ width: 190 }}>Phase</TableHeaderCell>
                <TableHeaderCell style={{ width: 100 }}>Health</TableHeaderCell>
                <TableHeaderCell style={{ width: 100 }}>RPO</TableHeaderCell>
                <TableHeaderCell style={{ width: 190 }}>Last cycle</TableHeaderCell>
                <TableHeaderCell style={{ width: 130 }}>Mean per cycle</TableHeaderCell>
                <TableHeaderCell style={{ width: 110 }}>Actions</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((i) => (
                <ReplicationRow key={i.name} item={i} onNotice={onNotice} reload={reload} />
              ))}
            </TableBody>
          </Table>
        </div>
      )}
    </div>
  );
}

function ReplicationRow({ item, onNotice, reload }: { item: Item; onNotice(n: Notice): void; reload(): void }) {
  const styles = useStyles();
  const detail = useProtectionQuery('items.show', { name: item.name }, 10_000);
  const now = useNow(true, 1000);
  const [busy, setBusy] = useState(false);
  const cycles = (detail.data?.lastCycles ?? []).filter((c) => c.ok);
  const last = cycles.at(-1);
  const mean = cycles.length ? cycles.reduce((s, c) => s + c.bytesSent, 0) / cycles.length : null;
  const toggle = async () => {
    setBusy(true);
    const r = await call(item.paused ? 'items.resume' : 'items.pause', { name: item.name });
    setBusy(false);
    const done = item.paused ? `Replication of “${item.name}” resumed.` : `Replication of “${item.name}” is paused.`;
    onNotice(
      r.ok ? { intent: 'success', title: done } : { intent: 'error', title: r.error.message, body: r.error.hint },
    );
    reload();
    detail.reload();
  };
  return (
    <TableRow data-item={item.name} data-paused={item.paused}>
      <TableCell>
        <Link href={itemHref(item.name)}>{item.name}</Link>
      </TableCell>
      <TableCell>
        <PhaseBadge phase={item.phase} paused={item.paused} reversed={isReversed(item)} />
      </TableCell>
      <TableCell>
        <ItemHealthBadge health={item.health} />
      </TableCell>
      <TableCell>{formatAge(liveRpo(item, now))}</TableCell>
      <TableCell data-testid="last-cycle-bytes">
        {last ? formatBytes(last.bytesSent) : '—'}
        <Text block size={200} className={styles.muted}>
          {last ? formatTime(last.at) : 'no cycle yet'}
        </Text>
      </TableCell>
      <TableCell>
        {mean === null ? '—' : formatBytes(mean)}
        <Text block size={200} className={styles.muted}>
          {`${cycles.length} cycle${cycles.length === 1 ? '' : 's'}`}
        </Text>
      </TableCell>
      <TableCell>
        <Button
          size="small"
          appearance="subtle"
          disabled={busy}
          icon={item.paused ? <PlayRegular /> : <PauseRegular />}
          onClick={() => void toggle()}
        >
          {item.paused ? 'Resume' : 'Pause'}
        </Button>
      </TableCell>
    </TableRow>
  );
}

/** Pause or resume every item replicating to or from the site (`site pause`, `site resume`). */
function SitePause({ site, onNotice, reload }: { site: SiteInfo; onNotice(n: Notice): void; reload(): void }) {
  const [busy, setBusy] = useState(false);
  const toggle = async () => {
    setBusy(true);
    const r = await call(site.paused ? 'sites.resume' : 'sites.pause', { name: site.name });
    setBusy(false);
    const done = site.paused
      ? `Replication with “${site.name}” resumed.`
      : `Replication with “${site.name}” is paused: its items run no cycles.`;
    onNotice(
      r.ok ? { intent: 'success', title: done } : { intent: 'error', title: r.error.message, body: r.error.hint },
    );
    reload();
  };
  return (
    <Button
      size="small"
      disabled={busy}
      icon={site.paused ? <PlayRegular /> : <PauseRegular />}
      onClick={() => void toggle()}
      data-site-paused={site.paused}
    >
      {site.paused ? 'Resume site' : 'Pause site'}
    </Button>
  );
}
