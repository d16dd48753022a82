/**
 * A recovery plan's steps and their rules in one place: ordered groups of protected items (each group fails over in
 * parallel, groups in order) with script and manual actions between them. The CLI, the console and the UI all send
 * steps as lines (`group: web1, web2`, `script 2m: /opt/dr/dns.sh`, `manual: Check the load balancer`), parsed here.
 */
import type { z } from 'zod';
import type { PlanStep as PlanStepSchema } from '../../shared/contract-plans';
import { LifeboatError } from '../../shared/errors';
import { parseDuration } from '../replication/policies';

/** A step as stored and shown: the contract's shape (shared/contract-plans.ts). */
export type PlanStep = z.infer<typeof PlanStepSchema>;

/** A script action's timeout when its line names none. */
export const DEFAULT_SCRIPT_TIMEOUT_SECONDS = 300;

const SYNTAX =
  'Write each step as `group: ITEM, ITEM`, `script [TIMEOUT]: COMMAND` (e.g. `script 2m: /opt/dr/dns.sh`) or `manual: WHAT TO DO`.';

/** Parses one step line; `where` names it in errors (e.g. "step 3"). */
export function parseStep(line: string, where: string): PlanStep {
  const m = /^\s*(group|script|manual)\b([^:]*):(.*)$/is.exec(line);
  if (!m) throw new LifeboatError('invalid_input', `${where}: "${line}" is not a step.`, SYNTAX);
  const kind = m[1].toLowerCase();
  const arg = m[2].trim();
  const body = m[3].trim();
  if (kind !== 'script' && arg)
    throw new LifeboatError(
      'invalid_input',
      `${where}: a ${kind} step takes nothing before its colon (got "${arg}").`,
      SYNTAX,
    );
  if (kind === 'group') {
    const items = body
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (!items.length)
      throw new LifeboatError(
        'invalid_input',
        `${where}: the group names no item.`,
        'List its protected items after the colon, separated by commas.',
      );
    return { kind: 'group', items };
  }
  if (!body)
    throw new LifeboatError(
      'invalid_input',
      `${where}: the ${kind} action is empty.`,
      kind === 'script' ? 'Give the command to run after the colon.' : 'Say after the colon what the operator must do.',
    );
  if (/[\r\n\0]/.test(body))
    throw new LifeboatError(
      'invalid_input',
      `${where}: give the ${kind} action on one line.`,
      'Put longer logic in a script and give its path.',
    );
  if (kind === 'manual') return { kind: 'manual', text: body };
  return {
    kind: 'script',
    command: body,
    timeoutSeconds: arg ? parseDuration(arg, `step (${where}) timeout`) : DEFAULT_SCRIPT_TIMEOUT_SECONDS,
  };
}

/** The line that parses back to this step. */
export function formatStep(step: PlanStep): string {
  if (step.kind === 'group') return `group: ${step.items.join(', ')}`;
  if (step.kind === 'manual') return `manual: ${step.text}`;
  return `script ${step.timeoutSeconds}s: ${step.command}`;
}

/**
 * Parses and checks a plan's steps: at least one group, no empty line, no item in two groups (or twice in one),
 * every item known (`known` answers whether a protected item exists).
 */
export function parseSteps(lines: string[], known: (item: string) => boolean): PlanStep[] {
  const steps = lines
    .map((l, i) => ({ l, i }))
    .filter(({ l }) => l.trim() !== '')
    .map(({ l, i }) => parseStep(l, `step ${i + 1}`));
  if (!steps.some((s) => s.kind === 'group'))
    throw new LifeboatError(
      'invalid_input',
      'A recovery plan needs at least one group of items.',
      'Add one with --step "group: ITEM, ITEM".',
    );
  const seen = new Map<string, number>();
  let group = 0;
  for (const step of steps) {
    if (step.kind !== 'group') continue;
    group++;
    for (const item of step.items) {
      if (!known(item))
        throw new LifeboatError(
          'not_found',
          `Group ${group} names ${item}, which is not a protected item.`,
          'List protected items with `lifeboat item list`; protect it first with `lifeboat item protect`.',
        );
      const before = seen.get(item);
      if (before !== undefined)
        throw new LifeboatError(
          'invalid_input',
          before === group
            ? `Group ${group} names ${item} twice.`
            : `${item} is in group ${before} and in group ${group}; an item is in at most one group of a plan.`,
          `Keep ${item} in one group only.`,
        );
      seen.set(item, group);
    }
  }
  return steps;
}

/** Every item of the plan, in group order. */
export const planItems = (steps: PlanStep[]): string[] => steps.flatMap((s) => (s.kind === 'group' ? s.items : []));

/** A step's title in the job (Group 2: db1, db2 / Script: … / Manual: …). */
export function stepTitle(steps: PlanStep[], index: number): string {
  const step = steps[index];
  if (step.kind === 'group') {
    const n = steps.slice(0, index + 1).filter((s) => s.kind === 'group').length;
    return `Group ${n}: ${step.items.join(', ')}`;
  }
  const text = step.kind === 'script' ? step.command : step.text;
  const short = text.length > 80 ? `${text.slice(0, 77)}…` : text;
  return step.kind === 'script' ? `Script: ${short}` : `Manual action: ${short}`;
}
