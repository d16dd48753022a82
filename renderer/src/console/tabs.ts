/**
 * The console tabs, kept outside React so terminals and their scrollback live as long as the app does, whatever
 * page is shown. Their text is also kept in sessionStorage so a reload of the window brings the tabs back.
 */
import type { ITheme } from '@xterm/xterm';
import { ConsoleSession } from './session';

export interface ConsoleTab {
  id: number;
  title: string;
  session: ConsoleSession;
}

const STORAGE_KEY = 'lifeboat.console.tabs';

class ConsoleTabs {
  private tabs: ConsoleTab[] = [];
  private nextNumber = 1;
  private listeners = new Set<() => void>();
  private look: { theme: ITheme; font: string } | null = null;

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  list = (): ConsoleTab[] => this.tabs;

  /** Called once the theme is known: restores the tabs of before a reload, or opens the first one. */
  ensure(theme: ITheme, font: string): void {
    this.setLook(theme, font);
    if (this.tabs.length) return;
    let saved: { title: string; text: string }[] = [];
    try {
      saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? '[]') as typeof saved;
    } catch {
      saved = [];
    }
    if (saved.length) for (const s of saved) this.add(s.text, s.title);
    else this.add();
    window.addEventListener('pagehide', () => this.save());
  }

  setLook(theme: ITheme, font: string): void {
    this.look = { theme, font };
    for (const t of this.tabs) t.session.setTheme(theme, font);
  }

  add(restored = '', title?: string): ConsoleTab {
    const id = this.nextNumber++;
    const tab = {
      id,
      title: title ?? `Console ${id}`,
      session: new ConsoleSession(this.look!.theme, this.look!.font, restored),
    };
    this.tabs = [...this.tabs, tab];
    this.emit();
    return tab;
  }

  close(id: number): void {
    const tab = this.tabs.find((t) => t.id === id);
    if (!tab) return;
    tab.session.dispose();
    this.tabs = this.tabs.filter((t) => t !== tab);
    this.emit();
  }

  private save(): void {
    try {
      sessionStorage.setItem(
        STORAGE_KEY,
        JSON.stringify(this.tabs.map((t) => ({ title: t.title, text: t.session.transcript().trimEnd() }))),
      );
    } catch {
      // Too much text for sessionStorage: the tabs start empty after a reload.
    }
  }

  private emit(): void {
    for (const l of [...this.listeners]) l();
  }
}

export const consoleTabs = new ConsoleTabs();
