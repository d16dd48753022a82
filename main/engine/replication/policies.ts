/**
 * Replication policies: how often an item replicates (30 s, 5 min or 15 min, as Site Recovery offers), the RPO
 * threshold above which its health turns Warning, how long recovery points are kept, and how often a point is made
 * app-consistent. The fixed `failback` policy (seed 004) is made on first use and cannot be edited.
 */
import { LifeboatError } from '../../shared/errors';
import { newId } from '../keys';
import type { PolicyRow, ReplicationStore } from './store';

export const FREQUENCIES = [30, 300, 900] as const;
export const FAILBACK_POLICY = 'failback';
export const DEFAULTS = { frequency: 300, rpoThreshold: 900, retention: 86_400, appConsistent: 3_600 };

export interface Policy {
  name: string;
  frequencySeconds: number;
  rpoThresholdSeconds: number;
  retentionSeconds: number;
  appConsistentSeconds: number;
  builtin: boolean;
  items: string[];
}

const UNITS: Record<string, number> = { s: 1, sec: 1, m: 60, min: 60, h: 3600, d: 86_400 };

/** "30s", "5m", "5min", "24h", "1d" or plain seconds; `field` names the flag in the error. */
export function parseDuration(text: string, field: string, opts: { zero?: boolean } = {}): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$/i.exec(text);
  const seconds = m ? Math.round(Number(m[1]) * UNITS[(m[2] ?? 's').toLowerCase()]) : NaN;
  if (!Number.isFinite(seconds) || (seconds === 0 && !opts.zero))
    throw new LifeboatError(
      'invalid_input',
      `--${field}: "${text}" is not a duration.`,
      `Give a number with a unit, e.g. 30s, 15m, 24h${opts.zero ? ', or 0 for none' : ''}.`,
    );
  return seconds;
}

export function describeSeconds(s: number): string {
  if (s === 0) return 'none';
  if (s % 3600 === 0) return `${s / 3600} h`;
  if (s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}

export function parseFrequency(text: string): number {
  const list = FREQUENCIES.map(describeSeconds).join(', ');
  let seconds: number;
  try {
    seconds = parseDuration(text, 'frequency');
  } catch {
    seconds = NaN;
  }
  if (!(FREQUENCIES as readonly number[]).includes(seconds))
    throw new LifeboatError(
      'invalid_input',
      `--frequency: "${text}" is not a replication frequency; choose ${list}.`,
      'Give 30s, 5m or 15m.',
    );
  return seconds;
}

export interface PolicyInput {
  name: string;
  frequency?: string;
  rpoThreshold?: string;
  retention?: string;
  appConsistent?: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$/;

export class PolicyManager {
  constructor(private readonly store: ReplicationStore) {}

  /** The failback policy, made the first time anything asks for a policy. */
  ensureFailback(): void {
    this.store.insertPolicy({
      id: 'policy-failback',
      name: FAILBACK_POLICY,
      frequency_seconds: 300,
      rpo_threshold_seconds: 900,
      retention_seconds: 86_400,
      app_consistent_seconds: 3_600,
      builtin: 1,
      created_at: new Date().toISOString(),
    });
  }

  toPolicy(row: PolicyRow): Policy {
    return {
      name: row.name,
      frequencySeconds: row.frequency_seconds,
      rpoThresholdSeconds: row.rpo_threshold_seconds,
      retentionSeconds: row.retention_seconds,
      appConsistentSeconds: row.app_consistent_seconds,
      builtin: row.builtin === 1,
      items: this.store.itemsUsingPolicy(row.id),
    };
  }

  private fields(input: PolicyInput, base: Omit<PolicyRow, 'id' | 'name' | 'builtin' | 'created_at'>) {
    const row = {
      frequency_seconds: base.frequency_seconds,
      rpo_threshold_seconds: base.rpo_threshold_seconds,
      retention_seconds: base.retention_seconds,
      app_consistent_seconds: base.app_consistent_seconds,
    };
    if (input.frequency !== undefined) row.frequency_seconds = parseFrequency(input.frequency);
    if (input.rpoThreshold !== undefined)
      row.rpo_threshold_seconds = parseDuration(input.rpoThreshold, 'rpo-threshold');
    if (input.retention !== undefined) row.retention_seconds = parseDuration(input.retention, 'retention');
    if (input.appConsistent !== undefined)
      row.app_consistent_seconds = parseDuration(input.appConsistent, 'app-consistent', { zero: true });
    if (row.rpo_threshold_seconds < row.frequency_seconds)
      throw new LifeboatError(
        'invalid_input',
        `--rpo-threshold: ${describeSeconds(row.rpo_threshold_seconds)} is shorter than the frequency (${describeSeconds(row.frequency_seconds)}).`,
        'Give a threshold of at least the frequency.',
      );
    if (row.retention_seconds < row.frequency_seconds)
      throw new LifeboatError(
        'invalid_input',
        `--retention: ${describeSeconds(row.retention_seconds)} keeps no point between two cycles.`,
        'Give a retention of at least the frequency, e.g. 24h.',
      );
    return row;
  }

  create(input: PolicyInput): Policy {
    this.ensureFailback();
    const name = input.name.trim();
    if (!NAME.test(name))
      throw new LifeboatError(
        'invalid_input',
        `NAME: "${name}" is not a policy name.`,
        'Use 1-50 letters, digits, dots, hyphens and underscores.',
      );
    if (this.store.policyByName(name))
      throw new LifeboatError(
        'already_exists',
        `There is already a policy named ${name}.`,
        `Change it with \`lifeboat policy edit ${name}\`, or choose another name.`,
      );
    const fields = this.fields(input, {
      frequency_seconds: DEFAULTS.frequency,
      rpo_threshold_seconds: DEFAULTS.rpoThreshold,
      retention_seconds: DEFAULTS.retention,
      app_consistent_seconds: DEFAULTS.appConsistent,
    });
    const row: PolicyRow = { id: newId('policy'), name, builtin: 0, created_at: new Date().toISOString(), ...fields };
    this.store.insertPolicy(row);
    return this.toPolicy(row);
  }

  list(): Policy[] {
    this.ensureFailback();
    return this.store.policies().map((r) => this.toPolicy(r));
  }

  show(name: string): Policy {
    this.ensureFailback();
    return this.toPolicy(this.store.requirePolicy(name));
  }

  edit(input: PolicyInput): Policy {
    this.ensureFailback();
    const row = this.store.requirePolicy(input.name);
    if (row.builtin)
      throw new LifeboatError(
        'not_allowed',
        `The ${row.name} policy is fixed (RPO threshold 15 min, retention 24 h, app-consistent 60 min) and cannot be edited.`,
        'Create a policy of your own with `lifeboat policy create NAME`.',
      );
    const fields = this.fields(input, row);
    this.store.updatePolicy(row.id, fields);
    return this.toPolicy(this.store.policy(row.id));
  }

  require(name: string): PolicyRow {
    this.ensureFailback();
    return this.store.requirePolicy(name);
  }
}
