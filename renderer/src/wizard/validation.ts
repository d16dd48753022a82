/** Checks the wizard runs before Next; the engine validates again and its message wins when they differ. */

export function serviceNameProblem(raw: string): string | null {
  const name = raw.trim();
  if (!name) return 'Enter a service name.';
  if (name.length > 50) return `A service name has at most 50 characters (this one has ${name.length}).`;
  if (!/^[A-Za-z0-9]/.test(name)) return 'A service name starts with a letter or a digit.';
  const bad = [...name].find((c) => !/[A-Za-z0-9 ._-]/.test(c));
  if (bad) return `"${bad}" is not allowed: use letters, digits, spaces, dots, hyphens and underscores.`;
  return null;
}

/** The confirmation ignores hyphens and spaces, as the engine does. */
export const compactKey = (text: string) => text.replace(/[\s-]/g, '').toUpperCase();

export function last4Problem(raw: string): string | null {
  const n = compactKey(raw).length;
  if (n === 0) return 'Type the last 4 characters of the key.';
  if (n !== 4) return `Type exactly 4 characters (you typed ${n}); hyphens do not count.`;
  return null;
}
