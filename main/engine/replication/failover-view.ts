/**
 * What `item show` says about an item's failover: the failover not committed or committed, a test failover that is
 * up, and where each disk and folder is active (its source while the item runs at its primary site, its active copy
 * once it failed over) and its test copy, and its drill schedule. A copy being written is never shown: paths appear once it is in place.
 */
import type { SiteManager } from '../sites/manager';
import type { DrillSchedules } from './drill-schedule';
import type { FailoverStore } from './failover-store';
import type { ItemRow, SourceRow } from './store';

export interface FailoverViewDeps {
  failovers: FailoverStore;
  sites: SiteManager;
  /** The item's drill schedule (replication/drill-schedule.ts). */
  drillSchedule?: (itemId: string) => DrillScheduleView | null;
}

export interface FailoverView {
  failover: {
    type: 'planned' | 'unplanned';
    pointId: string;
    pointCreatedAt: string;
    at: string;
    from: string;
    to: string;
  } | null;
  testFailover: { drillId: string; pointId: string; startedAt: string; jobId: string | null } | null;
  drillSchedule: DrillScheduleView | null;
  activePath: (s: SourceRow) => string | null;
  testPath: (s: SourceRow) => string | null;
}

type DrillScheduleView = ReturnType<DrillSchedules['view']>;

const inCopy = (root: string, s: SourceRow) => `${root}/${s.kind === 'disk' ? 'disks' : 'folders'}/${s.name}`;

export function failoverView(deps: FailoverViewDeps, item: ItemRow): FailoverView {
  const siteName = (id: string) => deps.sites.store.byId(id)?.name ?? id;
  const f = deps.failovers.failover(item.id);
  const test = deps.failovers.test(item.id);
  const ref = { id: item.id, name: item.name };
  const recovery = () => deps.sites.agentFor(deps.sites.store.byId(item.recovery_site_id)!);
  const activeAtRecovery = item.active_site_id === item.recovery_site_id;
  const activeRoot = activeAtRecovery ? recovery().copyPath(ref, 'active') : null;
  const testRoot = test?.point ? recovery().copyPath(ref, 'test') : null;
  return {
    failover: f && {
      type: f.type,
      pointId: f.point.id,
      pointCreatedAt: f.point.createdAt,
      at: f.at,
      from: siteName(f.fromSiteId),
      to: siteName(f.toSiteId),
    },
    testFailover: test?.point
      ? { drillId: test.drillId, pointId: test.point.id, startedAt: test.startedAt, jobId: test.jobId }
      : null,
    drillSchedule: deps.drillSchedule?.(item.id) ?? null,
    activePath: (s) => (activeRoot ? inCopy(activeRoot, s) : s.source_path),
    testPath: (s) => (testRoot ? inCopy(testRoot, s) : null),
  };
}
