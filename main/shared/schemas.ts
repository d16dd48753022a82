/** Shared domain schemas: the shapes that cross every boundary (IPC, WebSocket, local socket, CLI --json). */
import { z } from 'zod';

export const JobStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'paused']);
export type JobStatus = z.infer<typeof JobStatus>;
export const StepStatus = z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled']);

export const ErrorInfoSchema = z.object({ code: z.string(), message: z.string(), hint: z.string().optional() });

export const JobStep = z.object({
  index: z.number().int(),
  name: z.string(),
  title: z.string(),
  status: StepStatus,
  progress: z.number(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  error: ErrorInfoSchema.nullable(),
});
export type JobStep = z.infer<typeof JobStep>;

export const Job = z.object({
  id: z.string(),
  parentId: z.string().nullable(),
  type: z.string(),
  title: z.string(),
  objectKind: z.string().nullable(),
  objectName: z.string().nullable(),
  status: JobStatus,
  progress: z.number(),
  message: z.string().nullable(),
  bytesDone: z.number(),
  bytesTotal: z.number(),
  rate: z.number().describe('bytes per second over the last seconds'),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  error: ErrorInfoSchema.nullable(),
  cancellable: z.boolean(),
  resumable: z.boolean(),
  attempts: z.number().int(),
  steps: z.array(JobStep),
  /** What the job produced, when its kind keeps a result: a restore's files, bytes and damaged files. */
  result: z.record(z.string(), z.unknown()).optional(),
});
export type Job = z.infer<typeof Job>;

export const Severity = z.enum(['info', 'warning', 'critical']);
export const Alert = z.object({
  id: z.string(),
  severity: Severity,
  title: z.string(),
  message: z.string(),
  hint: z.string().nullable(),
  objectKind: z.string().nullable(),
  objectName: z.string().nullable(),
  jobId: z.string().nullable(),
  createdAt: z.string(),
  acknowledged: z.boolean(),
});
export type Alert = z.infer<typeof Alert>;

export const Service = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  joined: z.boolean().describe('true when the service was joined with an existing key'),
  sdekFingerprint: z.string(),
  sdekConfirmed: z.boolean(),
});
export type Service = z.infer<typeof Service>;

export const RunningApp = z.object({
  pid: z.number().int(),
  mode: z.enum(['electron', 'web', 'cli']),
  url: z.string().nullable(),
  startedAt: z.string(),
});

export const EventLoopStats = z.object({
  maxMs: z.number(),
  p99Ms: z.number(),
  meanMs: z.number(),
  sinceStartMaxMs: z.number(),
});

export const Versions = z.object({
  lifeboat: z.string(),
  node: z.string(),
  electron: z.string().nullable(),
  chrome: z.string().nullable(),
  sqlite: z.string(),
  schema: z.number().int(),
});

export const Status = z.object({
  version: z.string(),
  dataDir: z.string(),
  service: Service.nullable(),
  app: RunningApp.nullable(),
  jobs: z.object({ queued: z.number(), running: z.number(), failed: z.number() }),
  alerts: z.object({ unacknowledged: z.number() }),
  /** What the administrator should fix about this installation (a data directory other users can get into). */
  warnings: z.array(z.string()),
});

export const LogLevel = z.enum(['debug', 'info', 'warn', 'error']);
export const Settings = z.object({
  dataDir: z.string(),
  logLevel: LogLevel,
  secretProtection: z.enum(['os-keychain', 'key-file']),
  versions: Versions,
  eventLoop: EventLoopStats,
});

/** Every event the engine publishes, on one channel. */
export const EngineEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('job.updated'), job: Job }),
  z.object({
    type: z.literal('job.progress'),
    jobId: z.string(),
    progress: z.number(),
    message: z.string().nullable(),
    bytesDone: z.number(),
    bytesTotal: z.number(),
    rate: z.number(),
    stepIndex: z.number().int().nullable(),
    stepProgress: z.number(),
  }),
  z.object({ type: z.literal('alert.raised'), alert: Alert }),
  z.object({ type: z.literal('alert.updated'), alert: Alert }),
  z.object({ type: z.literal('service.changed'), service: Service.nullable() }),
  z.object({ type: z.literal('device.changed'), device: z.string() }),
]);
export type EngineEvent = z.infer<typeof EngineEvent>;

export const StorageAccountKind = z.enum(['local', 'azure']);
export const ProbeResult = z.object({
  at: z.string(),
  ok: z.boolean(),
  latencyMs: z.number().nullable().describe('write + read + list + delete of a small object'),
  writeBytesPerSecond: z.number().nullable(),
  readBytesPerSecond: z.number().nullable(),
  error: z.string().nullable(),
});
export type ProbeResult = z.infer<typeof ProbeResult>;

/** A storage account as every boundary sees it: where it is and how it authenticates, never the credential. */
export const StorageAccount = z.object({
  id: z.string(),
  name: z.string(),
  kind: StorageAccountKind,
  location: z.string().describe('the folder, or the container URL without any secret'),
  container: z.string().nullable(),
  auth: z.enum(['connection-string', 'account-key', 'sas-url']).nullable(),
  repositoryId: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  backups: z.number().int(),
  bytes: z.number().describe('logical bytes of the newest backup of each set of sources'),
  lastProbe: ProbeResult.nullable(),
});
export type StorageAccount = z.infer<typeof StorageAccount>;

export const BackupSourceSummary = z.object({
  name: z.string(),
  kind: z.enum(['tree', 'image']),
  path: z.string().nullable(),
  files: z.number().int(),
  bytes: z.number(),
});

export const Backup = z.object({
  id: z.string(),
  account: z.string().describe('storage account name'),
  label: z.string().nullable(),
  hostname: z.string(),
  parentId: z.string().nullable(),
  createdAt: z.string(),
  sources: z.array(BackupSourceSummary),
  sourceNames: z.string(),
  files: z.number().int(),
  bytes: z.number().describe('logical size of everything in the backup'),
  bytesRead: z.number().describe('bytes read from the sources (unchanged files are not read)'),
  bytesNew: z.number().describe('plaintext bytes of chunks the account did not have'),
  storedNew: z.number().describe('bytes added to the account (compressed, encrypted, packed)'),
  dedupRatio: z.number().describe('logical bytes per new plaintext byte stored'),
  compressionRatio: z.number().describe('new plaintext bytes per stored byte'),
  durationMs: z.number(),
  problem: z
    .string()
    .nullable()
    .describe('why the backup cannot be restored whole, as the last `account check` found it (null: none found)'),
});
export type Backup = z.infer<typeof Backup>;

export const BackupFolder = z.object({
  backup: z.string(),
  source: z.string(),
  kind: z.enum(['tree', 'image']),
  path: z.string().describe('the folder listed, inside the source ("" for its top)'),
  total: z.number().int().describe('entries in the folder; at most --limit of them are listed'),
  entries: z.array(
    z.object({
      name: z.string(),
      path: z.string().describe('inside the source: what restore --path takes'),
      type: z.enum(['file', 'dir', 'symlink']),
      size: z.number().describe('a file: its size; a folder: the bytes of the files under it'),
      files: z.number().int().describe('files under a folder (1 for a file)'),
      modifiedAt: z.string().nullable(),
    }),
  ),
});
export type BackupFolder = z.infer<typeof BackupFolder>;

export const CatalogRebuild = z.object({
  account: z.string(),
  repositoryId: z.string(),
  backups: z.number().int(),
  added: z.number().int(),
  removed: z.number().int(),
  damaged: z.array(z.object({ id: z.string(), message: z.string() })),
  chunks: z.number().int(),
  packs: z.number().int(),
  /** The devices whose records the account holds (devices/records.ts) and what became of each here. */
  devices: z
    .array(
      z.object({
        name: z.string(),
        type: z.string(),
        status: z.string(),
        shares: z.number().int(),
        volumes: z.number().int(),
        backups: z.number().int(),
        outcome: z.enum(['restored', 'already here', 'skipped']),
        reason: z.string().optional(),
      }),
    )
    .optional(),
  /** What to do next with devices that came back (fail them over to a device of this installation). */
  notice: z.string().optional(),
});

export const PruneResult = z.object({
  account: z.string(),
  dryRun: z.boolean().describe('true: nothing was written or deleted; the figures below say what the prune would do'),
  kept: z.array(z.string()),
  removed: z.array(z.string()),
  damaged: z
    .array(z.object({ id: z.string(), message: z.string() }))
    .describe(
      'backups whose manifest could not be read: neither kept nor removed, and while any exists no data is freed (it may use any)',
    ),
  notice: z
    .string()
    .optional()
    .describe('why no data was (or would be) freed, with what to do; present only when some backup is damaged'),
  maxUnused: z
    .number()
    .describe('the repack threshold used: packs with more than this percent of unused blob bytes are repacked'),
  packsDeleted: z
    .number()
    .int()
    .describe('packs deleted (dry run: that would be): those no kept backup uses, and those repacked'),
  bytesFreed: z
    .number()
    .describe(
      "net bytes the account shrank by: deleted packs minus the new packs repacking wrote. On a dry run an estimate within a pack header's size: the new packs are sized as the real run would build them, and a pack found damaged when read is kept whole instead",
    ),
  packsPartlyUsed: z
    .number()
    .int()
    .describe('packs still holding some unused chunks, kept whole because their unused share is at or under maxUnused'),
  packsRepacked: z
    .number()
    .int()
    .describe(
      'packs whose live chunks were (dry run: would be) copied into new packs before the pack was deleted: those more than maxUnused percent unused, and small packs merged',
    ),
  bytesRepacked: z
    .number()
    .describe('bytes of the new packs written (dry run: an estimate, as bytesFreed) by repacking'),
});
export type CatalogRebuild = z.infer<typeof CatalogRebuild>;
export type PruneResult = z.infer<typeof PruneResult>;
