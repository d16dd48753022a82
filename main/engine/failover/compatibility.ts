/**
 * Which devices a deactivated source can fail over to (design §3.1), as a pure function of plain facts so the
 * wizard, the CLI, `failover.start` and the unit tests share one set of rules and one set of messages.
 */
import type { DeviceRow } from '../devices/store';
import { formatBytes } from '../../shared/units';

export interface Reason {
  code: 'status' | 'not-empty' | 'same-name' | 'type' | 'capacity' | 'fips' | 'busy' | 'domain' | 'site';
  message: string;
}

/** What the rules need to know of the source: its provisioned total and what must sit on local disk. */
export interface SourceFacts {
  device: Pick<DeviceRow, 'name' | 'type' | 'fips' | 'domain'>;
  /** Sum of the shares' quotas or the volumes' sizes. */
  provisioned: number;
  /** Provisioned size of locally pinned shares/volumes: kept whole on the target's disk. */
  pinned: number;
}

export interface TargetFacts {
  device: Pick<DeviceRow, 'name' | 'type' | 'status' | 'capacity' | 'fips' | 'domain' | 'failover_job_id'> &
    Partial<Pick<DeviceRow, 'site_id'>>;
  shares: number;
  volumes: number;
  /** Free bytes on the target's disk (null when it cannot be read: the precheck reads it again). */
  freeBytes: number | null;
}

export interface Assessment {
  device: string;
  compatible: boolean;
  reasons: Reason[];
  warnings: Reason[];
}

/** A target may be ready to set up (registered as part of the failover) or online; nothing else. */
const USABLE = new Set(['ready-to-set-up', 'online']);
const typeName = (t: string) => (t === 'file' ? 'a file server' : 'an iSCSI server');
const sameDomain = (a: string | null, b: string | null) =>
  (a ?? '').trim().toLowerCase() === (b ?? '').trim().toLowerCase();

export function assessTarget(source: SourceFacts, target: TargetFacts): Assessment {
  const s = source.device;
  const t = target.device;
  const reasons: Reason[] = [];
  const warnings: Reason[] = [];
  if (t.name.toLowerCase() === s.name.toLowerCase())
    reasons.push({
      code: 'same-name',
      message: `It has the same name as the source ${s.name}; the target needs another name.`,
    });
  if (!USABLE.has(t.status))
    reasons.push({ code: 'status', message: `It is ${t.status}; a target must be Ready to set up or Online.` });
  if (t.site_id)
    reasons.push({
      code: 'site',
      message:
        'Its data root is at an agent site; a failover restores only into a device whose data root is on this machine.',
    });
  if (t.failover_job_id)
    reasons.push({
      code: 'busy',
      message: `It is held by the failover job ${t.failover_job_id}; resume or abandon that failover first.`,
    });
  if (target.shares + target.volumes > 0) {
    const what = [target.shares ? `${target.shares} share(s)` : '', target.volumes ? `${target.volumes} volume(s)` : '']
      .filter(Boolean)
      .join(' and ');
    reasons.push({ code: 'not-empty', message: `It has ${what}; a target must have no shares or volumes.` });
  }
  if (t.type !== s.type)
    reasons.push({ code: 'type', message: `It is ${typeName(t.type)}; the source ${s.name} is ${typeName(s.type)}.` });
  if (t.capacity < source.provisioned)
    reasons.push({
      code: 'capacity',
      message: `Its capacity ${formatBytes(t.capacity)} is less than the ${formatBytes(source.provisioned)} provisioned on ${s.name}.`,
    });
  if (source.pinned > 0 && target.freeBytes !== null && target.freeBytes < source.pinned)
    reasons.push({
      code: 'capacity',
      message: `Its disk has ${formatBytes(target.freeBytes)} free; the locally pinned shares/volumes of ${s.name} need ${formatBytes(source.pinned)}.`,
    });
  if (s.fips && !t.fips)
    reasons.push({
      code: 'fips',
      message: `FIPS mode is off on it; the source ${s.name} runs in FIPS mode and fails over only to a FIPS device.`,
    });
  if (s.type === 'file' && t.type === 'file' && !sameDomain(s.domain, t.domain))
    warnings.push({
      code: 'domain',
      message: `It is ${t.domain ? `in the domain ${t.domain}` : 'in no domain'} while ${s.name} is ${s.domain ? `in ${s.domain}` : 'in none'}: share permissions may not resolve.`,
    });
  return { device: t.name, compatible: reasons.length === 0, reasons, warnings };
}

/** Why failover.start refuses a chosen target, naming "no compatible target devices" when none would do. */
export function refusal(source: string, chosen: Assessment, compatible: string[]): { message: string; hint: string } {
  const why = chosen.reasons.map((r) => r.message).join(' ');
  const message = compatible.length
    ? `${chosen.device} cannot be the failover target of ${source}: ${why}`
    : `There are no compatible target devices for ${source}. ${chosen.device}: ${why}`;
  const hint = compatible.length
    ? `Choose a compatible target: ${compatible.join(', ')}.`
    : `See why each device is excluded with \`lifeboat failover targets ${source}\`; fix one of them or set up a new device with \`lifeboat device create\`.`;
  return { message, hint };
}
