/**
 * The contract's calls for failover of a protected item (docs/failover.md): the options a failover wizard shows before
 * it starts (each recovery-point choice with its point, its time, what it would lose and an RTO estimate), the test,
 * planned and unplanned failover job, Change recovery point, Commit, Cleanup test failover, the drill reports and the
 * drill schedule (a test failover every N days at a local time, cleaned up after a hold).
 */
import { z } from 'zod';
import { call } from './call';
import { CommandRun, DrillSchedule } from './contract-protection';
import { Job } from './schemas';

const ItemName = z.string().trim().min(1).describe('protected item name');

export const FAILOVER_TYPES = ['test', 'planned', 'unplanned'] as const;
export const FailoverType = z.enum(FAILOVER_TYPES);

/** The named recovery-point choices; any other value of --point is a recovery point id. */
export const POINT_OPTIONS = [
  'latest',
  'latest-processed',
  'latest-app-consistent',
  'latest-multi-processed',
  'latest-multi-app-consistent',
] as const;
export const PointOption = z.enum(POINT_OPTIONS);
export type PointOption = z.infer<typeof PointOption>;

const PointChoice = z
  .string()
  .trim()
  .min(1)
  .describe(
    'latest, latest-processed, latest-app-consistent, latest-multi-processed, latest-multi-app-consistent, or a recovery point id',
  );

export const FailoverPoint = z.object({
  id: z.string(),
  createdAt: z.string(),
  kind: z.enum(['crash', 'app']),
  groupPoint: z.string().nullable(),
});

export const FailoverOption = z.object({
  option: PointOption,
  available: z.boolean(),
  reason: z.string().nullable().describe('why the option cannot be used now'),
  point: FailoverPoint.nullable().describe(
    'the point it would use now (for latest: the newest, before the pending data is processed)',
  ),
  processesPending: z.boolean().describe('latest: the data not yet in a point is replicated first (a final cycle)'),
  lossSeconds: z.number().nullable().describe('how much older than now the point is: the writes it would lose'),
  pendingBytes: z.number().nullable().describe('bytes changed at the source and not in the point, as of the last scan'),
  rtoSeconds: z.number().describe('estimated seconds from start to the start command'),
  group: z.string().nullable().describe('the replication group whose common point it is (multi-item options)'),
});

export const RtoBasis = z.object({
  copyBytes: z.number().describe('bytes the copy writes at the site the item fails over to'),
  bytesPerSecond: z.number().describe('the throughput the estimate divides them by'),
  source: z
    .enum(['site-test', 'cycles', 'assumed'])
    .describe("the site's last `site test`, the item's recent cycles, or an assumption"),
  measuredAt: z.string().nullable(),
  startCommandMs: z.number().nullable().describe("the start command's last run, included in every estimate"),
  description: z.string().describe('the basis in a sentence, for the wizard'),
});

export const FailoverOptions = z.object({
  item: z.string(),
  phase: z.string(),
  from: z.string().describe('the site the item runs at now'),
  to: z.string().describe('the site it fails over to'),
  reversed: z.boolean().describe('a failback: from the recovery site back to the primary'),
  shutdownCommand: z.boolean().describe('the item has a shutdown command (--shutdown-source runs it)'),
  startCommand: z.boolean(),
  testActive: z.boolean().describe('a test failover is up and needs cleanup before another'),
  source: z
    .object({
      readable: z
        .boolean()
        .describe('every disk and folder can be read where the item runs (planned and latest need it)'),
      unreachableSite: z
        .string()
        .nullable()
        .describe('the agent site the item runs at, when it did not answer: only unplanned is possible'),
      reason: z.string().nullable().describe('why the source cannot be read'),
    })
    .describe('the source, as the site the item runs at answered (an agent site within a few seconds)'),
  options: z.array(FailoverOption),
  rtoBasis: RtoBasis.describe("what every option's rtoSeconds is based on"),
  points: z.array(FailoverPoint).describe('every point a custom choice may use, oldest first'),
});

export const FailoverResult = z.object({
  item: z.string(),
  type: FailoverType,
  point: FailoverPoint,
  from: z.string(),
  to: z.string(),
  bytes: z.number().describe('bytes of the disks and folders materialized'),
  disks: z.array(z.object({ name: z.string(), path: z.string() })),
  folders: z.array(z.object({ name: z.string(), path: z.string() })),
  shutdown: CommandRun.nullable(),
  start: CommandRun.nullable(),
  finalCycleBytes: z.number().nullable().describe('planned or latest: bytes the final cycle sent'),
  lossSeconds: z.number().describe("seconds of the source's writes the point lacks (0 when a final cycle made it)"),
  sourceUnreachable: z
    .boolean()
    .describe('the final cycle could not reach the site the item ran at: its pending data is lost'),
  timeToStartMs: z.number().describe('from the job start to the start command'),
  warnings: z.array(z.string()),
});

export const DrillReport = z.object({
  id: z.string(),
  item: z.string(),
  jobId: z.string().nullable(),
  point: FailoverPoint,
  startedAt: z.string(),
  timeToStartMs: z.number().nullable(),
  commandRuns: z.array(CommandRun),
  testPath: z.string(),
  cleanedUpAt: z.string().nullable(),
  notes: z.string().nullable(),
  scheduled: z.boolean().describe('started by the drill schedule (cleaned up by it after the hold)'),
});

export const DrillScheduleResult = z.object({ item: z.string(), schedule: DrillSchedule.nullable() });

export const CommitResult = z.object({
  item: z.string(),
  phase: z.string(),
  activeSite: z.string(),
  pointsDeleted: z.number().int(),
  replicaRemoved: z.boolean(),
});

export const itemFailoverCalls = {
  'items.failoverOptions': call({
    summary:
      'Before a failover: each recovery-point choice with its point, time, what it would lose and an RTO estimate',
    input: z.object({ name: ItemName, type: FailoverType.default('planned') }),
    output: FailoverOptions,
    cli: { command: 'item failover-options', positional: ['name'], lookups: { name: 'item' }, view: 'record' },
  }),
  'items.failover': call({
    summary: 'Fail a protected item over to its other site (test: an isolated copy while replication goes on)',
    input: z.object({
      name: ItemName,
      type: FailoverType,
      point: PointChoice.default('latest'),
      shutdownSource: z
        .boolean()
        .default(false)
        .describe("run the item's shutdown command first (failover goes on if it fails)"),
    }),
    output: Job,
    cli: {
      command: 'item failover',
      positional: ['name'],
      lookups: { name: 'item' },
      confirm: 'Fail {name} over ({type})?',
      startsJob: true,
      view: 'job',
    },
  }),
  'items.changePoint': call({
    summary:
      'Change the recovery point of a failed-over item (until commit): the item is stopped and another point materialized',
    input: z.object({ name: ItemName, point: PointChoice }),
    output: Job,
    cli: {
      command: 'item change-point',
      positional: ['name'],
      lookups: { name: 'item' },
      confirm: 'Replace the failed-over disks and folders of {name} with the point {point}?',
      startsJob: true,
      view: 'job',
    },
  }),
  'items.commit': call({
    summary: "Commit a failover: the item's recovery points are deleted and change-point ends; reprotect comes next",
    input: z.object({ name: ItemName }),
    output: CommitResult,
    cli: {
      command: 'item commit',
      positional: ['name'],
      lookups: { name: 'item' },
      confirm: 'Commit the failover of {name}? Its recovery points are deleted.',
      view: 'record',
    },
    long: true,
  }),
  'items.cleanupTest': call({
    summary: 'Clean up a test failover: its copy is removed and the drill report keeps your notes',
    input: z.object({
      name: ItemName,
      notes: z.string().max(4000).optional().describe('what the drill showed, kept in its report'),
    }),
    output: DrillReport,
    cli: { command: 'item cleanup-test', positional: ['name'], lookups: { name: 'item' }, view: 'record' },
    long: true,
  }),
  'items.drills': call({
    summary:
      "A protected item's drill reports (test failovers: point, time to start, command outputs, notes) and its drill schedule",
    input: z.object({ name: ItemName }),
    output: z.object({
      item: z.string(),
      schedule: DrillSchedule.nullable().describe(
        'the scheduled drills (paused, saying why, while the item is not protected), or null',
      ),
      drills: z.array(DrillReport),
    }),
    cli: { command: 'item drills', positional: ['name'], lookups: { name: 'item' }, view: 'record' },
  }),
  'items.drillSchedule': call({
    summary:
      'Schedule drills: a test failover every N days at a local time, cleaned up after a hold (no flags: show; --off: stop)',
    input: z.object({
      name: ItemName,
      everyDays: z.number().int().min(1).max(365).optional().describe('days between drills (1 to 365)'),
      at: z.string().trim().optional().describe('local time of day, HH:MM (default 02:00)'),
      point: PointChoice.optional().describe('recovery-point option of each drill (default latest-processed)'),
      hold: z
        .number()
        .int()
        .min(1)
        .max(10080)
        .optional()
        .describe('minutes the test copy stays up before cleanup (default 30)'),
      off: z.boolean().default(false).describe('remove the schedule'),
    }),
    output: DrillScheduleResult,
    cli: { command: 'item drill-schedule', positional: ['name'], lookups: { name: 'item' }, view: 'record' },
  }),
};
