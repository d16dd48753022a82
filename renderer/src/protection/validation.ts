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

export function durationProblem(
  text: string,
  opts: { zero?: boolean; atLeast?: number; what: string },
): string | undefined {
  const s = durationSeconds(text);
  if (s === null) return `Give a number with a unit, e.g. 30s, 15m, 24h${opts.zero ? ', or 0 for none' : ''}.`;
  if (s === 0 && !opts.zero) return `The ${opts.what} cannot be 0.`;
  if (opts.atLeast !== undefined && s !== 0 && s < opts.atLeast)
    return `The ${opts.what} must be at least the replication frequency.`;
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

/** An agent's address as `lifeboat agent serve` prints it: https://HOST:PORT (sites/agent-pairing.ts parses it). */
export function agentAddressProblem(raw: string): string | undefined {
  const text = raw.trim();
  if (!text) return 'Enter the address the agent printed, e.g. https://10.0.0.5:8443.';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not an address: write https://HOST:PORT.`;
  }
  if (url.protocol !== 'https:' || !url.port) return 'Write https://HOST:PORT, with the port the agent listens on.';
  return undefined;
}

/** A pairing key has 24 letters and digits, written in groups of six (sites/agent-protocol.ts has the alphabet). */
export function pairingKeyProblem(raw: string): string | undefined {
  const compact = raw.replace(/[\s-]/g, '');
  if (!compact) return 'Enter the pairing key the agent printed.';
  if (compact.length !== 24) return `A pairing key has 24 letters and digits (this one has ${compact.length}).`;
  return undefined;
}

/** The form field an engine refusal names: "--resync-window: …" → resyncWindow, "name: …" → name; null if none of `fields`. */
export function flagField<F extends string>(message: string, fields: readonly F[]): F | null {
  const m = /^(?:--)?([a-z][a-z-]*):\s/i.exec(message);
  const field = m ? m[1].replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) : null;
  return field && (fields as readonly string[]).includes(field) ? (field as F) : null;
}

/** A refusal's message as shown under its field: without the flag it starts with, capitalized. */
export function withoutFlag(message: string): string {
  const rest = message.replace(/^(?:--)?[a-z][a-z-]*:\s+/i, '');
  return rest.charAt(0).toUpperCase() + rest.slice(1);
}
