/** What Tab does with the command language's candidates: complete one, extend to their common start, or list them. */

export function commonPrefix(items: string[]): string {
  return items.reduce((a, b) => {
    let n = 0;
    while (n < a.length && n < b.length && a[n] === b[n]) n++;
    return a.slice(0, n);
  });
}

/** Candidates laid out in columns across the terminal's width, one "\r\n" per row. */
export function inColumns(items: string[], columns: number): string {
  const width = Math.max(...items.map((s) => s.length)) + 2;
  const perRow = Math.max(1, Math.floor(columns / width));
  let out = '';
  for (let i = 0; i < items.length; i += perRow)
    out +=
      items
        .slice(i, i + perRow)
        .map((s) => s.padEnd(width))
        .join('')
        .trimEnd() + '\r\n';
  return out;
}

export type TabAction = { kind: 'insert'; text: string } | { kind: 'list' } | { kind: 'none' };

/** `typed` is the part of the word already at the cursor. */
export function tabAction(items: string[], typed: string): TabAction {
  if (items.length === 0) return { kind: 'none' };
  if (items.length === 1) return { kind: 'insert', text: items[0] + (items[0].endsWith('=') ? '' : ' ') };
  const common = commonPrefix(items);
  return common.length > typed.length ? { kind: 'insert', text: common } : { kind: 'list' };
}
