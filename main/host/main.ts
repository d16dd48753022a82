/**
 * Electron entry (bundled to dist/main/electron.cjs): thin glue that starts the engine runtime, opens the window and
 * connects it over IPC. Flags: --home DIR (else $LIFEBOAT_HOME, else the platform's data directory, as for the CLI).
 */
import fs from 'node:fs';
import path from 'node:path';
import { app, dialog, session, type BrowserWindow } from 'electron';
import { toErrorInfo } from '../engine/errors';
import { startRuntime, type AppRuntime } from '../server/runtime';
import { connectWindow, registerIpc } from './ipc';
import { hostKeyProtector } from './keychain';
import { installMenu } from './menu';
import { resolveDataDir } from '../engine/paths';
import { chromiumProfileDir, homeArgument, unpackedPath } from './policy';
import { hardenAllWebContents, hardenSession, registerAppScheme, serveRenderer } from './security';
import { createMainWindow, focusWindow } from './window';

const APP_ID = 'io.lifeboat.app';
const SHUTDOWN_TIMEOUT_MS = 15_000;

const dev = !app.isPackaged;
// The same data directory as web mode and the CLI, so `lifeboat` finds the running app; Electron's own userData
// (Chromium's profile) lives inside it.
const dataDir = resolveDataDir(homeArgument(process.argv));
const rendererDir = path.join(__dirname, '..', 'renderer');
const preload = path.join(__dirname, '..', 'preload', 'index.cjs');

let runtime: AppRuntime | null = null;
let win: BrowserWindow | null = null;
let closing = false;

// Before ready: Chromium's profile goes in a subfolder of the data directory, which also scopes the single-instance
// lock to the data directory (two Lifeboats on two --home directories may run side by side).
try {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 }); // before Chromium creates it with looser permissions
} catch {
  // Reported with its cause when the engine opens the directory.
}
app.setPath('userData', chromiumProfileDir(dataDir));
app.setPath('sessionData', chromiumProfileDir(dataDir));
app.enableSandbox();
registerAppScheme();
hardenAllWebContents();

function openWindow(): void {
  if (!runtime || closing) return;
  if (win && !win.isDestroyed()) return focusWindow(win);
  const created = createMainWindow({ preload, dev });
  connectWindow(runtime.engine, created);
  created.on('closed', () => {
    if (win === created) win = null;
  });
  win = created;
}

/** Shows why (the engine's message and hint) and exits non-zero, closing the engine if it had opened. */
function failToStart(err: unknown): void {
  const info = toErrorInfo(err);
  dialog.showErrorBox('Lifeboat could not start', info.hint ? `${info.message}\n\n${info.hint}` : info.message);
  const started = runtime;
  runtime = null;
  void (started ? started.close() : Promise.resolve()).catch(() => undefined).finally(() => app.exit(1));
}

async function start(): Promise<void> {
  await app.whenReady();
  if (process.platform === 'win32') app.setAppUserModelId(APP_ID);
  // Worker threads load a file path; when packaged, the worker script is unpacked from app.asar beside it.
  const worker = unpackedPath(path.join(__dirname, 'worker.cjs'));
  if (!process.env.LIFEBOAT_WORKER_SCRIPT && worker.includes('.asar.unpacked') && fs.existsSync(worker))
    process.env.LIFEBOAT_WORKER_SCRIPT = worker;
  // Fails with 'locked' when another Lifeboat holds this data directory, or 'newer_database': see failToStart.
  runtime = await startRuntime({
    dataDir,
    mode: 'electron',
    protector: hostKeyProtector(),
    hostVersions: { electron: process.versions.electron ?? null, chrome: process.versions.chrome ?? null },
  });
  hardenSession(session.defaultSession);
  serveRenderer(session.defaultSession, rendererDir);
  registerIpc(runtime.engine, () => win);
  installMenu({ engine: runtime.engine, dev, mainWindow: () => win });
  openWindow();
}

/** Closes the engine before quitting: running jobs pause at a checkpoint and resume on the next start. */
function shutdown(): void {
  if (closing || !runtime) return;
  closing = true;
  const current = runtime;
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_TIMEOUT_MS).unref());
  void Promise.race([current.close(), timeout])
    .catch((err: unknown) => console.error(`Lifeboat did not close cleanly: ${toErrorInfo(err).message}`))
    .finally(() => {
      runtime = null;
      app.quit();
    });
}

if (!app.requestSingleInstanceLock()) {
  // Another Lifeboat owns this data directory; it focuses its window (second-instance below).
  app.quit();
} else {
  app.on('second-instance', () => openWindow());
  app.on('activate', () => openWindow());
  app.on('window-all-closed', () => {
    // macOS keeps the app (and its jobs) running without windows until Quit.
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('before-quit', (event) => {
    if (!runtime) return;
    event.preventDefault();
    shutdown();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());
  start().catch(failToStart);
}
