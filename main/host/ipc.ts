/**
 * The IPC bridge: one `invoke` channel for calls and one channel for engine events, carrying the same contract as the
 * WebSocket. Calls are answered only for the main window's top frame on app://lifeboat (see policy.isTrustedSender),
 * through the entry guard that every other entry point uses too (ipc-call.ts).
 */
import { ipcMain, type BrowserWindow, type WebContents } from 'electron';
import { IPC_CALL, IPC_EVENT } from '../shared/wire';
import type { Engine } from '../engine/engine';
import { ipcCallHandler } from './ipc-call';

/** One abort scope per page: waiting calls (jobs.wait) stop when the page reloads or the window goes away. */
const scopes = new WeakMap<WebContents, AbortController>();

function scopeOf(contents: WebContents): AbortSignal {
  let scope = scopes.get(contents);
  if (!scope) {
    scope = new AbortController();
    scopes.set(contents, scope);
  }
  return scope.signal;
}

function endScope(contents: WebContents): void {
  scopes.get(contents)?.abort();
  scopes.delete(contents);
}

export function registerIpc(engine: Engine, mainWindow: () => BrowserWindow | null): () => void {
  ipcMain.handle(IPC_CALL, ipcCallHandler<WebContents>(engine, mainWindow, scopeOf));
  return () => ipcMain.removeHandler(IPC_CALL);
}

/** Forwards every engine event to the window while it lives; aborts its waiting calls when its page goes. */
export function connectWindow(engine: Engine, win: BrowserWindow): void {
  const contents = win.webContents;
  const unsubscribe = engine.bus.on((event) => {
    if (!contents.isDestroyed()) contents.send(IPC_EVENT, event);
  });
  contents.on('did-navigate', () => endScope(contents));
  contents.once('destroyed', () => {
    unsubscribe();
    endScope(contents);
  });
}
