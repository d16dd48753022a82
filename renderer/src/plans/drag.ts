/**
 * Drag and drop in the plan editor, as pure moves on the draft's steps: an item dropped on a group (or on "new group")
 * leaves whichever group held it and joins that one; a step dropped before or after another takes that place. The
 * editor calls these from native HTML5 drag events and from nothing else, so Move up / Move down stay the keyboard way.
 */
import { groupNumber, move, newKey, type DraftStep } from './draft';

/** What is being dragged: a protected item (by name) or a step (by its draft key). */
export type Dragged = { kind: 'item'; name: string } | { kind: 'step'; key: number };

/** Where a drag would land, for the drop indicator: into a group, onto "new group", or before/after a step. */
export type DropAt =
  { kind: 'group'; key: number } | { kind: 'new-group' } | { kind: 'step'; key: number; after: boolean };

/** Data types set on dataTransfer (browsers need some data for a drag to start). */
export const ITEM_TYPE = 'application/x-lifeboat-item';
export const STEP_TYPE = 'application/x-lifeboat-step';

/** The steps with `name` taken out of every group and put into the group keyed `key`, or into a new last group. */
export function placeItem(steps: DraftStep[], name: string, key: number | 'new'): DraftStep[] {
  const out = steps.map((s) => (s.kind === 'group' ? { ...s, items: s.items.filter((n) => n !== name) } : s));
  if (key === 'new') return [...out, { key: newKey(), kind: 'group', items: [name] }];
  return out.map((s) => (s.kind === 'group' && s.key === key ? { ...s, items: [...s.items, name] } : s));
}

/** The steps with the step keyed `from` moved just before (or after) the step keyed `to`. */
export function reorder(steps: DraftStep[], from: number, to: number, after: boolean): DraftStep[] {
  const i = steps.findIndex((s) => s.key === from);
  const j = steps.findIndex((s) => s.key === to);
  if (i < 0 || j < 0 || i === j) return steps;
  let target = after ? j + 1 : j;
  if (i < target) target -= 1;
  return move(steps, i, target);
}

/** A step's name for announcements: "group 2", "the script action", "the manual action". */
export function stepName(steps: DraftStep[], index: number): string {
  const s = steps[index];
  if (!s) return 'the step';
  return s.kind === 'group' ? `group ${groupNumber(steps, index)}` : `the ${s.kind} action`;
}

/** What a screen reader hears after a drop, phrased on the steps after the move. */
export function announceItem(steps: DraftStep[], name: string): string {
  const i = steps.findIndex((s) => s.kind === 'group' && s.items.includes(name));
  return `${name} moved to ${stepName(steps, i)}, step ${i + 1} of ${steps.length}.`;
}

export function announceStep(steps: DraftStep[], key: number): string {
  const i = steps.findIndex((s) => s.key === key);
  const n = stepName(steps, i);
  return `${n.charAt(0).toUpperCase()}${n.slice(1)} moved to step ${i + 1} of ${steps.length}.`;
}
