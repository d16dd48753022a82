/** Console history, shared by every console tab and kept across restarts in localStorage. */

const KEY = 'lifeboat.console.history';
const MAX = 1000;

export function readHistory(): string[] {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

export function addToHistory(line: string): void {
  const entry = line.trim();
  if (!entry) return;
  const entries = readHistory();
  if (entries.at(-1) === entry) return;
  entries.push(entry);
  try {
    localStorage.setItem(KEY, JSON.stringify(entries.slice(-MAX)));
  } catch {
    // Storage full or disabled: history just is not kept.
  }
}

/** Newest entry at or before `from` that contains `query`, for Ctrl+R. */
export function searchBackward(entries: string[], query: string, from: number): number {
  for (let i = Math.min(from, entries.length - 1); i >= 0; i--) if (entries[i].includes(query)) return i;
  return -1;
}
