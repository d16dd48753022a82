/**
 * Console history, shared by every console tab. The engine keeps it (`history.list` / `history.add`), so it survives
 * restarts in every mode (web mode's origin, and so its localStorage, changes with each launch's port) and secret
 * values typed after flags are masked before they are stored. A local copy answers Up/Down and Ctrl+R at once.
 */
import { call } from '../api/client';

const MAX = 1000;
let entries: string[] = [];
let loaded: Promise<void> | null = null;

/** Fetches the history once per page load; later calls reuse the same request. */
export function loadHistory(): Promise<void> {
  loaded ??= call('history.list', { limit: MAX }).then((r) => {
    if (r.ok) entries = [...r.value, ...entries.filter((e) => !r.value.includes(e))].slice(-MAX);
  });
  return loaded;
}

export function readHistory(): string[] {
  return entries;
}

export function addToHistory(line: string): void {
  const entry = line.trim();
  if (!entry || entries.at(-1) === entry) return;
  entries = [...entries, entry].slice(-MAX);
  void call('history.add', { line: entry });
}

/** Newest entry at or before `from` that contains `query`, for Ctrl+R. */
export function searchBackward(list: string[], query: string, from: number): number {
  for (let i = Math.min(from, list.length - 1); i >= 0; i--) if (list[i].includes(query)) return i;
  return -1;
}
