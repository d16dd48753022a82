/**
 * The prune form's fields as typed, checked the way the engine checks them (`backups.prune` in the contract, and
 * BackupManager.prune: whole counts ≥ 0, at least one above 0; max unused 0–100 %), so the engine's refusal is
 * the exception, not the first thing an administrator sees.
 */
import type { CallInput } from '../api/types';

export const RULES = [
  { key: 'keepLast', label: 'Keep the last', unit: 'backups', hint: 'The newest backups, whatever their dates.' },
  {
    key: 'keepDaily',
    label: 'Keep daily',
    unit: 'days',
    hint: 'The newest backup of each of the last N days that have one.',
  },
  {
    key: 'keepWeekly',
    label: 'Keep weekly',
    unit: 'weeks',
    hint: 'The newest backup of each of the last N weeks (Monday to Sunday, UTC).',
  },
  {
    key: 'keepMonthly',
    label: 'Keep monthly',
    unit: 'months',
    hint: 'The newest backup of each of the last N months.',
  },
] as const;

export type RuleKey = (typeof RULES)[number]['key'];
export type PruneForm = Record<RuleKey | 'maxUnused', string> & { account: string };
export type PruneInput = Required<Omit<CallInput<'backups.prune'>, 'dryRun'>>;

/** A common grandfather-father-son policy: the last 3, a week of dailies, a month of weeklies, a year of monthlies. */
export const DEFAULT_FORM: Omit<PruneForm, 'account'> = {
  keepLast: '3',
  keepDaily: '7',
  keepWeekly: '4',
  keepMonthly: '12',
  maxUnused: '10',
};

export type PruneProblems = Partial<Record<RuleKey | 'maxUnused' | 'rules', string>>;

function countProblem(text: string): string | undefined {
  const t = text.trim();
  if (!t) return 'Enter a number (0 to not use this rule).';
  if (!/^\d+$/.test(t) || !Number.isSafeInteger(Number(t))) return 'Enter a whole number, 0 or more.';
  return undefined;
}

function percentProblem(text: string): string | undefined {
  const t = text.trim();
  if (!/^\d+(\.\d+)?$/.test(t) || Number(t) > 100) return 'Enter a percentage from 0 to 100 (100: never repack).';
  return undefined;
}

export function pruneProblems(form: PruneForm): PruneProblems {
  const out: PruneProblems = {};
  for (const r of RULES) {
    const p = countProblem(form[r.key]);
    if (p) out[r.key] = p;
  }
  // The engine's own rule: a prune that keeps nothing would delete every backup of the account.
  if (RULES.every((r) => !out[r.key]) && RULES.every((r) => Number(form[r.key].trim()) === 0))
    out.rules = 'Keep at least one backup: set at least one of the rules above 0.';
  const m = percentProblem(form.maxUnused);
  if (m) out.maxUnused = m;
  return out;
}

/** The call's input, or null while the form has problems. */
export function pruneInput(form: PruneForm): PruneInput | null {
  if (!form.account || Object.keys(pruneProblems(form)).length) return null;
  return {
    account: form.account,
    keepLast: Number(form.keepLast.trim()),
    keepDaily: Number(form.keepDaily.trim()),
    keepWeekly: Number(form.keepWeekly.trim()),
    keepMonthly: Number(form.keepMonthly.trim()),
    maxUnused: Number(form.maxUnused.trim()),
  };
}
