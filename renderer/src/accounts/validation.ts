/** Checks the storage-account and backup forms run before Next; the engine checks again and its message wins. */

export function accountNameProblem(raw: string): string | null {
  const name = raw.trim();
  if (!name) return 'Enter a storage account name.';
  if (name.length > 50) return `A storage account name has at most 50 characters (this one has ${name.length}).`;
  if (!/^[A-Za-z0-9]/.test(name)) return 'A storage account name starts with a letter or a digit.';
  const bad = [...name].find((c) => !/[A-Za-z0-9._-]/.test(c));
  if (bad) return `"${bad}" is not allowed: use letters, digits, dots, hyphens and underscores.`;
  return null;
}

/** POSIX (/srv/x), Windows (C:\x) and UNC (\\host\share) paths are absolute; the engine resolves them on its side. */
export const isAbsolutePath = (p: string) => /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(p.trim());

export function absolutePathProblem(raw: string): string | null {
  const p = raw.trim();
  if (!p) return 'Enter a folder path.';
  if (!isAbsolutePath(p))
    return `Give the full path, starting with / (or a drive letter on Windows): "${p}" is relative.`;
  return null;
}

export function containerProblem(raw: string): string | null {
  const c = raw.trim();
  if (!c) return 'Enter the container name.';
  if (c.length < 3 || c.length > 63) return `A container name has 3 to 63 characters (this one has ${c.length}).`;
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]*[a-z0-9]$/.test(c))
    return 'Use lower-case letters, digits and single hyphens, starting and ending with a letter or digit.';
  return null;
}

export function httpUrlProblem(raw: string): string | null {
  try {
    const u = new URL(raw.trim());
    return u.protocol === 'http:' || u.protocol === 'https:' ? null : 'Give an http:// or https:// address.';
  } catch {
    return 'This is not a URL (e.g. https://myaccount.blob.core.windows.net).';
  }
}

export function sasUrlProblem(raw: string): string | null {
  if (!raw.trim()) return 'Paste the container SAS URL.';
  const bad = httpUrlProblem(raw);
  if (bad) return bad;
  return new URL(raw.trim()).searchParams.get('sig')
    ? null
    : 'The URL carries no SAS signature (sig=…): paste the full SAS URL.';
}
