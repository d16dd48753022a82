/**
 * Checks the device, share and volume forms run as the user types: the engine's own rules (shared/device-rules.ts)
 * and size reader, so a rule changes in one place; when the engine still refuses, its message wins.
 */
import {
  checkChap,
  checkDeviceName,
  checkDomain,
  checkIqn,
  checkItemName,
  checkTimeZone,
  problemOf,
} from '../../../main/shared/device-rules';
import { parseSize } from '../../../main/shared/units';

export function deviceNameProblem(raw: string): string | null {
  return problemOf(() => checkDeviceName(raw.trim()));
}

/** A size as the engine reads it ("10 GiB", "500GB", a byte count); the message says how to write one. */
export function sizeProblem(raw: string, what = 'size'): string | null {
  if (!raw.trim()) return `Enter the ${what}, e.g. 10 GiB.`;
  const problem = problemOf(() => parseSize(raw, what));
  return problem && `${problem} Write e.g. 10 GiB or 500 MB.`;
}

export const sizeBytes = (raw: string): number | null => {
  try {
    return parseSize(raw);
  } catch {
    return null;
  }
};

/** The domain is optional: empty is no problem. */
export function fqdnProblem(raw: string): string | null {
  return raw.trim() ? problemOf(() => checkDomain(raw)) : null;
}

export function timeZoneProblem(raw: string): string | null {
  return raw.trim() ? problemOf(() => checkTimeZone(raw.trim())) : 'Choose a time zone.';
}

/** Share and volume names become a folder or file name and what hosts see (Windows rules). */
export function itemNameProblem(raw: string, kind: 'share' | 'volume'): string | null {
  return problemOf(() => checkItemName(raw.trim(), kind));
}

/** iSCSI initiator names: iqn.YYYY-MM.reverse.domain[:name] or eui. and 16 hex digits, at most 220 characters. */
export function iqnProblem(raw: string): string | null {
  return raw.trim() ? problemOf(() => checkIqn(raw)) : 'Enter the initiator name (IQN).';
}

export function chapSecretProblem(secret: string): string | null {
  return problemOf(() => checkChap('user', secret));
}

/** The field of a form that shows the refusal (ErrorInfo.field), if the form has it; otherwise the refusal is shown above the form. */
export function shownField(error: { field?: string } | null, fields: string[]): string | null {
  const field = error?.field ?? null;
  return field && fields.includes(field) ? field : null;
}
