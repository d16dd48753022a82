/** Device failover: compatible targets, the plan with its RTO, starting, resuming and abandoning the failover job, and the DNS checklist. */
import type {
  DnsChecklist,
  FailoverBackup,
  FailoverPlan,
  FailoverPrechecks,
  FailoverTargets,
  TargetFacts,
} from '../../shared/device-schemas';
import type { Job } from '../../shared/schemas';
import type { DeviceRow } from '../devices/store';
import { LifeboatError } from '../../shared/errors';
import { VERSION } from '../paths';
import { formatBytes } from '../../shared/units';
import { assessTarget, refusal, type Assessment } from './compatibility';
import { failoverJob } from './job';
import { dnsChecklist, rtoSeconds } from './plan';
import { collectPrechecks } from './prechecks';
import { backupChoices, failoverItems, requireBackup, sourceFacts } from './sources';
import { FAILOVER_JOB, FailoverParamsSchema, type FailoverParams, type FailoverState } from './state';
import type { FailoverDeps } from './deps';
import { cleanTarget } from './transfer';
import { jobUnderway } from '../../shared/job-status';

/**
 * A failover job waits in a runner slot while its restore jobs run in the others (the runner runs 3 jobs at once):
 * more failovers at once than slots minus one would leave their restores queued behind them for ever.
 */
const MAX_RUNNING_FAILOVERS = 2;

export class FailoverManager {
  constructor(private readonly deps: FailoverDeps) {
    deps.runner.register(failoverJob(deps));
  }

  private get store() {
    return this.deps.devices.store;
  }

  /** The source of a failover: it must exist and be deactivated. */
  private requireSource(name: string): DeviceRow {
    const source = this.store.require(name);
    if (source.status !== 'deactivated')
      throw new LifeboatError(
        'not_allowed',
        `The device ${source.name} is ${source.status}; only a deactivated device can be failed over.`,
        `Take its shares or volumes offline on the hosts, then deactivate it (permanent; it takes a final backup): \`lifeboat device deactivate ${source.name} --confirm ${source.name}\`.`,
      );
    return source;
  }

  private async assessAll(source: DeviceRow): Promise<Array<Assessment & { facts: TargetFacts }>> {
    const facts = sourceFacts(this.deps, source);
    const out: Array<Assessment & { facts: TargetFacts }> = [];
    for (const device of this.store.list()) {
      if (device.id === source.id) continue;
      const freeBytes = await this.deps.devices.freeBytes(device).catch(() => null);
      const a = assessTarget(facts, {
        device,
        shares: this.store.shares(device.id).length,
        volumes: this.store.volumes(device.id).length,
        freeBytes,
      });
      const shown = {
        status: device.status,
        registered: device.registered_at !== null,
        capacity: device.capacity,
        freeBytes,
        domain: device.domain,
        softwareVersion: VERSION,
      };
      out.push({ ...a, facts: shown });
    }
    return out;
  }

  async targets(sourceName: string): Promise<FailoverTargets> {
    const source = this.requireSource(sourceName);
    const all = await this.assessAll(source);
    return {
      source: source.name,
      compatible: all
        .filter((a) => a.compatible)
        .map((a) => ({ device: a.device, warnings: a.warnings, facts: a.facts })),
      excluded: all.filter((a) => !a.compatible).map((a) => ({ device: a.device, reasons: a.reasons, facts: a.facts })),
    };
  }

  backups(sourceName: string): FailoverBackup[] {
    const source = this.requireSource(sourceName);
    const list = backupChoices(this.deps, source);
    if (!list.length) requireBackup(this.deps, source); // throws: no backup, with what to do instead
    return list;
  }

  /** The checklist the job's first step runs, now: nothing is held, nothing moves. */
  async prechecks(sourceName: string, targetName: string, backupId?: string): Promise<FailoverPrechecks> {
    const source = this.requireSource(sourceName);
    const target = this.store.require(targetName);
    const backup = requireBackup(this.deps, source, backupId);
    const checks = await collectPrechecks(this.deps, { source, target, backupId: backup.backup_id });
    return {
      source: source.name,
      target: target.name,
      backupId: backup.backup_id,
      ok: !checks.some((c) => c.status === 'fail'),
      checks: checks.map((c) => ({
        name: c.name,
        status: c.status,
        message: c.message,
        fix: c.fix ?? null,
        page: c.page ?? null,
        command: c.command ?? null,
      })),
      checkedAt: new Date().toISOString(),
    };
  }

  async plan(sourceName: string, targetName: string, backupId?: string): Promise<FailoverPlan> {
    const source = this.requireSource(sourceName);
    const target = this.store.require(targetName);
    const backup = requireBackup(this.deps, source, backupId);
    const choice = backupChoices(this.deps, source).find((b) => b.id === backup.backup_id);
    const items = failoverItems(this.deps, source, backup.backup_id);
    const bytes = items.reduce((n, i) => n + i.bytes, 0);
    const account = this.deps.accounts.store.byId(this.deps.accounts.catalog.require(backup.backup_id).account_id);
    const throughput = account?.probe_ok ? account.probe_read_bps : null;
    const warnings: Array<{ code: string; message: string }> = [];
    const chosen =
      (await this.assessAll(source)).find((a) => a.device === target.name) ??
      assessTarget(sourceFacts(this.deps, source), { device: target, shares: 0, volumes: 0, freeBytes: null });
    warnings.push(...chosen.reasons, ...chosen.warnings);
    const planned = backup.kind === 'final';
    if (!planned)
      warnings.push({
        code: 'unplanned',
        message: `The ${choice?.latest === false ? 'chosen' : 'newest'} backup of ${source.name} is a ${backup.kind} backup from ${backup.created_at}, not a final one: changes made on ${source.name} after it are lost.`,
      });
    if (choice?.loses)
      warnings.push({ code: 'older-backup', message: `It is not the newest backup: ${choice.loses.text}.` });
    const missing = items.filter((x) => !x.inBackup);
    if (missing.length)
      warnings.push({
        code: 'not-in-backup',
        message: `${missing.map((i) => `The ${i.kind} ${i.name}`).join(', ')} ${missing.length > 1 ? 'were' : 'was'} created after the backup: ${missing.length > 1 ? 'they come' : 'it comes'} back empty.`,
      });
    if (throughput === null)
      warnings.push({
        code: 'no-throughput',
        message: `The read throughput of the storage account is not known, so there is no RTO estimate: test the account (\`lifeboat account test ${account?.name ?? 'NAME'}\`).`,
      });
    return {
      source: source.name,
      target: target.name,
      backup: {
        id: backup.backup_id,
        createdAt: backup.created_at,
        kind: backup.kind,
        latest: choice?.latest ?? true,
        loses: choice?.loses ?? null,
      },
      planned,
      bytesToRestore: bytes,
      items: items.map((i) => ({ name: i.name, kind: i.kind, bytes: i.bytes })),
      throughputBytesPerSecond: throughput,
      rtoSeconds: rtoSeconds(bytes, throughput),
      // One warning per code (a list keyed by code in the wizard).
      warnings: [...new Map(warnings.map((w) => [w.code, w])).keys()].map((code) => ({
        code,
        message: warnings
          .filter((w) => w.code === code)
          .map((w) => w.message)
          .join(' '),
      })),
    };
  }

  async start(sourceName: string, targetName: string, backupId?: string): Promise<Job> {
    const source = this.requireSource(sourceName);
    const target = this.store.require(targetName);
    if (source.failover_job_id)
      throw new LifeboatError(
        'busy',
        `${source.name} is already being failed over by the job ${source.failover_job_id}.`,
        `Resume it (\`lifeboat failover resume ${source.failover_job_id}\`) or abandon it (\`lifeboat failover abandon ${source.failover_job_id}\`) first.`,
      );
    const backup = requireBackup(this.deps, source, backupId);
    const running = this.deps.runner.store.unfinished({ types: [FAILOVER_JOB], underway: true });
    if (running.length >= MAX_RUNNING_FAILOVERS)
      throw new LifeboatError(
        'busy',
        `${running.length} failovers are running already (${running.join(', ')}).`,
        'Start this one when one of them has ended.',
      );
    const all = await this.assessAll(source);
    const chosen =
      all.find((a) => a.device === target.name) ??
      assessTarget(sourceFacts(this.deps, source), { device: target, shares: 0, volumes: 0, freeBytes: null });
    if (!chosen.compatible) {
      const { message, hint } = refusal(
        source.name,
        chosen,
        all.filter((a) => a.compatible).map((a) => a.device),
      );
      throw new LifeboatError('no_compatible_target', message, hint);
    }
    const params: FailoverParams = {
      sourceId: source.id,
      sourceName: source.name,
      targetId: target.id,
      targetName: target.name,
      backupId: backup.backup_id,
    };
    // The holds and the job in one transaction: a device held by a failover refuses every other change.
    const job = this.deps.db.transaction(() => {
      const s = this.store.byId(source.id)!;
      const t = this.store.byId(target.id)!;
      const holder = s.failover_job_id ?? t.failover_job_id;
      if (holder)
        throw new LifeboatError(
          'busy',
          `${s.failover_job_id ? s.name : t.name} is held by the failover job ${holder}.`,
          'Wait for it to end, or abandon it.',
        );
      if (
        s.status !== 'deactivated' ||
        (t.status !== 'online' && t.status !== 'ready-to-set-up') ||
        this.store.shares(t.id).length + this.store.volumes(t.id).length > 0
      )
        throw new LifeboatError(
          'conflict',
          `${s.name} or ${t.name} changed while the failover was being started.`,
          `Check the targets again with \`lifeboat failover targets ${s.name}\`.`,
        );
      // The runner may start the job right here; its first step yields before reading anything, so it runs
      // after this transaction has committed the holds.
      const created = this.deps.runner.create(FAILOVER_JOB, params);
      this.store.update(s.id, { failover_job_id: created.id });
      this.store.update(t.id, { failover_job_id: created.id });
      return created;
    })();
    this.deps.devices.changed(source.name);
    this.deps.devices.changed(target.name);
    this.deps.log.info('failover started', {
      jobId: job.id,
      source: source.name,
      target: target.name,
      backupId: backup.backup_id,
      bytes: formatBytes(failoverItems(this.deps, source, backup.backup_id).reduce((n, i) => n + i.bytes, 0)),
    });
    return this.deps.runner.get(job.id);
  }

  private requireJob(id: string): { job: Job; params: FailoverParams; state: FailoverState } {
    const row = this.deps.runner.store.row(id);
    if (!row || row.type !== FAILOVER_JOB)
      throw new LifeboatError(
        'not_found',
        `There is no failover job ${id}.`,
        'List jobs with `lifeboat jobs list`; a failover job has the type device.failover.',
      );
    return {
      job: this.deps.runner.toJob(row),
      params: FailoverParamsSchema.parse(JSON.parse(row.params)),
      state: JSON.parse(row.state) as FailoverState,
    };
  }

  resume(id: string): Job {
    const { job } = this.requireJob(id);
    if (job.status === 'failed' && !job.resumable)
      throw new LifeboatError(
        'not_allowed',
        `The failover job ${id} cannot be resumed: ${job.error?.message ?? 'it failed before any data moved.'}`,
        'Its devices were released: fix the causes, then start the failover again (`lifeboat failover start`).',
      );
    // A queued or running job is on its way (a dead owner's job is put back in the queue): the runner takes it up.
    if (job.status === 'succeeded' || job.status === 'cancelled')
      throw new LifeboatError(
        'not_allowed',
        `The failover job ${id} is ${job.status}; only a failed, paused or interrupted failover can be resumed.`,
        job.status === 'cancelled' ? 'Start the failover again (`lifeboat failover start`).' : undefined,
      );
    return this.deps.runner.resume(id);
  }

  async abandon(id: string): Promise<Job> {
    const { job, params, state } = this.requireJob(id);
    if (job.status === 'succeeded')
      throw new LifeboatError(
        'not_allowed',
        `The failover job ${id} succeeded; there is nothing to abandon.`,
        'A failover is undone by another failover the other way.',
      );
    if (state.transferStarted)
      throw new LifeboatError(
        'not_allowed',
        `The failover job ${id} has begun the ownership transfer; it can no longer be abandoned.`,
        `Resume it to finish: \`lifeboat failover resume ${id}\`.`,
      );
    if (jobUnderway(job.status)) {
      // The runner stops it at its next checkpoint, then its cleanup cleans the target.
      this.deps.runner.cancel(id);
      return this.deps.runner.wait(id, 120_000);
    }
    // Failed, paused, or cancelled already (cleaning again is harmless, and finishes an abandon a crash cut short).
    await cleanTarget(this.deps, id, params);
    if (job.status !== 'cancelled') {
      this.deps.runner.store.markCancelled(
        id,
        `Abandoned: the data restored on ${params.targetName} was deleted and both devices were released.`,
      );
    }
    this.deps.log.info('failover abandoned', { jobId: id, source: params.sourceName, target: params.targetName });
    const after = this.deps.runner.get(id);
    this.deps.bus.emit({ type: 'job.updated', job: after });
    return after;
  }

  checklist(id: string): DnsChecklist {
    const { job, params } = this.requireJob(id);
    if (job.status !== 'succeeded')
      throw new LifeboatError(
        'not_allowed',
        `The failover job ${id} is ${job.status}; the DNS checklist is for a failover that succeeded.`,
        job.resumable ? `Resume it first: \`lifeboat failover resume ${id}\`.` : undefined,
      );
    const source = this.store.byId(params.sourceId);
    const target = this.store.byId(params.targetId);
    return dnsChecklist(
      { name: params.sourceName, domain: source?.domain ?? null },
      { name: params.targetName, domain: target?.domain ?? null },
    );
  }
}
