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
  z.object({ type: z.literal('job.progress'), jobId: z.string(), progress: z.number(), message: z.string().nullable(), bytesDone: z.number(), bytesTotal: z.number(), rate: z.number(), stepIndex: z.number().int().nullable(), stepProgress: z.number() }),
  z.object({ type: z.literal('alert.raised'), alert: Alert }),
  z.object({ type: z.literal('alert.updated'), alert: Alert }),
  z.object({ type: z.literal('service.changed'), service: Service.nullable() }),
]);
export type EngineEvent = z.infer<typeof EngineEvent>;
