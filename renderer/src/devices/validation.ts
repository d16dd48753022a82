/**
 * Checks the device, share and volume forms run as the user types; they mirror the engine's rules (device names,
 * sizes, IQNs, CHAP secrets), and when the engine still refuses, its message wins.
 */
import { parseSize } from '../../../main/shared/units';

export function deviceNameProblem(raw: string): string | null {
  const name = raw.trim();
  if (!name) return 'Enter a device name.';
  if (name.length > 15) return `A device name has at most 15 characters (this one has ${name.length}).`;
  const bad = [...name].find((c) => !/[A-Za-z0-9-]/.test(c));
  if (bad) return `"${bad}" is not allowed: use letters, digits and hyphens.`;
  if (/^\d+$/.test(name)) return 'A device name cannot be all digits: add a letter.';
  if (name.startsWith('-') || name.endsWith('-')) return 'A device name cannot start or end with a hyphen.';
  return null;
}

/** A size as the engine reads it ("10 GiB", "500GB", a byte count); the message says how to write one. */
export function sizeProblem(raw: string, what = 'size'): string | null {
  if (!raw.trim()) return `Enter the ${what}, e.g. 10 GiB.`;
  try {
    parseSize(raw, what);
    return null;
  } catch (e) {
    return (e as Error).message.replace(/^[^:]+:\s*/, '') + ' Write e.g. 10 GiB or 500 MB.';
  }
}

export const sizeBytes = (raw: string): number | null => {
  try {
    return parseSize(raw);
  } catch {
    return null;
  }
};

export function fqdnProblem(raw: string): string | null {
  const d = raw.trim();
  if (!d) return null;
  if (d.length > 253) return 'A domain name has at most 253 characters.';
  const labels = d.replace(/\.$/, '').split('.');
  if (labels.length < 2) return 'Give the fully qualified domain name, e.g. corp.contoso.com.';
  if (labels.some((l) => !/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l))) return 'Each part of the domain has letters, digits and inner hyphens, e.g. corp.contoso.com.';
  return null;
}

export function timeZoneProblem(raw: string): string | null {
  if (!raw.trim()) return 'Choose a time zone.';
  try {
    new Intl.DateTimeFormat('en', { timeZone: raw.trim() });
    return null;
  } catch {
    return `"${raw.trim()}" is not an IANA time zone (e.g. Europe/Amsterdam, UTC).`;
  }
}

/** Share and volume names become a folder or file name and what hosts see (Windows rules). */
export function itemNameProblem(raw: string, kind: 'share' | 'volume'): string | null {
  const name = raw.trim();
  if (!name) return `Enter a ${kind} name.`;
  if (name.length > 64) return `A ${kind} name has at most 64 characters (this one has ${name.length}).`;
  const bad = [...name].find((c) => !/[A-Za-z0-9_. -]/.test(c));
  if (bad) return `"${bad}" is not allowed in a ${kind} name: use letters, digits, hyphens, underscores, dots and spaces.`;
  if (name.endsWith('.')) return `A ${kind} name cannot end with a dot.`;
  return null;
}

const IQN = /^iqn\.\d{4}-(0[1-9]|1[0-2])\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::[^\s]+)?$/i;
const EUI = /^eui\.[0-9a-f]{16}$/i;

/** iSCSI initiator names: iqn.YYYY-MM.reverse.domain[:name] or eui. and 16 hex digits, at most 220 characters. */
export function iqnProblem(raw: string): string | null {
  const iqn = raw.trim();
  if (!iqn) return 'Enter the initiator name (IQN).';
  if (iqn.length > 220) return `An initiator name has at most 220 characters (this one has ${iqn.length}).`;
  if (IQN.test(iqn) || EUI.test(iqn)) return null;
  return `"${iqn}" is not an initiator name: write iqn.YYYY-MM.reverse.domain[:name] (e.g. iqn.1991-05.com.microsoft:host1) or eui. and 16 hex digits.`;
}

export function chapSecretProblem(secret: string): string | null {
  if (secret.length < 12 || secret.length > 16) return `A CHAP secret has 12 to 16 characters (this one has ${secret.length}).`;
  return null;
}

/** The field of a form that shows the refusal (ErrorInfo.field), if the form has it; otherwise the refusal is shown above the form. */
export function shownField(error: { field?: string } | null, fields: string[]): string | null {
  const field = error?.field ?? null;
  return field && fields.includes(field) ? field : null;
}
