/** How sizes and durations read everywhere: job messages, the CLI and console, and the UI. */
import { LifeboatError } from './errors';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${UNITS[u]}`;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${String(m % 60).padStart(2, '0')}m`;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  byte: 1,
  bytes: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  pb: 1e15,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  pib: 2 ** 50,
};

/**
 * Parses a size as people type it: "500GiB", "2 TB", "1.5GiB" or a byte count ("1048576"). Binary (KiB, MiB …) and
 * decimal (KB, MB …) units, any case. Throws invalid_input naming `field` for anything else, zero or less.
 */
export function parseSize(text: string, field = 'size'): number {
  const hint =
    'Write a number with a unit, e.g. 500GiB, 2 TB or 1.5GiB (KiB/MiB/GiB/TiB are powers of 1024; KB/MB/GB/TB of 1000), or a byte count.';
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) throw new LifeboatError('invalid_input', `${field}: "${text}" is not a size.`, hint);
  const unit = m[2].toLowerCase();
  const factor = unit === '' ? 1 : Object.hasOwn(SIZE_UNITS, unit) ? SIZE_UNITS[unit] : undefined;
  if (factor === undefined)
    throw new LifeboatError('invalid_input', `${field}: "${m[2]}" in "${text}" is not a size unit.`, hint);
  const bytes = Math.round(Number(m[1]) * factor);
  if (!(bytes > 0))
    throw new LifeboatError('invalid_input', `${field}: the size must be more than 0 bytes (got "${text}").`, hint);
  if (!Number.isSafeInteger(bytes)) throw new LifeboatError('invalid_input', `${field}: "${text}" is too large.`, hint);
  return bytes;
}
