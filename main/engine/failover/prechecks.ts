/**
 * The failover's prechecks (design §3.2) as a checklist: each check passes, warns or fails with its own one-line
 * cause and fix. One rule set serves `failover.prechecks` (the wizard's summary step and the CLI) and the failover
 * job's first step, so what the wizard showed green is what the job checks again. The rules are pure; the checks
 * that touch the storage account or the disk get what they need from collectPrechecks.
 */
import fs from 'node:fs/promises';
import type { AccountRow } from '../accounts/store';
import { readOwner } from '../devices/ownership';
import type { DeviceRow } from '../devices/store';
import { checkIqn } from '../../shared/device-rules';
import { toErrorInfo } from '../errors';
import { LifeboatError } from '../../shared/errors';
import { formatBytes } from '../../shared/units';
import { assessTarget } from './compatibility';
import { backupChoices, failoverItems, sourceFacts } from './sources';
import type { FailoverDeps } from './deps';

export type PrecheckStatus = 'pass' | 'warn' | 'fail';

export interface Precheck {
  name: string;
  status: PrecheckStatus;
  /** What was found, in one line. */
  message: string;
  /** What to do, in one line, in words (no command): the UI shows it as it is. */
  fix?: string;
  /** The page of the app where it is fixed. */
  page?: string;
  /** The command that fixes it, for the CLI. */
  command?: string;
}

const pass = (name: string, message: string): Precheck => ({ name, status: 'pass', message });

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
  const commands = new Set<string>();
  for (const v of volumes) {
    for (const acr of v.acrs) {
      const problem = iqnProblem(acr.iqn);
      if (problem) {
        bad.push(
          `volume ${v.name}: ACR ${acr.name.length > 40 ? `${acr.name.slice(0, 37)}...` : acr.name}: ${problem}`,
        );
        fixes.add(`correct the initiator names of ${v.name}`);
        commands.add(`lifeboat volume edit ${source} ${v.name} --acr IQN`);
      }
    }
    if (v.chapUser !== null || v.chapSecret !== null) {
      const len = v.chapSecret ? [...v.chapSecret].length : 0;
      if (!v.chapSecret) bad.push(`volume ${v.name}: CHAP user ${v.chapUser} has no secret`);
      else if (len < CHAP_MIN || len > CHAP_MAX)
        bad.push(`volume ${v.name}: the CHAP secret has ${len} characters; it must have ${CHAP_MIN} to ${CHAP_MAX}`);
      if (!v.chapSecret || len < CHAP_MIN || len > CHAP_MAX) {
        fixes.add(`set a CHAP secret of ${CHAP_MIN} to ${CHAP_MAX} characters on ${v.name}`);
        commands.add(`lifeboat volume edit ${source} ${v.name} --chap-secret SECRET`);
      }
    }
  }
  if (!volumes.length) return [];
  if (!bad.length)
    return [
      pass('iscsi', `iSCSI settings of ${volumes.length} volume(s) are valid (ACR initiator names, CHAP secrets).`),
    ];
  const fix = [...fixes].join('; ');
  return [
    {
      name: 'iscsi',
      status: 'fail',
      message: `iSCSI settings are not valid: ${bad.join('; ')}.`,
      fix: `${fix[0].toUpperCase()}${fix.slice(1)} (Edit access on the volume of ${source}).`,
      page: 'Devices',
      command: [...commands].join('; '),
    },
  ];
}

export function spacePrecheck(target: string, bytes: number, freeBytes: number, capacity: number): Precheck {
  if (bytes > capacity)
    return {
      name: 'space',
      status: 'fail',
      message: `${target} has a capacity of ${formatBytes(capacity)}; the restore needs ${formatBytes(bytes)}.`,
      fix: `Fail over to a device with at least ${formatBytes(bytes)} capacity.`,
    };
  if (bytes > freeBytes)
    return {
      name: 'space',
      status: 'fail',
      message: `The disk of ${target} has ${formatBytes(freeBytes)} free; the restore needs ${formatBytes(bytes)}.`,
      fix: `Free ${formatBytes(bytes - freeBytes)} on the disk of ${target}'s data root, then run the prechecks again.`,
    };
  return pass('space', `${target} has room for the ${formatBytes(bytes)} to restore (${formatBytes(freeBytes)} free).`);
}

/**
 * Why the storage account cannot be used, and the fix. A local account whose folder is gone must be reconnected
 * (the disk mounted again, or the account pointed at where the folder moved): an empty new folder is not the backups.
 */
export async function accountProblem(account: AccountRow, err: unknown): Promise<Precheck> {
  const info = toErrorInfo(err);
  const base = { name: 'account', status: 'fail' as const, page: 'Storage accounts' };
  if (
    account.kind === 'local' &&
    !(await fs.stat(account.location).then(
      () => true,
      () => false,
    ))
  )
    return {
      ...base,
      message:
        `The folder of the storage account "${account.name}" (${account.location}) is not there: ` +
        'its disk is not mounted, or the folder was moved or deleted.',
      fix:
        "Reconnect the account's folder or disk; if the folder moved, give the account its new place (Edit on the Storage accounts page). " +
        'Do not create an empty folder: it would not hold the backups.',
      command: `lifeboat account edit ${account.name} --local NEW_FOLDER`,
    };
  return {
    ...base,
    message: `The storage account "${account.name}" cannot be used: ${info.message.replace(/\.$/, '')}.`,
    fix:
      account.kind === 'azure'
        ? "Check the network and the account's credentials (Test, then Edit, on the Storage accounts page)."
        : "Check the folder's disk and permissions (Test on the Storage accounts page).",
    command: `lifeboat account test ${account.name}`,
  };
}

export interface PrecheckSubject {
  source: DeviceRow;
  target: DeviceRow;
  backupId: string;
  /** The failover job running them: its own holds on the two devices are not a reason to refuse. */
  jobId?: string;
}

/** Runs every check; none throws, so the admin sees every problem at once. */
export async function collectPrechecks(
  deps: FailoverDeps,
  { source, target, backupId, jobId }: PrecheckSubject,
): Promise<Precheck[]> {
  const checks: Precheck[] = [];
  const catalog = deps.accounts.catalog.row(backupId);
  const account = catalog ? deps.accounts.store.byId(catalog.account_id) : undefined;
  if (!catalog || !account) {
    checks.push({
      name: 'account',
      status: 'fail',
      message: `The backup ${backupId} of ${source.name} is not in any storage account this Lifeboat has: its account was removed.`,
      fix: 'Add the storage account that holds the backups again, with the folder or container it had (Storage accounts page), then run the prechecks again.',
      page: 'Storage accounts',
      command: 'lifeboat account add NAME --local FOLDER',
    });
  } else {
    let reachable = false;
    try {
      // Opening the repository reads its config with the service key: the account is reachable and the credentials valid.
      await deps.accounts.repository(account, { loadIndex: false });
      checks.push(pass('account', `The storage account "${account.name}" is reachable and its credentials are valid.`));
      reachable = true;
    } catch (err) {
      checks.push(await accountProblem(account, err));
    }
    // One cause, one line: the cloud check only runs once the account itself can be used.
    if (reachable) checks.push(await cloudCheck(deps, account, source, target, backupId));
  }
  checks.push(...targetChecks(deps, source, target, jobId));
  const backup = backupChoices(deps, source).find((b) => b.id === backupId);
  if (backup)
    checks.push(
      backup.kind === 'final'
        ? pass('backup', `The final backup of ${source.name}, taken at deactivation, is restored: no data is lost.`)
        : {
            name: 'backup',
            status: 'warn',
            message: `A ${backup.kind} backup of ${backup.createdAt
              .slice(0, 16)
              .replace(
                'T',
                ' ',
              )} UTC is restored, not a final one: what was written on ${source.name} after it is lost${backup.loses ? ` (${backup.loses.text})` : ''}.`,
            fix: backup.latest ? undefined : 'Choose the newest backup on the Source step to lose less.',
          },
    );
  if (catalog) {
    const items = failoverItems(deps, source, backupId);
    const missing = items.filter((i) => !i.inBackup);
    const names = missing.map((i) => `${i.kind} ${i.name}`).join(', ');
    const come = missing.length > 1 ? 'they come' : 'it comes';
    if (missing.length)
      checks.push({ name: 'items', status: 'warn', message: `${names}: made after this backup, ${come} back empty.` });
    const bytes = items.reduce((n, i) => n + i.bytes, 0);
    try {
      checks.push(spacePrecheck(target.name, bytes, await deps.devices.freeBytes(target), target.capacity));
    } catch (err) {
      checks.push({
        name: 'space',
        status: 'fail',
        message: `The free space on ${target.root} cannot be read: ${toErrorInfo(err).message}`,
        fix: `Check that the data root of ${target.name} is there and readable.`,
      });
    }
  }
  if (source.type === 'iscsi') {
    const volumes = deps.devices.store.volumes(source.id).map((v) => ({
      name: v.name,
      acrs: JSON.parse(v.acrs) as Array<{ name: string; iqn: string }>,
      chapUser: v.chap_user,
      chapSecret: deps.devices.store.chapSecret(v.id),
    }));
    checks.push(...iscsiPrechecks(source.name, volumes));
  }
  return checks;
}

/** From the target: the backup it restores is in the account, and the lineage is the source's (or already the target's). */
async function cloudCheck(
  deps: FailoverDeps,
  account: AccountRow,
  source: DeviceRow,
  target: DeviceRow,
  backupId: string,
): Promise<Precheck> {
  try {
    const backend = await deps.accounts.backend(account);
    if (!(await backend.head(`snapshots/${backupId}`)))
      throw new LifeboatError('not_found', `the backup ${backupId} is not in the account`);
    const owner = await readOwner(backend, source.lineage);
    if (owner && owner.deviceId !== source.id && owner.deviceId !== target.id)
      return {
        name: 'cloud',
        status: 'fail',
        message: `The backups of ${source.name} are owned by another device, ${owner.deviceName}.`,
        fix: 'See which failover took them over (Devices page, Show deleted).',
        page: 'Devices',
        command: 'lifeboat device list --all',
      };
    return pass('cloud', `${target.name} reaches the storage account and the backup ${backupId}.`);
  } catch (err) {
    return {
      name: 'cloud',
      status: 'fail',
      message: `${target.name} cannot reach the backup in the storage account "${account.name}": ${toErrorInfo(err).message.replace(/\.$/, '')}.`,
      fix: 'Check the connection from the target to the storage account, and that the backup was not pruned.',
      command: `lifeboat account check ${account.name}`,
    };
  }
}

/** The target by the compatibility rules (one set with failover.targets), its registration and its domain. */
function targetChecks(deps: FailoverDeps, source: DeviceRow, target: DeviceRow, jobId?: string): Precheck[] {
  const store = deps.devices.store;
  const device = { ...target, failover_job_id: target.failover_job_id === jobId ? null : target.failover_job_id };
  const a = assessTarget(sourceFacts(deps, source), {
    device,
    shares: store.shares(target.id).length,
    volumes: store.volumes(target.id).length,
    freeBytes: null,
  });
  const out: Precheck[] = [
    a.compatible
      ? pass('target', `${target.name} is a compatible target: same type, no shares or volumes, enough capacity.`)
      : {
          name: 'target',
          status: 'fail',
          message: a.reasons.map((r) => r.message).join(' '),
          fix: `Choose another target on the Target step, or fix ${target.name}.`,
          page: 'Devices',
          command: `lifeboat failover targets ${source.name}`,
        },
    target.registered_at
      ? pass('registered', `${target.name} is registered with this service.`)
      : {
          name: 'registered',
          status: 'warn',
          message: `${target.name} is not registered yet (Ready to set up): the failover registers it with this service as it takes over.`,
        },
  ];
  const domain = a.warnings.find((w) => w.code === 'domain');
  if (domain)
    out.push({
      name: 'domain',
      status: 'warn',
      message: domain.message,
      fix: `Join ${target.name} to the domain of ${source.name}, or check the share permissions after the failover.`,
    });
  else if (source.type === 'file')
    out.push(
      pass(
        'domain',
        `${target.name} is in the same domain as ${source.name}${source.domain ? ` (${source.domain})` : ''}.`,
      ),
    );
  return out;
}

/** A fix in words, and the command that makes it. */
const fixText = (c: Precheck) => `${c.fix ?? 'see the log.'}${c.command ? ` (\`${c.command}\`)` : ''}`;

/** The failed job's message: every failed check and its fix, in one line each. */
export function precheckFailure(checks: Precheck[]): { message: string; hint: string } {
  const failed = checks.filter((c) => c.status === 'fail');
  return {
    message: `${failed.length} precheck(s) failed, no data was moved: ${failed.map((c) => `[${c.name}] ${c.message} Fix: ${fixText(c)}`).join(' ')}`,
    hint: 'Fix what each failed precheck names, then start the failover again (the source and target are released).',
  };
}

const LABEL: Record<PrecheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL' };
export const describeCheck = (c: Precheck) =>
  `${LABEL[c.status]} ${c.name}: ${c.message}${c.status === 'pass' || !c.fix ? '' : ` Fix: ${fixText(c)}`}`;
