/**
 * Bringing a lost installation's devices back from their records in a storage account (`account rebuild-catalog`,
 * and `account add` of an account that already holds backups), after the backup catalog is rebuilt.
 *
 * As an administrator would want them: the devices the lost machine ran come back Deactivated. Their data is in the
 * account, but this installation does not run them (their data roots were on the lost machine, and a device that
 * came back Online would start writing backups of a lineage it may no longer own). Deactivated is exactly the state
 * a device is failed over from: create a target device on this installation, registered with this service, and fail
 * each one over to it. Devices already Deactivated stay so; devices Deleted by a failover come back Deleted, so the
 * device that took them over lists their backups as its history. Devices never registered (Ready to set up, no data)
 * are left out. Ids are kept: the ownership objects in the account name them, so a failover's transfer recognises
 * the source. Nothing local is overwritten: a device this installation already has (same id) keeps its row.
 */
import type { CatalogRebuild } from '../../shared/schemas';
import type { AccountRow } from '../accounts/store';
import type { DeviceBackupDeps } from './backup-deps';
import { newId } from '../keys';
import type { Repository } from '../repo/repository';
import { readRecords, type DeviceRecord } from './records';

type RebuiltDevice = NonNullable<CatalogRebuild['devices']>[number];

/** Restores the device records found in the account; what the rebuild's answer says of them. */
export async function restoreDevices(
  deps: DeviceBackupDeps,
  account: AccountRow,
  repo: Repository,
): Promise<Pick<CatalogRebuild, 'devices' | 'notice'>> {
  const { records, damaged } = await readRecords(repo.backend, repo.keys);
  if (!records.length && !damaged.length) return {};
  // Deleted devices first: a live device's `replaces` then names a row that is there.
  const deleted = (r: DeviceRecord) => Number(r.device.status === 'deleted');
  records.sort((a, b) => deleted(b) - deleted(a) || a.device.created_at.localeCompare(b.device.created_at));
  const devices: RebuiltDevice[] = [];
  for (const record of records) {
    const d = record.device;
    const summary = {
      name: d.name,
      type: d.type,
      shares: record.shares.length,
      volumes: record.volumes.length,
      backups: 0,
    };
    try {
      const outcome = restoreOne(deps, account, record, summary); // counts the backups into summary
      devices.push({ ...summary, ...outcome });
    } catch (err) {
      devices.push({ ...summary, status: d.status, outcome: 'skipped', reason: (err as Error).message });
    }
  }
  for (const name of damaged)
    devices.push({
      name,
      type: 'unknown',
      status: 'unknown',
      shares: 0,
      volumes: 0,
      backups: 0,
      outcome: 'skipped',
      reason: 'its record is damaged',
    });
  for (const d of devices) if (d.outcome === 'restored') deps.devices.changed(d.name);
  // Restored now or by an earlier rebuild (`account add` rebuilds too): what to do next is the same.
  const back = devices.filter((d) => d.outcome !== 'skipped' && d.status === 'deactivated').map((d) => d.name);
  const notice = back.length
    ? `${back.join(', ')} ${back.length > 1 ? 'are' : 'is'} Deactivated here: the data is in the storage account, but this installation does not ` +
      "run the lost machine's devices. Create a target device here (Devices > Add device, or `lifeboat device create … --registration-key KEY`; " +
      `\`lifeboat service registration-key\` shows this service's key), then fail each one over to it (\`lifeboat failover targets ${back[0]}\`).`
    : undefined;
  deps.log.info('device records restored', {
    account: account.name,
    devices: devices.map((d) => `${d.name}:${d.outcome}`),
  });
  return { devices, ...(notice ? { notice } : {}) };
}

/** One record into the database, in one transaction. Throws a reason to skip it. */
type Outcome = Pick<RebuiltDevice, 'status' | 'outcome' | 'reason'>;

function restoreOne(
  deps: DeviceBackupDeps,
  account: AccountRow,
  record: DeviceRecord,
  summary: { backups: number },
): Outcome {
  const store = deps.devices.store;
  const d = record.device;
  const backups = record.backups.filter((b) => deps.accounts.catalog.row(b.backup_id));
  summary.backups = backups.length;
  const addBackups = (deviceId: string) => {
    for (const b of backups) deps.backups.insert({ ...b, device_id: deviceId });
  };
  const existing = store.byId(d.id);
  if (existing) {
    // Rebuilt before, or never lost: the local row stands; only backups it lacks are added.
    deps.db.transaction(() => addBackups(existing.id))();
    return { status: existing.status, outcome: 'already here' };
  }
  if (d.status === 'ready-to-set-up') throw new Error('it was never registered and holds no data');
  if (d.status !== 'deleted' && store.byName(d.name))
    throw new Error(
      `another device named ${d.name} is on this installation: remove it (\`lifeboat device remove ${d.name}\`), then rebuild again`,
    );
  const now = new Date().toISOString();
  const status = d.status === 'deleted' ? 'deleted' : 'deactivated';
  deps.db.transaction(() => {
    store.insert({
      ...d,
      status,
      account_id: account.id,
      next_backup_at: null,
      failover_job_id: null,
      updated_at: now,
      deactivated_at: status === 'deactivated' ? (d.deactivated_at ?? now) : d.deactivated_at,
    });
    // Item ids are kept when free, so a second rebuild elsewhere finds the same ones; a clash gets a new id.
    const taken = (table: 'shares' | 'volumes', id: string) =>
      deps.db.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).get(id);
    const freeId = (table: 'shares' | 'volumes', id: string, prefix: string) => (taken(table, id) ? newId(prefix) : id);
    for (const s of record.shares) store.insertShare({ ...s, id: freeId('shares', s.id, 'share'), device_id: d.id });
    for (const { chap_secret, ...v } of record.volumes) {
      const id = freeId('volumes', v.id, 'vol');
      store.insertVolume({ ...v, id, device_id: d.id });
      if (chap_secret !== null) store.setChapSecret(id, chap_secret);
    }
    addBackups(d.id);
  })();
  return { status, outcome: 'restored' };
}
