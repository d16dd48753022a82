/** The contract's calls for recovery plans: ordered groups of protected items with actions between them, and their runs. */
import { z } from 'zod';
import { call } from './call';
import { Job, JobStatus } from './schemas';

const PlanName = z
  .string()
  .trim()
  .min(1, 'Enter a plan name.')
  .max(60, 'A plan name has at most 60 characters.')
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9 ._-]*$/,
    'A plan name starts with a letter or digit and uses letters, digits, spaces, dots, hyphens and underscores.',
  )
  .describe('recovery plan name');
const JobId = z.string().min(1).describe('job id of the plan run (from plan show)');

export const PlanStep = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('group'), items: z.array(z.string()) }),
  z.object({ kind: z.literal('script'), command: z.string(), timeoutSeconds: z.number() }),
  z.object({ kind: z.literal('manual'), text: z.string() }),
]);

export const PlanRun = z.object({
  jobId: z.string(),
  operation: z.string(),
  title: z.string(),
  status: JobStatus,
  createdAt: z.string(),
  endedAt: z.string().nullable(),
  waiting: z
    .object({ step: z.number().int(), text: z.string() })
    .nullable()
    .describe('the manual action the run waits on'),
});

export const Plan = z.object({
  name: z.string(),
  description: z.string(),
  steps: z.array(PlanStep),
  lines: z.array(z.string()).describe('the steps as --step takes them'),
  items: z.array(z.string()),
  groups: z.number().int(),
  state: z.string().describe("the items' common phase, mixed, or running/waiting while a run is on its way"),
  itemPhases: z.record(z.string(), z.string()),
  itemSites: z
    .record(z.string(), z.object({ activeSite: z.string(), recoverySite: z.string() }))
    .describe(
      'where each item runs now, and its recovery site: items at both sites make the plan split (failover --direction)',
    ),
  lastRun: PlanRun.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const PlanDetail = Plan.extend({ runs: z.array(PlanRun).describe('the last runs, newest first') });

const StepFields = {
  description: z.string().optional().describe('what the plan is for'),
  step: z
    .array(z.string())
    .optional()
    .describe(
      'a step, in order (repeatable): "group: ITEM, ITEM", "script [TIMEOUT]: COMMAND" or "manual: WHAT TO DO"',
    ),
  stepsText: z.string().optional().describe('the steps, one per line'),
};

const PointChoice = z
  .enum([
    'latest',
    'latest-processed',
    'latest-app-consistent',
    'latest-multi-processed',
    'latest-multi-app-consistent',
  ])
  .default('latest-processed')
  .describe('recovery point of every item');

export const planCalls = {
  'plans.create': call({
    summary: 'Create a recovery plan: ordered groups of protected items with script and manual actions between them',
    input: z.object({ name: PlanName, ...StepFields }),
    output: Plan,
    cli: { command: 'plan create', positional: ['name'], fileFlags: { 'steps-file': 'stepsText' }, view: 'record' },
  }),
  'plans.list': call({
    summary: 'List recovery plans with their state and last run',
    input: z.object({}),
    output: z.array(Plan),
    cli: { command: 'plan list', columns: ['name', 'groups', 'items', 'state', 'description'] },
  }),
  'plans.show': call({
    summary: 'Show a recovery plan: its steps, the phase of each item and its last runs',
    input: z.object({ name: PlanName }),
    output: PlanDetail,
    cli: { command: 'plan show', positional: ['name'], view: 'record' },
  }),
  'plans.edit': call({
    summary: "Change a recovery plan's description or steps (--step replaces every step)",
    input: z.object({ name: PlanName, ...StepFields }),
    output: Plan,
    cli: { command: 'plan edit', positional: ['name'], fileFlags: { 'steps-file': 'stepsText' }, view: 'record' },
  }),
  'plans.delete': call({
    summary: 'Delete a recovery plan (its items stay protected)',
    input: z.object({ name: PlanName }),
    output: z.object({ deleted: z.string() }),
    cli: {
      command: 'plan delete',
      positional: ['name'],
      confirm: 'Delete the recovery plan {name}? Its items stay protected.',
      view: 'record',
    },
  }),
  'plans.failover': call({
    summary: 'Fail a recovery plan over: groups in order, items of a group in parallel, actions between groups',
    input: z.object({
      name: PlanName,
      type: z
        .enum(['test', 'planned', 'unplanned'])
        .describe('test (an isolated copy; replication goes on), planned (no data loss) or unplanned'),
      point: PointChoice,
      shutdownSource: z.boolean().default(false).describe("run each item's shutdown command before its failover"),
      direction: z
        .enum(['to-recovery', 'to-primary'])
        .optional()
        .describe(
          'when some items already failed over: to-recovery fails over the items still at their primary site, ' +
            'to-primary fails back the items at their recovery site; the others are skipped',
        ),
    }),
    output: Job,
    cli: {
      command: 'plan failover',
      positional: ['name'],
      confirm: 'Start a {type} failover of every item of the plan {name}?',
      startsJob: true,
      view: 'job',
    },
  }),
  'plans.failback': call({
    summary: 'Fail a reprotected recovery plan back to the primary site (a failover the other way), with its actions',
    input: z.object({
      name: PlanName,
      type: z.enum(['planned', 'unplanned']).default('planned').describe('planned (no data loss) or unplanned'),
      point: PointChoice,
    }),
    output: Job,
    cli: {
      command: 'plan failback',
      positional: ['name'],
      confirm: 'Fail every item of the plan {name} back?',
      startsJob: true,
      view: 'job',
    },
  }),
  'plans.commit': call({
    summary: "Commit a plan's failover: every item's recovery points are deleted (no more change of point)",
    input: z.object({ name: PlanName }),
    output: Job,
    cli: {
      command: 'plan commit',
      positional: ['name'],
      confirm: 'Commit the failover of every item of the plan {name}? Their recovery points are deleted.',
      startsJob: true,
      view: 'job',
    },
  }),
  'plans.reprotect': call({
    summary: "Reprotect a plan's committed items: replicate them back the other way, sending only differences",
    input: z.object({ name: PlanName }),
    output: Job,
    cli: {
      command: 'plan reprotect',
      positional: ['name'],
      confirm:
        "Reprotect every item of the plan {name}? The disks and folders at each item's other site are overwritten with its current data.",
      startsJob: true,
      view: 'job',
    },
  }),
  'plans.cleanupTest': call({
    summary: "Clean up a plan's test failover: every item's test copy is removed",
    input: z.object({ name: PlanName, notes: z.string().optional().describe("notes for each item's drill report") }),
    output: Job,
    cli: { command: 'plan cleanup-test', positional: ['name'], startsJob: true, view: 'job' },
  }),
  'plans.confirm': call({
    summary: 'Confirm the manual action a plan run waits on; the run goes on',
    input: z.object({ id: JobId }),
    output: Job,
    cli: { command: 'plan confirm', positional: ['id'], lookups: { id: 'job' }, startsJob: true, view: 'job' },
  }),
};
