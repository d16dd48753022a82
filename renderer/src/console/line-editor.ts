/**
 * One editable input line in the terminal: a prompt, the text and a cursor, redrawn in place even when the line
 * wraps. The terminal cursor's row relative to the prompt's first row is tracked so a redraw can go back up.
 */

// Colour codes take no columns on screen.
const visibleLength = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;

export class LineEditor {
  text = '';
  cursor = 0;
  prompt = '';
  /** Rows between the prompt's first row and the terminal cursor. */
  private row = 0;

  constructor(
    private readonly out: (data: string) => void,
    private readonly columns: () => number,
  ) {}

  /** Starts a fresh line at the terminal cursor, which must be at column 0. */
  start(prompt: string, text = '', cursor = text.length): void {
    this.prompt = prompt;
    this.text = text;
    this.cursor = cursor;
    this.row = 0;
    this.redraw();
  }

  redraw(): void {
    const cols = Math.max(1, this.columns());
    const p = visibleLength(this.prompt);
    const end = p + this.text.length;
    const target = p + this.cursor;
    let s = (this.row > 0 ? `\x1b[${this.row}A` : '') + '\r\x1b[J' + this.prompt + this.text;
    // After writing a line that fills its last row exactly, the terminal cursor waits at the last column.
    let endRow = end > 0 && end % cols === 0 ? end / cols - 1 : Math.floor(end / cols);
    if (target === end && end > 0 && end % cols === 0) {
      s += '\r\n';
      endRow++;
    }
    const tRow = Math.floor(target / cols);
    const tCol = target % cols;
    s += '\r';
    if (endRow > tRow) s += `\x1b[${endRow - tRow}A`;
    if (tCol > 0) s += `\x1b[${tCol}C`;
    this.row = tRow;
    this.out(s);
  }

  /** Moves below the line so output can follow; the editor is done with it. */
  finish(): void {
    this.cursor = this.text.length;
    this.redraw();
    this.out('\r\n');
    this.row = 0;
  }

  /** Forgets the line on screen (after the screen was cleared) and draws it again at the top. */
  redrawAtTop(): void {
    this.row = 0;
    this.redraw();
  }

  set(text: string, cursor = text.length): void {
    this.text = text;
    this.cursor = Math.max(0, Math.min(cursor, text.length));
    this.redraw();
  }

  insert(chars: string): void {
    this.set(this.text.slice(0, this.cursor) + chars + this.text.slice(this.cursor), this.cursor + chars.length);
  }

  /** Replaces text[from, cursor) (the word being completed) with `word`. */
  replaceBeforeCursor(from: number, word: string): void {
    this.set(this.text.slice(0, from) + word + this.text.slice(this.cursor), from + word.length);
  }

  backspace(): void {
    if (this.cursor > 0) this.set(this.text.slice(0, this.cursor - 1) + this.text.slice(this.cursor), this.cursor - 1);
  }

  deleteForward(): void {
    if (this.cursor < this.text.length)
      this.set(this.text.slice(0, this.cursor) + this.text.slice(this.cursor + 1), this.cursor);
  }

  move(to: number): void {
    const next = Math.max(0, Math.min(to, this.text.length));
    if (next !== this.cursor) this.set(this.text, next);
  }

  wordLeft(): number {
    let i = this.cursor;
    while (i > 0 && this.text[i - 1] === ' ') i--;
    while (i > 0 && this.text[i - 1] !== ' ') i--;
    return i;
  }

  wordRight(): number {
    let i = this.cursor;
    while (i < this.text.length && this.text[i] === ' ') i++;
    while (i < this.text.length && this.text[i] !== ' ') i++;
    return i;
  }

  deleteWordBack(): void {
    const from = this.wordLeft();
    this.set(this.text.slice(0, from) + this.text.slice(this.cursor), from);
  }

  killToStart(): void {
    this.set(this.text.slice(this.cursor), 0);
  }

  killToEnd(): void {
    this.set(this.text.slice(0, this.cursor), this.cursor);
  }
}
