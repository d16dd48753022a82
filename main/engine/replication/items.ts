/**
 * The rules of a protected item in one place: which disks and folders can be protected, and its health and RPO
 * (Normal; Warning when the RPO is over the policy's threshold, a cycle failed and will be retried, a point is missing
 * its app-consistent part or a resynchronization is required; Critical when a cycle failed for a non-recoverable
 * reason and is not retried), as domain types the API maps to its contract.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Job } from '../../shared/schemas';
import type { ErrorInfo } from '../../shared/errors';
import { LifeboatError } from '../../shared/errors';
import type { SiteRow } from '../sites/store';
import type { CommandRun } from './commands';
import type { FailoverView } from './failover-view';
import { appState } from './consistency';
import { directionEnds } from './direction';
import { resyncOf, retryOf } from './outcomes';
import { nextOpening } from './resync-window';
import type { CycleRow, ItemRow, PointRow, PolicyRow, SourceRow } from './store';

/** What `item edit` changes: the commands and the resync window. */
export interface ItemEditInput {
  name: string;
  quiesce?: string;
  thaw?: string;
  shutdown?: string;
  start?: string;
  commandTimeout?: string;
  resyncWindow?: string;
}

export interface ProtectInput extends ItemEditInput {
  disk?: string[];
  folder?: string[];
  recoverySite: string;
  policy: string;
  account?: string;
  group?: string;
}

export type Health = 'normal' | 'warning' | 'critical';

/** Checks every disk (a readable image file) and folder (a readable folder); names must be unique in the replica. */
export function checkSources(
  disks: string[],
  folders: string[],
): { kind: 'disk' | 'folder'; name: string; path: string }[] {
  if (disks.length + folders.length === 0)
    throw new LifeboatError(
      'invalid_input',
      'Name at least one disk (--disk PATH) or folder (--folder PATH) to protect.',
    );
  const out: { kind: 'disk' | 'folder'; name: string; path: string }[] = [];
  const check = (kind: 'disk' | 'folder', given: string) => {
    const p = path.resolve(given);
    const flag = `--${kind}`;
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (!st)
      throw new LifeboatError('invalid_input', `${flag}: ${p} does not exist.`, `Check the path of the ${kind}.`);
    if (kind === 'disk' && st.isDirectory())
      throw new LifeboatError(
        'invalid_input',
        `--disk: ${p} is a folder, not a disk image.`,
        `Protect a folder with --folder ${p}.`,
      );
    if (kind === 'disk' && !st.isFile())
      throw new LifeboatError(
        'invalid_input',
        `--disk: ${p} is not a regular file (a disk image).`,
        'Give the path of an image file.',
      );
    if (kind === 'folder' && !st.isDirectory())
      throw new LifeboatError(
        'invalid_input',
        `--folder: ${p} is not a folder.`,
        `Protect an image file with --disk ${p}.`,
      );
    try {
      fs.accessSync(p, fs.constants.R_OK | (kind === 'folder' ? fs.constants.X_OK : 0));
    } catch {
      throw new LifeboatError(
        'invalid_input',
        `${flag}: ${p} cannot be read by the user Lifeboat runs as.`,
        'Give that user read access, then try again.',
      );
    }
    const name = path.basename(p);
    const clash = out.find((o) => o.kind === kind && o.name === name);
    if (clash)
      throw new LifeboatError(
        'invalid_input',
        `${flag}: ${p} and ${clash.path} have the same name, ${name}; the replica keeps each ${kind}'s name.`,
        `Protect them as two items, or rename one.`,
      );
    out.push({ kind, name, path: p });
  };
  for (const d of disks) check('disk', d);
  for (const f of folders) check('folder', f);
  return out;
}

export interface ItemView {
  item: ItemRow;
  policy: PolicyRow;
  sources: SourceRow[];
  points: PointRow[];
  /** The complete group points among the item's points, with their members. */
  groupPoints: Map<string, string[]>;
  groupMembers: string[];
  cycles: CycleRow[];
  globalWindow: string;
  sites: { primary: SiteRow; recovery: SiteRow; active: SiteRow };
  replicaPath: (s: SourceRow) => string;
  job: Job | null;
  now: Date;
  failover: FailoverView | null;
}

/** `completeGroups`: each complete group point's member items, by name. */
export const pointView = (p: PointRow, completeGroups: Map<string, string[]>) => ({
  id: p.id,
  seq: p.seq,
  createdAt: p.created_at,
  kind: p.kind,
  bytes: p.bytes,
  groupPoint: p.group_point && completeGroups.has(p.group_point) ? p.group_point : null,
  groupMembers: (p.group_point && completeGroups.get(p.group_point)) || null,
});

/** The rule of site pause: an item replicating from or to a paused site (primary, recovery or active) runs no cycles. */
export const pausedSite = (sites: SiteRow[]): SiteRow | undefined => sites.find((s) => s.paused === 1);

export const cycleView = (c: CycleRow) => ({
  at: c.at,
  kind: c.kind,
  ok: c.ok === 1,
  bytesSent: c.bytes_sent,
  durationMs: c.duration_ms,
  rpoSeconds: c.rpo_seconds,
});

function health(v: ItemView, rpoSeconds: number | null): { health: Health; reasons: string[] } {
  const reasons: string[] = [];
  let level: Health = 'normal';
  const warn = (reason: string) => {
    if (level === 'normal') level = 'warning';
    reasons.push(reason);
  };
  const error = v.item.last_error ? (JSON.parse(v.item.last_error) as ErrorInfo & { final?: boolean }) : null;
  const retry = retryOf(v.item);
  const resync = resyncOf(v.item);
  if (error?.final && !retry && v.item.phase !== 'enabling') {
    level = 'critical';
    reasons.push(`Replication stopped: ${error.message}${error.hint ? ` ${error.hint}` : ''}`);
  } else if (retry) {
    warn(`Attempt ${retry.attempt} failed (${retry.error.message}); the next one is at ${retry.nextAttemptAt}.`);
  } else if (error && v.item.phase === 'enabling') warn(`Enable protection failed: ${error.message}`);
  if (resync) warn(`Resynchronization required: ${resync.reason}`);
  const app = appState(v.item).warning;
  if (app) warn(`A point is missing its app-consistent part: ${app.message}`);
  if (rpoSeconds !== null && rpoSeconds > v.policy.rpo_threshold_seconds && v.item.phase !== 'enabling')
    warn(`The RPO (${rpoSeconds} s) is over the policy's threshold (${v.policy.rpo_threshold_seconds} s).`);
  if (v.item.paused) reasons.push('Replication is paused.');
  const held = pausedSite([v.sites.primary, v.sites.recovery, v.sites.active]);
  if (held)
    reasons.push(`Replication is paused: the site ${held.name} is paused (\`lifeboat site resume ${held.name}\`).`);
  return { health: level, reasons };
}

export function itemSummary(v: ItemView) {
  const latest = v.points.at(-1);
  const rpoSeconds = latest ? Math.max(0, Math.round((v.now.getTime() - Date.parse(latest.created_at)) / 1000)) : null;
  const h = health(v, rpoSeconds);
  return {
    name: v.item.name,
    phase: v.item.phase,
    health: h.health,
    rpoSeconds,
    lastPointAt: latest?.created_at ?? null,
    points: v.points.length,
    recoverySite: v.sites.recovery.name,
    activeSite: v.sites.active.name,
    direction: `${v.sites.active.name} → ${[v.sites.primary, v.sites.recovery].find((x) => x.id === directionEnds(v.item).toId)!.name}`,
    policy: v.policy.name,
    group: v.item.group_name,
    paused: v.item.paused === 1,
    sitePaused: pausedSite([v.sites.primary, v.sites.recovery, v.sites.active])?.name ?? null,
    healthReasons: h.reasons,
  };
}
export type ItemSummary = ReturnType<typeof itemSummary>;

export function itemDetail(v: ItemView) {
  const commands = JSON.parse(v.item.commands) as Record<string, string>;
  const entry = (s: SourceRow) => ({
    name: s.name,
    sourcePath: s.source_path,
    replicaPath: v.replicaPath(s),
    activePath: v.failover ? v.failover.activePath(s) : s.source_path,
    testPath: v.failover?.testPath(s) ?? null,
  });
  const retry = retryOf(v.item);
  const resync = resyncOf(v.item);
  const window = v.item.resync_window ?? v.globalWindow;
  const app = appState(v.item);
  const lastApp = [...v.points].reverse().find((p) => p.kind === 'app');
  return {
    ...itemSummary(v),
    primarySite: v.sites.primary.name,
    account: v.item.account,
    groupMembers: v.groupMembers,
    commands,
    commandTimeoutSeconds: v.item.command_timeout_seconds,
    commandRuns: (v.item.command_runs ? JSON.parse(v.item.command_runs) : {}) as Record<string, CommandRun>,
    frequencySeconds: v.policy.frequency_seconds,
    rpoThresholdSeconds: v.policy.rpo_threshold_seconds,
    nextCycleAt: v.item.next_cycle_at,
    lastCycleAt: v.item.last_cycle_at,
    lastError: v.item.last_error ? (JSON.parse(v.item.last_error) as ErrorInfo) : null,
    pendingBytes: v.item.pending_bytes,
    retry: retry && {
      attempt: retry.attempt,
      firstFailedAt: retry.firstFailedAt,
      lastAttemptAt: retry.lastAttemptAt,
      nextAttemptAt: retry.nextAttemptAt,
      error: retry.error,
    },
    resync: {
      required: resync !== null,
      reason: resync?.reason ?? null,
      since: resync?.since ?? null,
      window,
      windowIsItemOwn: v.item.resync_window !== null,
      nextRunAt: resync ? nextOpening(window, v.now).toISOString() : null,
    },
    appConsistent: {
      frequencySeconds: commands.quiesce ? v.policy.app_consistent_seconds : 0,
      lastAppPointAt: lastApp?.created_at ?? null,
      lastAttemptAt: app.lastAttemptAt ?? null,
      warning: app.warning?.message ?? null,
    },
    lastPoints: v.points.slice(-5).map((p) => pointView(p, v.groupPoints)),
    lastCycles: v.cycles.slice(-10).map(cycleView),
    jobId: v.job?.id ?? v.item.job_id,
    failover: v.failover?.failover ?? null,
    testFailover: v.failover?.testFailover ?? null,
    drillSchedule: v.failover?.drillSchedule ?? null,
    disks: v.sources.filter((s) => s.kind === 'disk').map(entry),
    folders: v.sources.filter((s) => s.kind === 'folder').map(entry),
  };
}
export type ItemDetail = ReturnType<typeof itemDetail>;
