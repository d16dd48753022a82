/**
 * A recovery plan as the editor holds it: ordered steps (groups of items, script and manual actions), moved up and
 * down, sent to the engine as the same step lines `lifeboat plan create --step` takes. The engine checks them
 * (plans/steps.ts: an item in at most one group, known items, at least one group); the editor only says early what
 * is plainly missing.
 */
import type { CallOutput } from '../api/types';

export type PlanView = CallOutput<'plans.list'>[number];

export type DraftStep =
  | { key: number; kind: 'group'; items: string[] }
  | { key: number; kind: 'script'; command: string; timeout: string }
  | { key: number; kind: 'manual'; text: string };

export interface PlanDraft {
  name: string;
  description: string;
  steps: DraftStep[];
}

let next = 1;
export const newKey = () => next++;

export function draftOf(plan: PlanView | null): PlanDraft {
  if (!plan) return { name: '', description: '', steps: [{ key: newKey(), kind: 'group', items: [] }] };
  return {
    name: plan.name,
    description: plan.description,
    steps: plan.steps.map((s): DraftStep => {
      if (s.kind === 'group') return { key: newKey(), kind: 'group', items: [...s.items] };
      if (s.kind === 'script')
        return { key: newKey(), kind: 'script', command: s.command, timeout: `${s.timeoutSeconds}s` };
      return { key: newKey(), kind: 'manual', text: s.text };
    }),
  };
}

/** The steps as the engine's step lines. */
export function stepLines(steps: DraftStep[]): string[] {
  return steps.map((s) => {
    if (s.kind === 'group') return `group: ${s.items.join(', ')}`;
    if (s.kind === 'script') return `script${s.timeout.trim() ? ` ${s.timeout.trim()}` : ''}: ${s.command.trim()}`;
    return `manual: ${s.text.trim()}`;
  });
}

/** What is plainly missing before the engine is asked: a name, a group, an empty group or action. */
export function draftProblem(d: PlanDraft): string | null {
  if (!d.name.trim()) return 'Enter a name for the plan.';
  if (!d.steps.some((s) => s.kind === 'group')) return 'Add at least one group of items.';
  const i = d.steps.findIndex((s) =>
    s.kind === 'group' ? s.items.length === 0 : s.kind === 'script' ? !s.command.trim() : !s.text.trim(),
  );
  if (i >= 0)
    return `Step ${i + 1} is empty: ${d.steps[i].kind === 'group' ? 'choose its items' : 'fill it in'}, or remove it.`;
  return null;
}

export function move<T>(list: T[], from: number, to: number): T[] {
  if (to < 0 || to >= list.length) return list;
  const copy = [...list];
  const [x] = copy.splice(from, 1);
  copy.splice(to, 0, x);
  return copy;
}

/** The group number of each group step (1-based), for labels. */
export const groupNumber = (steps: DraftStep[], index: number) =>
  steps.slice(0, index + 1).filter((s) => s.kind === 'group').length;
