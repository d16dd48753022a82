/**
 * Whether an item's disks and folders can be read where the item runs now, asked of the right side: this machine's
 * files when it runs at the primary or a local site, the agent when it runs at an agent site (its failed-over copy,
 * through `sourceStat`, with a short timeout of its own so a wizard never waits on a dead host). A planned failover
 * and the `latest` option need the source; when an agent site cannot be reached, only an unplanned failover is
 * possible, and it loses what the item wrote there after its newest point (docs/failover.md "Point options").
 */
import fsp from 'node:fs/promises';
import { toErrorInfo } from '../errors';
import type { SiteManager } from '../sites/manager';
import { isSiteUnreachable, RemoteSiteAgent } from '../sites/remote-agent';
import type { SiteRow } from '../sites/store';
import type { SourceStat } from './source-side';
import type { ItemRow, SourceRow } from './store';

/** How long the question to an agent site may take: a wizard's options come back within it. */
export const REACH_TIMEOUT_MS = 3000;

export interface SourceReach {
  /** Every disk and folder of the item can be read at the site it runs at. */
  readable: boolean;
  /** The agent site the item runs at, when it did not answer; null when it did or the site is on this machine. */
  unreachableSite: string | null;
  /** Why the source cannot be read, for people; null when it can. */
  reason: string | null;
}

export interface SourceReachDeps {
  sites: SiteManager;
  sources: (itemId: string) => SourceRow[];
  /** Where a disk or folder is while the item is active at a site (replication/direction.ts `activePath`). */
  activePath: (item: ItemRow, s: SourceRow, site: SiteRow) => string;
}

const describe = (s: SourceRow) => `${s.kind === 'disk' ? 'disk' : 'folder'} ${s.name}`;

/** Asks the site the item runs at whether each of its disks and folders is there to read. */
export async function sourceReach(
  deps: SourceReachDeps,
  item: ItemRow,
  timeoutMs = REACH_TIMEOUT_MS,
): Promise<SourceReach> {
  const site = deps.sites.store.byId(item.active_site_id);
  const sources = deps.sources(item.id);
  if (!site)
    return { readable: false, unreachableSite: null, reason: `The site ${item.name} runs at no longer exists.` };
  const missing = (s: SourceRow, where: string) => ({
    readable: false,
    unreachableSite: null,
    reason: `The ${describe(s)} of ${item.name} is not at ${where}.`,
  });
  if (site.kind !== 'agent') {
    for (const s of sources) {
      const p = deps.activePath(item, s, site);
      const ok = await fsp.access(p, fsp.constants.R_OK).then(
        () => true,
        () => false,
      );
      if (!ok) return missing(s, p);
    }
    return { readable: true, unreachableSite: null, reason: null };
  }
  const agent = deps.sites.agentFor(site);
  if (!(agent instanceof RemoteSiteAgent))
    return { readable: false, unreachableSite: null, reason: `The site ${site.name} has no remote agent.` };
  // A connection of its own with a short timeout: the site's usual one waits a minute for a slow disk.
  const quick = new RemoteSiteAgent(agent.conn, timeoutMs);
  try {
    for (const s of sources) {
      const p = deps.activePath(item, s, site);
      const st = await quick.readAt<SourceStat | null>('sourceStat', [p]);
      if (!st || (s.kind === 'disk' ? !st.file : !st.dir)) return missing(s, `${p} (at ${site.name})`);
    }
    return { readable: true, unreachableSite: null, reason: null };
  } catch (err) {
    const why = toErrorInfo(err).message.replace(/\.$/, '');
    if (isSiteUnreachable(err))
      return {
        readable: false,
        unreachableSite: site.name,
        reason: `The agent site ${site.name} is unreachable (${why}).`,
      };
    return {
      readable: false,
      unreachableSite: null,
      reason: `The source of ${item.name} cannot be read at ${site.name} (${why}).`,
    };
  } finally {
    quick.close();
  }
}
