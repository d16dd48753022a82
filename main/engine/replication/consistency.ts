/**
 * App-consistent points: quiesce → read the sources → thaw, for one item or every member of a group. A point is
 * app-consistent at the policy's app-consistent frequency when the item has a quiesce command. A quiesce that fails
 * or times out makes the point crash-consistent and leaves a warning on the item ("the point is missing its
 * app-consistent part") until an app-consistent point succeeds; thaw still runs, to undo a half-done freeze. A failed
 * attempt counts as the period's attempt: the next one waits a full period, so a quiesce that hangs until its timeout
 * does not hold up every cycle. Commands run where the item is active (replication/commands.ts).
 */
import type { SiteAgent } from '../sites/agent';
import type { SiteRow } from '../sites/store';
import { describeRun, runAtSite, succeeded, type CommandName, type CommandRun } from './commands';
import type { ItemRow, PolicyRow } from './store';

export interface AppState {
  /** The last app-consistent point's time. */
  lastAppAt?: string;
  /** The last attempt's time, app point or not. */
  lastAttemptAt?: string;
  /** Why the last attempt made no app-consistent point (or left the application frozen); null once one succeeds. */
  warning?: { at: string; message: string } | null;
}

export const appState = (item: ItemRow): AppState => (item.app_state ? (JSON.parse(item.app_state) as AppState) : {});
export const commandsOf = (item: ItemRow) => JSON.parse(item.commands) as Partial<Record<CommandName, string>>;

/** Whether the next cycle of the item should be app-consistent (half a frequency early, so schedules don't slip). */
export function appDue(item: ItemRow, policy: PolicyRow, now: Date): boolean {
  if (policy.app_consistent_seconds <= 0 || !commandsOf(item).quiesce) return false;
  const last = appState(item).lastAttemptAt;
  return (
    !last || now.getTime() - Date.parse(last) >= (policy.app_consistent_seconds - policy.frequency_seconds / 2) * 1000
  );
}

/** A run as kept with a point: the output shortened further (a point keeps 1 KiB of each). */
const brief = (r: CommandRun) => ({
  ...r,
  output: r.output.slice(-1024),
  outputCut: r.outputCut + Math.max(0, r.output.length - 1024),
});

export interface ConsistencyDeps {
  now: () => Date;
  /** The site where the item is active now. */
  activeSite: (item: ItemRow) => SiteRow;
  /** The agent of an agent site, where the item's commands run when it is active there. */
  agentFor: (site: SiteRow) => SiteAgent;
  /** Saves an item's command runs and app state. */
  save: (itemId: string, patch: { command_runs?: string; app_state?: string }) => void;
}

interface MemberRuns {
  item: ItemRow;
  quiesce?: CommandRun;
  thaw?: CommandRun;
}

/** The quiesce and thaw of one cycle's members. */
export class Consistency {
  private readonly runs = new Map<string, MemberRuns>();

  constructor(
    private readonly deps: ConsistencyDeps,
    private readonly members: ItemRow[],
    private readonly app: boolean,
  ) {}

  private async run(item: ItemRow, name: CommandName, command: string): Promise<CommandRun> {
    const site = this.deps.activeSite(item);
    const env = {
      LIFEBOAT_ITEM: item.name,
      LIFEBOAT_COMMAND: name,
      ...(item.group_name ? { LIFEBOAT_GROUP: item.group_name } : {}),
    };
    const r = await runAtSite(
      site,
      () => this.deps.agentFor(site),
      { name, command, timeoutMs: item.command_timeout_seconds * 1000, env },
      this.deps.now,
    );
    const runs = item.command_runs ? (JSON.parse(item.command_runs) as Record<string, CommandRun>) : {};
    runs[name] = r;
    item.command_runs = JSON.stringify(runs);
    this.deps.save(item.id, { command_runs: item.command_runs });
    return r;
  }

  /** Quiesces every member that has a quiesce command (in order); returns each member's point kind. */
  async quiesce(): Promise<Map<string, 'crash' | 'app'>> {
    const kinds = new Map<string, 'crash' | 'app'>();
    for (const item of this.members) {
      kinds.set(item.id, 'crash');
      const cmd = commandsOf(item);
      if (!this.app || !cmd.quiesce) continue;
      const entry: MemberRuns = { item };
      this.runs.set(item.id, entry);
      entry.quiesce = await this.run(item, 'quiesce', cmd.quiesce);
      if (succeeded(entry.quiesce)) kinds.set(item.id, 'app');
      else if (cmd.thaw) entry.thaw = await this.run(item, 'thaw', cmd.thaw); // undo a half-done freeze at once
    }
    return kinds;
  }

  /** Thaws, newest quiesce first, every member whose quiesce succeeded; then records each member's app state. */
  async thaw(): Promise<void> {
    for (const entry of [...this.runs.values()].reverse()) {
      const cmd = commandsOf(entry.item);
      if (entry.quiesce && succeeded(entry.quiesce) && cmd.thaw)
        entry.thaw = await this.run(entry.item, 'thaw', cmd.thaw);
    }
    const at = this.deps.now().toISOString();
    for (const entry of this.runs.values()) {
      const state = appState(entry.item);
      state.lastAttemptAt = at;
      const problems = [entry.quiesce, entry.thaw].filter((r): r is CommandRun => !!r && !succeeded(r));
      if (entry.quiesce && succeeded(entry.quiesce)) state.lastAppAt = at;
      state.warning = problems.length
        ? {
            at,
            message: `${problems.map(describeRun).join('; ')}${
              entry.quiesce && !succeeded(entry.quiesce)
                ? ': the point was made crash-consistent'
                : ': the application may still be frozen'
            }.`,
          }
        : null;
      entry.item.app_state = JSON.stringify(state);
      this.deps.save(entry.item.id, { app_state: entry.item.app_state });
    }
  }

  /** The quiesce and thaw runs to keep with a member's app point. */
  pointCommands(itemId: string): string | null {
    const e = this.runs.get(itemId);
    if (!e?.quiesce) return null;
    return JSON.stringify({ quiesce: brief(e.quiesce), ...(e.thaw ? { thaw: brief(e.thaw) } : {}) });
  }
}
