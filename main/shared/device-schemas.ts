/** Schemas of virtual arrays (devices), their shares and volumes, device backups with heat maps, and failover. */
import { z } from 'zod';

export const DeviceType = z.enum(['file', 'iscsi']);
export type DeviceType = z.infer<typeof DeviceType>;
/** `ready-to-set-up`: configured on its data root but not registered with the service yet. */
export const DeviceStatus = z.enum(['ready-to-set-up', 'online', 'offline', 'deactivated', 'deleted']);
export type DeviceStatus = z.infer<typeof DeviceStatus>;
export const Tier = z.enum(['tiered', 'locally-pinned']);
export type Tier = z.infer<typeof Tier>;
export const Health = z.enum(['healthy', 'warning', 'critical']);
export const BackupKind = z.enum(['scheduled', 'manual', 'final']);

export const BackupPolicy = z.object({
  frequency: z.enum(['off', 'daily', 'weekly']),
  time: z.string().describe('HH:MM in the device time zone'),
  weekday: z.number().int().min(0).max(6).nullable().describe('0 = Sunday; weekly only'),
  retention: z.number().int().min(1).describe('device backups kept; older ones are deleted after each backup'),
  nextAt: z.string().nullable().describe('when the next scheduled backup starts'),
});
export type BackupPolicy = z.infer<typeof BackupPolicy>;

export const Device = z.object({
  id: z.string(),
  name: z.string(),
  type: DeviceType,
  status: DeviceStatus,
  root: z.string().describe('the data root: on this machine, or on the agent host of its site'),
  site: z.string().nullable().describe('the agent site holding the data root (null: this machine)'),
  capacity: z.number().describe('maximum capacity in bytes'),
  provisioned: z.number().describe("sum of the shares' quotas or the volumes' sizes"),
  used: z.number().describe('bytes used on disk by shares and volumes'),
  domain: z.string().nullable(),
  timeZone: z.string(),
  fips: z.boolean(),
  account: z.string().nullable().describe('storage account name'),
  model: z.string(),
  softwareVersion: z.string(),
  serial: z.string(),
  health: Health,
  healthReasons: z.array(z.string()).describe('why the device is not healthy, in words; empty when it is'),
  shares: z.number().int(),
  volumes: z.number().int(),
  lastBackupAt: z.string().nullable(),
  lastBackupId: z.string().nullable(),
  policy: BackupPolicy,
  replaces: z.string().nullable().describe('the device this one took over by failover'),
  failoverJobId: z.string().nullable().describe('the failover job that holds this device, if any'),
  createdAt: z.string(),
  registeredAt: z.string().nullable(),
  deactivatedAt: z.string().nullable(),
});
export type Device = z.infer<typeof Device>;

/** What a folder would be as a new device's data root, for the configure wizard to say before it is too late. */
export const RootCheck = z.object({
  root: z.string(),
  usable: z.boolean(),
  state: z
    .enum([
      'missing',
      'empty',
      'previous-device',
      'not-empty',
      'not-a-folder',
      'in-use',
      'not-writable',
      'outside-site',
    ])
    .describe('missing folders are created'),
  message: z.string().describe('what the state means for the user'),
  previousDevice: z.string().nullable().describe('the name in the marker of a previous Lifeboat device root'),
  freeBytes: z.number().describe('free space of the filesystem that would hold it'),
  totalBytes: z.number(),
});
export type RootCheck = z.infer<typeof RootCheck>;

export const Share = z.object({
  id: z.string(),
  device: z.string(),
  name: z.string(),
  description: z.string(),
  tier: Tier,
  quota: z.number().describe('provisioned size in bytes'),
  used: z.number(),
  overQuota: z.boolean(),
  users: z.array(z.string()).describe('users and groups with full permission'),
  online: z.boolean(),
  path: z.string().describe('the folder on disk'),
  createdAt: z.string(),
});
export type Share = z.infer<typeof Share>;

export const Acr = z.object({ name: z.string(), iqn: z.string() });
export const Volume = z.object({
  id: z.string(),
  device: z.string(),
  name: z.string(),
  size: z.number().describe('provisioned size in bytes'),
  allocated: z.number().describe('bytes allocated on disk (the image is sparse)'),
  tier: Tier,
  type: z.enum(['general', 'archival']),
  acrs: z.array(Acr),
  chapUser: z.string().nullable().describe('the CHAP user (the secret is never shown)'),
  online: z.boolean(),
  path: z.string().describe('the image file on disk'),
  createdAt: z.string(),
});
export type Volume = z.infer<typeof Volume>;

/** Heat of one item (share or volume): bytes by heat band and the hottest files or block ranges. */
export const HeatItem = z.object({
  name: z.string(),
  kind: z.enum(['share', 'volume']),
  hotBytes: z.number(),
  warmBytes: z.number(),
  coldBytes: z.number(),
  hottest: z
    .array(z.object({ path: z.string(), heat: z.number().min(0).max(1) }))
    .describe('files (or block ranges as "@offset+length") hottest first, at most 20'),
});
export const HeatMap = z.object({
  backupId: z.string().nullable(),
  at: z.string().nullable(),
  items: z.array(HeatItem),
});
export type HeatMap = z.infer<typeof HeatMap>;

export const DeviceBackup = z.object({
  id: z.string().describe('backup id (the same as in backup list)'),
  device: z.string(),
  kind: BackupKind,
  createdAt: z.string(),
  files: z.number().int(),
  bytes: z.number(),
  storedNew: z.number(),
});

export const DeviceDetail = z.object({
  device: Device,
  shares: z.array(Share),
  volumes: z.array(Volume),
  backups: z.array(DeviceBackup),
  heat: HeatMap,
  jobs: z.array(z.string()).describe('ids of the newest jobs about this device'),
});
export type DeviceDetail = z.infer<typeof DeviceDetail>;

export const Reason = z.object({ code: z.string(), message: z.string() });
/** What the failover wizard's target picker shows of each device. */
export const TargetFacts = z.object({
  status: DeviceStatus,
  registered: z
    .boolean()
    .describe('false: Ready to set up; the failover registers it with this service as it takes over'),
  capacity: z.number(),
  freeBytes: z.number().nullable().describe('free space on the disk of its data root (null: it cannot be read)'),
  domain: z.string().nullable(),
  softwareVersion: z.string(),
});
export type TargetFacts = z.infer<typeof TargetFacts>;
export const FailoverTargets = z.object({
  source: z.string(),
  compatible: z.array(z.object({ device: z.string(), warnings: z.array(Reason), facts: TargetFacts })),
  excluded: z.array(z.object({ device: z.string(), reasons: z.array(Reason), facts: TargetFacts })),
});

/** What failing over from an earlier backup loses, compared with the newest one. */
export const BackupLoss = z.object({
  seconds: z.number().describe('how much older than the newest backup it is'),
  laterBackups: z.number().int().describe('backups taken after it'),
  bytesNew: z.number().describe('new or changed data the later backups read (from the catalog)'),
  filesDifference: z.number().int().describe('files in the newest backup minus files in this one'),
  text: z.string(),
});
export type BackupLoss = z.infer<typeof BackupLoss>;
export const FailoverBackup = z.object({
  id: z.string(),
  device: z.string().describe('the device that took it (the source, or a device it replaced)'),
  kind: BackupKind,
  createdAt: z.string(),
  files: z.number().int(),
  bytes: z.number(),
  latest: z.boolean(),
  loses: BackupLoss.nullable().describe('null for the newest backup'),
  compared: z.string().describe('what it loses against the newest, in words'),
});
export type FailoverBackup = z.infer<typeof FailoverBackup>;

export const PrecheckStatus = z.enum(['pass', 'warn', 'fail']);
export const Precheck = z.object({
  name: z.string().describe('account, cloud, target, registered, domain, backup, items, space or iscsi'),
  status: PrecheckStatus,
  message: z.string().describe('what was found, in one line'),
  fix: z.string().nullable().describe('what to do, in one line (null when there is nothing to do)'),
  page: z.string().nullable().describe('the page of the app where it is fixed'),
  command: z.string().nullable().describe('the command that fixes it'),
});
export const FailoverPrechecks = z.object({
  source: z.string(),
  target: z.string(),
  backupId: z.string(),
  ok: z.boolean().describe('no check failed: the failover can start'),
  checks: z.array(Precheck),
  checkedAt: z.string(),
});
export type FailoverPrechecks = z.infer<typeof FailoverPrechecks>;
export type FailoverTargets = z.infer<typeof FailoverTargets>;

export const FailoverPlan = z.object({
  source: z.string(),
  target: z.string(),
  backup: z.object({
    id: z.string(),
    createdAt: z.string(),
    kind: BackupKind,
    latest: z.boolean(),
    loses: BackupLoss.nullable(),
  }),
  planned: z.boolean().describe('true when the backup is the final backup taken at deactivation (no data loss)'),
  bytesToRestore: z.number(),
  items: z.array(z.object({ name: z.string(), kind: z.enum(['share', 'volume']), bytes: z.number() })),
  throughputBytesPerSecond: z.number().nullable().describe("the account's measured read throughput"),
  rtoSeconds: z.number().nullable(),
  warnings: z.array(Reason),
});
export type FailoverPlan = z.infer<typeof FailoverPlan>;

export const DnsChecklist = z.object({
  source: z.string(),
  target: z.string(),
  records: z.array(z.object({ type: z.enum(['CNAME']), name: z.string(), value: z.string() })),
  steps: z.array(z.string()),
});
export type DnsChecklist = z.infer<typeof DnsChecklist>;
