/**
 * One console tab: an xterm.js terminal running the Lifeboat command language (never a system shell). It owns the
 * line editing, history, Ctrl+R search, completion and Ctrl+C, and gives the language a CommandIO over the API bridge.
 */
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { SerializeAddon } from '@xterm/addon-serialize';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Terminal, type ITheme } from '@xterm/xterm';
import { complete, run } from '../../../main/shared/language/run';
import type { CommandIO } from '../../../main/shared/language/io';
import { getBridge } from '../api/client';
import { inColumns, tabAction } from './completion';
import { addToHistory, loadHistory, readHistory, searchBackward } from './history';
import { parseKeys, type Key } from './keys';
import { LineEditor } from './line-editor';

const PROMPT = '\x1b[1;34mlifeboat>\x1b[0m ';
const red = (s: string) => `\x1b[31m${s}\x1b[39m`;

type Mode =
  | { kind: 'idle' }
  | { kind: 'running'; abort: AbortController }
  | { kind: 'prompting'; abort: AbortController; answer(text: string | null): void }
  | { kind: 'searching'; query: string; match: number; original: string };

export class ConsoleSession {
  readonly terminal: Terminal;
  readonly search = new SearchAddon();
  private readonly fit = new FitAddon();
  private readonly serializer = new SerializeAddon();
  private readonly host = document.createElement('div');
  private readonly editor: LineEditor;
  private mode: Mode = { kind: 'idle' };
  private history: string[] = [];
  private historyIndex = 0;
  private draft = '';
  /** Lines typed ahead or pasted together wait here and run one after another; a last partial line is only typed. */
  private queued: { line: string; run: boolean }[] = [];
  private opened = false;
  private atLineStart = true;

  constructor(
    theme: ITheme,
    fontFamily: string,
    private readonly restored = '',
  ) {
    this.terminal = new Terminal({ theme, fontFamily, fontSize: 14, cursorBlink: true, scrollback: 5000 });
    for (const addon of [
      this.fit,
      this.search,
      this.serializer,
      new WebLinksAddon((_e, uri) => window.open(uri, '_blank', 'noopener')),
    ])
      this.terminal.loadAddon(addon);
    this.host.style.height = '100%';
    this.editor = new LineEditor(
      (s) => this.terminal.write(s),
      () => this.terminal.cols,
    );
    this.terminal.onData((data) => this.onKeys(parseKeys(data)));
    this.terminal.attachCustomKeyEventHandler((e) => this.onBrowserKey(e));
  }

  /** Puts the terminal in `container` (opening it the first time; later moves keep its scrollback). */
  attach(container: HTMLElement): void {
    if (this.host.parentElement !== container) container.append(this.host);
    if (!this.opened) {
      this.opened = true;
      this.terminal.open(this.host);
      this.fitNow();
      if (this.restored) this.terminal.write(this.restored.replace(/\n/g, '\r\n') + '\r\n');
      else
        this.terminal.write(
          'Lifeboat console: the same commands as the \x1b[1mlifeboat\x1b[0m CLI. Type \x1b[1mhelp\x1b[0m to list them; Tab completes.\r\n',
        );
      this.showPrompt();
    }
  }

  fitNow(): void {
    if (this.host.offsetWidth > 0 && this.host.offsetHeight > 0) this.fit.fit();
  }

  focus(): void {
    this.terminal.focus();
  }

  setTheme(theme: ITheme, fontFamily: string): void {
    this.terminal.options.theme = theme;
    this.terminal.options.fontFamily = fontFamily;
  }

  /** The screen and scrollback as text, without colours (to keep across a reload). */
  transcript(): string {
    return this.serializer
      .serialize({ scrollback: 1000, excludeModes: true, excludeAltBuffer: true })
      .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
      .replace(/\r/g, '');
  }

  dispose(): void {
    if (this.mode.kind === 'running' || this.mode.kind === 'prompting') this.mode.abort.abort();
    this.terminal.dispose();
    this.host.remove();
  }

  /** Output that arrives while a question waits for its answer is held back, so it cannot overwrite the question. */
  private heldOutput: string[] = [];

  private write = (text: string) => {
    if (!text) return;
    if (this.mode.kind === 'prompting') {
      this.heldOutput.push(text);
      return;
    }
    this.terminal.write(text.replace(/\r?\n/g, '\r\n'));
    this.atLineStart = text.endsWith('\n');
  };

  /** Copy and paste the desktop way; everything else goes to the terminal. */
  private onBrowserKey(e: KeyboardEvent): boolean {
    if (e.type !== 'keydown') return true;
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.toLowerCase();
    if (mod && key === 'c' && (e.shiftKey || e.metaKey || this.terminal.hasSelection())) {
      if (this.terminal.hasSelection())
        void navigator.clipboard?.writeText(this.terminal.getSelection()).catch(() => undefined);
      return false;
    }
    // Shift+Tab moves the keyboard out of the terminal, so Tab (completion) is no trap.
    if (e.key === 'Tab' && e.shiftKey) return false;
    // xterm sends Tab to the line but lets the browser move focus too; completion keeps it here.
    if (e.key === 'Tab') e.preventDefault();
    // Let the browser paste; xterm turns the paste event into input.
    if (mod && key === 'v') return false;
    return true;
  }

  private io(abort: AbortController | null): CommandIO {
    const bridge = getBridge();
    const terminal = this.terminal;
    return {
      // A call made after Ctrl+C (e.g. the cancel the user just confirmed) must still go through.
      call: (name, input) =>
        bridge.call(name, input, { signal: abort && !abort.signal.aborted ? abort.signal : undefined }),
      onEvent: (listener) => bridge.onEvent(listener),
      write: this.write,
      interactive: true,
      get columns() {
        return terminal.cols;
      },
      prompt: (question) => this.ask(question),
      signal: abort?.signal,
    };
  }

  private ask(question: string): Promise<string | null> {
    if (this.mode.kind !== 'running') return Promise.resolve(null);
    const abort = this.mode.abort;
    const lines = question.split('\n');
    if (!this.atLineStart) this.terminal.write('\r\n');
    if (lines.length > 1) this.write(lines.slice(0, -1).join('\n') + '\n');
    return new Promise((resolve) => {
      this.mode = {
        kind: 'prompting',
        abort,
        answer: (text) => {
          this.mode = { kind: 'running', abort };
          this.atLineStart = true;
          // In-place redraws (a progress line) are stale by now; whole lines are kept.
          for (const held of this.heldOutput.splice(0))
            if (held.includes('\n') || !held.startsWith('\r')) this.write(held);
          resolve(text);
        },
      };
      this.editor.start(lines.at(-1) ?? '');
    });
  }

  private async execute(line: string): Promise<void> {
    addToHistory(line);
    const abort = new AbortController();
    this.mode = { kind: 'running', abort };
    this.atLineStart = true;
    try {
      await run(line, this.io(abort));
    } catch (err) {
      this.write(red(`The console failed to run the command: ${(err as Error).message}\n`));
    }
    if (!this.atLineStart) this.terminal.write('\r\n');
    this.mode = { kind: 'idle' };
    this.showPrompt();
  }

  private showPrompt(): void {
    void loadHistory();
    this.history = readHistory();
    this.historyIndex = this.history.length;
    this.draft = '';
    this.editor.start(PROMPT);
    const next = this.queued.shift();
    if (next) {
      this.editor.set(next.line);
      if (next.run) this.submit();
    }
  }

  private submit(): void {
    const line = this.editor.text;
    this.editor.finish();
    if (line.trim()) void this.execute(line);
    else this.showPrompt();
  }

  private onKeys(keys: Key[]): void {
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const mode = this.mode;
      if (mode.kind === 'running') {
        if (key.kind === 'interrupt' && !mode.abort.signal.aborted) {
          this.terminal.write('^C');
          this.atLineStart = false;
          mode.abort.abort();
        } else if (key.kind === 'text' || key.kind === 'enter') {
          // Type-ahead (or pasted lines) runs after the command, as in a shell.
          this.queueTypeahead(keys.slice(i));
          return;
        }
      } else if (mode.kind === 'prompting') {
        if (key.kind === 'interrupt') {
          this.terminal.write('^C\r\n');
          mode.answer(null);
        } else if (key.kind === 'enter') {
          const text = this.editor.text;
          this.editor.finish();
          mode.answer(text);
        } else this.edit(key);
      } else if (mode.kind === 'searching') {
        this.onSearchKey(key, mode);
      } else if (key.kind === 'enter') {
        // Whatever follows a line break in a paste waits for that command.
        this.queueTypeahead(keys.slice(i + 1));
        this.submit();
        return;
      } else {
        this.onIdleKey(key);
      }
    }
  }

  private queueTypeahead(keys: Key[]): void {
    for (const k of keys) {
      const last = this.queued.at(-1);
      const open = last && !last.run ? last : null;
      if (k.kind === 'text') {
        if (open) open.line += k.text;
        else this.queued.push({ line: k.text, run: false });
      } else if (k.kind === 'enter') {
        if (open) open.run = true;
        else this.queued.push({ line: '', run: true });
      } else if (k.kind === 'backspace' && open) open.line = open.line.slice(0, -1);
    }
  }

  private onIdleKey(key: Key): void {
    switch (key.kind) {
      case 'enter':
        this.submit();
        return;
      case 'interrupt':
        this.editor.move(this.editor.text.length);
        this.terminal.write('^C\r\n');
        this.queued = [];
        this.showPrompt();
        return;
      case 'clear':
        this.terminal.clear();
        this.terminal.write('\x1b[H\x1b[2J');
        this.editor.redrawAtTop();
        return;
      case 'up':
      case 'down':
        // The engine's history may have arrived since the prompt was drawn.
        if (this.historyIndex === this.history.length) this.historyIndex = (this.history = readHistory()).length;
        this.browseHistory(key.kind === 'up' ? -1 : 1);
        return;
      case 'search':
        this.history = readHistory();
        this.mode = { kind: 'searching', query: '', match: -1, original: this.editor.text };
        this.drawSearch();
        return;
      case 'tab':
        void this.completeAtCursor();
        return;
      case 'eof':
        if (this.editor.text) this.editor.deleteForward();
        return;
      default:
        this.edit(key);
    }
  }

  private edit(key: Key): void {
    const e = this.editor;
    switch (key.kind) {
      case 'text':
        return e.insert(key.text);
      case 'backspace':
        return e.backspace();
      case 'delete':
        return e.deleteForward();
      case 'left':
        return e.move(e.cursor - 1);
      case 'right':
        return e.move(e.cursor + 1);
      case 'wordLeft':
        return e.move(e.wordLeft());
      case 'wordRight':
        return e.move(e.wordRight());
      case 'home':
        return e.move(0);
      case 'end':
        return e.move(e.text.length);
      case 'killToStart':
        return e.killToStart();
      case 'killToEnd':
        return e.killToEnd();
      case 'deleteWordBack':
        return e.deleteWordBack();
      default:
        return;
    }
  }

  private browseHistory(step: -1 | 1): void {
    const next = this.historyIndex + step;
    if (next < 0 || next > this.history.length) return;
    if (this.historyIndex === this.history.length) this.draft = this.editor.text;
    this.historyIndex = next;
    this.editor.set(next === this.history.length ? this.draft : this.history[next]);
  }

  private drawSearch(): void {
    if (this.mode.kind !== 'searching') return;
    const { query, match, original } = this.mode;
    const failed = query !== '' && match < 0;
    const label = `(${failed ? 'failed ' : ''}reverse-i-search)'${query}': `;
    const text = match >= 0 ? this.history[match] : original;
    const at = match >= 0 ? Math.max(0, text.indexOf(query)) : text.length;
    this.editor.prompt = label;
    this.editor.set(text, at);
  }

  private onSearchKey(key: Key, mode: Extract<Mode, { kind: 'searching' }>): void {
    const from = mode.match >= 0 ? mode.match : this.history.length - 1;
    if (key.kind === 'text' || key.kind === 'backspace') {
      const query = key.kind === 'text' ? mode.query + key.text : mode.query.slice(0, -1);
      this.mode = {
        ...mode,
        query,
        match: query ? searchBackward(this.history, query, key.kind === 'text' ? from : this.history.length - 1) : -1,
      };
      this.drawSearch();
    } else if (key.kind === 'search') {
      const older = mode.query ? searchBackward(this.history, mode.query, from - 1) : -1;
      if (older >= 0) this.mode = { ...mode, match: older };
      this.drawSearch();
    } else if (key.kind === 'interrupt' || key.kind === 'abortSearch') {
      this.leaveSearch(mode.original);
    } else {
      // Any other key takes the match into the line; Enter also runs it.
      this.leaveSearch(mode.match >= 0 ? this.history[mode.match] : mode.original);
      if (key.kind === 'enter') this.submit();
      else if (key.kind !== 'escape') this.onIdleKey(key);
    }
  }

  private leaveSearch(text: string): void {
    this.mode = { kind: 'idle' };
    this.editor.prompt = PROMPT;
    this.editor.set(text);
  }

  private async completeAtCursor(): Promise<void> {
    const { text, cursor } = this.editor;
    let result: { from: number; items: string[] };
    try {
      result = await complete(text, cursor, this.io(null));
    } catch {
      return;
    }
    // The user typed on while completions were looked up: they no longer apply.
    if (this.mode.kind !== 'idle' || this.editor.text !== text || this.editor.cursor !== cursor) return;
    const action = tabAction(result.items, text.slice(result.from, cursor));
    if (action.kind === 'insert') this.editor.replaceBeforeCursor(result.from, action.text);
    else if (action.kind === 'list') this.listCompletions(result.items);
  }

  private listCompletions(items: string[]): void {
    const out = inColumns(items, this.terminal.cols);
    const { text, cursor } = this.editor;
    this.editor.finish();
    this.terminal.write(out);
    this.editor.start(PROMPT, text, cursor);
  }
}
