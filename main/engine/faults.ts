/**
 * Fault injection for crash and ordering tests, in one place: every named point where a test may hold a job (and
 * kill the process meanwhile), the environment variable that enables it, and the helpers that hold. Everything here
 * is a no-op unless a test sets one of the variables; an unknown point in one is an error naming the allowed points
 * (checkFaults runs at the engine's and the site agent's start), so a typo in a test fails loudly instead of
 * silently never holding.
 */
import { LifeboatError } from '../shared/errors';

interface FaultSpec {
  /** The environment variable a test sets to one of the points. */
  env: string;
  points: readonly string[];
  /** What the fault does, one line (the README's test section lists these). */
  about: string;
}

/** Every fault a test can enable. The variable names are the tests' interface: keep them. */
export const FAULTS = {
  backup: {
    env: 'LIFEBOAT_BACKUP_FAULT',
    points: ['uploaded'],
    about: 'holds a backup once its first pack is stored, until the job is stopped (repo/backup.ts)',
  },
  restore: {
    env: 'LIFEBOAT_RESTORE_FAULT',
    points: ['written'],
    about: 'holds a restore once a fifth of it is written, until the job is stopped (repo/restore-run.ts)',
  },
  device: {
    env: 'LIFEBOAT_DEVICE_FAULT',
    points: ['catalog', 'deactivate'],
    about: 'holds a device backup before it is recorded, or a deactivation before its last step (devices/)',
  },
  failover: {
    env: 'LIFEBOAT_FAILOVER_FAULT',
    points: ['prechecks', 'restore', 'transfer', 'mid-copy', 'before-start'],
    about:
      "holds a device failover at a step (failover/), or an item's failover mid-copy or before it starts (replication/)",
  },
  replication: {
    env: 'LIFEBOAT_REPLICATION_FAULT',
    points: ['mid-apply', 'mid-copy'],
    about: "holds a replication cycle in its commit's apply, or in a first copy (replication/manager.ts)",
  },
  agent: {
    env: 'LIFEBOAT_AGENT_FAULT',
    points: ['mid-apply', 'hold-sums'],
    about:
      "holds a site agent's first commit mid-apply, or a checksum call mid-hashing, until SIGUSR2 (sites/agent-*.ts)",
  },
} as const satisfies Record<string, FaultSpec>;

export type FaultName = keyof typeof FAULTS;
export type FaultPointOf<N extends FaultName> = (typeof FAULTS)[N]['points'][number];

/** Values already checked, per variable: the environment is read at each check (a test may set it between jobs). */
const checked = new Map<string, string>();

/** The point the environment enables for a fault, or null; an unknown point throws, naming the allowed ones. */
export function enabledPoint<N extends FaultName>(
  name: N,
  env: NodeJS.ProcessEnv = process.env,
): FaultPointOf<N> | null {
  const spec: FaultSpec = FAULTS[name];
  const value = env[spec.env];
  if (!value) return null;
  if (checked.get(spec.env) !== value) {
    if (!spec.points.includes(value))
      throw new LifeboatError(
        'invalid_input',
        `${spec.env}=${value} is not a fault point.`,
        `The points of ${spec.env}: ${spec.points.join(', ')}.`,
      );
    checked.set(spec.env, value);
  }
  return value as FaultPointOf<N>;
}

/** True when a test enabled this fault at this point; false (and nothing else happens) otherwise. */
export function fault<N extends FaultName>(
  name: N,
  point: FaultPointOf<N>,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return enabledPoint(name, env) === point;
}

/** Checks every fault variable set in the environment: an unknown point throws, naming the allowed ones. */
export function checkFaults(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of Object.keys(FAULTS) as FaultName[]) enabledPoint(name, env);
}

/** Resolves when the signal aborts (at once if it has); never without one: a held job waits for its stop or the kill. */
export function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) =>
    signal?.aborted ? resolve() : signal?.addEventListener('abort', () => resolve(), { once: true }),
  );
}

/**
 * Holds until the process gets SIGUSR2 (a site agent's faults: the test releases it). The listener is in place
 * before `announce` runs, so a test that signals as soon as it reads the announcement is never missed.
 */
export function untilSigusr2(announce: () => void): Promise<void> {
  const released = new Promise<void>((resolve) => process.once('SIGUSR2', () => resolve()));
  announce();
  return released;
}
