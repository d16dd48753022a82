/**
 * The ownership lease of a device lineage's cloud data: exactly one device may write backups of a lineage. The
 * lease is a sequence of immutable objects `owners/<lineage>/<epoch>` in the storage account, each created with
 * "if none match", so two devices racing for the same epoch cannot both win (the backend refuses the second
 * write), and object names are never reused. The newest epoch is the owner. A device checks the lease before it
 * writes a backup and again before it records one, so a device that was failed over (fenced) stops writing.
 */
import { LifeboatError } from '../../shared/errors';
import { assertObjectName, type StorageBackend } from '../storage/backend';

export interface OwnerRecord {
  lineage: string;
  deviceId: string;
  deviceName: string;
  epoch: number;
  at: string;
}

export interface DeviceRef {
  id: string;
  name: string;
}

const prefixOf = (lineage: string) => `owners/${lineage.toLowerCase()}/`;
/** Zero-padded so that names sort by epoch as text too. */
const objectOf = (lineage: string, epoch: number) => `${prefixOf(lineage)}${String(epoch).padStart(10, '0')}`;

/** The current owner of the lineage, or null when no device has claimed it yet. */
export async function readOwner(backend: StorageBackend, lineage: string): Promise<OwnerRecord | null> {
  assertObjectName(objectOf(lineage, 1));
  let newest = 0;
  for await (const o of backend.list(prefixOf(lineage))) {
    const epoch = Number(o.name.slice(prefixOf(lineage).length));
    if (Number.isInteger(epoch) && epoch > newest) newest = epoch;
  }
  if (!newest) return null;
  const record = JSON.parse((await backend.get(objectOf(lineage, newest))).toString('utf8')) as OwnerRecord;
  return { ...record, epoch: newest };
}

/** Creates the given epoch; false when another writer created it first. */
async function write(backend: StorageBackend, lineage: string, epoch: number, device: DeviceRef): Promise<boolean> {
  const record: OwnerRecord = {
    lineage,
    deviceId: device.id,
    deviceName: device.name,
    epoch,
    at: new Date().toISOString(),
  };
  try {
    await backend.put(objectOf(lineage, epoch), Buffer.from(JSON.stringify(record)), { ifNoneMatch: true });
    return true;
  } catch (err) {
    if (err instanceof LifeboatError && err.code === 'already_exists') return false;
    throw err;
  }
}

export function fencedError(owner: OwnerRecord): LifeboatError {
  return new LifeboatError(
    'fenced',
    `The backups of this device are now owned by device ${owner.deviceName} (since ${owner.at}).`,
    'This device was failed over: it can no longer write backups there. Use the device that took over, or remove this one.',
  );
}

/** Makes `device` the owner if nobody is (epoch 1); fine if it already is; 'fenced' if another device owns it. */
export async function claimOwner(backend: StorageBackend, lineage: string, device: DeviceRef): Promise<OwnerRecord> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const owner = await readOwner(backend, lineage);
    if (owner?.deviceId === device.id) return owner;
    if (owner) throw fencedError(owner);
    if (await write(backend, lineage, 1, device)) return (await readOwner(backend, lineage))!;
  }
  throw new LifeboatError(
    'busy',
    `The ownership of the backups of ${device.name} keeps changing.`,
    'Try again in a minute.',
    { retryable: true },
  );
}

/**
 * Moves ownership from `fromDeviceId` to `to` (the failover's ownership transfer), epoch + 1. Idempotent: when
 * `to` already owns the lineage it returns that. Refuses when a third device owns it. A lineage nobody claimed
 * (the source never took a backup with a lease) is claimed for `to`.
 */
export async function transferOwner(
  backend: StorageBackend,
  lineage: string,
  fromDeviceId: string,
  to: DeviceRef,
): Promise<OwnerRecord> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const owner = await readOwner(backend, lineage);
    if (owner?.deviceId === to.id) return owner;
    if (owner && owner.deviceId !== fromDeviceId)
      throw new LifeboatError(
        'fenced',
        `The backups of this lineage are owned by device ${owner.deviceName} (since ${owner.at}), not by the device being failed over.`,
        'Another failover already took them over: check the devices and the failover jobs.',
      );
    if (await write(backend, lineage, (owner?.epoch ?? 0) + 1, to)) return (await readOwner(backend, lineage))!;
  }
  throw new LifeboatError('busy', 'The ownership of these backups keeps changing.', 'Try again in a minute.', {
    retryable: true,
  });
}
