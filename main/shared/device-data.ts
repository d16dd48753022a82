/**
 * The refusal of a restore into a device's share or volume without overwrite, in one place: the engine words it
 * (restore-target.ts) and the restore wizard reads the device and item back from it to show them beside its
 * checkbox. Pure, so the renderer imports it.
 */
import type { DeviceStatus } from './device-schemas';

export interface DeviceData {
  kind: 'share' | 'volume';
  name: string;
  device: string;
}

const PATTERN = /holds the (share|volume) (.+) of the device (\S+) \(/;

/** "to: /srv/fs1/shares/docs holds the share docs of the device fs1 (online): …" */
export function deviceDataMessage(to: string, d: DeviceData, status: DeviceStatus): string {
  return `to: ${to} holds the ${d.kind} ${d.name} of the device ${d.device} (${status}): the restore would replace its files with the backup's.`;
}

export function deviceDataHint(d: DeviceData): string {
  return `Restore into a folder outside the data root of ${d.device}, or confirm with --overwrite that the files of the ${d.kind} ${d.name} are to be replaced.`;
}

/** The device and share (or volume) a refusal names, or null for any other message. */
export function deviceDataOf(message: string): DeviceData | null {
  const m = PATTERN.exec(message);
  return m ? { kind: m[1] as DeviceData['kind'], name: m[2], device: m[3] } : null;
}
