/**
 * Protected items: enable protection, list and show them with health and RPO, run a cycle now, pause, resume,
 * disable, list and materialize recovery points. Its dependencies are its constructor's parameters (design.md §6):
 * its store, the policies, the sites (for their agents), the job runner, the worker pool and an injectable clock.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Job } from '../../shared/schemas';
import { LifeboatError } from '../../shared/errors';
import { fault, untilAborted } from '../faults';
import type { JobRunner } from '../jobs/runner';
import { newId } from '../keys';
import type { Logger } from '../log';
import type { CommitHooks } from '../sites/agent';
import type { SiteManager } from '../sites/manager';
import type { SiteRow } from '../sites/store';
import type { WorkerPool } from '../workers/pool';
import { checkCommand, COMMANDS } from './commands';
import { appDue, Consistency } from './consistency';
import { culpritOf, runCycle, type CycleMember, type CycleResult } from './cycle';
import { Directions } from './direction';
import {
  checkSources,
  cycleView,
  itemDetail,
  itemSummary,
  pausedSite,
  pointView,
  type ItemDetail,
  type ItemEditInput,
  type ItemSummary,
  type ProtectInput,
} from './items';
import type { FailoverView } from './failover-view';
import type { ProtectionRunner } from './jobs';
import { Outcomes, type ItemAlert } from './outcomes';
import { parseDuration, type PolicyManager } from './policies';
import { DEFAULT_WINDOW, parseWindow } from './resync-window';
import type { CycleCounts } from './stage';
import type { ItemRow, ReplicationStore, SourceRow } from './store';
import { jobUnfinished } from '../../shared/job-status';

export type CycleMode = 'initial' | 'finalize' | 'delta' | 'resync' | 'reprotect';

export interface ProtectionDeps {
  store: ReplicationStore;
  policies: PolicyManager;
  sites: SiteManager;
  runner: JobRunner;
  workers: WorkerPool;
  log: Logger;
  /** The engine's own state of each item: block maps and folder indexes. */
  stateDir: string;
  /** Throws not_found for a storage account that does not exist. */
  requireAccount: (name: string) => void;
  /** Raises an alert about an item (Critical: replication stopped; Warning: resync needed). */
  alert?: (a: ItemAlert) => void;
  clock?: () => Date;
  /** What `item show` says about the item's failover (replication/failover-view.ts). */
  failoverView?: (item: ItemRow) => FailoverView;
}

export class ProtectionManager implements ProtectionRunner {
  readonly store: ReplicationStore;
  readonly outcomes: Outcomes;
  /** Which way each item replicates: its source side and target side (replication/direction.ts). */
  readonly directions: Directions;
  private readonly now: () => Date;

  constructor(private readonly deps: ProtectionDeps) {
    this.store = deps.store;
    this.now = deps.clock ?? (() => new Date());
    this.outcomes = new Outcomes({
      store: deps.store,
      log: deps.log,
      now: this.now,
      alert: deps.alert ?? (() => undefined),
    });
    this.directions = new Directions(deps);
  }

  /** The job of the item still queued, running or paused, if any. */
  activeJob(item: ItemRow): Job | null {
    if (!item.job_id) return null;
    const row = this.deps.runner.store.row(item.job_id);
    return row && jobUnfinished(row.status) ? this.deps.runner.toJob(row) : null;
  }

  protect(input: ProtectInput): Job {
    const name = input.name.trim();
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name))
      throw new LifeboatError(
        'invalid_input',
        `NAME: "${name}" is not an item name.`,
        'Use 1-63 letters, digits, dots, hyphens and underscores, starting with a letter or digit.',
      );
    if (this.store.itemByName(name))
      throw new LifeboatError(
        'already_exists',
        `There is already a protected item named ${name}.`,
        'Choose another name; `lifeboat item list` shows them.',
      );
    const sources = checkSources(input.disk ?? [], input.folder ?? []);
    const site = this.deps.sites.store.require(input.recoverySite);
    if (site.kind === 'primary')
      throw new LifeboatError(
        'invalid_input',
        '--recovery-site: the primary site is where the item runs; replicate it to another site.',
        'Add one with `lifeboat site add NAME --root DIR`.',
      );
    const policy = this.deps.policies.require(input.policy);
    if (input.account) this.deps.requireAccount(input.account);
    const primary = this.deps.sites.store.primary();
    const id = newId('item');
    const commands: Record<string, string> = {};
    for (const c of COMMANDS) if (input[c] !== undefined) commands[c] = checkCommand(c, input[c]);
    const group = input.group === undefined ? null : this.checkGroup(input.group, policy.id, site.id);
    const row: ItemRow = {
      id,
      name,
      primary_site_id: primary.id,
      recovery_site_id: site.id,
      active_site_id: primary.id,
      policy_id: policy.id,
      account: input.account ?? null,
      group_name: group,
      commands: JSON.stringify(commands),
      phase: 'enabling',
      paused: 0,
      last_error: null,
      job_id: null,
      pending: null,
      next_cycle_at: null,
      last_cycle_at: null,
      created_at: this.now().toISOString(),
      retry: null,
      resync: null,
      resync_window: input.resyncWindow === undefined ? null : parseWindow(input.resyncWindow).text,
      app_state: null,
      command_runs: null,
      command_timeout_seconds:
        input.commandTimeout === undefined ? 300 : parseDuration(input.commandTimeout, 'command-timeout'),
      pending_bytes: null,
    };
    const rows: SourceRow[] = sources.map((s, idx) => ({
      item_id: id,
      idx,
      kind: s.kind,
      name: s.name,
      source_path: s.path,
      state: null,
    }));
    this.store.insertItem(row, rows);
    const job = this.deps.runner.create('replication.enable', { itemId: id, itemName: name });
    this.store.updateItem(id, { job_id: job.id });
    return job;
  }

  async prerequisites(itemId: string): Promise<void> {
    const item = this.requireItemById(itemId);
    const sources = this.store.sources(itemId);
    checkSources(
      sources.filter((s) => s.kind === 'disk').map((s) => s.source_path),
      sources.filter((s) => s.kind === 'folder').map((s) => s.source_path),
    );
    const agent = this.agent(item);
    let need = 0;
    for (const s of sources)
      need += s.kind === 'disk' ? fs.statSync(s.source_path).blocks * 512 : await allocated(s.source_path);
    const { free } = await agent.space();
    if (free < need)
      throw new LifeboatError(
        'disk_full',
        `The recovery site has ${free} bytes free; the first copy of ${item.name} needs ${need}.`,
        'Free space at the recovery site, or choose another site.',
        { final: true },
      );
    await agent.prepareItem({
      id: item.id,
      name: item.name,
      disks: sources.filter((s) => s.kind === 'disk').map((s) => s.name),
      folders: sources.filter((s) => s.kind === 'folder').map((s) => s.name),
    });
  }

  /** A group name, checked: the members of a group share one policy and one recovery site (one schedule, one place). */
  private checkGroup(text: string, policyId: string, siteId: string): string {
    const group = text.trim();
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(group))
      throw new LifeboatError(
        'invalid_input',
        `--group: "${group}" is not a replication group name.`,
        'Use 1-63 letters, digits, dots, hyphens and underscores.',
      );
    const other = this.store.groupMembers(group).find((m) => m.policy_id !== policyId || m.recovery_site_id !== siteId);
    if (other) {
      const [p, s] = [
        this.store.policy(other.policy_id).name,
        this.deps.sites.store.byId(other.recovery_site_id)?.name,
      ];
      throw new LifeboatError(
        'invalid_input',
        `--group: the items of ${group} replicate to ${s} with the policy ${p}; a group's items share both.`,
        `Protect it with --recovery-site ${s} --policy ${p}, or choose another group.`,
      );
    }
    return group;
  }

  /** The members a cycle of this item covers: its group's protected, unpaused, scheduled members (and itself). */
  private cycleMembers(item: ItemRow, mode: CycleMode): ItemRow[] {
    // A group reprotects together, to one target: one cycle, one common point.
    if (mode === 'reprotect' && item.group_name)
      return this.store.groupMembers(item.group_name).filter((m) => m.phase === 'reprotecting');
    if (mode !== 'delta' || !item.group_name || item.phase !== 'protected') return [item];
    const runs = (m: ItemRow) =>
      m.phase === 'protected' && !m.paused && !this.pausedSiteOf(m) && m.next_cycle_at !== null;
    return this.store.groupMembers(item.group_name).filter((m) => m.id === item.id || runs(m));
  }

  /** The paused site the item replicates from or to, if any (items.ts `pausedSite`): it runs no cycles meanwhile. */
  pausedSiteOf(item: ItemRow): SiteRow | undefined {
    const site = (id: string) => this.deps.sites.store.byId(id)!;
    return pausedSite([site(item.primary_site_id), site(item.recovery_site_id), site(item.active_site_id)]);
  }

  /**
   * Runs a cycle (delta, or the Enable protection job's initial and finalize, or a resync) to recorded points, with
   * quiesce and thaw around the reads when an app-consistent point is due; records success or failure on every member.
   */
  async cycle(itemId: string, jobId: string, signal: AbortSignal, mode: CycleMode = 'delta'): Promise<CycleResult> {
    const item = this.requireItemById(itemId);
    const members = this.cycleMembers(item, mode);
    const policy = this.store.policy(item.policy_id);
    const t0 = performance.now();
    const counts = new Map<string, CycleCounts>();
    const app = (mode === 'delta' || mode === 'finalize') && members.some((m) => appDue(m, policy, this.now()));
    const consistency = new Consistency(
      {
        now: this.now,
        activeSite: (m) => this.deps.sites.store.byId(m.active_site_id)!,
        agentFor: (site) => this.deps.sites.agentFor(site),
        save: (id, patch) => this.store.updateItem(id, patch),
      },
      members,
      app,
    );
    let kinds = new Map<string, 'crash' | 'app'>();
    const cycleMembers: CycleMember[] = members.map((m) => ({
      item: m,
      kind: () => kinds.get(m.id) ?? 'crash',
      commands: () => consistency.pointCommands(m.id),
    }));
    const hooks: CommitHooks = {};
    if (fault('replication', 'mid-apply')) hooks.midApply = () => this.hold(jobId, 'mid-apply', signal);
    if (fault('replication', 'mid-copy')) hooks.midCopy = () => this.hold(jobId, 'mid-copy', signal);
    try {
      await this.checkSite(item);
      const deps = {
        store: this.store,
        agentFor: (m: ItemRow) => this.agent(m),
        sourceFor: (m: ItemRow) => this.directions.source(m),
        stateDir: this.deps.stateDir,
        log: this.deps.log,
        now: this.now,
        hooks,
      };
      const results = await runCycle(deps, cycleMembers, {
        signal,
        resync: mode === 'resync',
        reprotect: mode === 'reprotect',
        fiftyPercent: mode === 'delta',
        group:
          (mode === 'delta' && item.phase === 'protected') || mode === 'reprotect'
            ? (item.group_name ?? undefined)
            : undefined,
        beforeRead: async () => void (kinds = await consistency.quiesce()),
        afterRead: () => consistency.thaw(),
        onCounts: (id, c) => counts.set(id, c),
      });
      for (const [i, m] of members.entries())
        this.outcomes.succeeded(m, results[i], performance.now() - t0, { resync: mode === 'resync' });
      for (const m of members) await this.prune(this.store.item(m.id)!);
      return results[members.findIndex((m) => m.id === item.id)];
    } catch (err) {
      if (!signal.aborted)
        this.outcomes.failed(members, err, culpritOf(err), { jobId, durationMs: performance.now() - t0, counts });
      throw err;
    }
  }

  /** The recovery site is there and is the one this item replicates to (a root not mounted is retried, not written). */
  private async checkSite(item: ItemRow): Promise<void> {
    const site = this.directions.replicaSite(item);
    await this.agent(item).checkSite({ id: site.id, name: site.name });
  }

  /** Holds a cycle at a fault point until the process is killed (crash tests); says so in the job's events first. */
  private async hold(jobId: string, point: string, signal: AbortSignal): Promise<void> {
    this.deps.runner.store.event(jobId, 'fault-point', point);
    await untilAborted(signal);
  }

  /** Deletes the points older than the policy's retention, oldest first, never the newest. */
  async prune(item: ItemRow, now = this.now()): Promise<string[]> {
    const policy = this.store.policy(item.policy_id);
    const points = this.store.points(item.id);
    const cutoff = now.getTime() - policy.retention_seconds * 1000;
    const doomed: string[] = [];
    for (const p of points.slice(0, -1)) {
      if (Date.parse(p.created_at) >= cutoff) break;
      doomed.push(p.id);
    }
    if (!doomed.length) return [];
    // The rows go first: a point is never listed once its undo delta may be half deleted.
    this.store.deletePoints(doomed);
    await this.agent(item).deletePoints({ id: item.id, name: item.name }, doomed);
    return doomed;
  }

  markProtected(itemId: string): void {
    const item = this.requireItemById(itemId);
    if (item.phase !== 'enabling') return; // finalize ran again after a crash
    const policy = this.store.policy(item.policy_id);
    this.store.updateItem(itemId, {
      phase: 'protected',
      next_cycle_at: new Date(this.now().getTime() + policy.frequency_seconds * 1000).toISOString(),
    });
  }

  /** Prerequisites failed (cycles record their own failures). */
  cycleFailed(itemId: string, err: unknown): void {
    const item = this.store.item(itemId);
    if (item) this.outcomes.failed([item], err, undefined, { jobId: item.job_id, durationMs: 0, counts: new Map() });
  }

  private requireItemById(id: string): ItemRow {
    const item = this.store.item(id);
    if (!item)
      throw new LifeboatError('not_found', `The protected item ${id} no longer exists.`, 'It was disabled meanwhile.', {
        final: true,
      });
    return item;
  }

  private agent(item: ItemRow) {
    return this.directions.target(item);
  }

  list(): ItemSummary[] {
    return this.store.items().map((i) => itemSummary(this.view(i)));
  }

  show(name: string): ItemDetail {
    return itemDetail(this.view(this.store.requireItem(name)));
  }

  private view(item: ItemRow) {
    const site = (id: string) => this.deps.sites.store.byId(id)!;
    const now = this.now();
    const points = this.store.points(item.id);
    return {
      item,
      policy: this.store.policy(item.policy_id),
      sources: this.store.sources(item.id),
      points,
      groupPoints: this.store.completeGroupPoints(points.flatMap((p) => (p.group_point ? [p.group_point] : []))),
      groupMembers: item.group_name ? this.store.groupMembers(item.group_name).map((m) => m.name) : [],
      cycles: this.store.cycles(item.id, new Date(now.getTime() - 24 * 3600_000).toISOString()),
      globalWindow: this.store.setting('resyncWindow') ?? DEFAULT_WINDOW,
      sites: {
        primary: site(item.primary_site_id),
        recovery: site(item.recovery_site_id),
        active: site(item.active_site_id),
      },
      replicaPath: (s: SourceRow) => this.agent(item).replicaPath({ id: item.id, name: item.name }, s.kind, s.name),
      job: this.activeJob(item),
      now,
      failover: this.deps.failoverView?.(item) ?? null,
    };
  }

  points(name: string) {
    const item = this.store.requireItem(name);
    const points = this.store.points(item.id);
    const complete = this.store.completeGroupPoints(points.flatMap((p) => (p.group_point ? [p.group_point] : [])));
    return points.map((p) => pointView(p, complete));
  }

  /** The per-cycle history of the last 24 h, oldest first (the item page's RPO and throughput charts). */
  history(name: string) {
    const item = this.store.requireItem(name);
    return this.store.cycles(item.id, new Date(this.now().getTime() - 24 * 3600_000).toISOString()).map(cycleView);
  }

  replicate(name: string): Job {
    const item = this.store.requireItem(name);
    const active = this.activeJob(item);
    if (active) return active; // one cycle at a time: follow the one already on its way
    if (item.phase === 'resync-required')
      throw new LifeboatError(
        'not_allowed',
        `${item.name} needs a resynchronization before it replicates again.`,
        `Run it now with \`lifeboat item resync ${item.name}\`, or let it run in its window.`,
      );
    const held = this.pausedSiteOf(item);
    if (held)
      throw new LifeboatError(
        'not_allowed',
        `The site ${held.name} is paused, so ${item.name} does not replicate.`,
        `Resume it with \`lifeboat site resume ${held.name}\`.`,
      );
    if (item.phase !== 'protected')
      throw new LifeboatError(
        'not_allowed',
        `${item.name} is ${item.phase}, so it does not replicate.`,
        item.job_id
          ? `See why with \`lifeboat jobs show ${item.job_id}\`; resume it with \`lifeboat jobs resume ${item.job_id}\`.`
          : undefined,
      );
    return this.startCycle(item);
  }

  /** Creates a cycle job for the item, or for its group (the scheduler calls this for due items). */
  startCycle(item: ItemRow): Job {
    const members = this.cycleMembers(item, 'delta');
    const base = { itemId: item.id, itemName: item.name };
    const title = members.length > 1 || item.group_name ? { ...base, group: item.group_name ?? undefined } : base;
    const job = this.deps.runner.create('replication.cycle', title);
    for (const m of members) this.store.updateItem(m.id, { job_id: job.id });
    return job;
  }

  /**
   * Starts a resynchronization now. Allowed for an item that needs one and also for a protected item (a check that
   * compares both sides and sends what differs); refused while the item is enabling or another job of it runs.
   */
  resync(name: string): Job {
    const item = this.store.requireItem(name);
    const active = this.activeJob(item);
    if (active?.type === 'replication.resync') return active;
    if (active)
      throw new LifeboatError(
        'busy',
        `${item.name} has a job on its way (${active.id}).`,
        `Wait for it (\`lifeboat jobs wait ${active.id}\`), then resync.`,
      );
    if (item.phase !== 'protected' && item.phase !== 'resync-required')
      throw new LifeboatError(
        'not_allowed',
        `${item.name} is ${item.phase}: only a protected item can be resynchronized.`,
        item.phase === 'enabling' ? 'Its Enable protection job makes the first copy; wait for it.' : undefined,
      );
    return this.startResync(item);
  }

  startResync(item: ItemRow): Job {
    const job = this.deps.runner.create('replication.resync', { itemId: item.id, itemName: item.name });
    this.store.updateItem(item.id, { job_id: job.id });
    return job;
  }

  /** Changes an item's commands, their timeout, or its resync window ("" removes a command, "default" the window). */
  edit(input: ItemEditInput): ItemDetail {
    const item = this.store.requireItem(input.name);
    const commands = JSON.parse(item.commands) as Record<string, string>;
    for (const c of COMMANDS) {
      const given = input[c];
      if (given === undefined) continue;
      if (given.trim() === '') delete commands[c];
      else commands[c] = checkCommand(c, given);
    }
    const patch: Partial<ItemRow> = { commands: JSON.stringify(commands) };
    if (input.commandTimeout !== undefined)
      patch.command_timeout_seconds = parseDuration(input.commandTimeout, 'command-timeout');
    if (input.resyncWindow !== undefined)
      patch.resync_window = input.resyncWindow.trim() === 'default' ? null : parseWindow(input.resyncWindow).text;
    this.store.updateItem(item.id, patch);
    return this.show(item.name);
  }

  /** The global resync window (items without one of their own use it); "default" sets it back to 18:00-06:00. */
  settings(input: { resyncWindow?: string }): { resyncWindow: string; defaultResyncWindow: string } {
    if (input.resyncWindow !== undefined)
      this.store.setSetting(
        'resyncWindow',
        input.resyncWindow.trim() === 'default' ? null : parseWindow(input.resyncWindow).text,
      );
    return { resyncWindow: this.store.setting('resyncWindow') ?? DEFAULT_WINDOW, defaultResyncWindow: DEFAULT_WINDOW };
  }

  setPaused(name: string, paused: boolean): ItemDetail {
    const item = this.store.requireItem(name);
    this.store.updateItem(item.id, {
      paused: paused ? 1 : 0,
      ...(paused ? {} : { next_cycle_at: this.now().toISOString() }),
    });
    return this.show(name);
  }

  async disable(name: string, keepReplica: boolean): Promise<{ disabled: string; replicaRemoved: boolean }> {
    const item = this.store.requireItem(name);
    const active = this.activeJob(item);
    if (active?.status === 'running')
      throw new LifeboatError(
        'busy',
        `${item.name} is replicating now (job ${active.id}).`,
        `Wait for it (\`lifeboat jobs wait ${active.id}\`) or cancel it, then disable again.`,
      );
    if (active) this.deps.runner.cancel(active.id);
    this.store.deleteItem(item.id);
    if (!keepReplica) await this.agent(item).removeItem({ id: item.id, name: item.name });
    await fsp.rm(path.join(this.deps.stateDir, item.id), { recursive: true, force: true });
    return { disabled: item.name, replicaRemoved: !keepReplica };
  }

  async materialize(
    name: string,
    pointId: string,
    to: string,
  ): Promise<{ item: string; point: string; createdAt: string; path: string; bytes: number }> {
    const item = this.store.requireItem(name);
    const point = this.store.points(item.id).find((p) => p.id === pointId);
    if (!point)
      throw new LifeboatError(
        'not_found',
        `${item.name} has no recovery point ${pointId}.`,
        `List its points with \`lifeboat item points ${item.name}\`.`,
      );
    if (!path.isAbsolute(to)) throw new LifeboatError('invalid_input', `--to: give an absolute path (got ${to}).`);
    const { bytes } = await this.agent(item).materialize({ id: item.id, name: item.name }, point.id, to);
    return { item: item.name, point: point.id, createdAt: point.created_at, path: to, bytes };
  }
}

async function allocated(dir: string): Promise<number> {
  let total = 0;
  for (const e of await fsp.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += (await fsp.lstat(path.join(e.parentPath, e.name))).blocks * 512;
  }
  return total;
}
