/**
 * The rules of a protected item in one place: which disks and folders can be protected, and its health and RPO
 * (Normal; Warning when the RPO is over the policy's threshold or a cycle failed and will be retried; Critical when a
 * cycle failed for good), as domain types the API maps to its contract.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Job } from '../api/schemas';
import type { ErrorInfo } from '../errors';
import { LifeboatError } from '../errors';
import type { SiteRow } from '../sites/store';
import type { ItemRow, PointRow, PolicyRow, SourceRow } from './store';

export interface ProtectInput {
  name: string;
  disk?: string[];
  folder?: string[];
  recoverySite: string;
  policy: string;
  account?: string;
  group?: string;
  quiesce?: string;
  thaw?: string;
  shutdown?: string;
  start?: string;
}

export type Health = 'normal' | 'warning' | 'critical';

/** Checks every disk (a readable image file) and folder (a readable folder); names must be unique in the replica. */
export function checkSources(disks: string[], folders: string[]): { kind: 'disk' | 'folder'; name: string; path: string }[] {
  if (disks.length + folders.length === 0) throw new LifeboatError('invalid_input', 'Name at least one disk (--disk PATH) or folder (--folder PATH) to protect.');
  const out: { kind: 'disk' | 'folder'; name: string; path: string }[] = [];
  const check = (kind: 'disk' | 'folder', given: string) => {
    const p = path.resolve(given);
    const flag = `--${kind}`;
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (!st) throw new LifeboatError('invalid_input', `${flag}: ${p} does not exist.`, `Check the path of the ${kind}.`);
    if (kind === 'disk' && st.isDirectory()) throw new LifeboatError('invalid_input', `--disk: ${p} is a folder, not a disk image.`, `Protect a folder with --folder ${p}.`);
    if (kind === 'disk' && !st.isFile()) throw new LifeboatError('invalid_input', `--disk: ${p} is not a regular file (a disk image).`, 'Give the path of an image file.');
    if (kind === 'folder' && !st.isDirectory()) throw new LifeboatError('invalid_input', `--folder: ${p} is not a folder.`, `Protect an image file with --disk ${p}.`);
    try {
      fs.accessSync(p, fs.constants.R_OK | (kind === 'folder' ? fs.constants.X_OK : 0));
    } catch {
      throw new LifeboatError('invalid_input', `${flag}: ${p} cannot be read by the user Lifeboat runs as.`, 'Give that user read access, then try again.');
    }
    const name = path.basename(p);
    const clash = out.find((o) => o.kind === kind && o.name === name);
    if (clash) throw new LifeboatError('invalid_input', `${flag}: ${p} and ${clash.path} have the same name, ${name}; the replica keeps each ${kind}'s name.`, `Protect them as two items, or rename one.`);
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
  sites: { primary: SiteRow; recovery: SiteRow; active: SiteRow };
  replicaPath: (s: SourceRow) => string;
  job: Job | null;
  now: Date;
}

function health(v: ItemView, rpoSeconds: number | null): { health: Health; reasons: string[] } {
  const reasons: string[] = [];
  let level: Health = 'normal';
  const error = v.item.last_error ? (JSON.parse(v.item.last_error) as ErrorInfo & { final?: boolean }) : null;
  if (error?.final) {
    level = 'critical';
    reasons.push(`${error.message}${error.hint ? ` ${error.hint}` : ''}`);
  } else if (error) {
    level = 'warning';
    reasons.push(`The last cycle failed and is retried: ${error.message}`);
  }
  if (rpoSeconds !== null && rpoSeconds > v.policy.rpo_threshold_seconds && v.item.phase === 'protected') {
    if (level === 'normal') level = 'warning';
    reasons.push(`The RPO (${rpoSeconds} s) is over the policy's threshold (${v.policy.rpo_threshold_seconds} s).`);
  }
  if (v.item.paused) reasons.push('Replication is paused.');
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
    policy: v.policy.name,
    paused: v.item.paused === 1,
    healthReasons: h.reasons,
  };
}
export type ItemSummary = ReturnType<typeof itemSummary>;

export function itemDetail(v: ItemView) {
  const commands = JSON.parse(v.item.commands) as Record<string, string>;
  const entry = (s: SourceRow) => ({ name: s.name, sourcePath: s.source_path, replicaPath: v.replicaPath(s) });
  return {
    ...itemSummary(v),
    primarySite: v.sites.primary.name,
    account: v.item.account,
    group: v.item.group_name,
    commands,
    frequencySeconds: v.policy.frequency_seconds,
    nextCycleAt: v.item.next_cycle_at,
    lastCycleAt: v.item.last_cycle_at,
    lastError: v.item.last_error ? (JSON.parse(v.item.last_error) as ErrorInfo) : null,
    jobId: v.job?.id ?? v.item.job_id,
    disks: v.sources.filter((s) => s.kind === 'disk').map(entry),
    folders: v.sources.filter((s) => s.kind === 'folder').map(entry),
  };
}
export type ItemDetail = ReturnType<typeof itemDetail>;
