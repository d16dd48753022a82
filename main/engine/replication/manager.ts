/**
 * Protected items: enable protection, list and show them with health and RPO, run a cycle now, pause, resume,
 * disable, list and materialize recovery points. Its dependencies are its constructor's parameters (design.md §6):
 * its store, the policies, the sites (for their agents), the job runner, the worker pool and an injectable clock.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Job } from '../api/schemas';
import { LifeboatError, toErrorInfo } from '../errors';
import type { JobRunner } from '../jobs/runner';
import { newId } from '../keys';
import type { Logger } from '../log';
import type { CommitHooks } from '../sites/agent';
import type { SiteManager } from '../sites/manager';
import type { WorkerPool } from '../workers/pool';
import { runCycle, type CycleResult } from './cycle';
import type { ProtectionRunner } from './jobs';
import type { PolicyManager } from './policies';
import type { ItemRow, ReplicationStore, SourceRow } from './store';
import { checkSources, itemDetail, itemSummary, type ItemDetail, type ItemSummary, type ProtectInput } from './items';

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
  clock?: () => Date;
}

const ACTIVE = new Set(['queued', 'running', 'paused']);

export class ProtectionManager implements ProtectionRunner {
  readonly store: ReplicationStore;
  private readonly now: () => Date;

  constructor(private readonly deps: ProtectionDeps) {
    this.store = deps.store;
    this.now = deps.clock ?? (() => new Date());
  }

  /** The job of the item still queued, running or paused, if any. */
  activeJob(item: ItemRow): Job | null {
    if (!item.job_id) return null;
    const row = this.deps.runner.store.row(item.job_id);
    return row && ACTIVE.has(row.status) ? this.deps.runner.toJob(row) : null;
  }

  protect(input: ProtectInput): Job {
    const name = input.name.trim();
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name))
      throw new LifeboatError('invalid_input', `NAME: "${name}" is not an item name.`, 'Use 1-63 letters, digits, dots, hyphens and underscores, starting with a letter or digit.');
    if (this.store.itemByName(name)) throw new LifeboatError('already_exists', `There is already a protected item named ${name}.`, 'Choose another name; `lifeboat item list` shows them.');
    const sources = checkSources(input.disk ?? [], input.folder ?? []);
    const site = this.deps.sites.store.require(input.recoverySite);
    if (site.kind === 'primary') throw new LifeboatError('invalid_input', '--recovery-site: the primary site is where the item runs; replicate it to another site.', 'Add one with `lifeboat site add NAME --root DIR`.');
    const policy = this.deps.policies.require(input.policy);
    if (input.account) this.deps.requireAccount(input.account);
    const primary = this.deps.sites.store.primary();
    const id = newId('item');
    const commands = Object.fromEntries(Object.entries({ quiesce: input.quiesce, thaw: input.thaw, shutdown: input.shutdown, start: input.start }).filter(([, v]) => v));
    const row: ItemRow = {
      id,
      name,
      primary_site_id: primary.id,
      recovery_site_id: site.id,
      active_site_id: primary.id,
      policy_id: policy.id,
      account: input.account ?? null,
      group_name: input.group ?? null,
      commands: JSON.stringify(commands),
      phase: 'enabling',
      paused: 0,
      last_error: null,
      job_id: null,
      pending: null,
      next_cycle_at: null,
      last_cycle_at: null,
      created_at: this.now().toISOString(),
    };
    const rows: SourceRow[] = sources.map((s, idx) => ({ item_id: id, idx, kind: s.kind, name: s.name, source_path: s.path, state: null }));
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
    for (const s of sources) need += s.kind === 'disk' ? fs.statSync(s.source_path).blocks * 512 : await allocated(s.source_path);
    const { free } = await agent.space();
    if (free < need)
      throw new LifeboatError('disk_full', `The recovery site has ${free} bytes free; the first copy of ${item.name} needs ${need}.`, 'Free space at the recovery site, or choose another site.', { final: true });
    await agent.prepareItem({ id: item.id, name: item.name, disks: sources.filter((s) => s.kind === 'disk').map((s) => s.name), folders: sources.filter((s) => s.kind === 'folder').map((s) => s.name) });
  }

  async cycle(itemId: string, jobId: string, signal: AbortSignal): Promise<CycleResult> {
    const item = this.requireItemById(itemId);
    const agent = this.agent(item);
    const hooks: CommitHooks = {};
    if (process.env.LIFEBOAT_REPLICATION_FAULT === 'mid-apply') hooks.midApply = () => this.hold(jobId, 'mid-apply', signal);
    const result = await runCycle({ store: this.store, agent, workers: this.deps.workers, stateDir: this.deps.stateDir, log: this.deps.log, now: this.now, hooks }, item, { signal });
    await this.prune(item);
    return result;
  }

  /** Holds a cycle at a fault point until the process is killed (crash tests); says so in the job's events first. */
  private async hold(jobId: string, point: string, signal: AbortSignal): Promise<void> {
    this.deps.runner.store.event(jobId, 'fault-point', point);
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
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
    const policy = this.store.policy(item.policy_id);
    this.store.updateItem(itemId, { phase: 'protected', next_cycle_at: new Date(this.now().getTime() + policy.frequency_seconds * 1000).toISOString() });
  }

  cycleFailed(itemId: string, err: unknown): void {
    const info = toErrorInfo(err);
    const final = err instanceof LifeboatError && err.final;
    if (!this.store.item(itemId)) return;
    this.store.updateItem(itemId, { last_error: JSON.stringify({ ...info, final, at: this.now().toISOString() }) });
    this.deps.log.warn('replication cycle failed', { itemId, error: info });
  }

  private requireItemById(id: string): ItemRow {
    const item = this.store.item(id);
    if (!item) throw new LifeboatError('not_found', `The protected item ${id} no longer exists.`, 'It was disabled meanwhile.', { final: true });
    return item;
  }

  private agent(item: ItemRow) {
    return this.deps.sites.agentFor(this.deps.sites.store.byId(item.recovery_site_id)!);
  }

  list(): ItemSummary[] {
    return this.store.items().map((i) => itemSummary(this.view(i)));
  }

  show(name: string): ItemDetail {
    return itemDetail(this.view(this.store.requireItem(name)));
  }

  private view(item: ItemRow) {
    const site = (id: string) => this.deps.sites.store.byId(id)!;
    return {
      item,
      policy: this.store.policy(item.policy_id),
      sources: this.store.sources(item.id),
      points: this.store.points(item.id),
      sites: { primary: site(item.primary_site_id), recovery: site(item.recovery_site_id), active: site(item.active_site_id) },
      replicaPath: (s: SourceRow) => this.agent(item).replicaPath({ id: item.id, name: item.name }, s.kind, s.name),
      job: this.activeJob(item),
      now: this.now(),
    };
  }

  points(name: string) {
    const item = this.store.requireItem(name);
    return this.store.points(item.id).map((p) => ({ id: p.id, seq: p.seq, createdAt: p.created_at, kind: p.kind, bytes: p.bytes }));
  }

  replicate(name: string): Job {
    const item = this.store.requireItem(name);
    const active = this.activeJob(item);
    if (active) return active; // one cycle at a time: follow the one already on its way
    if (item.phase !== 'protected')
      throw new LifeboatError('not_allowed', `${item.name} is ${item.phase}, so it does not replicate.`, item.job_id ? `See why with \`lifeboat jobs show ${item.job_id}\`; resume it with \`lifeboat jobs resume ${item.job_id}\`.` : undefined);
    return this.startCycle(item);
  }

  /** Creates a cycle job for the item (the scheduler calls this for due items). */
  startCycle(item: ItemRow): Job {
    const job = this.deps.runner.create('replication.cycle', { itemId: item.id, itemName: item.name });
    this.store.updateItem(item.id, { job_id: job.id });
    return job;
  }

  setPaused(name: string, paused: boolean): ItemDetail {
    const item = this.store.requireItem(name);
    this.store.updateItem(item.id, { paused: paused ? 1 : 0, ...(paused ? {} : { next_cycle_at: this.now().toISOString() }) });
    return this.show(name);
  }

  async disable(name: string, keepReplica: boolean): Promise<{ disabled: string; replicaRemoved: boolean }> {
    const item = this.store.requireItem(name);
    const active = this.activeJob(item);
    if (active?.status === 'running')
      throw new LifeboatError('busy', `${item.name} is replicating now (job ${active.id}).`, `Wait for it (\`lifeboat jobs wait ${active.id}\`) or cancel it, then disable again.`);
    if (active) this.deps.runner.cancel(active.id);
    this.store.deleteItem(item.id);
    if (!keepReplica) await this.agent(item).removeItem({ id: item.id, name: item.name });
    await fsp.rm(path.join(this.deps.stateDir, item.id), { recursive: true, force: true });
    return { disabled: item.name, replicaRemoved: !keepReplica };
  }

  async materialize(name: string, pointId: string, to: string): Promise<{ item: string; point: string; createdAt: string; path: string; bytes: number }> {
    const item = this.store.requireItem(name);
    const point = this.store.points(item.id).find((p) => p.id === pointId);
    if (!point) throw new LifeboatError('not_found', `${item.name} has no recovery point ${pointId}.`, `List its points with \`lifeboat item points ${item.name}\`.`);
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
