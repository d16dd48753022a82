/**
 * Which way an item replicates, the one rule for it: from the site where it is active to its other site. Forward, the
 * primary site's disks and folders (their source paths) go to the recovery site's replica; in reverse (after a
 * failover, commit and reprotect: "protected in reverse", replication/phases.ts) the failed-over copies at the
 * recovery site (their activePath, docs/failover.md) go back to the item's original paths at the primary site, whose
 * journal is kept in the app's data directory (sites/primary-agent.ts). A cycle (replication/cycle.ts) takes the
 * source side and the target side from here, so one engine serves both directions. A copy at an agent site is read at
 * the agent's host (replication/agent-source.ts); one at the primary or a local site on this machine.
 *
 * Where the points are: the target of the current direction; once an item failed over (failed-over, committed) they
 * are at the site it failed over to, which is now its active site, until reprotect replicates the other way.
 */
import path from 'node:path';
import { LifeboatError } from '../../shared/errors';
import type { SiteAgent, SiteItemRef } from '../sites/agent';
import type { SiteManager } from '../sites/manager';
import { PrimarySideAgent } from '../sites/primary-agent';
import { RemoteSiteAgent } from '../sites/remote-agent';
import type { SiteRow } from '../sites/store';
import type { WorkerPool } from '../workers/pool';
import { AgentSource } from './agent-source';
import type { HashBlocksTask } from './disk-scan';
import { dataExtents } from './extent-probe';
import { isReversed } from './phases';
import { LocalSource, type SourceSide } from './source-side';
import type { ItemRow, ReplicationStore, SourceRow } from './store';

export interface DirectionDeps {
  store: ReplicationStore;
  sites: SiteManager;
  workers: WorkerPool;
  stateDir: string;
}

export interface Direction {
  reversed: boolean;
  /** The site the item's disks and folders are read at (where it is active). */
  from: SiteRow;
  /** The site that holds its replica and points. */
  to: SiteRow;
  /** For people: "primary → dr", "dr → primary". */
  label: string;
}

/** The one rule: an item replicates from the site where it is active to its other site. */
export function directionEnds(item: Pick<ItemRow, 'active_site_id' | 'primary_site_id' | 'recovery_site_id'>): {
  fromId: string;
  toId: string;
} {
  return {
    fromId: item.active_site_id,
    toId: item.active_site_id === item.primary_site_id ? item.recovery_site_id : item.primary_site_id,
  };
}

/** Phases in which the points are at the item's active site: it failed over to them and has not replicated back yet. */
const LANDED = new Set(['failed-over', 'committed']);

export class Directions {
  private readonly primary: PrimarySideAgent;

  constructor(private readonly deps: DirectionDeps) {
    this.primary = new PrimarySideAgent({
      stateDir: deps.stateDir,
      placesOf: (ref) => this.places(ref),
      hashFile: (file) => (run, signal) =>
        deps.workers.run({ op: 'replica-hash', path: file, ...run } satisfies HashBlocksTask, signal),
      extents: dataExtents,
    });
  }

  private site(id: string): SiteRow {
    return this.deps.sites.store.byId(id)!;
  }

  /** The direction the item replicates in now (or would, once reprotected). */
  of(item: ItemRow): Direction {
    const ends = directionEnds(item);
    const [from, to] = [this.site(ends.fromId), this.site(ends.toId)];
    return { reversed: isReversed(item), from, to, label: `${from.name} → ${to.name}` };
  }

  /** The site that holds the item's replica and points now. */
  replicaSite(item: ItemRow): SiteRow {
    return LANDED.has(item.phase) ? this.site(item.active_site_id) : this.of(item).to;
  }

  /** The agent of the site holding the item's replica and points: a recovery site's, or the primary side's in reverse. */
  target(item: ItemRow): SiteAgent {
    const site = this.replicaSite(item);
    return site.kind === 'primary' ? this.primary : this.deps.sites.agentFor(site);
  }

  /** Where a disk or folder of the item is while it is active at `site`: its source path, or its failed-over copy. */
  activePath(item: ItemRow, s: SourceRow, site: SiteRow = this.site(item.active_site_id)): string {
    if (site.kind === 'primary') return s.source_path;
    const root = this.deps.sites.agentFor(site).copyPath({ id: item.id, name: item.name }, 'active');
    return path.join(root, s.kind === 'disk' ? 'disks' : 'folders', s.name);
  }

  /** The source side: the item's files where it is active, read on this machine, or at the agent's host for an agent site. */
  source(item: ItemRow): SourceSide {
    const site = this.site(item.active_site_id);
    if (site.kind === 'agent') {
      const agent = this.deps.sites.agentFor(site);
      if (!(agent instanceof RemoteSiteAgent))
        throw new LifeboatError('internal', `The site ${site.name} has no remote agent.`, 'Report this as a bug.');
      return new AgentSource(agent, (s) => this.activePath(item, s, site), site.name);
    }
    return new LocalSource(this.deps.workers, (s) => this.activePath(item, s, site));
  }

  /** The original paths of an item's disks and folders: the primary side's replica. */
  private places(ref: SiteItemRef) {
    const out = { disks: {} as Record<string, string>, folders: {} as Record<string, string> };
    for (const s of this.deps.store.sources(ref.id))
      (s.kind === 'disk' ? out.disks : out.folders)[s.name] = s.source_path;
    return out;
  }
}
