/**
 * The item operations a recovery plan runs, wired to the protection module through the API contract's own calls
 * (items.list, items.failover, items.commit, items.reprotect, items.cleanupTest): the plan depends on what a user
 * can do to one item, never on that module's tables or internals. Which phase allows which operation is the
 * protection module's rule (replication/phases.ts), asked here before a run starts. Script actions run at a site
 * through its agent's runCommand (a local shell for the primary site).
 */
import { LifeboatError, type ErrorInfo } from '../../shared/errors';
import type { Job } from '../../shared/schemas';
import { runCommand } from '../replication/commands';
import { requirePhaseFor, type ItemAction } from '../replication/phases';
import type { SiteAgent } from '../sites/agent';
import type { ItemOpRequest, PlanItemOps, PlanItemState, ScriptRun } from './ops';

type Outcome = { ok: true; value: unknown } | { ok: false; error: ErrorInfo };

export interface ItemOpsDeps {
  /** A contract call by name (the engine's dispatcher): validated input, a Result, never a throw. */
  call(name: string, input: Record<string, unknown>): Promise<Outcome>;
  /** The agent of a recovery site by name; null for the primary site (this machine). */
  agentAt(site: string): SiteAgent | null;
}

export const PRIMARY_SITE = 'primary';

const isReversed = (item: PlanItemState) => item.activeSite !== PRIMARY_SITE;

/** The phase rule's name for an operation (a failback is a failover of an item running at its recovery site). */
function actionOf(req: ItemOpRequest): ItemAction | null {
  if (req.operation === 'failover' || req.operation === 'failback')
    return req.type === 'test' ? 'test-failover' : req.type === 'planned' ? 'planned-failover' : 'failover';
  if (req.operation === 'commit') return 'commit';
  if (req.operation === 'reprotect') return 'reprotect';
  return null;
}

const isJob = (v: unknown): v is Job =>
  !!v && typeof v === 'object' && typeof (v as Job).id === 'string' && Array.isArray((v as Job).steps);

export function itemOps(deps: ItemOpsDeps): PlanItemOps {
  const value = async (name: string, input: Record<string, unknown>): Promise<unknown> => {
    const r = await deps.call(name, input);
    if (!r.ok) throw new LifeboatError(r.error.code, r.error.message, r.error.hint);
    return r.value;
  };
  const phaseOf = async (name: string) =>
    ((await value('items.list', {})) as PlanItemState[]).find((i) => i.name === name)?.phase;

  return {
    async items() {
      const list = (await value('items.list', {})) as PlanItemState[];
      return list.map((i) => ({
        name: i.name,
        phase: i.phase,
        activeSite: i.activeSite,
        recoverySite: i.recoverySite,
      }));
    },

    check(item, req) {
      if (req.operation === 'failback' && !isReversed(item))
        throw new LifeboatError(
          'not_allowed',
          `${item.name} runs at its primary site: there is nothing to fail back.`,
          'Fail the plan over with `lifeboat plan failover NAME --type …`.',
        );
      const action = actionOf(req);
      if (action)
        requirePhaseFor(
          { name: item.name, phase: item.phase, primary_site_id: PRIMARY_SITE, active_site_id: item.activeSite },
          action,
        );
    },

    async start(item, req) {
      switch (req.operation) {
        case 'failover':
        case 'failback': {
          const job = await value('items.failover', {
            name: item,
            type: req.type,
            point: req.point,
            shutdownSource: req.shutdownSource,
          });
          return { jobId: isJob(job) ? job.id : null };
        }
        case 'commit':
          // Run again after a crash: an item already committed is done.
          if ((await phaseOf(item)) === 'committed') return { jobId: null };
          await value('items.commit', { name: item });
          return { jobId: null };
        case 'reprotect': {
          if ((await phaseOf(item)) === 'protected') return { jobId: null };
          const out = await value('items.reprotect', { name: item });
          return { jobId: isJob(out) ? out.id : null };
        }
        case 'cleanup-test':
          await value('items.cleanupTest', { name: item, notes: req.notes });
          return { jobId: null };
      }
    },

    actionSite(item) {
      // Failover goes from where the item runs to its other site.
      return isReversed(item) ? PRIMARY_SITE : item.recoverySite;
    },

    async runScript(site, command, opts): Promise<ScriptRun> {
      const agent = deps.agentAt(site);
      // A plan's script is run as an item's start command is: sh -c, its own process group, a timeout, bounded output.
      return agent
        ? agent.runCommand({ name: 'start', command, timeoutMs: opts.timeoutMs, env: opts.env })
        : runCommand('start', command, { timeoutMs: opts.timeoutMs, env: opts.env, now: () => new Date() });
    },
  };
}
