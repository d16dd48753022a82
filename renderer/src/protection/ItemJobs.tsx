/**
 * A protected item's jobs, newest first: enabling, cycles (its group's too), resyncs, failovers. From the live job
 * list every page shares, shown in the shared jobs table (ui/JobsTable.tsx).
 */
import { Title3 } from '@fluentui/react-components';
import { useLifeboat } from '../api/hooks';
import type { Job } from '../api/types';
import { JobsTable } from '../ui/JobsTable';
import type { ItemInfo } from './labels';

/** Jobs about the item, or about its replication group (whose cycles make the item's points). */
export const isItemJob = (item: Pick<ItemInfo, 'name' | 'group'>) => (j: Job) =>
  (j.objectKind === 'protected-item' && j.objectName === item.name) ||
  (!!item.group && j.objectKind === 'replication-group' && j.objectName === item.group);

export function ItemJobs({ item }: { item: ItemInfo }) {
  const { jobs } = useLifeboat();
  return (
    <section aria-labelledby="item-jobs-title" data-testid="item-jobs">
      <Title3 as="h2" id="item-jobs-title">
        Jobs
      </Title3>
      <JobsTable jobs={jobs.filter(isItemJob(item))} label={`Jobs of ${item.name}`} shown={12} />
    </section>
  );
}
