/**
 * Splits a byte stream into newline-ended lines no longer than a bound, for the local socket's JSON lines. A line
 * past the bound is reported as soon as it passes it (not when its newline comes, which may be never) and the rest
 * of it is dropped, so a client cannot make the app hold more than the bound for one connection.
 */
export type LineItem = { line: string } | { tooLong: true };

export class LineReader {
  private parts: Buffer[] = [];
  private size = 0;
  /** Dropping the rest of a line already reported too long, up to its newline. */
  private skipping = false;

  constructor(readonly maxBytes: number) {}

  push(chunk: Buffer): LineItem[] {
    const out: LineItem[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.skipping) this.skipping = false;
      else if (this.size + piece.length > this.maxBytes) out.push({ tooLong: true });
      else out.push({ line: Buffer.concat([...this.parts, piece]).toString('utf8') });
      this.parts = [];
      this.size = 0;
    }
    const rest = chunk.subarray(start);
    if (this.skipping || rest.length === 0) return out;
    if (this.size + rest.length > this.maxBytes) {
      out.push({ tooLong: true });
      this.skipping = true;
      this.parts = [];
      this.size = 0;
    } else {
      // A copy: a slice would keep the whole chunk alive.
      this.parts.push(Buffer.from(rest));
      this.size += rest.length;
    }
    return out;
  }
}
