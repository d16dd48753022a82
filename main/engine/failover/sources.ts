/**
 * What a failover restores: the backup chosen (the source's newest by default, or an earlier one of its lineage)
 * and, per share or volume, its bytes in that backup and its heat. Shared by the plan, the prechecks and the restore
 * step, so they always agree.
 */
import type { BackupLoss, FailoverBackup } from '../../shared/device-schemas';
import type { DeviceBackupRow, LineageBackup } from '../devices/backup-store';
import type { DeviceRow } from '../devices/store';
import { LifeboatError } from '../../shared/errors';
import { formatBytes, formatDuration } from '../../shared/units';
import type { SourceFacts } from './compatibility';
import type { PlanItem } from './plan';
import type { FailoverDeps } from './deps';

/** The newest backup of the device's lineage (its own, or of the device it replaced before its first backup). */
export function latestBackup(deps: FailoverDeps, deviceId: string): DeviceBackupRow | undefined {
  return deps.deviceBackups.latest(deviceId)?.row;
}

const noBackup = (source: DeviceRow) =>
  new LifeboatError(
    'not_found',
    `The device ${source.name} has no backup, so its data cannot be failed over: a failover restores one of its backups.`,
    'It is deactivated and can take no backup now. Its shares or volumes can only be recreated empty on another device ' +
      '(`lifeboat share create` / `lifeboat volume create`).',
  );

/** The backup a failover restores: the one asked for, which must be of the source's lineage, else the newest. */
export function requireBackup(deps: FailoverDeps, source: DeviceRow, backupId?: string): DeviceBackupRow {
  if (!backupId) {
    const row = latestBackup(deps, source.id);
    if (!row) throw noBackup(source);
    return row;
  }
  const ours = deps.deviceBackups.store.lineage(source).some((b) => b.backup_id === backupId);
  const row = deps.deviceBackups.store.row(backupId);
  if (ours && row) return row;
  const hint = `List the backups ${source.name} can fail over from with \`lifeboat failover backups ${source.name}\` (in the app: the wizard's Source step).`;
  if (row) {
    const owner = deps.devices.store.byId(row.device_id)?.name ?? row.device_id;
    throw new LifeboatError(
      'invalid_input',
      `backup: ${backupId} is a backup of the device ${owner}, not of ${source.name}; a failover restores only the source's own backups.`,
      hint,
    );
  }
  if (deps.accounts.catalog.row(backupId))
    throw new LifeboatError(
      'invalid_input',
      `backup: ${backupId} is not a device backup (it was made with \`lifeboat backup create\`), so it cannot be failed over.`,
      hint,
    );
  throw new LifeboatError('not_found', `backup: there is no backup ${backupId}.`, hint);
}

/** What an older backup loses against the newest: its age difference and what the later backups read as new. */
function lossOf(
  deps: FailoverDeps,
  newer: LineageBackup[],
  latestFiles: number,
  files: number,
  at: string,
): BackupLoss {
  const seconds = Math.max(0, Math.round((Date.parse(newer[0].created_at) - Date.parse(at)) / 1000));
  const bytesNew = newer.reduce((n, b) => n + (deps.accounts.catalog.row(b.backup_id)?.bytes_new ?? 0), 0);
  const filesDifference = latestFiles - files;
  const count = `${newer.length} later backup${newer.length === 1 ? '' : 's'}`;
  const n = Math.abs(filesDifference);
  const fileText = n ? `, ${n} ${filesDifference > 0 ? 'fewer' : 'more'} file${n === 1 ? '' : 's'}` : '';
  return {
    seconds,
    laterBackups: newer.length,
    bytesNew,
    filesDifference,
    text: `${formatDuration(seconds * 1000)} older than the newest; ${count} read ${formatBytes(bytesNew)} of new or changed data${fileText}`,
  };
}

/** Every backup the source can fail over from, newest first; each older one says what it would lose. */
export function backupChoices(deps: FailoverDeps, source: DeviceRow): FailoverBackup[] {
  const all = deps.deviceBackups.store.lineage(source);
  const latestFiles = all.length ? (deps.accounts.catalog.row(all[0].backup_id)?.files ?? 0) : 0;
  return all.map((b, i) => {
    const c = deps.accounts.catalog.row(b.backup_id);
    const files = c?.files ?? 0;
    const loses = i === 0 ? null : lossOf(deps, all.slice(0, i), latestFiles, files, b.created_at);
    const compared = loses ? loses.text : 'the newest backup';
    return {
      id: b.backup_id,
      device: b.device_name,
      kind: b.kind,
      createdAt: b.created_at,
      files,
      bytes: c?.bytes ?? 0,
      latest: i === 0,
      loses,
      compared,
    };
  });
}

export function restorePriority(deps: FailoverDeps, backupId: string, item: string): string[] | undefined {
  const order = deps.deviceBackups.restoreOrder(backupId, item);
  return order.length ? order : undefined;
}

/**
 * The shares or volumes of the source with what the backup holds of each. A share made after the backup is listed
 * with inBackup false (it comes back empty); what the backup holds of an item deleted since is not restored.
 */
export function failoverItems(deps: FailoverDeps, source: DeviceRow, backupId: string): PlanItem[] {
  const catalog = deps.accounts.catalog.require(backupId);
  const sources = JSON.parse(catalog.sources) as Array<{ name: string; bytes: number }>;
  const heat = deps.deviceBackups.itemHeat(backupId);
  const kind = source.type === 'file' ? ('share' as const) : ('volume' as const);
  const rows =
    kind === 'share'
      ? deps.devices.store.shares(source.id).map((s) => ({ name: s.name, tier: s.tier }))
      : deps.devices.store.volumes(source.id).map((v) => ({ name: v.name, tier: v.tier }));
  return rows.map((r) => {
    const inBackup = sources.find((s) => s.name.toLowerCase() === r.name.toLowerCase());
    return {
      name: inBackup?.name ?? r.name,
      kind,
      tier: r.tier,
      bytes: inBackup?.bytes ?? 0,
      heat: heat[inBackup?.name ?? r.name] ?? 0,
      inBackup: !!inBackup,
    };
  });
}

/** The source as the compatibility rules see it: provisioned total and locally pinned total. */
export function sourceFacts(deps: FailoverDeps, source: DeviceRow): SourceFacts {
  const items = [
    ...deps.devices.store.shares(source.id).map((s) => ({ size: s.quota, tier: s.tier })),
    ...deps.devices.store.volumes(source.id).map((v) => ({ size: v.size, tier: v.tier })),
  ];
  return {
    device: source,
    provisioned: items.reduce((n, i) => n + i.size, 0),
    pinned: items.filter((i) => i.tier === 'locally-pinned').reduce((n, i) => n + i.size, 0),
  };
}
