/**
 * The rules of device, share and volume settings, in one place: the engine enforces them and the app's forms check
 * them as the user types (problemOf). Each check throws invalid_input whose message starts with the field, says what
 * is wrong and what is allowed; secrets are never echoed.
 */
import { LifeboatError } from './errors';
import { formatBytes } from './units';

const bad = (field: string, message: string, hint?: string): never => {
  throw new LifeboatError('invalid_input', `${field}: ${message}`, hint);
};

/** What a check refuses, as a form shows it beside its field (no field name in front, first letter capital), or null. */
export function problemOf(check: () => unknown): string | null {
  try {
    check();
    return null;
  } catch (err) {
    if (!(err instanceof LifeboatError)) throw err;
    const text = err.message.replace(/^[^:"]+: /, ''); // every rule's message starts with its field
    return text.charAt(0).toUpperCase() + text.slice(1);
  }
}

/** A device name is its host name on the network: NetBIOS-safe (1-15 characters) and a valid DNS label. */
export function checkDeviceName(name: string, field = 'name'): string {
  const hint =
    'Use 1 to 15 letters, digits and hyphens, not all digits, not starting or ending with a hyphen (e.g. fs-amsterdam1).';
  if (name.length === 0) bad(field, 'give the device a name.', hint);
  if (name.length > 15) bad(field, `"${name}" has ${name.length} characters; a device name has at most 15.`, hint);
  const wrong = [...name].find((c) => !/[A-Za-z0-9-]/.test(c));
  if (wrong !== undefined)
    bad(field, `"${name}" contains "${wrong}"; a device name has only letters, digits and hyphens.`, hint);
  if (/^\d+$/.test(name))
    bad(field, `"${name}" is all digits; a device name needs at least one letter or hyphen.`, hint);
  if (name.startsWith('-') || name.endsWith('-')) bad(field, `"${name}" starts or ends with a hyphen.`, hint);
  return name;
}

/** A fully qualified domain name: at least two labels of 1-63 letters, digits and hyphens; at most 253 characters. */
export function checkDomain(domain: string, field = 'domain'): string {
  const d = domain.trim().replace(/\.$/, '');
  const hint = 'Give the fully qualified domain name the file server joins, e.g. corp.contoso.com.';
  if (d.length === 0) bad(field, 'the domain is empty.', hint);
  if (d.length > 253) bad(field, `"${d}" has ${d.length} characters; a domain name has at most 253.`, hint);
  const labels = d.split('.');
  if (labels.length < 2)
    bad(
      field,
      `"${d}" is not a fully qualified domain name: it needs at least two labels (e.g. corp.contoso.com).`,
      hint,
    );
  for (const label of labels) {
    if (label.length === 0) bad(field, `"${d}" has an empty label (two dots in a row).`, hint);
    if (label.length > 63)
      bad(field, `the label "${label.slice(0, 20)}…" of "${d}" has ${label.length} characters; at most 63.`, hint);
    if (!/^[A-Za-z0-9-]+$/.test(label))
      bad(field, `the label "${label}" of "${d}" may contain only letters, digits and hyphens.`, hint);
    if (label.startsWith('-') || label.endsWith('-'))
      bad(field, `the label "${label}" of "${d}" starts or ends with a hyphen.`, hint);
  }
  if (/^\d+$/.test(labels[labels.length - 1]))
    bad(field, `"${d}" ends in a numeric label; give a domain name, not an IP address.`, hint);
  return d;
}

export function checkTimeZone(tz: string, field = 'timeZone'): string {
  try {
    // Canonical spelling, e.g. "europe/amsterdam" → "Europe/Amsterdam".
    return new Intl.DateTimeFormat('en', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return bad(
      field,
      `"${tz}" is not a time zone.`,
      'Give an IANA time zone name, e.g. UTC, Europe/Amsterdam or America/New_York.',
    );
  }
}

const RESERVED = new Set([
  'CON',
  'PRN',
  'AUX',
  'NUL',
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => [`COM${n}`, `LPT${n}`]),
]);

/** Share and volume names: they become a folder or file name under the data root and an SMB share or iSCSI target name. */
export function checkItemName(name: string, kind: 'share' | 'volume', field = 'name'): string {
  const hint = `Use 1 to 64 letters, digits, hyphens, underscores, dots and spaces for the ${kind} name (e.g. finance-docs).`;
  if (name.length === 0) bad(field, `give the ${kind} a name.`, hint);
  if (name.length > 64)
    bad(field, `"${name.slice(0, 20)}…" has ${name.length} characters; a ${kind} name has at most 64.`, hint);
  const wrong = [...name].find((c) => !/[A-Za-z0-9_. -]/.test(c));
  if (wrong !== undefined) bad(field, `"${name}" contains "${wrong}", which a ${kind} name cannot have.`, hint);
  if (name !== name.trim()) bad(field, `"${name}" starts or ends with a space.`, hint);
  if (/^\.+$/.test(name)) bad(field, `"${name}" is not a usable ${kind} name.`, hint);
  if (name.endsWith('.')) bad(field, `"${name}" ends with a dot, which Windows hosts cannot use.`, hint);
  const base = name.split('.')[0].toUpperCase();
  if (RESERVED.has(base)) bad(field, `"${name}" is a name Windows reserves for a device (${base}).`, hint);
  return name;
}

/**
 * iSCSI qualified names per RFC 3720/3722 (iqn.YYYY-MM.reversed.domain[:name]) or EUI-64 (eui. + 16 hex digits).
 * iSCSI names compare without regard to case, so they are checked and stored in lower case.
 */
export function checkIqn(given: string, field = 'acr'): string {
  const hint =
    'An initiator name looks like iqn.1991-05.com.microsoft:host1 (iqn., year-month, the reversed domain, optionally : and a name) or eui.02004567a425678d; at most 220 characters.';
  const iqn = given.trim().toLowerCase();
  if (iqn.length > 220)
    bad(
      field,
      `the initiator name "${iqn.slice(0, 32)}…" has ${iqn.length} characters; at most 220 are allowed.`,
      hint,
    );
  if (iqn.startsWith('eui.')) {
    if (!/^eui\.[0-9a-f]{16}$/.test(iqn))
      bad(
        field,
        `"${given}" is not a valid EUI name: it needs "eui." followed by exactly 16 hexadecimal digits.`,
        hint,
      );
    return iqn;
  }
  const date = /^iqn\.(\d{4})-(\d{2})\./.exec(iqn);
  if (!date) bad(field, `"${given}" is not a valid initiator name (IQN).`, hint);
  const [, year, month] = date!;
  if (Number(month) < 1 || Number(month) > 12)
    bad(field, `"${given}" has month ${month}; the date must be YYYY-MM with a month from 01 to 12.`, hint);
  // The date is when the naming authority owned the domain: iSCSI names exist since the 1990s.
  if (Number(year) < 1990 || Number(year) > new Date().getUTCFullYear() + 1)
    bad(field, `"${given}" has the year ${year}; give the year (1990 or later) the domain was registered.`, hint);
  const rest = iqn.slice(date![0].length);
  const colon = rest.indexOf(':');
  const domain = colon < 0 ? rest : rest.slice(0, colon);
  if (
    !/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(domain) ||
    domain.split('.').some((l) => l.startsWith('-') || l.endsWith('-') || l.length > 63)
  )
    bad(field, `"${given}" has "${domain}" where the reversed domain name (e.g. com.microsoft) belongs.`, hint);
  if (colon >= 0 && !/^[a-z0-9.:-]+$/.test(rest.slice(colon + 1)))
    bad(
      field,
      `"${given}" has "${rest.slice(colon + 1)}" after the colon; the name part may contain only letters, digits, dots, hyphens and colons.`,
      hint,
    );
  return iqn;
}

export function checkAcrs(list: string[], field = 'acr'): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const given of list) {
    const iqn = checkIqn(given, field);
    if (seen.has(iqn)) bad(field, `the initiator "${given}" is listed twice.`, 'Give each initiator name once.');
    seen.add(iqn);
    out.push(iqn);
  }
  return out;
}

/** CHAP needs a user and a 12-16 character secret together; the message never repeats the secret. */
export function checkChap(
  user: string | undefined,
  secret: string | undefined,
): { user: string; secret: string } | null {
  if (user === undefined && secret === undefined) return null;
  if (user === undefined)
    bad(
      'chapUser',
      'a CHAP secret was given without a CHAP user.',
      'Give both --chap-user and --chap-secret, or neither.',
    );
  if (secret === undefined)
    bad(
      'chapSecret',
      'a CHAP user was given without a CHAP secret.',
      'Give both --chap-user and --chap-secret, or neither.',
    );
  const n = [...secret!].length;
  if (n < 12 || n > 16)
    bad(
      'chapSecret',
      `the CHAP secret must be 12 to 16 characters long; the one given has ${n}.`,
      'Choose a secret of 12 to 16 characters.',
    );
  return { user: user!, secret: secret! };
}

/**
 * The smallest capacity a device may have: room for a share's metadata and a small volume image. Below it a typo
 * (500 for 500GiB) would make a device nothing fits on.
 */
export const MIN_CAPACITY = 1024 * 1024;

export function checkCapacity(bytes: number, field = 'capacity'): number {
  if (bytes < MIN_CAPACITY)
    bad(
      field,
      `${formatBytes(bytes)} is below the smallest capacity a device can have, ${formatBytes(MIN_CAPACITY)}.`,
      'Give the capacity with its unit, e.g. 500GiB or 2TiB.',
    );
  return bytes;
}
