/**
 * Failover of a protected item, as the API asks for it: the options a wizard shows before it starts, the failover
 * job (test, planned, unplanned), Change recovery point, Commit, Cleanup test failover and the drill reports. Every
 * request is checked against the item's phase (replication/phases.ts) before a job is made, so a wrong one is a clear
 * error at once, naming the phase and the next step. The job's steps are in failover-steps.ts.
 */
import { LifeboatError } from '../../shared/errors';
import type { Job } from '../../shared/schemas';
import { POINT_OPTIONS, type PointOption } from '../../shared/contract-item-failover';
import { newId } from '../keys';
import { copyBytes, optionPoint, pointRef, resolvePoint, sourcesReadable } from './failover-points';
import type { SourceReach } from './source-reach';
import { FailoverSteps, targetSiteId, type FailoverDeps, type FailoverType } from './failover-steps';
import { drillRuns, type DrillRow } from './failover-store';
import { isReversed, requirePhaseFor } from './phases';
import { rtoBasis, rtoSeconds } from './rto-estimate';
import type { ItemRow } from './store';
import { jobUnderway } from '../../shared/job-status';

export interface FailoverInput {
  name: string;
  type: FailoverType;
  point: string;
  shutdownSource: boolean;
  /** Started by the drill schedule: its drill report says so. */
  scheduled?: boolean;
}

/** Another job of the item is on its way: wait for it first. */
const busy = (item: ItemRow, active: Job, then: string) =>
  new LifeboatError(
    'busy',
    `${item.name} has a job on its way (${active.id}).`,
    `Wait for it (\`lifeboat jobs wait ${active.id}\`), then ${then}.`,
  );

export class ItemFailover {
  readonly steps: FailoverSteps;

  constructor(private readonly deps: FailoverDeps) {
    this.steps = new FailoverSteps(deps);
  }

  private siteName(id: string): string {
    return this.deps.sites.store.byId(id)?.name ?? id;
  }

  /** Whether the item's source can be read where it runs now (an agent site is asked, briefly). */
  private async reach(item: ItemRow): Promise<SourceReach> {
    if (this.deps.sourceReach) return this.deps.sourceReach(item);
    const readable = sourcesReadable(this.deps.store.sources(item.id));
    return { readable, unreachableSite: null, reason: readable ? null : `The source of ${item.name} cannot be read.` };
  }

  async options(name: string, type: FailoverType) {
    const item = this.deps.store.requireItem(name);
    const ctx = this.steps.points;
    const sources = this.deps.store.sources(item.id);
    const reach = await this.reach(item);
    const readable = reach.readable;
    const now = this.deps.now().getTime();
    const cycles = this.deps.store.cycles(item.id, new Date(now - 7 * 86_400_000).toISOString());
    const lastCycle = cycles.filter((c) => c.ok && Date.parse(c.at) >= now - 86_400_000).at(-1);
    const runs = item.command_runs
      ? (JSON.parse(item.command_runs) as Record<string, { durationMs: number } | undefined>)
      : {};
    const commands = JSON.parse(item.commands) as Record<string, string>;
    const site = this.deps.sites.store.byId(targetSiteId(item))!;
    const basis = rtoBasis({
      site,
      cycles,
      copyBytes: copyBytes(sources),
      startCommandMs: commands.start ? (runs.start?.durationMs ?? null) : null,
    });
    const options = POINT_OPTIONS.map((option: PointOption) => {
      const found = optionPoint(ctx, item, option);
      const { point } = found;
      const reason = found.reason;
      const processes = (option === 'latest' || type === 'planned') && readable;
      const lossSeconds = point
        ? processes && option === 'latest'
          ? 0
          : Math.max(0, Math.round((now - Date.parse(point.created_at)) / 1000))
        : null;
      const refused = type === 'planned' && !readable;
      const lost =
        lossSeconds === null
          ? ''
          : `, which loses what ${item.name} wrote at ${reach.unreachableSite} after this point (${lossSeconds} s)`;
      const why = reach.unreachableSite
        ? `The agent site ${reach.unreachableSite} is unreachable: use an unplanned failover${lost}.`
        : `${reach.reason ?? `The source of ${item.name} cannot be read.`} Fail over unplanned.`;
      return {
        option,
        available: point !== null && !refused,
        reason: refused ? why : reason,
        point: point && pointRef(point),
        processesPending: option === 'latest' && readable,
        lossSeconds,
        pendingBytes: option === 'latest' && readable ? 0 : item.pending_bytes,
        rtoSeconds: rtoSeconds(basis, {
          finalCycleMs: processes ? (lastCycle?.duration_ms ?? 0) : 0,
          shutdownMs: type === 'planned' ? (runs.shutdown?.durationMs ?? 0) : 0,
        }),
        group: option.startsWith('latest-multi') ? item.group_name : null,
      };
    });
    return {
      item: item.name,
      phase: item.phase,
      from: this.siteName(item.active_site_id),
      to: this.siteName(targetSiteId(item)),
      reversed: isReversed(item),
      shutdownCommand: !!commands.shutdown,
      startCommand: !!commands.start,
      testActive: this.deps.failovers.test(item.id) !== null,
      source: reach,
      options,
      rtoBasis: basis,
      points: this.deps.store.points(item.id).map(pointRef),
    };
  }

  /** Starts a failover job; an interrupted one of the item is followed instead of starting another. */
  start(input: FailoverInput): Job {
    const item = this.deps.store.requireItem(input.name);
    const active = this.deps.activeJob(item);
    if (active?.type === 'replication.failover') return active;
    const test = input.type === 'test';
    if (test) {
      requirePhaseFor(item, 'test-failover');
      const up = this.deps.failovers.test(item.id);
      const cleanup = `Clean it up first with \`lifeboat item cleanup-test ${item.name}\`.`;
      if (up) throw new LifeboatError('not_allowed', `A test failover of ${item.name} is up already.`, cleanup);
      const why = '--shutdown-source: a test failover leaves the source running; it cannot shut it down.';
      if (input.shutdownSource)
        throw new LifeboatError('invalid_input', why, 'Leave it out, or run a planned failover.');
    } else requirePhaseFor(item, input.type === 'planned' ? 'planned-failover' : 'failover');
    resolvePoint(this.steps.points, item, input.point); // a wrong point is refused now, not in the job
    const { type, shutdownSource } = input;
    const params = {
      itemId: item.id,
      itemName: item.name,
      type,
      point: input.point,
      shutdownSource,
      ...(active ? { waitFor: active.id } : {}),
    };
    const job = this.deps.runner.create('replication.failover', params);
    if (test) {
      const record = { drillId: newId('drill'), jobId: job.id, point: null, startedAt: this.deps.now().toISOString() };
      this.deps.failovers.setTest(item.id, input.scheduled ? { ...record, scheduled: true } : record);
    } else this.deps.store.updateItem(item.id, { job_id: job.id }); // the scheduler leaves the item alone from now on
    return job;
  }

  changePoint(name: string, choice: string): Job {
    const item = this.deps.store.requireItem(name);
    const active = this.deps.activeJob(item);
    if (active?.type === 'replication.change-point') return active;
    requirePhaseFor(item, 'change-point');
    if (active) throw busy(item, active, 'change the point');
    const { point } = resolvePoint(this.steps.points, item, choice === 'latest' ? 'latest-processed' : choice);
    const job = this.deps.runner.create('replication.change-point', {
      itemId: item.id,
      itemName: item.name,
      point: point.id,
    });
    this.deps.store.updateItem(item.id, { job_id: job.id });
    return job;
  }

  /** Ends the failover: the points go (rows first, then the site's), change-point ends; reprotect comes next. */
  async commit(name: string) {
    const item = this.deps.store.requireItem(name);
    requirePhaseFor(item, 'commit');
    const active = this.deps.activeJob(item);
    if (active) throw busy(item, active, 'commit');
    const ids = this.deps.store.points(item.id).map((p) => p.id);
    this.deps.store.deletePoints(ids);
    await this.steps.agent(item).dropReplica({ id: item.id, name: item.name });
    // A failback's commit: the copy it ran from at the recovery site goes, kept as the base the next reprotect compares with.
    if (!isReversed(item)) {
      const recovery = this.deps.sites.agentFor(this.deps.sites.store.byId(item.recovery_site_id)!);
      await (recovery.adoptCopy
        ? recovery.adoptCopy({ id: item.id, name: item.name })
        : recovery.removeCopy({ id: item.id, name: item.name }, 'active'));
    }
    this.deps.store.updateItem(item.id, {
      phase: 'committed',
      pending: null,
      pending_bytes: null,
      next_cycle_at: null,
      retry: null,
      resync: null,
    });
    return {
      item: item.name,
      phase: 'committed',
      activeSite: this.siteName(item.active_site_id),
      pointsDeleted: ids.length,
      replicaRemoved: true,
    };
  }

  private drillReport(item: ItemRow, d: DrillRow) {
    return {
      id: d.id,
      item: item.name,
      jobId: d.job_id,
      point: JSON.parse(d.point) as ReturnType<typeof pointRef>,
      startedAt: d.started_at,
      timeToStartMs: d.time_to_start_ms,
      commandRuns: drillRuns(d),
      testPath: d.test_path,
      cleanedUpAt: d.cleaned_up_at,
      notes: d.notes,
      scheduled: d.scheduled === 1,
    };
  }

  /** Removes the test copy (and anything half-made) and keeps the notes in the drill report. */
  async cleanupTest(name: string, notes?: string) {
    const item = this.deps.store.requireItem(name);
    const test = this.deps.failovers.test(item.id);
    if (!test) {
      const last = this.deps.failovers.drills(item.id).at(-1);
      const hint = last
        ? `Its last drill was cleaned up at ${last.cleaned_up_at}; \`lifeboat item drills ${item.name}\` lists them.`
        : `Start one with \`lifeboat item failover ${item.name} --type test\`.`;
      throw new LifeboatError('not_allowed', `${item.name} has no test failover up.`, hint);
    }
    const job = this.deps.runner.store.row(test.jobId);
    if (job && jobUnderway(job.status))
      throw new LifeboatError(
        'busy',
        `The test failover of ${item.name} is still starting (job ${test.jobId}).`,
        `Wait for it (\`lifeboat jobs wait ${test.jobId}\`) or cancel it.`,
      );
    await this.steps.agent(item).removeCopy({ id: item.id, name: item.name }, 'test');
    const cleanedUpAt = this.deps.now().toISOString();
    this.deps.store.db.transaction(() => {
      if (!this.deps.failovers.drill(test.drillId)) {
        // The job failed before its copy was in place: the report says so.
        const point = JSON.stringify(
          test.point ?? { id: '', createdAt: test.startedAt, kind: 'crash', groupPoint: null },
        );
        const drill = { id: test.drillId, item_id: item.id, job_id: test.jobId, point, started_at: test.startedAt };
        const scheduled = test.scheduled ? 1 : 0;
        this.deps.failovers.insertDrill({
          ...drill,
          time_to_start_ms: null,
          command_runs: '[]',
          test_path: '',
          cleaned_up_at: null,
          notes: null,
          scheduled,
        });
      }
      this.deps.failovers.updateDrill(test.drillId, { cleaned_up_at: cleanedUpAt, notes: notes?.trim() || null });
      this.deps.failovers.setTest(item.id, null);
    })();
    return this.drillReport(item, this.deps.failovers.drill(test.drillId)!);
  }

  drills(name: string) {
    const item = this.deps.store.requireItem(name);
    return this.deps.failovers.drills(item.id).map((d) => this.drillReport(item, d));
  }
}
