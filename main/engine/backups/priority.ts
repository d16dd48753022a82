/** Restore order from a heat map: "SOURCE/PATH" prefixes, hottest first; everything else after them. */
import type { RestoreItem } from '../repo/restore';

export function priorityOrder(priority: string[] | undefined): ((item: RestoreItem) => number) | undefined {
  if (!priority?.length) return undefined;
  return (item) => {
    const full = item.path ? `${item.source}/${item.path}` : item.source;
    const i = priority.findIndex((p) => full === p || full.startsWith(p.endsWith('/') ? p : `${p}/`));
    return i < 0 ? priority.length : i;
  };
}
