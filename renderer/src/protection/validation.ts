/**
 * Checks the protection forms run before the engine sees them, mirroring its rules (replication/policies.ts:
 * durations as 30s, 15m, 24h; a frequency of 30 s, 5 min or 15 min; a threshold and a retention of at least the
 * frequency); when the engine still refuses, its message wins.
 */
const UNITS: Record<string, number> = { s: 1, sec: 1, m: 60, min: 60, h: 3600, d: 86_400 };

export const FREQUENCIES = [
  { value: '30s', seconds: 30, label: 'Every 30 seconds' },
  { value: '5m', seconds: 300, label: 'Every 5 minutes' },
  { value: '15m', seconds: 900, label: 'Every 15 minutes' },
] as const;

/** Seconds of "30s", "15m", "24h", "1d" or a plain number of seconds; null if it is none of those. */
export function durationSeconds(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$/i.exec(text);
  return m ? Math.round(Number(m[1]) * UNITS[(m[2] ?? 's').toLowerCase()]) : null;
}

export function durationProblem(text: string, opts: { zero?: boolean; atLeast?: number; what: string }): string | undefined {
  const s = durationSeconds(text);
  if (s === null) return `Give a number with a unit, e.g. 30s, 15m, 24h${opts.zero ? ', or 0 for none' : ''}.`;
  if (s === 0 && !opts.zero) return `The ${opts.what} cannot be 0.`;
  if (opts.atLeast !== undefined && s !== 0 && s < opts.atLeast) return `The ${opts.what} must be at least the replication frequency.`;
  return undefined;
}

/** Site, policy, item and group names: letters, digits, dots, hyphens and underscores, starting with a letter or digit. */
export function nameProblem(raw: string, what: string, max = 63): string | undefined {
  const name = raw.trim();
  if (!name) return `Enter a ${what} name.`;
  if (name.length > max) return `A ${what} name has at most ${max} characters (this one has ${name.length}).`;
  if (!/^[A-Za-z0-9]/.test(name)) return `A ${what} name starts with a letter or a digit.`;
  const bad = [...name].find((c) => !/[A-Za-z0-9._-]/.test(c));
  if (bad) return `"${bad}" is not allowed: use letters, digits, dots, hyphens and underscores.`;
  return undefined;
}

/** Lines of a text area as paths, empty lines dropped. */
export const pathLines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
