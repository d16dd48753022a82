/**
 * What a failover restores: the source's newest usable device backup and, per share or volume, its bytes in that
 * backup and its heat. Shared by the plan, the prechecks and the restore step, so they always agree.
 */
import type { DeviceBackupRow } from '../devices/backup-job';
import type { DeviceRow } from '../devices/store';
import type { Engine } from '../engine';
import { LifeboatError } from '../errors';
import type { SourceFacts } from './compatibility';
import type { PlanItem } from './plan';

/** The newest backup of the device's lineage (its own, or of the device it replaced before its first backup). */
export function latestBackup(engine: Engine, deviceId: string): DeviceBackupRow | undefined {
  return engine.deviceBackups.latest(deviceId)?.row;
}

export function requireBackup(engine: Engine, source: DeviceRow): DeviceBackupRow {
  const row = latestBackup(engine, source.id);
  if (!row)
    throw new LifeboatError(
      'not_found',
      `The device ${source.name} has no backup, so its data cannot be failed over: a failover restores the newest backup.`,
      `It is deactivated and can take no backup now. Its shares or volumes can only be recreated empty on another device (\`lifeboat share create\` / \`lifeboat volume create\`).`,
    );
  return row;
}

export function restorePriority(engine: Engine, backupId: string, item: string): string[] | undefined {
  const order = engine.deviceBackups.restoreOrder(backupId, item);
  return order.length ? order : undefined;
}

/**
 * The shares or volumes of the source with what the backup holds of each. A share made after the backup is listed
 * with inBackup false (it comes back empty); what the backup holds of an item deleted since is not restored.
 */
export function failoverItems(engine: Engine, source: DeviceRow, backupId: string): PlanItem[] {
  const catalog = engine.accounts.catalog.require(backupId);
  const sources = JSON.parse(catalog.sources) as Array<{ name: string; bytes: number }>;
  const heat = engine.deviceBackups.itemHeat(backupId);
  const kind = source.type === 'file' ? ('share' as const) : ('volume' as const);
  const rows =
    kind === 'share'
      ? engine.devices.store.shares(source.id).map((s) => ({ name: s.name, tier: s.tier }))
      : engine.devices.store.volumes(source.id).map((v) => ({ name: v.name, tier: v.tier }));
  return rows.map((r) => {
    const inBackup = sources.find((s) => s.name.toLowerCase() === r.name.toLowerCase());
    return { name: inBackup?.name ?? r.name, kind, tier: r.tier, bytes: inBackup?.bytes ?? 0, heat: heat[inBackup?.name ?? r.name] ?? 0, inBackup: !!inBackup };
  });
}

/** The source as the compatibility rules see it: provisioned total and locally pinned total. */
export function sourceFacts(engine: Engine, source: DeviceRow): SourceFacts {
  const items = [
    ...engine.devices.store.shares(source.id).map((s) => ({ size: s.quota, tier: s.tier })),
    ...engine.devices.store.volumes(source.id).map((v) => ({ size: v.size, tier: v.tier })),
  ];
  return {
    device: source,
    provisioned: items.reduce((n, i) => n + i.size, 0),
    pinned: items.filter((i) => i.tier === 'locally-pinned').reduce((n, i) => n + i.size, 0),
  };
}
