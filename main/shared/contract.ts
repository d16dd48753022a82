/**
 * The API contract: every call is declared once here. IPC, the web-mode WebSocket, the local socket and the CLI
 * (including the in-app console) are all generated from this table, so they cannot drift apart.
 */
import { z } from 'zod';
import { call } from './call';
import { deviceCalls } from './contract-devices';
import { itemFailoverCalls } from './contract-item-failover';
import { itemReprotectCalls } from './contract-item-reprotect';
import { planCalls } from './contract-plans';
import { protectionCalls } from './contract-protection';
import {
  Alert,
  Backup,
  BackupFolder,
  CatalogRebuild,
  Job,
  JobStatus,
  LogLevel,
  ProbeResult,
  PruneResult,
  Service,
  Settings,
  Status,
  StorageAccount,
  StorageAccountKind,
} from './schemas';

const JobId = z.string().min(1).describe('job id (from jobs list)');
const ServiceName = z
  .string()
  .trim()
  .min(1, 'Enter a service name.')
  .max(50, 'A service name has at most 50 characters.')
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9 ._-]*$/,
    'A service name starts with a letter or digit and uses letters, digits, spaces, dots, hyphens and underscores.',
  )
  .describe('service name');

const AccountName = z.string().trim().min(1).describe('storage account name');
const BackupId = z.string().min(1).describe('backup id (from backup list)');
/** The storage-account form: a local folder, or an Azure container with one of three credential forms. */
const AccountFields = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'Enter a storage account name.')
    .max(50, 'A storage account name has at most 50 characters.')
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
      'A storage account name starts with a letter or digit and uses letters, digits, dots, hyphens and underscores.',
    )
    .describe('storage account name'),
  kind: StorageAccountKind.optional().describe('local or azure (inferred from the other fields when omitted)'),
  local: z.string().min(1).optional().describe('folder of a local account (default: in the data directory)'),
  azure: z.boolean().default(false).describe('an Azure Blob account'),
  connectionString: z.string().min(1).optional().describe('Azure connection string'),
  accountName: z.string().min(1).optional().describe('Azure storage account name'),
  accountKey: z.string().min(1).optional().describe('Azure storage account key'),
  endpoint: z
    .string()
    .url()
    .optional()
    .describe('Azure blob endpoint URL (default https://NAME.blob.core.windows.net)'),
  sasUrl: z.string().url().optional().describe('Azure container SAS URL'),
  container: z.string().min(1).optional().describe('Azure blob container'),
});

export const ServiceCreated = z.object({
  service: Service,
  registrationKey: z.string(),
  sdek: z.string().describe('the service data encryption key, shown only this once'),
});

export const contract = {
  'status.get': call({
    summary: 'Show the version, data directory, service and the running app',
    input: z.object({}),
    output: Status,
    cli: { command: 'status', view: 'status' },
  }),
  'service.get': call({
    summary: 'Show the service of this installation',
    input: z.object({}),
    output: Service.nullable(),
    cli: { command: 'service show', view: 'record' },
  }),
  'service.init': call({
    summary: 'Create the service: its registration key and service data encryption key (SDEK)',
    input: z.object({ name: ServiceName }),
    output: ServiceCreated,
    cli: { command: 'service init', view: 'service-created' },
  }),
  'service.join': call({
    summary: 'Join an existing service with its service data encryption key',
    input: z.object({ sdek: z.string().describe('service data encryption key'), name: ServiceName.optional() }),
    output: Service,
    cli: { command: 'service join', fileFlags: { 'sdek-file': 'sdek' }, view: 'record' },
  }),
  'service.confirmSdek': call({
    summary: 'Confirm the service data encryption key is kept safe, by its last 4 characters',
    input: z.object({ last4: z.string().describe('the last 4 characters of the SDEK') }),
    output: Service,
    cli: { command: 'service confirm-key', positional: ['last4'], view: 'record' },
  }),
  'service.registrationKey': call({
    summary: 'Show the service registration key that devices register with',
    input: z.object({}),
    output: z.object({ registrationKey: z.string() }),
    cli: { command: 'service registration-key', view: 'record' },
  }),
  'jobs.list': call({
    summary: 'List jobs, newest first',
    input: z.object({
      status: JobStatus.optional().describe('only jobs with this status'),
      limit: z.number().int().min(1).max(1000).default(100).describe('at most this many jobs'),
    }),
    output: z.array(Job),
    cli: { command: 'jobs list', columns: ['id', 'type', 'objectName', 'status', 'progress', 'startedAt', 'endedAt'] },
  }),
  'jobs.show': call({
    summary: 'Show a job with its steps and child jobs',
    input: z.object({ id: JobId }),
    output: z.object({ job: Job, children: z.array(Job) }),
    cli: { command: 'jobs show', positional: ['id'], lookups: { id: 'job' }, view: 'job' },
  }),
  'jobs.cancel': call({
    summary: 'Cancel a queued, running or paused job',
    input: z.object({ id: JobId }),
    output: Job,
    cli: { command: 'jobs cancel', positional: ['id'], lookups: { id: 'job' }, view: 'job' },
  }),
  'jobs.pause': call({
    summary: 'Pause a running job at its next checkpoint',
    input: z.object({ id: JobId }),
    output: Job,
    cli: { command: 'jobs pause', positional: ['id'], lookups: { id: 'job' }, view: 'job' },
  }),
  'jobs.resume': call({
    summary: 'Resume a paused or failed job from its last committed step',
    input: z.object({ id: JobId }),
    output: Job,
    cli: { command: 'jobs resume', positional: ['id'], lookups: { id: 'job' }, startsJob: true, view: 'job' },
  }),
  'jobs.wait': call({
    summary: 'Wait until a job ends and show how it ended',
    input: z.object({
      id: JobId,
      timeoutSeconds: z.number().min(0).max(86400).default(3600).describe('give up waiting after this many seconds'),
    }),
    output: Job,
    cli: { command: 'jobs wait', positional: ['id'], lookups: { id: 'job' }, startsJob: true, view: 'job' },
    long: true,
  }),
  'jobs.selftest': call({
    summary: 'Run a self-test job: writes and hashes data in worker threads, step by step',
    input: z.object({
      sizeMiB: z.number().int().min(1).max(4096).default(64).describe('how much data to write and hash'),
      seconds: z.number().min(0).max(3600).default(0).describe('stretch the job to take at least this long'),
    }),
    output: Job,
    cli: { command: 'selftest', startsJob: true, view: 'job' },
  }),
  'alerts.list': call({
    summary: 'List alerts, newest first',
    input: z.object({ all: z.boolean().default(false).describe('include acknowledged alerts') }),
    output: z.array(Alert),
    cli: { command: 'alerts list', columns: ['id', 'severity', 'title', 'objectName', 'createdAt', 'acknowledged'] },
  }),
  'alerts.ack': call({
    summary: 'Acknowledge an alert (or all of them with --all)',
    input: z.object({
      id: z.string().optional().describe('alert id'),
      all: z.boolean().default(false).describe('acknowledge every alert'),
    }),
    output: z.object({ acknowledged: z.number().int() }),
    cli: { command: 'alerts ack', positional: ['id'], lookups: { id: 'alert' }, view: 'record' },
  }),
  'settings.get': call({
    summary: 'Show settings, versions and event-loop statistics',
    input: z.object({}),
    output: Settings,
    cli: { command: 'settings show', view: 'record' },
  }),
  'settings.set': call({
    summary: 'Change settings',
    input: z.object({ logLevel: LogLevel.optional().describe('log level: debug, info, warn or error') }),
    output: Settings,
    cli: { command: 'settings set', view: 'record' },
  }),
  'diagnostics.collect': call({
    summary: 'Write a diagnostics bundle (logs, versions, integrity check, event-loop stats; secrets redacted)',
    input: z.object({
      out: z.string().min(1).describe('file to write the bundle to (JSON)'),
      force: z.boolean().default(false).describe('replace the file if it exists'),
    }),
    output: z.object({ path: z.string(), bytes: z.number(), integrity: z.string() }),
    cli: { command: 'diagnostics', paths: ['out'], view: 'record' },
  }),
  'scripts.read': call({
    summary: 'Show a script of Lifeboat commands (what `run FILE` would run)',
    input: z.object({ path: z.string().min(1).describe('the script file (absolute path)') }),
    output: z.object({ path: z.string(), text: z.string() }),
    cli: { command: 'script show', positional: ['path'], paths: ['path'], view: 'script' },
  }),
  'history.list': call({
    summary: "Show the console's command history, oldest first",
    input: z.object({ limit: z.number().int().min(1).max(5000).default(500).describe('at most this many lines') }),
    output: z.array(z.string()),
    cli: { command: 'history', view: 'lines' },
  }),
  'history.add': call({
    summary: "Add a line to the console's command history (secret values are masked)",
    input: z.object({ line: z.string().trim().min(1).max(4096).describe('the command line') }),
    output: z.object({ count: z.number().int() }),
    cli: { command: 'history add', positional: ['line'], view: 'record' },
  }),
  'accounts.add': call({
    summary:
      'Add a storage account (a local folder, or an Azure Blob container): validates it, then opens or creates its repository',
    input: AccountFields.extend({
      createContainer: z.boolean().default(false).describe('create the Azure container when it does not exist'),
    }),
    output: z.object({
      account: StorageAccount,
      probe: ProbeResult,
      repositoryCreated: z.boolean(),
      backupsFound: z.number().int(),
      devicesFound: z
        .array(z.string())
        .optional()
        .describe('devices of a lost installation brought back Deactivated from their records'),
      notice: z.string().optional(),
    }),
    cli: { command: 'account add', positional: ['name'], paths: ['local'], view: 'record' },
    long: true,
  }),
  'accounts.list': call({
    summary: 'List storage accounts',
    input: z.object({}),
    output: z.array(StorageAccount),
    cli: { command: 'account list', columns: ['name', 'kind', 'location', 'container', 'backups', 'bytes'] },
  }),
  'accounts.show': call({
    summary: 'Show a storage account and its last validation probe',
    input: z.object({ name: AccountName }),
    output: StorageAccount,
    cli: { command: 'account show', positional: ['name'], lookups: { name: 'account' }, view: 'record' },
  }),
  'accounts.test': call({
    summary: 'Probe a storage account: write, read, list and delete a test object; report latency and throughput',
    input: z.object({ name: AccountName }),
    output: ProbeResult,
    cli: { command: 'account test', positional: ['name'], lookups: { name: 'account' }, view: 'record' },
    long: true,
  }),
  'accounts.remove': call({
    summary: 'Forget a storage account (its data stays in the folder or container)',
    input: z.object({
      name: AccountName,
      force: z.boolean().default(false).describe('remove it even though it holds backups'),
    }),
    output: z.object({ removed: z.string(), backupsForgotten: z.number().int() }),
    cli: {
      command: 'account remove',
      positional: ['name'],
      lookups: { name: 'account' },
      confirm: 'Remove the storage account {name} from Lifeboat? Its data stays where it is.',
      view: 'record',
    },
  }),
  'accounts.edit': call({
    summary:
      'Give a storage account new credentials (or the new place of its folder); it must hold the same repository',
    input: AccountFields,
    output: StorageAccount,
    cli: {
      command: 'account edit',
      positional: ['name'],
      paths: ['local'],
      lookups: { name: 'account' },
      view: 'record',
    },
    long: true,
  }),
  'accounts.rebuildCatalog': call({
    summary: 'Rebuild the backup catalog from the storage account alone (after a fresh install joined the service)',
    input: z.object({ name: AccountName }),
    output: CatalogRebuild,
    cli: { command: 'account rebuild-catalog', positional: ['name'], lookups: { name: 'account' }, view: 'record' },
    long: true,
  }),
  'accounts.check': call({
    summary:
      'Check a storage account (structure, or every byte with --read-data); fails naming each damaged backup and file',
    input: z.object({
      name: AccountName,
      readData: z.boolean().default(false).describe('download and verify every pack'),
    }),
    output: Job,
    cli: { command: 'account check', positional: ['name'], lookups: { name: 'account' }, startsJob: true, view: 'job' },
  }),
  'backups.create': call({
    summary: 'Back up folders (shares) and image files (volumes) to a storage account, incrementally',
    input: z.object({
      account: z
        .string()
        .optional()
        .describe('storage account name (default: the embedded "default" account, created on first use)'),
      source: z
        .array(z.string().min(1))
        .min(1, 'Name at least one folder or image file with --source.')
        .describe('a folder or image file to back up (repeatable)'),
      label: z.string().max(200).optional().describe('a label for the backup'),
    }),
    output: Job,
    cli: { command: 'backup create', paths: ['source'], lookups: { account: 'account' }, startsJob: true, view: 'job' },
  }),
  'backups.list': call({
    summary: 'List backups, newest first',
    input: z.object({ account: z.string().optional().describe('only the backups in this storage account') }),
    output: z.array(Backup),
    cli: {
      command: 'backup list',
      lookups: { account: 'account' },
      columns: ['id', 'account', 'createdAt', 'problem', 'label', 'sourceNames', 'files', 'bytes', 'storedNew'],
    },
  }),
  'backups.show': call({
    summary: 'Show a backup: per-source sizes, dedup and compression ratios',
    input: z.object({ id: BackupId }),
    output: Backup,
    cli: { command: 'backup show', positional: ['id'], lookups: { id: 'backup' }, view: 'record' },
  }),
  'backups.files': call({
    summary: 'List the files and folders a backup holds, a folder at a time: to find what to restore',
    input: z.object({
      id: BackupId,
      source: z.string().optional().describe('the source to look in (default: the first)'),
      path: z.string().default('').describe('a folder inside the source, e.g. docs/2024 (default: its top)'),
      limit: z.number().int().min(1).max(100_000).default(1000).describe('list at most this many entries'),
    }),
    output: BackupFolder,
    cli: { command: 'backup files', positional: ['id'], lookups: { id: 'backup' }, view: 'files' },
  }),
  'backups.restore': call({
    summary: 'Restore a backup into an empty folder (or over it with --overwrite); resumable',
    input: z.object({
      id: BackupId,
      to: z.string().min(1).describe('folder to restore into (each source becomes a folder or file in it)'),
      source: z.array(z.string()).optional().describe('restore only this source (repeatable)'),
      path: z.string().optional().describe('restore only this file or folder of the sources, e.g. docs/2024'),
      overwrite: z
        .boolean()
        .default(false)
        .describe("restore into a folder that is not empty, or into a device's share or volume, replacing files"),
      priority: z.array(z.string()).optional().describe('SOURCE/PATH to restore first, hottest first (repeatable)'),
    }),
    output: Job,
    cli: {
      command: 'backup restore',
      positional: ['id'],
      paths: ['to'],
      lookups: { id: 'backup' },
      startsJob: true,
      view: 'job',
    },
  }),
  'backups.delete': call({
    summary: 'Delete a backup (the data only it used is freed by the next prune)',
    input: z.object({ id: BackupId }),
    output: z.object({ deleted: z.string(), account: z.string() }),
    cli: {
      command: 'backup delete',
      positional: ['id'],
      lookups: { id: 'backup' },
      confirm: 'Delete the backup {id}? Its data is freed at the next prune.',
      view: 'record',
    },
    long: true,
  }),
  'backups.prune': call({
    summary:
      'Keep the newest backup of each of the last N days, weeks and months; delete the rest and the data no backup uses',
    input: z.object({
      account: z.string().min(1).describe('storage account name'),
      keepLast: z.number().int().min(0).default(0).describe('keep the newest N backups'),
      keepDaily: z.number().int().min(0).default(0).describe('keep the newest backup of each of the last N days'),
      keepWeekly: z.number().int().min(0).default(0).describe('keep the newest backup of each of the last N weeks'),
      keepMonthly: z.number().int().min(0).default(0).describe('keep the newest backup of each of the last N months'),
      dryRun: z.boolean().default(false).describe('say what would be deleted and freed; write nothing'),
      maxUnused: z
        .number()
        .min(0)
        .max(100)
        .default(10)
        .describe('repack packs with more than this percent unused (100: never repack)'),
    }),
    output: PruneResult,
    cli: {
      command: 'backup prune',
      lookups: { account: 'account' },
      confirm: 'Prune the backups of {account} that the keep rules do not keep?',
      view: 'record',
    },
    long: true,
  }),
  ...deviceCalls,
  ...protectionCalls,
  ...planCalls,
  ...itemFailoverCalls,
  ...itemReprotectCalls,
} as const;

export type Contract = typeof contract;
export type { CallSpec, CliSpec } from './call';
export type CallName = keyof Contract;
export type CallInput<N extends CallName> = z.input<Contract[N]['input']>;
export type CallParsedInput<N extends CallName> = z.output<Contract[N]['input']>;
export type CallOutput<N extends CallName> = z.output<Contract[N]['output']>;
export const callNames = Object.keys(contract) as CallName[];
export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(contract, name);
}
