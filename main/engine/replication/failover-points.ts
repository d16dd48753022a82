/**
 * Which recovery point each failover choice means for an item, in one place (docs/failover.md "Point options"): the
 * newest point, the newest app-consistent one, the newest complete multi-item (group) point, or a point id, which must
 * be one of the item's. Also what each option would lose and the bytes a copy writes (RTO: replication/rto-estimate.ts).
 */
import fs from 'node:fs';
import { LifeboatError } from '../../shared/errors';
import { POINT_OPTIONS, type PointOption } from '../../shared/contract-item-failover';
import type { FailoverPointRef } from './failover-store';
import type { ItemRow, PointRow, ReplicationStore, SourceRow } from './store';

export const isPointOption = (s: string): s is PointOption => (POINT_OPTIONS as readonly string[]).includes(s);

export const pointRef = (p: PointRow): FailoverPointRef => ({
  id: p.id,
  createdAt: p.created_at,
  kind: p.kind,
  groupPoint: p.group_point,
});

export interface Resolved {
  option: PointOption | 'custom';
  point: PointRow;
  /** latest: a final cycle runs first; its point is the one used. */
  processesPending: boolean;
}

/** What the points need to know about the item's group. */
export interface PointContext {
  store: ReplicationStore;
  /** The kinds of every member's point of a group point. */
  groupPointKinds: (groupPoint: string) => ('crash' | 'app')[];
}

function newestGroupPoint(ctx: PointContext, item: ItemRow, points: PointRow[], app: boolean): PointRow | undefined {
  const complete = ctx.store.completeGroupPoints(points.flatMap((p) => (p.group_point ? [p.group_point] : [])));
  const allApp = (g: string) => ctx.groupPointKinds(g).every((k) => k === 'app');
  return [...points]
    .reverse()
    .find((p) => p.group_point && complete.has(p.group_point) && (!app || allApp(p.group_point)));
}

/** The point an option means now, or why there is none. */
export function optionPoint(
  ctx: PointContext,
  item: ItemRow,
  option: PointOption,
): { point: PointRow | null; reason: string | null } {
  const points = ctx.store.points(item.id);
  const newest = points.at(-1) ?? null;
  if (!newest) return { point: null, reason: `${item.name} has no recovery point yet.` };
  const newestApp = [...points].reverse().find((p) => p.kind === 'app') ?? null;
  const noApp = `${item.name} has no app-consistent point${JSON.parse(item.commands).quiesce ? ' yet' : ' (it has no quiesce command)'}.`;
  switch (option) {
    case 'latest':
    case 'latest-processed':
      return { point: newest, reason: null };
    case 'latest-app-consistent':
      return newestApp ? { point: newestApp, reason: null } : { point: null, reason: noApp };
    case 'latest-multi-processed':
    case 'latest-multi-app-consistent': {
      const app = option === 'latest-multi-app-consistent';
      if (!item.group_name)
        return app
          ? newestApp
            ? { point: newestApp, reason: null }
            : { point: null, reason: noApp }
          : { point: newest, reason: null };
      const g = newestGroupPoint(ctx, item, points, app);
      const none = `The group ${item.group_name} has no complete multi-item${app ? ' app-consistent' : ''} point yet.`;
      return g ? { point: g, reason: null } : { point: null, reason: none };
    }
  }
}

/** Resolves --point for an item: an option or one of the item's point ids; a point of another item is refused by name. */
export function resolvePoint(ctx: PointContext, item: ItemRow, choice: string): Resolved {
  if (isPointOption(choice)) {
    const { point, reason } = optionPoint(ctx, item, choice);
    if (!point)
      throw new LifeboatError(
        'not_found',
        `--point ${choice}: ${reason}`,
        `Choose another point; \`lifeboat item failover-options ${item.name}\` lists them.`,
      );
    return { option: choice, point, processesPending: choice === 'latest' };
  }
  const point = ctx.store.points(item.id).find((p) => p.id === choice);
  if (point) return { option: 'custom', point, processesPending: false };
  const owner = ctx.store.items().find((i) => ctx.store.points(i.id).some((p) => p.id === choice));
  if (owner)
    throw new LifeboatError(
      'invalid_input',
      `--point: ${choice} is a recovery point of ${owner.name}, not of ${item.name}.`,
      `List the points of ${item.name} with \`lifeboat item points ${item.name}\`.`,
    );
  throw new LifeboatError(
    'not_found',
    `--point: ${item.name} has no recovery point ${choice}.`,
    `Give one of ${POINT_OPTIONS.join(', ')} or a point id from \`lifeboat item points ${item.name}\`.`,
  );
}

/** Bytes a copy of the item's disks and folders writes: the sources' allocated bytes, or the disks' sizes when gone. */
export function copyBytes(sources: SourceRow[]): number {
  let total = 0;
  for (const s of sources) {
    const st = fs.statSync(s.source_path, { throwIfNoEntry: false });
    if (st?.isFile()) total += st.blocks * 512;
    else if (s.kind === 'disk' && s.state) total += (JSON.parse(s.state) as { size: number }).size;
  }
  return total;
}

/** Whether every source of the item can be read here (a planned failover and `latest` need them). */
export function sourcesReadable(sources: SourceRow[]): boolean {
  return sources.every((s) => {
    try {
      fs.accessSync(s.source_path, fs.constants.R_OK);
      return true;
    } catch {
      return false;
    }
  });
}
