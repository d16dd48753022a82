/**
 * How a failover of a protected item reads in the UI: the contract's types, the three failover types and the
 * recovery-point options in words (a failback's own words when the item runs at its recovery site), what a point
 * would lose, and the direction ("Fail over to dr (primary → dr)", or "Fail back to primary (dr → primary)").
 */
import type { z } from 'zod';
import type {
  DrillReport,
  FailoverOption,
  FailoverOptions,
  FailoverResult,
} from '../../../../main/shared/contract-item-failover';
import { useQuery } from '../../api/query';
import type { Job } from '../../api/types';
import { formatBytes } from '../../format';
import { formatAge } from '../labels';

export type FailoverType = 'test' | 'planned' | 'unplanned';
export type FailoverOptionsInfo = z.infer<typeof FailoverOptions>;
export type FailoverOptionInfo = z.infer<typeof FailoverOption>;
export type FailoverResultInfo = z.infer<typeof FailoverResult>;
export type DrillReportInfo = z.infer<typeof DrillReport>;

export const TYPE_TEXT: Record<FailoverType, { label: string; about: string }> = {
  test: {
    label: 'Test failover',
    about:
      'Brings up a copy of a recovery point in an isolated place at the other site. ' +
      'The machine keeps running and replication goes on; clean the test up afterwards.',
  },
  planned: {
    label: 'Planned failover',
    about:
      'No data loss: shuts the source down, replicates every remaining change, then brings the machine up at the other site.',
  },
  unplanned: {
    label: 'Unplanned failover',
    about:
      'For when the source is down or unreachable: brings the machine up at the other site from a recovery point already there.',
  },
};

/** The same types when the item runs at its recovery site: each brings it back to its primary site. */
export const BACK_TYPE_TEXT: Record<FailoverType, { label: string; about: string }> = {
  test: {
    label: 'Test failover',
    about:
      'Brings up a copy of the newest point in an isolated place at the primary site. ' +
      'The machine keeps running at the recovery site and replication goes on; clean the test up afterwards.',
  },
  planned: {
    label: 'Planned failback',
    about:
      'No data loss: shuts the machine down at the recovery site, replicates every remaining change into its original disks and folders, ' +
      'then starts it at the primary site.',
  },
  unplanned: {
    label: 'Unplanned failback',
    about:
      'For when the recovery site is down or unreachable: starts the machine at the primary site from the newest point already there.',
  },
};

/** The words of a type: a failover's, or a failback's when the item runs at its recovery site. */
export const typeText = (type: FailoverType, back: boolean) => (back ? BACK_TYPE_TEXT : TYPE_TEXT)[type];

export const OPTION_TEXT: Record<string, { label: string; about: string }> = {
  latest: { label: 'Latest', about: 'First processes all data already sent, making a new point: the lowest RPO.' },
  'latest-processed': { label: 'Latest processed', about: 'The newest point already processed: the lowest RTO.' },
  'latest-app-consistent': {
    label: 'Latest app-consistent',
    about: 'The newest point taken between quiesce and thaw.',
  },
  'latest-multi-processed': {
    label: 'Latest multi-item processed',
    about: 'Items of a replication group go to their newest common point; an item of its own to its latest processed.',
  },
  'latest-multi-app-consistent': {
    label: 'Latest multi-item app-consistent',
    about:
      'Items of a replication group go to their newest common app-consistent point; an item of its own to its latest app-consistent.',
  },
};

/** What choosing the option would lose: "nothing", or the age of its point and the changed bytes not in it. */
export function describeLoss(o: Pick<FailoverOptionInfo, 'lossSeconds' | 'pendingBytes' | 'processesPending'>): string {
  if (o.lossSeconds === null) return '—';
  if (o.processesPending || o.lossSeconds === 0) return 'nothing already sent';
  const bytes = o.pendingBytes ? ` and ${formatBytes(o.pendingBytes)} changed since` : '';
  return `the last ${formatAge(o.lossSeconds)} of writes${bytes}`;
}

/** "Fail over to dr (primary → dr)", or "Fail back to primary (dr → primary)" for an item running at its recovery site. */
export const directionText = (o: Pick<FailoverOptionsInfo, 'from' | 'to' | 'reversed'>) =>
  `${o.reversed ? 'Fail back' : 'Fail over'} to ${o.to} (${o.from} → ${o.to})`;

/** What the point means in a failback: any point goes back into the original disks and folders; older ones lose more. */
export const FAILBACK_APP_NOTE =
  'Any point can be failed back to: it is written into the original disks and folders at the primary site. ' +
  'App-consistent points are older than the newest point, so failing back to one loses every write made after it (each option says how much).';

/** What the Failover wizard collects. */
export interface FailoverData {
  item: string;
  /** The item runs at its recovery site: this is a failback, worded as one. */
  back: boolean;
  type: FailoverType;
  /** An option name, a point id, or "custom" until a point is picked. */
  point: string;
  shutdownSource: boolean;
  confirmed: boolean;
  job: Job | null;
}

export const initialFailover = (item: string, back = false, type: FailoverType = 'planned'): FailoverData => ({
  item,
  back,
  type,
  point: 'latest',
  shutdownSource: type === 'planned',
  confirmed: false,
  job: null,
});

/** The options for the data's type, as the engine sees them now. */
export const useFailoverOptions = (d: Pick<FailoverData, 'item' | 'type'>) =>
  useQuery('items.failoverOptions', { name: d.item, type: d.type });
