/** The contract's calls for virtual arrays (devices), shares, volumes and device failover. */
import { z } from 'zod';
import { call } from './call';
import {
  Device,
  DeviceDetail,
  DeviceType,
  DnsChecklist,
  FailoverBackup,
  FailoverPlan,
  FailoverPrechecks,
  FailoverTargets,
  HeatMap,
  RootCheck,
  Share,
  Volume,
} from './device-schemas';
import { Job } from './schemas';

const DeviceName = z.string().trim().min(1).describe('device name');
const ShareName = z.string().trim().min(1).describe('share name');
const VolumeName = z.string().trim().min(1).describe('volume name');
/** Sizes are text so that the CLI, console and forms take "500GiB", "2 TB" or a byte count alike. */
const Size = z.string().trim().min(1);
const FailoverJobId = z.string().min(1).describe('failover job id (from jobs list)');
const FailoverBackupId = z
  .string()
  .trim()
  .min(1)
  .optional()
  .describe('the backup to restore (default: the newest); see failover backups');

export const deviceCalls = {
  'devices.create': call({
    summary: 'Configure a virtual array (file server or iSCSI server) on a data root and register it with the service',
    input: z.object({
      name: z.string().trim().describe('device name: 1-15 letters, digits and hyphens, not all digits'),
      type: DeviceType.describe('file (file server with shares) or iscsi (iSCSI server with volumes)'),
      root: z.string().min(1).describe('data root folder: empty, or the root of a previous Lifeboat device'),
      site: z
        .string()
        .trim()
        .min(1)
        .optional()
        .describe("agent site holding the data root (a path under its root's devices/ folder on the agent host)"),
      capacity: Size.describe('maximum capacity, e.g. 500GiB (at most the free space of the data root)'),
      account: z
        .string()
        .optional()
        .describe('storage account for its backups (default: the embedded "default" account)'),
      registrationKey: z
        .string()
        .optional()
        .describe('the service registration key (without it the device stays Ready to set up)'),
      domain: z.string().optional().describe('file server only: the domain it joins (FQDN)'),
      timeZone: z.string().default('UTC').describe('IANA time zone, e.g. Europe/Amsterdam'),
      fips: z.boolean().default(false).describe('FIPS mode'),
    }),
    output: Device,
    cli: {
      command: 'device create',
      positional: ['name'],
      paths: ['root'],
      lookups: { account: 'account', site: 'site' },
      view: 'record',
    },
  }),
  'devices.checkRoot': call({
    summary: 'Check a folder as the data root of a new device: whether it can be used, and the free space of its disk',
    input: z.object({
      root: z.string().min(1).describe('data root folder'),
      site: z.string().trim().min(1).optional().describe('agent site holding the data root (default: this machine)'),
    }),
    output: RootCheck,
    cli: {
      command: 'device check-root',
      positional: ['root'],
      paths: ['root'],
      lookups: { site: 'site' },
      view: 'record',
    },
  }),
  'devices.offline': call({
    summary: 'Take a device offline for maintenance: its shares or volumes become unavailable and backups pause',
    input: z.object({ name: DeviceName }),
    output: Device,
    cli: {
      command: 'device offline',
      positional: ['name'],
      lookups: { name: 'device' },
      confirm: 'Take the device {name} offline? Hosts lose access to its shares or volumes until it is online again.',
      view: 'record',
    },
  }),
  'devices.online': call({
    summary: 'Bring a device back online after maintenance',
    input: z.object({ name: DeviceName }),
    output: Device,
    cli: { command: 'device online', positional: ['name'], lookups: { name: 'device' }, view: 'record' },
  }),
  'devices.register': call({
    summary: 'Register a device that is Ready to set up with the service registration key',
    input: z.object({ name: DeviceName, registrationKey: z.string().min(1).describe('the service registration key') }),
    output: Device,
    cli: { command: 'device register', positional: ['name'], lookups: { name: 'device' }, view: 'record' },
  }),
  'devices.list': call({
    summary: 'List devices (deleted ones only with --all)',
    input: z.object({ all: z.boolean().default(false).describe('include deleted devices') }),
    output: z.array(Device),
    cli: {
      command: 'device list',
      columns: ['name', 'status', 'type', 'capacity', 'provisioned', 'used', 'account', 'lastBackupAt', 'health'],
    },
  }),
  'devices.show': call({
    summary: 'Show a device: status, capacity, shares or volumes with their paths on disk, backups and heat map',
    input: z.object({
      name: DeviceName,
      refresh: z.boolean().default(false).describe('measure what shares and volumes use now, not as of the last scan'),
    }),
    output: DeviceDetail,
    cli: { command: 'device show', positional: ['name'], lookups: { name: 'device' }, view: 'record' },
  }),
  'devices.policy': call({
    summary: "Set a device's backup policy: daily or weekly at a time, keeping N backups (or --frequency off)",
    input: z.object({
      name: DeviceName,
      frequency: z.enum(['off', 'daily', 'weekly']).describe('off, daily or weekly'),
      time: z.string().default('22:00').describe('HH:MM in the device time zone'),
      weekday: z.number().int().min(0).max(6).optional().describe('weekly: 0 = Sunday … 6 = Saturday'),
      retention: z.number().int().min(1).max(1000).default(7).describe('device backups to keep'),
    }),
    output: Device,
    cli: { command: 'device policy', positional: ['name'], lookups: { name: 'device' }, view: 'record' },
  }),
  'devices.backup': call({
    summary: 'Take a backup of every share or volume of a device now',
    input: z.object({ name: DeviceName }),
    output: Job,
    cli: { command: 'device backup', positional: ['name'], lookups: { name: 'device' }, startsJob: true, view: 'job' },
  }),
  'devices.heat': call({
    summary: "Show a device's heat map (from its newest backup): what is hot and restored first",
    input: z.object({ name: DeviceName }),
    output: HeatMap,
    cli: { command: 'device heat', positional: ['name'], lookups: { name: 'device' }, view: 'record' },
  }),
  'devices.deactivate': call({
    summary: 'Deactivate a device, permanently: a final backup, then its shares or volumes go offline and backups stop',
    input: z.object({
      name: DeviceName,
      confirm: z.string().describe('the device name again, typed exactly, to confirm'),
      finalBackup: z.boolean().default(true).describe('take a final backup first (planned failover)'),
    }),
    output: Job,
    cli: {
      command: 'device deactivate',
      positional: ['name'],
      lookups: { name: 'device' },
      startsJob: true,
      view: 'job',
    },
  }),
  'devices.remove': call({
    summary: 'Remove a device that has no shares or volumes from Lifeboat (its data root is left as it is)',
    input: z.object({ name: DeviceName }),
    output: z.object({ removed: z.string() }),
    cli: {
      command: 'device remove',
      positional: ['name'],
      lookups: { name: 'device' },
      confirm: 'Remove the device {name} from Lifeboat?',
      view: 'record',
    },
  }),
  'shares.create': call({
    summary: 'Create a share on a file server',
    input: z.object({
      device: DeviceName,
      name: z.string().trim().describe('share name'),
      description: z.string().max(500).default('').describe('description'),
      pinned: z.boolean().default(false).describe('locally pinned (kept whole on the device) instead of tiered'),
      quota: Size.optional().describe('provisioned size, e.g. 100GiB (default: 1 GiB, or what is left if less)'),
      user: z.array(z.string().min(1)).optional().describe('a user or group with full permission (repeatable)'),
    }),
    output: Share,
    cli: { command: 'share create', positional: ['device', 'name'], lookups: { device: 'device' }, view: 'record' },
  }),
  'shares.list': call({
    summary: 'List the shares of a file server',
    input: z.object({ device: DeviceName }),
    output: z.array(Share),
    cli: {
      command: 'share list',
      positional: ['device'],
      lookups: { device: 'device' },
      columns: ['name', 'tier', 'quota', 'used', 'online', 'path'],
    },
  }),
  'shares.edit': call({
    summary: "Change a share's description, quota or users",
    input: z.object({
      device: DeviceName,
      name: ShareName,
      description: z.string().max(500).optional().describe('description'),
      quota: Size.optional().describe('provisioned size'),
      user: z.array(z.string().min(1)).optional().describe('users and groups with full permission (replaces the list)'),
    }),
    output: Share,
    cli: { command: 'share edit', positional: ['device', 'name'], lookups: { device: 'device' }, view: 'record' },
  }),
  'shares.offline': call({
    summary: 'Take a share offline: read-only on disk and unavailable to hosts and to jobs that write',
    input: z.object({ device: DeviceName, name: ShareName }),
    output: Share,
    cli: {
      command: 'share offline',
      positional: ['device', 'name'],
      lookups: { device: 'device' },
      confirm: 'Take the share {name} offline? Hosts lose access to it until it is brought online.',
      view: 'record',
    },
  }),
  'shares.online': call({
    summary: 'Bring a share online',
    input: z.object({ device: DeviceName, name: ShareName }),
    output: Share,
    cli: { command: 'share online', positional: ['device', 'name'], lookups: { device: 'device' }, view: 'record' },
  }),
  'shares.delete': call({
    summary: 'Delete a share and its data on the device (its backups keep it)',
    input: z.object({ device: DeviceName, name: ShareName }),
    output: z.object({ deleted: z.string(), device: z.string() }),
    cli: {
      command: 'share delete',
      positional: ['device', 'name'],
      lookups: { device: 'device' },
      confirm: 'Delete the share {name} and its data on {device}? Its backups keep it.',
      view: 'record',
    },
  }),
  'volumes.create': call({
    summary: 'Create a volume on an iSCSI server: a sparse image with access control records and optional CHAP',
    input: z.object({
      device: DeviceName,
      name: z.string().trim().describe('volume name'),
      size: Size.describe('provisioned size, e.g. 50GiB'),
      pinned: z.boolean().default(false).describe('locally pinned instead of tiered'),
      type: z
        .enum(['general', 'archival'])
        .default('general')
        .describe('general, or archival (less frequently accessed data)'),
      acr: z.array(z.string().min(1)).optional().describe('initiator IQN allowed to connect (repeatable)'),
      chapUser: z.string().min(1).optional().describe('CHAP user name'),
      chapSecret: z.string().optional().describe('CHAP secret, 12 to 16 characters'),
    }),
    output: Volume,
    cli: { command: 'volume create', positional: ['device', 'name'], lookups: { device: 'device' }, view: 'record' },
  }),
  'volumes.list': call({
    summary: 'List the volumes of an iSCSI server',
    input: z.object({ device: DeviceName }),
    output: z.array(Volume),
    cli: {
      command: 'volume list',
      positional: ['device'],
      lookups: { device: 'device' },
      columns: ['name', 'tier', 'size', 'allocated', 'online', 'chapUser', 'path'],
    },
  }),
  'volumes.edit': call({
    summary: "Change a volume's access control records or CHAP",
    input: z.object({
      device: DeviceName,
      name: VolumeName,
      acr: z.array(z.string().min(1)).optional().describe('initiator IQNs allowed to connect (replaces the list)'),
      chapUser: z.string().min(1).optional().describe('CHAP user name'),
      chapSecret: z.string().optional().describe('CHAP secret, 12 to 16 characters'),
      noChap: z.boolean().default(false).describe('turn CHAP off'),
    }),
    output: Volume,
    cli: { command: 'volume edit', positional: ['device', 'name'], lookups: { device: 'device' }, view: 'record' },
  }),
  'volumes.offline': call({
    summary: 'Take a volume offline: read-only on disk and unavailable to initiators and to jobs that write',
    input: z.object({ device: DeviceName, name: VolumeName }),
    output: Volume,
    cli: {
      command: 'volume offline',
      positional: ['device', 'name'],
      lookups: { device: 'device' },
      confirm: 'Take the volume {name} offline? Initiators lose access to it until it is brought online.',
      view: 'record',
    },
  }),
  'volumes.online': call({
    summary: 'Bring a volume online',
    input: z.object({ device: DeviceName, name: VolumeName }),
    output: Volume,
    cli: { command: 'volume online', positional: ['device', 'name'], lookups: { device: 'device' }, view: 'record' },
  }),
  'volumes.delete': call({
    summary: 'Delete a volume and its image on the device (its backups keep it)',
    input: z.object({ device: DeviceName, name: VolumeName }),
    output: z.object({ deleted: z.string(), device: z.string() }),
    cli: {
      command: 'volume delete',
      positional: ['device', 'name'],
      lookups: { device: 'device' },
      confirm: 'Delete the volume {name} and its image on {device}? Its backups keep it.',
      view: 'record',
    },
  }),
  'failover.targets': call({
    summary: 'List the devices a deactivated device can fail over to, and why every other device cannot',
    input: z.object({ source: DeviceName.describe('the deactivated source device') }),
    output: FailoverTargets,
    cli: { command: 'failover targets', positional: ['source'], lookups: { source: 'device' }, view: 'targets' },
  }),
  'failover.backups': call({
    summary: 'List the backups a deactivated device can fail over from, newest first, with what each older one loses',
    input: z.object({ source: DeviceName.describe('the deactivated source device') }),
    output: z.array(FailoverBackup),
    cli: {
      command: 'failover backups',
      positional: ['source'],
      lookups: { source: 'device' },
      columns: ['id', 'createdAt', 'kind', 'files', 'bytes', 'compared'],
    },
  }),
  'failover.prechecks': call({
    summary: 'Run the prechecks of a failover now: each check passes, warns or fails, with its cause and its fix',
    input: z.object({ source: DeviceName, target: DeviceName.describe('the target device'), backup: FailoverBackupId }),
    output: FailoverPrechecks,
    cli: {
      command: 'failover prechecks',
      positional: ['source'],
      lookups: { source: 'device', target: 'device', backup: 'backup' },
      view: 'prechecks',
    },
    long: true,
  }),
  'failover.plan': call({
    summary: 'Show what a failover would restore: the backup used, bytes, and an RTO estimate',
    input: z.object({ source: DeviceName, target: DeviceName.describe('the target device'), backup: FailoverBackupId }),
    output: FailoverPlan,
    cli: {
      command: 'failover plan',
      positional: ['source'],
      lookups: { source: 'device', target: 'device', backup: 'backup' },
      view: 'record',
    },
  }),
  'failover.start': call({
    summary:
      'Fail a deactivated device over to a target: prechecks, a restore job per share or volume (hot data first), then ownership transfer',
    input: z.object({ source: DeviceName, target: DeviceName.describe('the target device'), backup: FailoverBackupId }),
    output: Job,
    cli: {
      command: 'failover start',
      positional: ['source'],
      lookups: { source: 'device', target: 'device', backup: 'backup' },
      startsJob: true,
      confirm: 'Fail over {source} to {target}? The data of {source} is restored on {target}, which then owns it.',
      view: 'job',
    },
  }),
  'failover.resume': call({
    summary: 'Resume a failed failover: it continues without fetching again what is already restored',
    input: z.object({ id: FailoverJobId }),
    output: Job,
    cli: { command: 'failover resume', positional: ['id'], lookups: { id: 'job' }, startsJob: true, view: 'job' },
  }),
  'failover.abandon': call({
    summary:
      'Abandon a failed or cancelled failover: what it restored on the target is deleted, and the target can be used again',
    input: z.object({ id: FailoverJobId }),
    output: Job,
    cli: {
      command: 'failover abandon',
      positional: ['id'],
      lookups: { id: 'job' },
      confirm: 'Abandon the failover {id}? What it restored on the target is deleted.',
      view: 'job',
    },
    long: true,
  }),
  'failover.checklist': call({
    summary: 'Show the DNS aliases to create after a failover, and what to reclaim',
    input: z.object({ id: FailoverJobId }),
    output: DnsChecklist,
    cli: { command: 'failover checklist', positional: ['id'], lookups: { id: 'job' }, view: 'record' },
  }),
} as const;
