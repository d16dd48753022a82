/**
 * The phases of a protected item and the one rule of which action each phase allows (docs/failover.md). An item goes
 * enabling → protected (⇄ resync-required) → failing-over → failed-over (running at the other site, not committed:
 * Change recovery point allowed) → committed (points deleted, not replicating) → reprotecting → protected again, now
 * replicating the other way. The direction is not a phase: it is derived from the item's active site against its
 * primary site ("protected in reverse"), so failback is a failover of an item whose active site is the recovery site.
 * A test failover is not a phase either: the item stays protected and replicating; it is its own record.
 */
import { LifeboatError } from '../../shared/errors';

export const PHASES = [
  'enabling',
  'protected',
  'resync-required',
  'failing-over',
  'failed-over',
  'committed',
  'reprotecting',
] as const;
export type Phase = (typeof PHASES)[number];

/** Every move an item's phase may make; anything else is a bug. */
export const TRANSITIONS: Record<Phase, readonly Phase[]> = {
  enabling: ['protected'],
  protected: ['resync-required', 'failing-over', 'reprotecting'],
  'resync-required': ['protected', 'failing-over'],
  // A cancelled or undone failover goes back to where it came from.
  'failing-over': ['failed-over', 'protected', 'resync-required'],
  // Change recovery point keeps the item failed over; commit ends it.
  'failed-over': ['committed'],
  committed: ['reprotecting'],
  reprotecting: ['protected', 'committed'],
};

export type ItemAction =
  'failover' | 'planned-failover' | 'test-failover' | 'change-point' | 'commit' | 'reprotect' | 'replicate' | 'resync';

/** The phases in which each action is allowed. */
const ALLOWED: Record<ItemAction, readonly Phase[]> = {
  failover: ['protected', 'resync-required'],
  // A planned failover replicates every remaining change first, which a resync-required item cannot do.
  'planned-failover': ['protected'],
  'test-failover': ['protected', 'resync-required'],
  'change-point': ['failed-over'],
  commit: ['failed-over'],
  reprotect: ['committed'],
  replicate: ['protected'],
  resync: ['protected', 'resync-required'],
};

const ACTION_WORDS: Record<ItemAction, string> = {
  failover: 'a failover',
  'planned-failover': 'a planned failover',
  'test-failover': 'a test failover',
  'change-point': 'changing the recovery point',
  commit: 'a commit',
  reprotect: 'reprotect',
  replicate: 'replication',
  resync: 'a resynchronization',
};

export interface PhaseItem {
  name: string;
  phase: string;
  primary_site_id: string;
  active_site_id: string;
  job_id?: string | null;
}

export const isPhase = (p: string): p is Phase => (PHASES as readonly string[]).includes(p);

/** Whether the item runs at its recovery site (it failed over, or replicates back to its primary after reprotect). */
export const isReversed = (item: PhaseItem): boolean => item.active_site_id !== item.primary_site_id;

/** The phase as people read it: "protected in reverse", "failed over (not committed)", … */
export function phaseLabel(item: PhaseItem): string {
  switch (item.phase) {
    case 'protected':
      return isReversed(item) ? 'protected in reverse (replicating back to its primary site)' : 'protected';
    case 'failing-over':
      return isReversed(item) ? 'failing back' : 'failing over';
    case 'failed-over':
      // Switched already: running at the recovery site is a failover, back at the primary a failback.
      return isReversed(item) ? 'failed over (not committed)' : 'failed back (not committed)';
    case 'committed':
      return 'committed (not replicating)';
    case 'resync-required':
      return 'waiting for a resynchronization';
    default:
      return item.phase;
  }
}

/** What to do next from a phase, as a command. */
export function nextStep(item: PhaseItem): string {
  const n = item.name;
  const job = item.job_id ? `\`lifeboat jobs wait ${item.job_id}\`` : '`lifeboat jobs list`';
  switch (item.phase) {
    case 'enabling':
      return `wait for its Enable protection job (${job})`;
    case 'protected':
      return `fail it over with \`lifeboat item failover ${n} --type planned\``;
    case 'resync-required':
      return `resync it first with \`lifeboat item resync ${n}\``;
    case 'failing-over':
      return `wait for its failover job (${job})`;
    case 'failed-over':
      return `commit it first with \`lifeboat item commit ${n}\` (or change its point with \`lifeboat item change-point ${n} --point P\`)`;
    case 'committed':
      return `reprotect it with \`lifeboat item reprotect ${n}\``;
    case 'reprotecting':
      return `wait for its reprotect job (${job})`;
    default:
      return `see it with \`lifeboat item show ${n}\``;
  }
}

/** Throws `not_allowed`, naming the phase and the next step, unless the action is allowed in the item's phase. */
export function requirePhaseFor(item: PhaseItem, action: ItemAction): void {
  if ((ALLOWED[action] as readonly string[]).includes(item.phase)) return;
  const step = nextStep(item);
  const message = `${item.name} is ${phaseLabel(item)}, so ${ACTION_WORDS[action]} is not possible now.`;
  throw new LifeboatError('not_allowed', message, `${step[0].toUpperCase()}${step.slice(1)}.`);
}

/** Checks a phase change against the transitions; throws (a bug, not user input) on any other. */
export function checkTransition(from: string, to: Phase): void {
  if (from === to) return; // steps run again after a crash
  if (!isPhase(from) || !TRANSITIONS[from].includes(to))
    throw new LifeboatError('internal', `A protected item cannot go from ${from} to ${to}.`);
}
