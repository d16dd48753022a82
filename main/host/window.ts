/** The one Lifeboat window: sandboxed, isolated, no Node, the preload as its only bridge, loaded from app://. */
import { BrowserWindow, nativeTheme } from 'electron';
import { APP_ENTRY } from './policy';

export interface WindowOptions {
  preload: string;
  /** DevTools only in development (an unpackaged app). */
  dev: boolean;
}

export function createMainWindow(opts: WindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 880,
    minHeight: 560,
    show: false,
    title: 'Lifeboat',
    // Matches the theme the renderer will pick from the OS, so there is no white flash in dark mode.
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#1f1f1f' : '#ffffff',
    webPreferences: {
      preload: opts.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      // The spellchecker would download dictionaries; the app makes no network requests.
      spellcheck: false,
      devTools: opts.dev,
    },
  });
  let shown = false;
  const show = () => {
    if (shown || win.isDestroyed()) return;
    shown = true;
    win.show();
  };
  win.once('ready-to-show', show);
  win.webContents.once('did-fail-load', show);
  void win.loadURL(APP_ENTRY).catch(() => show());
  return win;
}

export function focusWindow(win: BrowserWindow): void {
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}
