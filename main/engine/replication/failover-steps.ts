/**
 * The steps of an item's failover job (docs/failover.md "The failover job"): prerequisites → shut down the source →
 * process the pending data (a final cycle) → materialize the point as the item's copy at the other site and switch the
 * item there → run its start command. Each step is idempotent and records what it did in the job's state, so kill -9
 * at any moment resumes at the step; a cancel before the item was switched and started puts it back to protected.
 */
import { LifeboatError } from '../../shared/errors';
import { toErrorInfo } from '../errors';
import { fault, untilAborted } from '../faults';
import type { Job } from '../../shared/schemas';
import type { JobRunner } from '../jobs/runner';
import type { StepContext } from '../jobs/types';
import type { Logger } from '../log';
import type { CopySlot, SiteAgent } from '../sites/agent';
import type { SiteManager } from '../sites/manager';
import type { SiteRow } from '../sites/store';
import { describeRun, runAtSite, succeeded, type CommandName, type CommandRequest, type CommandRun } from './commands';
import { SourceUnreachable } from './agent-source';
import type { CycleResult } from './cycle';
import { copyBytes, pointRef, resolvePoint, sourcesReadable, type PointContext } from './failover-points';
import type { FailoverPointRef, FailoverStore } from './failover-store';
import { checkTransition, isReversed, requirePhaseFor } from './phases';
import type { SourceReach } from './source-reach';
import { ResyncNeeded } from './stage';
import type { ItemRow, ReplicationStore } from './store';

export type FailoverType = 'test' | 'planned' | 'unplanned';

export interface FailoverParams {
  itemId: string;
  itemName: string;
  type: FailoverType;
  point: string;
  shutdownSource: boolean;
  /** A job of the item on its way when the failover was asked: it ends first. */
  waitFor?: string;
}

export interface FailoverState {
  t0?: number;
  test?: boolean;
  fromPhase?: string;
  fromSiteId?: string;
  toSiteId?: string;
  shutdown?: CommandRun | null;
  finalCycleBytes?: number | null;
  /** The final cycle could not reach the site the item ran at (an agent site down): its pending data is lost. */
  sourceUnreachable?: boolean;
  /** Seconds of the source's writes the point lacks: 0 when a final cycle made it, else since the point was taken. */
  lossSeconds?: number;
  point?: FailoverPointRef;
  bytes?: number;
  copyPath?: string;
  placed?: boolean;
  start?: CommandRun | null;
  timeToStartMs?: number;
  warnings?: string[];
  result?: Record<string, unknown>;
}

export interface FailoverDeps {
  store: ReplicationStore;
  failovers: FailoverStore;
  sites: SiteManager;
  runner: JobRunner;
  /** A replication cycle of the item alone (the final cycle of a planned failover, or `latest`). */
  cycle: (itemId: string, jobId: string, signal: AbortSignal, mode: 'delta' | 'resync') => Promise<CycleResult>;
  activeJob: (item: ItemRow) => Job | null;
  /** The agent of the site holding the item's points: the recovery site's, or the primary side's for a failback (replication/direction.ts). */
  replicaAgent: (item: ItemRow) => SiteAgent;
  /** Whether the item's source can be read where it runs (replication/source-reach.ts); else this machine's files are checked. */
  sourceReach?: (item: ItemRow) => Promise<SourceReach>;
  log: Logger;
  now: () => Date;
}

type Ctx = StepContext<FailoverParams, FailoverState>;

export interface ChangePointParams {
  itemId: string;
  itemName: string;
  point: string;
}

export type ChangePointState = Pick<
  FailoverState,
  'shutdown' | 'placed' | 'bytes' | 'copyPath' | 'start' | 'warnings' | 'result'
>;

/** The site an item fails over to: the other one. */
export const targetSiteId = (item: ItemRow) =>
  item.active_site_id === item.primary_site_id ? item.recovery_site_id : item.primary_site_id;

export class FailoverSteps {
  constructor(private readonly deps: FailoverDeps) {}

  get points(): PointContext {
    return { store: this.deps.store, groupPointKinds: (g) => this.deps.failovers.groupPointKinds(g) };
  }

  item(id: string): ItemRow {
    const item = this.deps.store.item(id);
    if (!item)
      throw new LifeboatError('not_found', `The protected item ${id} no longer exists.`, 'It was disabled meanwhile.', {
        final: true,
      });
    return item;
  }

  site(id: string): SiteRow {
    return this.deps.sites.store.byId(id)!;
  }

  /** The agent of the site holding the item's points, where its copies are made. */
  agent(item: ItemRow): SiteAgent {
    return this.deps.replicaAgent(item);
  }

  /**
   * Runs an item's command where the site is: through the site's agent for an agent site, here for this machine (the
   * primary site and a local recovery site). Never throws for the command's own failure.
   */
  async runAt(
    siteId: string,
    item: ItemRow,
    name: CommandName,
    extra: Record<string, string> = {},
  ): Promise<CommandRun | null> {
    const command = (JSON.parse(item.commands) as Record<string, string>)[name];
    if (!command) return null;
    const env = { LIFEBOAT_ITEM: item.name, LIFEBOAT_COMMAND: name, ...extra };
    const req: CommandRequest = { name, command, timeoutMs: item.command_timeout_seconds * 1000, env };
    const site = this.site(siteId);
    const run = await runAtSite(site, () => this.deps.sites.agentFor(site), req, this.deps.now);
    const runs = item.command_runs ? (JSON.parse(item.command_runs) as Record<string, CommandRun>) : {};
    this.deps.store.updateItem(item.id, { command_runs: JSON.stringify({ ...runs, [name]: run }) });
    return run;
  }

  async prerequisites(ctx: Ctx): Promise<void> {
    const { params } = ctx;
    let item = this.item(params.itemId);
    const test = params.type === 'test';
    if (ctx.state.t0 === undefined)
      ctx.checkpoint({
        t0: Date.now(),
        test,
        fromPhase: item.phase,
        fromSiteId: item.active_site_id,
        toSiteId: targetSiteId(item),
        warnings: [],
      });
    if (params.waitFor) await this.deps.runner.wait(params.waitFor, 3600_000, ctx.signal);
    ctx.throwIfStopped();
    item = this.item(params.itemId);
    if (!test && item.phase !== 'failing-over')
      requirePhaseFor(item, params.type === 'planned' ? 'planned-failover' : 'failover');
    if (params.type === 'planned' && item.phase !== 'failing-over') await this.requireSource(item);
    const site = this.site(item.recovery_site_id);
    await this.agent(item).checkSite({ id: site.id, name: site.name });
    if (!isReversed(item)) await this.checkRoom(item);
    if (test)
      this.deps.store.updateItem(item.id, { job_id: ctx.jobId }); // cycles wait until the point is chosen
    else {
      checkTransition(item.phase, 'failing-over');
      this.deps.store.updateItem(item.id, { phase: 'failing-over', job_id: ctx.jobId, next_cycle_at: null });
    }
  }

  /** A planned failover replicates the last changes: the source must answer where the item runs, before anything is shut down. */
  private async requireSource(item: ItemRow): Promise<void> {
    const reach = this.deps.sourceReach ? await this.deps.sourceReach(item) : null;
    if (!reach || reach.readable) return;
    throw new LifeboatError(
      'not_allowed',
      `${reach.reason} A planned failover of ${item.name} cannot replicate its last changes; nothing was shut down or changed.`,
      `Fail over with \`lifeboat item failover ${item.name} --type unplanned\`, which loses what it wrote after its newest point` +
        (reach.unreachableSite ? `, or start the agent at ${reach.unreachableSite} again and retry.` : '.'),
      { final: true },
    );
  }

  /** The recovery site has room for the copy: at most the sources' allocated bytes (less with reflinks). */
  private async checkRoom(item: ItemRow): Promise<void> {
    const need = copyBytes(this.deps.store.sources(item.id));
    const { free } = await this.agent(item).space();
    if (free < need)
      throw new LifeboatError(
        'disk_full',
        `The recovery site has ${free} bytes free; the copy of ${item.name} needs up to ${need}.`,
        'Free space at the recovery site, then resume the job.',
        { retryable: true },
      );
  }

  async shutdown(ctx: Ctx): Promise<void> {
    const { params, state } = ctx;
    if (state.shutdown !== undefined) return;
    if (params.type === 'test' || (!params.shutdownSource && params.type !== 'planned'))
      return ctx.checkpoint({ shutdown: null });
    const item = this.item(params.itemId);
    const run = await this.runAt(state.fromSiteId!, item, 'shutdown');
    const warnings = [...(state.warnings ?? [])];
    if (!run)
      warnings.push(
        `${item.name} has no shutdown command, so its source was not shut down: what it writes after the final cycle is not in the failover.`,
      );
    else if (!succeeded(run)) warnings.push(`The source was not shut down: ${describeRun(run)}. The failover went on.`);
    ctx.checkpoint({ shutdown: run, warnings });
  }

  /** A final cycle for a planned failover and for `latest`; then the point is fixed. */
  async process(ctx: Ctx): Promise<void> {
    const { params, state } = ctx;
    if (state.point) return;
    let item = this.item(params.itemId);
    const warnings = [...(state.warnings ?? [])];
    let finalCycleBytes: number | null = null;
    let unprocessed: string | null = null;
    let sourceUnreachable = false;
    if (params.type === 'planned' || params.point === 'latest') {
      const readable = sourcesReadable(this.deps.store.sources(item.id));
      if (!readable && params.type === 'planned')
        throw new LifeboatError(
          'not_allowed',
          `The source of ${item.name} cannot be read, so a planned failover cannot replicate its last changes.`,
          `Cancel this job and fail over with \`lifeboat item failover ${item.name} --type unplanned\`.`,
        );
      try {
        if (!readable) throw new LifeboatError('unavailable', `the source of ${item.name} cannot be read`);
        finalCycleBytes = (await this.finalCycle(item, ctx)).bytesSent;
      } catch (err) {
        if (params.type === 'planned' || ctx.signal.aborted) throw err;
        unprocessed = toErrorInfo(err).message.replace(/\.$/, '');
        sourceUnreachable = err instanceof SourceUnreachable;
      }
      item = this.item(params.itemId);
      if (params.type !== 'test')
        this.deps.store.updateItem(item.id, { phase: 'failing-over', next_cycle_at: null, job_id: ctx.jobId });
    }
    // After the final cycle, `latest` is the newest processed point.
    const resolved = resolvePoint(this.points, item, params.point === 'latest' ? 'latest-processed' : params.point);
    const at = resolved.point.created_at;
    const lossSeconds =
      finalCycleBytes !== null ? 0 : Math.max(0, Math.round((this.deps.now().getTime() - Date.parse(at)) / 1000));
    if (unprocessed !== null) {
      const from = this.site(state.fromSiteId!).name;
      const lost = `what ${item.name} wrote at ${from} after it (${lossSeconds} s) is lost`;
      warnings.push(
        `The pending data could not be processed (${unprocessed}): failed over to the newest processed point, of ${at}; ${lost}.`,
      );
    }
    ctx.checkpoint({ point: pointRef(resolved.point), finalCycleBytes, warnings, lossSeconds, sourceUnreachable });
  }

  private async finalCycle(item: ItemRow, ctx: Ctx): Promise<CycleResult> {
    try {
      return await this.deps.cycle(item.id, ctx.jobId, ctx.signal, 'delta');
    } catch (err) {
      if (!(err instanceof ResyncNeeded)) throw err;
      // Too much changed for a delta: compare both sides instead (never a full copy).
      return this.deps.cycle(item.id, ctx.jobId, ctx.signal, 'resync');
    }
  }

  /** Materializes the point as the item's copy; a real failover then switches the item to the other site. */
  async place(ctx: Ctx): Promise<void> {
    const { params, state } = ctx;
    if (state.placed) return;
    const item = this.item(params.itemId);
    const slot: CopySlot = params.type === 'test' ? 'test' : 'active';
    const hooks = fault('failover', 'mid-copy') ? { beforeSwap: () => this.hold(ctx, 'mid-copy') } : {};
    const { bytes, path } = await this.agent(item).placeCopy(
      { id: item.id, name: item.name },
      slot,
      state.point!.id,
      hooks,
    );
    ctx.throwIfStopped();
    const now = this.deps.now().toISOString();
    this.deps.store.db.transaction(() => {
      if (params.type === 'test') {
        // The copy is made: replication goes on (cycles waited meanwhile, rather than contend for the replica).
        if (this.item(item.id).job_id === ctx.jobId) this.deps.store.updateItem(item.id, { job_id: null });
        const test = this.deps.failovers.test(item.id);
        if (test) this.deps.failovers.setTest(item.id, { ...test, point: state.point! });
        this.deps.failovers.insertDrill({
          id: test?.drillId ?? ctx.jobId,
          item_id: item.id,
          job_id: ctx.jobId,
          point: JSON.stringify(state.point),
          started_at: test?.startedAt ?? now,
          time_to_start_ms: null,
          command_runs: '[]',
          test_path: path,
          cleaned_up_at: null,
          notes: null,
          scheduled: test?.scheduled ? 1 : 0,
        });
        return;
      }
      checkTransition(item.phase, 'failed-over');
      this.deps.store.updateItem(item.id, { phase: 'failed-over', active_site_id: state.toSiteId! });
      const type = params.type as 'planned' | 'unplanned';
      const record = {
        type,
        point: state.point!,
        at: now,
        fromSiteId: state.fromSiteId!,
        toSiteId: state.toSiteId!,
        jobId: ctx.jobId,
      };
      this.deps.failovers.setFailover(item.id, record);
    })();
    ctx.checkpoint({ placed: true, bytes, copyPath: path });
  }

  async start(ctx: Ctx): Promise<void> {
    const { params, state } = ctx;
    const item = this.item(params.itemId);
    const warnings = [...(state.warnings ?? [])];
    ctx.checkpoint(); // a job resumed here is no longer cancellable: its kind says so from the state
    if (state.start === undefined) {
      if (fault('failover', 'before-start')) await this.hold(ctx, 'before-start');
      ctx.throwIfStopped();
      const timeToStartMs = Date.now() - state.t0!;
      const env = { LIFEBOAT_FAILOVER: params.type, LIFEBOAT_POINT: state.point!.id, LIFEBOAT_PATH: state.copyPath! };
      const run = await this.runAt(state.toSiteId!, item, 'start', env);
      if (run && !succeeded(run))
        warnings.push(
          `The item did not start: ${describeRun(run)}. Start it by hand at ${this.site(state.toSiteId!).name}.`,
        );
      ctx.checkpoint({ start: run, timeToStartMs, warnings });
    }
    if (params.type === 'test') {
      const test = this.deps.failovers.test(item.id);
      const runs = [ctx.state.start].filter((r): r is CommandRun => !!r);
      if (test)
        this.deps.failovers.updateDrill(test.drillId, {
          time_to_start_ms: ctx.state.timeToStartMs!,
          command_runs: JSON.stringify(runs),
        });
    } else if (item.job_id === ctx.jobId) this.deps.store.updateItem(item.id, { job_id: null });
    ctx.checkpoint({ result: this.result(item, ctx.params, ctx.state) });
  }

  private result(item: ItemRow, params: FailoverParams, s: FailoverState): Record<string, unknown> {
    const sources = this.deps.store.sources(item.id);
    const at = (kind: 'disk' | 'folder') =>
      sources.filter((x) => x.kind === kind).map((x) => ({ name: x.name, path: `${s.copyPath}/${kind}s/${x.name}` }));
    return {
      item: item.name,
      type: params.type,
      point: s.point,
      from: this.site(s.fromSiteId!).name,
      to: this.site(s.toSiteId!).name,
      bytes: s.bytes ?? 0,
      disks: at('disk'),
      folders: at('folder'),
      shutdown: s.shutdown ?? null,
      start: s.start ?? null,
      finalCycleBytes: s.finalCycleBytes ?? null,
      lossSeconds: s.lossSeconds ?? 0,
      sourceUnreachable: s.sourceUnreachable ?? false,
      timeToStartMs: s.timeToStartMs ?? 0,
      warnings: s.warnings ?? [],
    };
  }

  /** After a cancel (or a cancelled job found at a restart): the copy goes and the item is protected again. */
  async undo(ctx: Ctx): Promise<void> {
    const { params, state } = ctx;
    const item = this.deps.store.item(params.itemId);
    if (!item) return;
    const ref = { id: item.id, name: item.name };
    if (params.type === 'test') {
      await this.agent(item).removeCopy(ref, 'test');
      const test = this.deps.failovers.test(item.id);
      if (test?.jobId === ctx.jobId) {
        this.deps.failovers.setTest(item.id, null);
        this.deps.failovers.updateDrill(test.drillId, {
          cleaned_up_at: this.deps.now().toISOString(),
          notes: 'Cancelled before it started.',
        });
      }
      if (item.job_id === ctx.jobId) this.deps.store.updateItem(item.id, { job_id: null });
      return;
    }
    if (item.job_id !== ctx.jobId) return; // never ours, or another job took the item since
    if (item.phase === 'failing-over' || item.phase === 'failed-over') await this.agent(item).removeCopy(ref, 'active');
    const back = state.fromPhase === 'resync-required' ? 'resync-required' : 'protected';
    this.deps.store.db.transaction(() => {
      const activeSite = state.fromSiteId ?? item.active_site_id;
      this.deps.store.updateItem(item.id, {
        phase: back,
        active_site_id: activeSite,
        job_id: null,
        next_cycle_at: this.deps.now().toISOString(),
      });
      this.deps.failovers.setFailover(item.id, null);
    })();
  }

  /** Change recovery point: the item is shut down where it runs, the other point put in place of its copy, then started. */
  async changePoint(ctx: StepContext<ChangePointParams, ChangePointState>): Promise<void> {
    const { params, state } = ctx;
    let item = this.item(params.itemId);
    const warnings = [...(state.warnings ?? [])];
    if (state.shutdown === undefined) {
      const run = await this.runAt(item.active_site_id, item, 'shutdown');
      if (run && !succeeded(run))
        warnings.push(`The item was not shut down: ${describeRun(run)}. Its disks were replaced anyway.`);
      ctx.checkpoint({ shutdown: run, warnings });
    }
    const f = this.deps.failovers.failover(item.id)!;
    if (!state.placed) {
      const point = this.deps.store.points(item.id).find((p) => p.id === params.point)!;
      const { bytes, path } = await this.agent(item).placeCopy({ id: item.id, name: item.name }, 'active', point.id);
      this.deps.failovers.setFailover(item.id, { ...f, point: pointRef(point) });
      ctx.checkpoint({ placed: true, bytes, copyPath: path });
    }
    if (ctx.state.start === undefined) {
      const env = { LIFEBOAT_FAILOVER: f.type, LIFEBOAT_POINT: params.point, LIFEBOAT_PATH: ctx.state.copyPath! };
      const run = await this.runAt(item.active_site_id, item, 'start', env);
      if (run && !succeeded(run)) warnings.push(`The item did not start: ${describeRun(run)}.`);
      ctx.checkpoint({ start: run, warnings });
    }
    item = this.item(params.itemId);
    if (item.job_id === ctx.jobId) this.deps.store.updateItem(item.id, { job_id: null });
    const point = this.deps.failovers.failover(item.id)!.point;
    const { bytes, copyPath, shutdown, start } = ctx.state;
    ctx.checkpoint({
      result: { item: item.name, point, bytes: bytes ?? 0, path: copyPath, shutdown, start, warnings },
    });
  }

  /** Holds the job at a fault point until the process is killed (crash tests); says so in the job's events first. */
  private async hold(ctx: Ctx, point: string): Promise<void> {
    this.deps.runner.store.event(ctx.jobId, 'fault-point', point);
    await untilAborted(ctx.signal);
  }
}
