/** The contract's calls for protection of machines: sites, replication policies, protected items, recovery points. */
import { z } from 'zod';
import { call } from './call';
import { ErrorInfoSchema, Job } from './schemas';

const SiteName = z.string().trim().min(1).describe('site name');
const PolicyName = z.string().trim().min(1).describe('replication policy name');
const ItemName = z.string().trim().min(1).describe('protected item name');

export const Site = z.object({
  name: z.string(),
  kind: z.enum(['primary', 'local', 'agent']),
  root: z.string().nullable().describe("data root of a recovery site (an agent site's on the agent host)"),
  agent: z.string().nullable().describe("an agent site's address, https://HOST:PORT"),
  createdAt: z.string(),
  items: z.array(z.string()).describe('protected items that use the site'),
  paused: z.boolean().describe('items replicating to or from the site run no cycles'),
});

export const SiteProbe = z.object({
  name: z.string(),
  free: z.number(),
  total: z.number(),
  writeBytesPerSecond: z.number(),
  readBytesPerSecond: z.number(),
  latencyMs: z.number(),
});

export const Policy = z.object({
  name: z.string(),
  frequencySeconds: z.number().int(),
  rpoThresholdSeconds: z.number().int(),
  retentionSeconds: z.number().int(),
  appConsistentSeconds: z.number().int().describe('0: no app-consistent points'),
  builtin: z.boolean().describe('the fixed failback policy'),
  items: z.array(z.string()),
});

const Health = z.enum(['normal', 'warning', 'critical']);

export const ItemSummary = z.object({
  name: z.string(),
  phase: z.string().describe('enabling, protected, …'),
  health: Health,
  rpoSeconds: z.number().nullable().describe('age of the newest recovery point'),
  lastPointAt: z.string().nullable(),
  points: z.number().int(),
  recoverySite: z.string(),
  activeSite: z.string(),
  direction: z
    .string()
    .describe('which way it replicates: "primary → dr", or "dr → primary" after a failover and reprotect'),
  policy: z.string(),
  group: z.string().nullable().describe('replication group'),
  paused: z.boolean(),
  sitePaused: z
    .string()
    .nullable()
    .describe('a paused site the item replicates to or from: it runs no cycles until that site is resumed'),
  healthReasons: z.array(z.string()),
});

const Replicated = z.object({
  name: z.string(),
  sourcePath: z.string(),
  replicaPath: z.string(),
  activePath: z
    .string()
    .nullable()
    .describe('where it is active: its source at the primary site, its failed-over copy at the recovery site'),
  testPath: z.string().nullable().describe("a test failover's isolated copy, while one is up"),
});

export const RecoveryPoint = z.object({
  id: z.string(),
  seq: z.number().int(),
  createdAt: z.string(),
  kind: z.enum(['crash', 'app']),
  bytes: z.number().describe('bytes sent in the cycle that made it'),
  groupPoint: z
    .string()
    .nullable()
    .describe('the multi-item point it belongs to (complete: every member of the group has it)'),
  groupMembers: z
    .array(z.string())
    .nullable()
    .describe('the items the multi-item point covers (paused members are left out)'),
});

export const CommandRun = z.object({
  name: z.enum(['quiesce', 'thaw', 'shutdown', 'start']),
  command: z.string(),
  startedAt: z.string(),
  durationMs: z.number(),
  exitCode: z.number().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  spawnError: z.string().nullable(),
  output: z.string().describe('stdout and stderr, the last 8 KiB'),
  outputCut: z.number().describe('bytes of output dropped from the front'),
});

export const CycleEntry = z.object({
  at: z.string(),
  kind: z.string().describe('crash, app, resync or failed'),
  ok: z.boolean(),
  bytesSent: z.number(),
  durationMs: z.number(),
  rpoSeconds: z.number().nullable().describe('the RPO the cycle ended (age of the previous newest point)'),
});

/** A durable drill schedule of one item: a test failover every N days at a local time, cleaned up after a hold. */
export const DrillSchedule = z.object({
  paused: z
    .boolean()
    .describe('no drill starts while the item is not protected (failed over, committed, reprotecting, …)'),
  pausedReason: z.string().nullable().describe('why drills wait, and the next step'),
  everyDays: z.number().int().describe('days between drills'),
  at: z.string().describe('local time of day, HH:MM'),
  point: z.string().describe('the recovery-point option (or point id) each drill uses'),
  holdMinutes: z.number().int().describe('how long the test copy stays up before the schedule cleans it up'),
  nextAt: z.string().nullable().describe('when the next drill starts'),
  lastRunAt: z.string().nullable(),
  lastDrillId: z.string().nullable(),
  cleanupAt: z.string().nullable().describe('when the drill that is up is cleaned up'),
  lastError: z.string().nullable().describe('why the last scheduled drill could not start or be cleaned up'),
});

export const ItemDetail = ItemSummary.extend({
  primarySite: z.string(),
  account: z.string().nullable(),
  groupMembers: z.array(z.string()),
  commands: z.record(z.string(), z.string()),
  commandTimeoutSeconds: z.number().int(),
  commandRuns: z.record(z.string(), CommandRun).describe("each command's last run"),
  frequencySeconds: z.number().int(),
  rpoThresholdSeconds: z.number().int(),
  nextCycleAt: z.string().nullable(),
  lastCycleAt: z.string().nullable(),
  lastError: ErrorInfoSchema.nullable(),
  pendingBytes: z
    .number()
    .nullable()
    .describe('bytes changed at the source and not yet in a point, as of the last scan'),
  retry: z
    .object({
      attempt: z.number().int(),
      firstFailedAt: z.string(),
      lastAttemptAt: z.string(),
      nextAttemptAt: z.string(),
      error: ErrorInfoSchema,
    })
    .nullable()
    .describe('consecutive failed attempts of a recoverable error and the next attempt'),
  resync: z.object({
    required: z.boolean(),
    reason: z.string().nullable(),
    since: z.string().nullable(),
    window: z.string().describe('HH:MM-HH:MM, local time'),
    windowIsItemOwn: z.boolean(),
    nextRunAt: z.string().nullable(),
  }),
  appConsistent: z.object({
    frequencySeconds: z
      .number()
      .int()
      .describe('0: no app-consistent points (no quiesce command, or the policy says none)'),
    lastAppPointAt: z.string().nullable(),
    lastAttemptAt: z.string().nullable(),
    warning: z.string().nullable(),
  }),
  lastPoints: z.array(RecoveryPoint),
  lastCycles: z.array(CycleEntry),
  jobId: z.string().nullable(),
  failover: z
    .object({
      type: z.enum(['planned', 'unplanned']),
      pointId: z.string(),
      pointCreatedAt: z.string(),
      at: z.string(),
      from: z.string(),
      to: z.string(),
    })
    .nullable()
    .describe('the failover not yet committed (change-point allowed) or committed'),
  testFailover: z
    .object({ drillId: z.string(), pointId: z.string(), startedAt: z.string(), jobId: z.string().nullable() })
    .nullable(),
  drillSchedule: DrillSchedule.nullable().describe('the scheduled drills (item drill-schedule), or null'),
  disks: z.array(Replicated),
  folders: z.array(Replicated),
});

const CommandFields = {
  quiesce: z.string().optional().describe('command run (sh -c) before an app-consistent point'),
  thaw: z.string().optional().describe('command run after an app-consistent point was read'),
  shutdown: z.string().optional().describe('command that shuts the machine down'),
  start: z.string().optional().describe('command that starts the machine'),
  commandTimeout: z.string().optional().describe('timeout of each command, e.g. 60s (default 5m)'),
  resyncWindow: z
    .string()
    .optional()
    .describe('local HH:MM-HH:MM when a resync may run by itself (default: the global one)'),
};

const PolicyFields = {
  frequency: z.string().optional().describe('replication frequency: 30s, 5m or 15m (default 5m)'),
  rpoThreshold: z.string().optional().describe('RPO above which health is Warning, e.g. 15m (default 15m)'),
  retention: z.string().optional().describe('how long recovery points are kept, e.g. 24h (default 24h)'),
  appConsistent: z.string().optional().describe('app-consistent point frequency, e.g. 60m; 0 for none (default 60m)'),
};

export const protectionCalls = {
  'sites.add': call({
    summary:
      'Add a recovery site: a data root on this machine, or a site agent on another host (paired with its one-time key)',
    input: z.object({
      name: SiteName,
      root: z.string().min(1).optional().describe('data root folder on this machine: empty or missing'),
      agent: z
        .string()
        .min(1)
        .optional()
        .describe('a site agent: https://HOST:PORT, as `lifeboat agent serve` printed it'),
      pairingKey: z.string().min(1).optional().describe("the agent's one-time pairing key"),
    }),
    output: Site,
    cli: {
      command: 'site add',
      positional: ['name'],
      paths: ['root'],
      fileFlags: { 'pairing-key-file': 'pairingKey' },
      view: 'record',
    },
  }),
  'sites.list': call({
    summary: 'List sites (the primary site is this installation)',
    input: z.object({}),
    output: z.array(Site),
    cli: { command: 'site list', columns: ['name', 'kind', 'root', 'agent', 'items'] },
  }),
  'sites.show': call({
    summary: 'Show a site and the protected items that use it',
    input: z.object({ name: SiteName }),
    output: Site,
    cli: { command: 'site show', positional: ['name'], lookups: { name: 'site' }, view: 'record' },
  }),
  'sites.test': call({
    summary: 'Test a recovery site: free space, write and read throughput, latency',
    input: z.object({ name: SiteName }),
    output: SiteProbe,
    cli: { command: 'site test', positional: ['name'], lookups: { name: 'site' }, view: 'record' },
    long: true,
  }),
  'sites.remove': call({
    summary: 'Remove a recovery site (refused while protected items use it; its folder stays)',
    input: z.object({ name: SiteName }),
    output: z.object({ removed: z.string() }),
    cli: {
      command: 'site remove',
      positional: ['name'],
      lookups: { name: 'site' },
      confirm: 'Remove the site {name} from Lifeboat? Its folder stays where it is.',
      view: 'record',
    },
  }),
  'sites.pause': call({
    summary: 'Pause replication to and from a site: its items run no cycles until it is resumed',
    input: z.object({ name: SiteName }),
    output: Site,
    cli: { command: 'site pause', positional: ['name'], lookups: { name: 'site' }, view: 'record' },
  }),
  'sites.resume': call({
    summary: 'Resume replication to and from a site (cycles that fell due meanwhile run at once)',
    input: z.object({ name: SiteName }),
    output: Site,
    cli: { command: 'site resume', positional: ['name'], lookups: { name: 'site' }, view: 'record' },
  }),
  'policies.create': call({
    summary: 'Create a replication policy',
    input: z.object({ name: PolicyName, ...PolicyFields }),
    output: Policy,
    cli: { command: 'policy create', positional: ['name'], view: 'record' },
  }),
  'policies.list': call({
    summary: 'List replication policies',
    input: z.object({}),
    output: z.array(Policy),
    cli: {
      command: 'policy list',
      columns: [
        'name',
        'frequencySeconds',
        'rpoThresholdSeconds',
        'retentionSeconds',
        'appConsistentSeconds',
        'builtin',
        'items',
      ],
    },
  }),
  'policies.show': call({
    summary: 'Show a replication policy and the items that use it',
    input: z.object({ name: PolicyName }),
    output: Policy,
    cli: { command: 'policy show', positional: ['name'], lookups: { name: 'policy' }, view: 'record' },
  }),
  'policies.edit': call({
    summary: 'Change a replication policy (the failback policy is fixed)',
    input: z.object({ name: PolicyName, ...PolicyFields }),
    output: Policy,
    cli: { command: 'policy edit', positional: ['name'], lookups: { name: 'policy' }, view: 'record' },
  }),
  'items.protect': call({
    summary:
      'Enable protection of a machine (disk images and folders): checks, initial replication, then delta replication',
    input: z.object({
      name: ItemName,
      disk: z.array(z.string().min(1)).optional().describe('a disk image file (repeatable)'),
      folder: z.array(z.string().min(1)).optional().describe('a folder (repeatable)'),
      recoverySite: SiteName.describe('the recovery site to replicate to'),
      policy: PolicyName,
      account: z
        .string()
        .optional()
        .describe('storage account (for older recovery points and seeding, in later versions)'),
      group: z.string().optional().describe('replication group: its items get multi-item points (one instant for all)'),
      ...CommandFields,
    }),
    output: Job,
    cli: {
      command: 'item protect',
      positional: ['name'],
      paths: ['disk', 'folder'],
      lookups: { account: 'account', recoverySite: 'site', policy: 'policy' },
      startsJob: true,
      view: 'job',
    },
  }),
  'items.list': call({
    summary: 'List protected items with their health, RPO and last recovery point',
    input: z.object({}),
    output: z.array(ItemSummary),
    cli: {
      command: 'item list',
      columns: [
        'name',
        'phase',
        'health',
        'rpoSeconds',
        'lastPointAt',
        'points',
        'recoverySite',
        'policy',
        'group',
        'paused',
      ],
    },
  }),
  'items.show': call({
    summary: 'Show a protected item: phase, health, RPO, sites, and where each disk and folder is replicated',
    input: z.object({ name: ItemName }),
    output: ItemDetail,
    cli: { command: 'item show', positional: ['name'], lookups: { name: 'item' }, view: 'record' },
  }),
  'items.points': call({
    summary: "List a protected item's recovery points, oldest first",
    input: z.object({ name: ItemName }),
    output: z.array(RecoveryPoint),
    cli: {
      command: 'item points',
      positional: ['name'],
      lookups: { name: 'item' },
      columns: ['id', 'seq', 'createdAt', 'kind', 'bytes', 'groupPoint'],
    },
  }),
  'items.replicate': call({
    summary: 'Run a replication cycle of a protected item now (or follow the one on its way)',
    input: z.object({ name: ItemName }),
    output: Job,
    cli: { command: 'item replicate', positional: ['name'], lookups: { name: 'item' }, startsJob: true, view: 'job' },
  }),
  'items.resync': call({
    summary: 'Resynchronize a protected item now: compare block checksums at both sides and send only the differences',
    input: z.object({ name: ItemName }),
    output: Job,
    cli: { command: 'item resync', positional: ['name'], lookups: { name: 'item' }, startsJob: true, view: 'job' },
  }),
  'items.edit': call({
    summary: 'Change the commands of a protected item, their timeout or its resync window ("" removes a command)',
    input: z.object({ name: ItemName, ...CommandFields }),
    output: ItemDetail,
    cli: { command: 'item edit', positional: ['name'], lookups: { name: 'item' }, view: 'record' },
  }),
  'items.history': call({
    summary: "A protected item's cycles of the last 24 hours: time, kind, bytes sent, duration, RPO",
    input: z.object({ name: ItemName }),
    output: z.array(CycleEntry),
    cli: {
      command: 'item history',
      positional: ['name'],
      lookups: { name: 'item' },
      columns: ['at', 'kind', 'ok', 'bytesSent', 'durationMs', 'rpoSeconds'],
    },
  }),
  'items.settings': call({
    summary: 'Show or set the global resync window (items without their own use it; "default" is 18:00-06:00)',
    input: z.object({ resyncWindow: z.string().optional().describe('local HH:MM-HH:MM, or default') }),
    output: z.object({ resyncWindow: z.string(), defaultResyncWindow: z.string() }),
    cli: { command: 'item settings', view: 'record' },
  }),
  'items.pause': call({
    summary: 'Pause replication of a protected item',
    input: z.object({ name: ItemName }),
    output: ItemDetail,
    cli: { command: 'item pause', positional: ['name'], lookups: { name: 'item' }, view: 'record' },
  }),
  'items.resume': call({
    summary: 'Resume replication of a protected item (a cycle runs at once)',
    input: z.object({ name: ItemName }),
    output: ItemDetail,
    cli: { command: 'item resume', positional: ['name'], lookups: { name: 'item' }, view: 'record' },
  }),
  'items.disable': call({
    summary: 'Disable protection of an item: its replica and recovery points are deleted (or kept with --keep-replica)',
    input: z.object({
      name: ItemName,
      keepReplica: z.boolean().default(false).describe('keep the replica and its points at the site'),
    }),
    output: z.object({ disabled: z.string(), replicaRemoved: z.boolean() }),
    cli: {
      command: 'item disable',
      positional: ['name'],
      lookups: { name: 'item' },
      confirm: 'Disable protection of {name}? Its recovery points are deleted.',
      view: 'record',
    },
    long: true,
  }),
  'items.materialize': call({
    summary: 'Write a recovery point of an item into an empty folder (disks/ and folders/), byte for byte',
    input: z.object({
      name: ItemName,
      point: z.string().min(1).describe('recovery point id (from item points)'),
      to: z.string().min(1).describe('an empty or missing folder'),
    }),
    output: z.object({
      item: z.string(),
      point: z.string(),
      createdAt: z.string(),
      path: z.string(),
      bytes: z.number(),
    }),
    cli: {
      command: 'item materialize',
      positional: ['name'],
      lookups: { name: 'item' },
      paths: ['to'],
      view: 'record',
    },
    long: true,
  }),
};
