/**
 * Protected items: machines replicating to a recovery site. Four tabs: the items (health, RPO, last point, phase;
 * Enable protection), replication per site (outgoing and incoming), replication policies and sites. An item's name
 * opens its page at `#/protected-items/NAME`.
 */
import {
  Button,
  Link,
  Spinner,
  Tab,
  TabList,
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
import { ShieldAddRegular, ShieldCheckmarkRegular } from '@fluentui/react-icons';
import { useState, useSyncExternalStore, type ReactNode } from 'react';
import { useNow } from '../api/hooks';
import { NoticeBar, jobStartedNotice, type Notice } from '../devices/notice';
import { formatTime } from '../format';
import { EnableProtectionWizard } from '../protection/EnableProtectionWizard';
import { ItemPage } from '../protection/ItemPage';
import {
  PhaseBadge,
  ItemHealthBadge,
  formatAge,
  isReversed,
  itemHref,
  liveRpo,
  protectionView,
  tabHref,
  type ProtectionTab,
} from '../protection/labels';
import { PoliciesSection } from '../protection/PoliciesSection';
import { ReplicationView } from '../protection/ReplicationView';
import { SitesSection } from '../protection/SitesSection';
import { useProtectionQuery } from '../protection/useProtectionQuery';
import { ErrorBar } from './ErrorBar';
import { Page, useSectionStyles } from './Page';

const useStyles = makeStyles({
  table: { minWidth: '860px' },
  muted: { color: tokens.colorNeutralForeground3 },
  scroll: { overflowX: 'auto' },
});

const useHash = () =>
  useSyncExternalStore(
    (notify) => {
      window.addEventListener('hashchange', notify);
      return () => window.removeEventListener('hashchange', notify);
    },
    () => location.hash,
  );

const TAB_LABEL: Record<ProtectionTab, string> = {
  items: 'Items',
  replication: 'Replication',
  policies: 'Replication policies',
  sites: 'Sites',
};

export function ProtectedItemsPage() {
  const view = protectionView(useHash());
  const [wizard, setWizard] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);
  if (view.item) return <ItemPage name={view.item} />;
  const enable = (
    <Button appearance="primary" icon={<ShieldAddRegular />} onClick={() => setWizard(true)}>
      Enable protection
    </Button>
  );
  return (
    <Page
      title="Protected items"
      description="Machines replicating to a recovery site, with their health and recovery points."
      actions={view.tab === 'items' ? enable : undefined}
    >
      <TabList
        selectedValue={view.tab}
        onTabSelect={(_, d) => (location.hash = tabHref(d.value as ProtectionTab))}
        aria-label="Protection views"
      >
        {(Object.keys(TAB_LABEL) as ProtectionTab[]).map((t) => (
          <Tab key={t} value={t}>
            {TAB_LABEL[t]}
          </Tab>
        ))}
      </TabList>
      <NoticeBar notice={notice} onDismiss={() => setNotice(null)} testId="protection-notice" />
      {view.tab === 'items' && <ItemList enable={enable} />}
      {view.tab === 'replication' && <ReplicationView />}
      {view.tab === 'policies' && <PoliciesSection />}
      {view.tab === 'sites' && <SitesSection />}
      {wizard && (
        <EnableProtectionWizard
          onClose={(job, name) => {
            setWizard(false);
            if (name && job?.status === 'succeeded') location.hash = itemHref(name);
            else if (job) setNotice(jobStartedNotice(job));
          }}
        />
      )}
    </Page>
  );
}

function ItemList({ enable }: { enable: ReactNode }) {
  const styles = useStyles();
  const section = useSectionStyles();
  const items = useProtectionQuery('items.list', {});
  const now = useNow(true, 1000);
  const list = items.data ?? [];
  if (items.loading && !items.data) return <Spinner label="Loading protected items…" />;
  return (
    <>
      <ErrorBar error={items.error} />
      {list.length === 0 ? (
        <section className={section.empty} aria-labelledby="items-empty-title">
          <ShieldCheckmarkRegular fontSize={40} />
          <Title3 as="h2" id="items-empty-title">
            No protected items yet
          </Title3>
          <Text>
            Enabling protection copies a machine&apos;s disks and folders to a recovery site once, then sends only the
            changes at the policy&apos;s frequency. Each cycle makes a recovery point, kept for the policy&apos;s
            retention.
          </Text>
          <Text>
            You need a recovery site (Sites tab) first; the default replication policy sends changes every 5 minutes.
          </Text>
          {enable}
        </section>
      ) : (
        <div className={styles.scroll}>
          <Table aria-label="Protected items" className={styles.table} size="small">
            <TableHeader>
              <TableRow>
                <TableHeaderCell>Name</TableHeaderCell>
                <TableHeaderCell style={{ width: 200 }}>Phase</TableHeaderCell>
                <TableHeaderCell style={{ width: 110 }}>Health</TableHeaderCell>
                <TableHeaderCell style={{ width: 120 }}>RPO</TableHeaderCell>
                <TableHeaderCell style={{ width: 170 }}>Last point</TableHeaderCell>
                <TableHeaderCell>Recovery site</TableHeaderCell>
                <TableHeaderCell>Policy</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {list.map((i) => (
                <TableRow key={i.name} data-item={i.name} data-health={i.health} data-phase={i.phase}>
                  <TableCell>
                    <Link href={itemHref(i.name)}>
                      <Text weight="semibold">{i.name}</Text>
                    </Link>
                    {i.group && (
                      <Text block size={200} className={styles.muted}>
                        group {i.group}
                      </Text>
                    )}
                  </TableCell>
                  <TableCell>
                    <PhaseBadge phase={i.phase} paused={i.paused} reversed={isReversed(i)} />
                  </TableCell>
                  <TableCell>
                    <ItemHealthBadge health={i.health} />
                  </TableCell>
                  <TableCell data-testid="item-rpo">{formatAge(liveRpo(i, now))}</TableCell>
                  <TableCell>
                    {formatTime(i.lastPointAt)}
                    <Text block size={200} className={styles.muted}>
                      {i.points} point{i.points === 1 ? '' : 's'}
                    </Text>
                  </TableCell>
                  <TableCell>{i.recoverySite}</TableCell>
                  <TableCell>{i.policy}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
      )}
    </>
  );
}
