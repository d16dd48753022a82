/** Pages that later capabilities fill: what each will be for, and the action that will start it. */
import { Button, Text, Title3, Tooltip } from '@fluentui/react-components';
import { AddRegular, FlowchartRegular, ShieldCheckmarkRegular } from '@fluentui/react-icons';
import type { JSX } from 'react';
import type { RouteId } from '../shell/routes';
import { Page, useSectionStyles } from '../ui/Page';

interface Planned {
  title: string;
  description: string;
  icon: JSX.Element;
  emptyTitle: string;
  purpose: string[];
  action: string;
  arrivesWith: string;
}

const planned: Record<'protected-items' | 'recovery-plans', Planned> = {
  'protected-items': {
    title: 'Protected items',
    description: 'Machines replicating to a recovery site, with their health and recovery points.',
    icon: <ShieldCheckmarkRegular fontSize={40} />,
    emptyTitle: 'No protected items yet',
    purpose: [
      "Enabling protection copies a machine's disks to the recovery site once, then sends only the changes every few minutes; recovery points are kept for the policy's retention.",
      'From here you run a test, planned or unplanned failover to a chosen recovery point, commit it, reprotect, and fail back.',
    ],
    action: 'Enable protection',
    arrivesWith: 'replication and failover of machines',
  },
  'recovery-plans': {
    title: 'Recovery plans',
    description: 'Ordered groups of protected items that fail over together.',
    icon: <FlowchartRegular fontSize={40} />,
    emptyTitle: 'No recovery plans yet',
    purpose: [
      'A plan brings machines up group by group, with scripts and manual actions between groups, at a common consistent point in time when the items replicate as a group.',
      'Run it as a test to rehearse the recovery without touching replication, or for real when the primary site is down.',
    ],
    action: 'Create a recovery plan',
    arrivesWith: 'replication and failover of machines',
  },
};

export function PlannedPage({ route }: { route: RouteId }) {
  const styles = useSectionStyles();
  const page = planned[route as keyof typeof planned];
  if (!page) return null;
  return (
    <Page title={page.title} description={page.description}>
      <section className={styles.empty} aria-labelledby="empty-title">
        {page.icon}
        <Title3 as="h2" id="empty-title">
          {page.emptyTitle}
        </Title3>
        {page.purpose.map((p) => (
          <Text key={p}>{p}</Text>
        ))}
        <Tooltip content={`Arrives with ${page.arrivesWith}.`} relationship="description">
          <Button appearance="primary" icon={<AddRegular />} disabledFocusable>
            {page.action}
          </Button>
        </Tooltip>
      </section>
    </Page>
  );
}
