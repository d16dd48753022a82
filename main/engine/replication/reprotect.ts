/**
 * Reprotect (seed 004's second and fourth phases): after a failover was committed, the item replicates from the site it
 * now runs at back to its other site. Into reverse ("dr → primary") the original machine is shut down first (its
 * shutdown command at the primary; a failure is reported, not fatal), the item takes the fixed failback policy, and
 * the original disks and folders at their source paths become the replica; back forward after a failback, the item's
 * own policy returns. Never a full copy when the target still holds the item's data: the first cycle compares 64 KiB
 * block checksums on both sides (each side hashed in worker threads, holes skipped) and folders file by file, and
 * sends only what differs (`bytesCompared`, `bytesSent`). The members of a replication group reprotect together to
 * one target in one cycle, so they keep a common point. Delta replication then runs in the new direction on schedule.
 *
 * The job is durable: prepare → shutdown → sync → finish, each step idempotent. kill -9 in sync leaves the target's
 * journal to roll its cycle forward or back (sites/replica-journal.ts), and the resumed job runs the comparison again
 * (sending only what still differs); the item stays `reprotecting` until finish.
 */
import os from 'node:os';
import { z } from 'zod';
import type { Job } from '../../shared/schemas';
import { LifeboatError } from '../../shared/errors';
import type { JobRunner } from '../jobs/runner';
import type { JobKind } from '../jobs/types';
import type { Logger } from '../log';
import { describeRun, runCommand, succeeded, type CommandRun } from './commands';
import { commandsOf } from './consistency';
import type { CycleResult } from './cycle';
import type { Directions } from './direction';
import type { CycleMode } from './manager';
import { checkTransition, isReversed, phaseLabel, requirePhaseFor } from './phases';
import { FAILBACK_POLICY, type PolicyManager } from './policies';
import type { ItemRow, ReplicationStore } from './store';

export interface ReprotectDeps {
  store: ReplicationStore;
  runner: JobRunner;
  directions: Directions;
  policies: PolicyManager;
  /** Runs one cycle of the item (and its reprotecting group members) to a recorded point. */
  cycle: (itemId: string, jobId: string, signal: AbortSignal, mode: CycleMode) => Promise<CycleResult>;
  activeJob: (item: ItemRow) => Job | null;
  log: Logger;
  now: () => Date;
}

export interface ReprotectResult extends CycleResult {
  item: string;
  /** "dr → primary", or "primary → dr" after a failback. */
  direction: string;
  policy: string;
  members: string[];
  shutdown: CommandRun | null;
  warnings: string[];
}

const Params = z.object({ itemId: z.string(), itemName: z.string(), direction: z.string() });
type Params = z.infer<typeof Params>;

interface State {
  shutdown?: CommandRun | null;
  warnings?: string[];
  sync?: CycleResult;
  result?: ReprotectResult;
}

export class Reprotector {
  constructor(private readonly deps: ReprotectDeps) {}

  /** The item and the members of its group that reprotect with it (one target, one common point). */
  private members(item: ItemRow): ItemRow[] {
    if (!item.group_name) return [item];
    return this.deps.store.groupMembers(item.group_name);
  }

  /** Starts reprotect of a committed item (and its group); follows a reprotect already on its way, or resumes one that stopped. */
  start(name: string): Job {
    const item = this.deps.store.requireItem(name);
    const active = this.deps.activeJob(item);
    if (active?.type === 'replication.reprotect') return active;
    if (active) {
      const wait = `Wait for it (\`lifeboat jobs wait ${active.id}\`), then reprotect.`;
      throw new LifeboatError('busy', `${item.name} has a job on its way (${active.id}).`, wait);
    }
    const members = this.members(item);
    if (item.phase !== 'reprotecting') {
      requirePhaseFor(item, 'reprotect');
      const behind = members.filter((m) => m.phase !== 'committed' && m.phase !== 'reprotecting');
      if (behind.length)
        throw new LifeboatError(
          'not_allowed',
          `The items of the group ${item.group_name} reprotect together, to one target, and ${behind.map((m) => `${m.name} is ${phaseLabel(m)}`).join(', ')}.`,
          `Fail over and commit ${behind.map((m) => m.name).join(', ')} too, then reprotect.`,
        );
    }
    // Before anything runs (the original machine's shutdown): a source this engine cannot read is refused now.
    for (const m of members) this.deps.directions.source(m);
    const direction = this.deps.directions.of(item).label;
    const job = this.deps.runner.create('replication.reprotect', { itemId: item.id, itemName: item.name, direction });
    for (const m of members) this.deps.store.updateItem(m.id, { job_id: job.id });
    return job;
  }

  /** Every member to reprotecting, on the policy of its new direction, with the target prepared. Idempotent. */
  async prepare(itemId: string): Promise<void> {
    const item = this.require(itemId);
    const failback = this.failbackPolicy();
    for (const m of this.members(item)) {
      checkTransition(m.phase, 'reprotecting');
      // Into reverse: the fixed failback policy, the item's own kept to come back to; forward again: its own.
      const own = m.forward_policy_id ?? m.policy_id;
      const policy = isReversed(m)
        ? { policy_id: failback.id, forward_policy_id: own }
        : { policy_id: own, forward_policy_id: null };
      // The engine's block maps and folder indexes describe the old direction's replica: the first cycle compares both sides instead.
      this.deps.store.db.transaction(() => {
        const cleared = { pending: null, retry: null, last_error: null, resync: null, next_cycle_at: null };
        this.deps.store.updateItem(m.id, {
          phase: 'reprotecting',
          ...(m.phase === 'reprotecting' ? {} : policy),
          ...cleared,
        });
        for (const s of this.deps.store.sources(m.id)) this.deps.store.setSourceState(m.id, s.idx, null);
      })();
      const sources = this.deps.store.sources(m.id);
      await this.deps.directions.target(this.require(m.id)).prepareItem({
        id: m.id,
        name: m.name,
        disks: sources.filter((s) => s.kind === 'disk').map((s) => s.name),
        folders: sources.filter((s) => s.kind === 'folder').map((s) => s.name),
      });
    }
  }

  /**
   * Into reverse, the original machine must not run while its disks become the replica: its shutdown command at the
   * primary. A failure is a warning. Forward again, the recovery-site copy was removed at commit: nothing runs there.
   */
  async shutdown(itemId: string): Promise<{ run: CommandRun | null; warnings: string[] }> {
    const item = this.require(itemId);
    if (!isReversed(item)) return { run: null, warnings: [] };
    const command = commandsOf(item).shutdown;
    if (!command) {
      const warning = `${item.name} has no shutdown command: make sure the original machine is off (\`lifeboat item edit ${item.name} --shutdown CMD\`).`;
      return { run: null, warnings: [warning] };
    }
    const run = await runCommand('shutdown', command, {
      timeoutMs: item.command_timeout_seconds * 1000,
      env: {
        LIFEBOAT_ITEM: item.name,
        LIFEBOAT_COMMAND: 'shutdown',
        ...(item.group_name ? { LIFEBOAT_GROUP: item.group_name } : {}),
      },
      cwd: os.homedir(),
      now: this.deps.now,
    });
    const runs = item.command_runs ? (JSON.parse(item.command_runs) as Record<string, CommandRun>) : {};
    this.deps.store.updateItem(item.id, { command_runs: JSON.stringify({ ...runs, shutdown: run }) });
    return {
      run,
      warnings: succeeded(run)
        ? []
        : [`Reprotect went on: ${describeRun(run)}. Make sure the original machine of ${item.name} is off.`],
    };
  }

  /** Every member protected again, replicating in its new direction on its policy's schedule. */
  finish(itemId: string): string[] {
    const item = this.require(itemId);
    const names: string[] = [];
    for (const m of this.members(item)) {
      if (m.phase !== 'reprotecting') continue; // finished before a crash
      checkTransition(m.phase, 'protected');
      const policy = this.deps.store.policy(m.policy_id);
      const next = new Date(this.deps.now().getTime() + policy.frequency_seconds * 1000).toISOString();
      this.deps.store.updateItem(m.id, { phase: 'protected', next_cycle_at: next });
      names.push(m.name);
    }
    return names;
  }

  private failbackPolicy() {
    this.deps.policies.ensureFailback();
    return this.deps.store.policyByName(FAILBACK_POLICY)!;
  }

  private require(id: string): ItemRow {
    const item = this.deps.store.item(id);
    if (!item)
      throw new LifeboatError('not_found', `The protected item ${id} no longer exists.`, 'It was disabled meanwhile.', {
        final: true,
      });
    return item;
  }

  /** The reprotect job kind. */
  job(): JobKind<Params, State> {
    return {
      type: 'replication.reprotect',
      params: Params,
      title: (p) => `Reprotect ${p.itemName} (${p.direction})`,
      object: (p) => ({ kind: 'protected-item', name: p.itemName }),
      resumable: true,
      steps: [
        {
          name: 'prepare',
          title: 'Prepare the target and switch the policy',
          run: (ctx) => this.prepare(ctx.params.itemId),
        },
        {
          name: 'shutdown',
          title: 'Shut down the original machine',
          run: async (ctx) => {
            if (ctx.state.shutdown !== undefined) return; // ran before a crash: never twice
            const { run, warnings } = await this.shutdown(ctx.params.itemId);
            ctx.checkpoint({ shutdown: run, warnings });
          },
        },
        {
          name: 'sync',
          title: 'Compare block checksums on both sides and send the differences',
          weight: 8,
          run: async (ctx) => {
            const r = await this.deps.cycle(ctx.params.itemId, ctx.jobId, ctx.signal, 'reprotect');
            ctx.progress({ bytesDone: r.bytesSent, message: `Compared ${r.bytesCompared} bytes, sent ${r.bytesSent}` });
            ctx.checkpoint({ sync: r });
          },
        },
        {
          name: 'finish',
          title: 'Start replicating in the new direction',
          run: async (ctx) => {
            const members = this.finish(ctx.params.itemId);
            const item = this.require(ctx.params.itemId);
            const sync = ctx.state.sync!;
            const result: ReprotectResult = {
              ...sync,
              item: item.name,
              direction: ctx.params.direction,
              policy: this.deps.store.policy(item.policy_id).name,
              members: members.length ? members : [item.name],
              shutdown: ctx.state.shutdown ?? null,
              warnings: ctx.state.warnings ?? [],
            };
            ctx.checkpoint({ result });
          },
        },
      ],
    };
  }
}
