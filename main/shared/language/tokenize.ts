/** Splits a command line into words, shell style: 'single' and "double" quotes, backslash escapes, # comments. */
export class TokenizeError extends Error {}

export interface Token {
  text: string;
  start: number;
  end: number;
}

export function tokenize(line: string, opts: { partial?: boolean } = {}): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length) break;
    if (line[i] === '#') break;
    const start = i;
    let text = '';
    let quote: '"' | "'" | null = null;
    while (i < line.length) {
      const ch = line[i];
      if (quote === "'") {
        if (ch === "'") quote = null;
        else text += ch;
        i++;
      } else if (quote === '"') {
        if (ch === '"') quote = null;
        else if (ch === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) {
          text += line[i + 1];
          i++;
        } else text += ch;
        i++;
      } else if (ch === "'" || ch === '"') {
        quote = ch;
        i++;
      } else if (ch === '\\') {
        if (i + 1 < line.length) text += line[i + 1];
        i += 2;
      } else if (/\s/.test(ch)) break;
      else {
        text += ch;
        i++;
      }
    }
    if (quote && !opts.partial)
      throw new TokenizeError(`The quote ${quote} opened at column ${start + 1} is never closed.`);
    tokens.push({ text, start, end: i });
  }
  return tokens;
}

/** Quotes a word so that tokenize() reads it back unchanged (used by completion). */
export function quoteWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
