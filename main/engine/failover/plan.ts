/** The plan arithmetic of a failover: what is restored, in which order, and how long it should take. */
import type { DnsChecklist } from '../../shared/device-schemas';
import { formatDuration } from '../../shared/units';

export interface PlanItem {
  name: string;
  kind: 'share' | 'volume';
  tier: 'tiered' | 'locally-pinned';
  /** Bytes in the backup (a volume: its logical size). */
  bytes: number;
  /** Heat of the item in the backup's heat map (higher is hotter). */
  heat: number;
  /** False for a share or volume made after the backup: it comes back empty. */
  inBackup: boolean;
}

/** Opening the repository, creating the restore jobs, ownership transfer: time the transfer rate does not cover. */
export const RTO_OVERHEAD_SECONDS = 30;

export function rtoSeconds(bytes: number, throughputBytesPerSecond: number | null): number | null {
  if (!throughputBytesPerSecond || throughputBytesPerSecond <= 0) return null;
  return Math.ceil(bytes / throughputBytesPerSecond + RTO_OVERHEAD_SECONDS);
}

/**
 * Restore jobs are created in this order, so the runner starts them in it: locally pinned items first (they
 * must be whole on the disk before hosts use them), then the hotter items, then by name for a stable order.
 */
export function restoreOrder<T extends Pick<PlanItem, 'name' | 'tier' | 'heat'>>(items: T[]): T[] {
  const pinned = (i: T) => (i.tier === 'locally-pinned' ? 0 : 1);
  return [...items].sort((a, b) => pinned(a) - pinned(b) || b.heat - a.heat || a.name.localeCompare(b.name));
}

export function describeRto(seconds: number | null): string {
  return seconds === null
    ? 'unknown (test the storage account to measure its throughput)'
    : formatDuration(seconds * 1000);
}

/** DNS aliases so clients that used the source's name reach the target, and what is left to do by hand. */
export function dnsChecklist(
  source: { name: string; domain: string | null },
  target: { name: string; domain: string | null },
): DnsChecklist {
  const records: DnsChecklist['records'] = [{ type: 'CNAME', name: source.name, value: target.name }];
  const domain = source.domain ?? target.domain;
  if (domain)
    records.push({
      type: 'CNAME',
      name: `${source.name}.${source.domain ?? domain}`,
      value: `${target.name}.${target.domain ?? domain}`,
    });
  return {
    source: source.name,
    target: target.name,
    records,
    steps: [
      `Create the DNS alias${records.length > 1 ? 'es' : ''} ${records.map((r) => `${r.name} -> ${r.value} (${r.type})`).join(', ')} so clients that use ${source.name} reach ${target.name}.`,
      `Point hosts and iSCSI initiators at ${target.name}: remap drives and shares, or rescan and reconnect the iSCSI targets (same share and volume names, same ACRs and CHAP).`,
      `Check that users can open their files on ${target.name} (permissions resolve when it is in the same domain as ${source.name} was).`,
      `Reclaim the resources of the source machine of ${source.name}: it is deleted from Lifeboat and can never write to the storage account again; remove its virtual machine and disks.`,
    ],
  };
}
