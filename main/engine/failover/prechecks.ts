/**
 * The failover's prechecks (design §3.2): each one passes or fails with what to do, and all of them run before
 * any data moves so the admin sees every problem at once. The rules are pure; the checks that touch the storage
 * account or the disk get what they need passed in.
 */
import { checkIqn } from '../devices/validation';
import { formatBytes } from '../units';

export interface Precheck {
  name: string;
  ok: boolean;
  message: string;
  /** What to do when it failed. */
  fix?: string;
}

export const CHAP_MIN = 12;
export const CHAP_MAX = 16;

/** What is wrong with an ACR's initiator name, by the same rules as `volume create` (at most 220 characters). */
export function iqnProblem(iqn: string): string | null {
  try {
    checkIqn(iqn);
    return null;
  } catch (err) {
    return (err as Error).message.replace(/^acr: /, '');
  }
}

export interface VolumeConfig {
  name: string;
  acrs: Array<{ name: string; iqn: string }>;
  chapUser: string | null;
  chapSecret: string | null;
}

/** The iSCSI configuration the target takes over must be valid there: ACR initiator names and CHAP secrets. */
export function iscsiPrechecks(source: string, volumes: VolumeConfig[]): Precheck[] {
  const bad: string[] = [];
  const fixes = new Set<string>();
  for (const v of volumes) {
    for (const acr of v.acrs) {
      const problem = iqnProblem(acr.iqn);
      if (problem) {
        bad.push(`volume ${v.name}: ACR ${acr.name.length > 40 ? `${acr.name.slice(0, 37)}...` : acr.name}: ${problem}`);
        fixes.add(`correct the initiator names of ${v.name} (\`lifeboat volume edit ${source} ${v.name} --acr IQN\`)`);
      }
    }
    if (v.chapUser !== null || v.chapSecret !== null) {
      const len = v.chapSecret ? [...v.chapSecret].length : 0;
      if (!v.chapSecret) bad.push(`volume ${v.name}: CHAP user ${v.chapUser} has no secret`);
      else if (len < CHAP_MIN || len > CHAP_MAX) bad.push(`volume ${v.name}: the CHAP secret has ${len} characters; it must have ${CHAP_MIN} to ${CHAP_MAX}`);
      if (!v.chapSecret || len < CHAP_MIN || len > CHAP_MAX)
        fixes.add(`set a CHAP secret of ${CHAP_MIN} to ${CHAP_MAX} characters on ${v.name} (\`lifeboat volume edit ${source} ${v.name} --chap-secret SECRET\`)`);
    }
  }
  if (!volumes.length) return [];
  return [
    bad.length
      ? { name: 'iscsi', ok: false, message: `iSCSI settings are not valid: ${bad.join('; ')}.`, fix: [...fixes].join('; ') }
      : { name: 'iscsi', ok: true, message: `iSCSI settings of ${volumes.length} volume(s) are valid (ACR initiator names, CHAP secrets).` },
  ];
}

export function spacePrecheck(target: string, bytes: number, freeBytes: number, capacity: number): Precheck {
  if (bytes > capacity)
    return { name: 'space', ok: false, message: `${target} has a capacity of ${formatBytes(capacity)}; the restore needs ${formatBytes(bytes)}.`, fix: `Fail over to a device with at least ${formatBytes(bytes)} capacity.` };
  if (bytes > freeBytes)
    return {
      name: 'space',
      ok: false,
      message: `The disk of ${target} has ${formatBytes(freeBytes)} free; the restore needs ${formatBytes(bytes)}.`,
      fix: `Free ${formatBytes(bytes - freeBytes)} on the disk of ${target}'s data root, then start the failover again.`,
    };
  return { name: 'space', ok: true, message: `${target} has room for the ${formatBytes(bytes)} to restore (${formatBytes(freeBytes)} free).` };
}

/** The failed job's message: every failed check and its fix, in one line each. */
export function precheckFailure(checks: Precheck[]): { message: string; hint: string } {
  const failed = checks.filter((c) => !c.ok);
  return {
    message: `${failed.length} precheck(s) failed, no data was moved: ${failed.map((c) => `[${c.name}] ${c.message} Fix: ${c.fix ?? 'see the log.'}`).join(' ')}`,
    hint: 'Fix what each failed precheck names, then start the failover again (the source and target are released).',
  };
}

export const describeCheck = (c: Precheck) => `${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.message}${c.ok || !c.fix ? '' : ` Fix: ${c.fix}`}`;
