/**
 * The device_backups table: which backups of the catalog are device backups, of which device, of what kind, with
 * the configuration of every share or volume and the bounded heat summary. Read and written here only: the rest of
 * the devices module and failover reach it through this store.
 */
import type { z } from 'zod';
import type { BackupKind } from '../../shared/device-schemas';
import type { Db } from '../db/database';
import type { DeviceRow } from './store';

export interface DeviceBackupRow {
  backup_id: string;
  device_id: string;
  kind: z.infer<typeof BackupKind>;
  items: string;
  /** The heat summary (HeatSummary as JSON). */
  heat: string;
  created_at: string;
}

/** A backup of a lineage as lists show it: without its configuration and heat, which only one backup at a time needs. */
export type LineageBackup = Omit<DeviceBackupRow, 'items' | 'heat'> & { device_name: string };

export class DeviceBackupStore {
  constructor(private readonly db: Db) {}

  /**
   * Backups of a device and of the devices it replaced (same lineage, or the `replaces` chain of device ids), newest
   * first. Only the light columns: a device page lists these often, and the heat summaries are not needed for that.
   */
  lineage(device: DeviceRow): LineageBackup[] {
    const ids = [device.id];
    const replacedBy = this.db.prepare('SELECT replaces FROM devices WHERE id = ?').pluck();
    for (let next = device.replaces; next && !ids.includes(next); next = replacedBy.get(next) as string | null)
      ids.push(next);
    return this.db
      .prepare(
        `SELECT db.backup_id, db.device_id, db.kind, db.created_at, d.name AS device_name
         FROM device_backups db JOIN devices d ON d.id = db.device_id JOIN backups b ON b.id = db.backup_id
         WHERE d.lineage = ? OR d.id IN (${ids.map(() => '?').join(', ')}) ORDER BY db.created_at DESC, db.rowid DESC`,
      )
      .all(device.lineage, ...ids) as LineageBackup[];
  }

  row(backupId: string): DeviceBackupRow | undefined {
    return this.db
      .prepare('SELECT backup_id, device_id, kind, items, heat, created_at FROM device_backups WHERE backup_id = ?')
      .get(backupId) as DeviceBackupRow | undefined;
  }

  /** Whether the backup is a device backup (no row read). */
  has(backupId: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM device_backups WHERE backup_id = ?').get(backupId);
  }

  /** The heat summary as stored (JSON), or undefined when the backup is no device backup. */
  heat(backupId: string): string | undefined {
    return this.db.prepare('SELECT heat FROM device_backups WHERE backup_id = ?').pluck().get(backupId) as
      string | undefined;
  }

  /** The device's own newest backup (not its lineage's). */
  newestOf(deviceId: string): { backup_id: string; created_at: string } | undefined {
    return this.db
      .prepare('SELECT backup_id, created_at FROM device_backups WHERE device_id = ? ORDER BY created_at DESC LIMIT 1')
      .get(deviceId) as { backup_id: string; created_at: string } | undefined;
  }

  /** Whether the device has a backup of its own. */
  hasAny(deviceId: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM device_backups WHERE device_id = ? LIMIT 1').get(deviceId);
  }

  /** The device's own backups, newest first, with the heat summary of the newest only ('' on the others). */
  forRecord(deviceId: string): Array<Omit<DeviceBackupRow, 'device_id'>> {
    const backups = this.db
      .prepare(
        "SELECT backup_id, kind, items, '' AS heat, created_at FROM device_backups WHERE device_id = ? ORDER BY created_at DESC, rowid DESC",
      )
      .all(deviceId) as Array<Omit<DeviceBackupRow, 'device_id'>>;
    if (backups.length) backups[0].heat = this.heat(backups[0].backup_id) ?? '';
    return backups;
  }

  /** Idempotent: a step that re-runs after a crash records the same backup once. */
  insert(row: DeviceBackupRow): void {
    this.db
      .prepare(
        'INSERT INTO device_backups (backup_id, device_id, kind, items, heat, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(backup_id) DO NOTHING',
      )
      .run(row.backup_id, row.device_id, row.kind, row.items, row.heat, row.created_at);
  }

  /** A deactivation's final backup, recorded as manual until the device really is deactivated. */
  markFinal(backupId: string, deviceId: string): void {
    this.db
      .prepare("UPDATE device_backups SET kind = 'final' WHERE backup_id = ? AND device_id = ?")
      .run(backupId, deviceId);
  }

  /** Retention deletes scheduled backups only. */
  deleteScheduled(backupId: string): void {
    this.db.prepare("DELETE FROM device_backups WHERE backup_id = ? AND kind = 'scheduled'").run(backupId);
  }
}
