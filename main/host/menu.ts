/** The application menu: File (Quit), Edit (clipboard keys), View (reload and DevTools in development only), Help. */
import { Menu, dialog, shell, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import type { Engine } from '../engine/engine';

export interface MenuOptions {
  engine: Engine;
  dev: boolean;
  mainWindow: () => BrowserWindow | null;
}

function showAbout(opts: MenuOptions): void {
  const v = opts.engine.versions();
  const detail = [
    `Electron ${v.electron ?? '?'}`,
    `Chromium ${v.chrome ?? '?'}`,
    `Node ${v.node}`,
    `SQLite ${v.sqlite} (schema ${v.schema})`,
    '',
    `Data directory: ${opts.engine.dataDir}`,
  ].join('\n');
  const options = {
    type: 'info' as const,
    title: 'About Lifeboat',
    message: `Lifeboat ${v.lifeboat}`,
    detail,
    buttons: ['OK'],
  };
  const win = opts.mainWindow();
  void (win && !win.isDestroyed() ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options));
}

function openDataDirectory(opts: MenuOptions): void {
  void shell.openPath(opts.engine.dataDir).then((error) => {
    if (error)
      dialog.showErrorBox('Lifeboat', `The data directory ${opts.engine.dataDir} could not be opened: ${error}`);
  });
}

export function installMenu(opts: MenuOptions): void {
  const mac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(mac ? [{ role: 'appMenu' } as MenuItemConstructorOptions] : []),
    // On macOS Quit lives in the app menu; File then closes the window (jobs keep running until Quit).
    { label: '&File', submenu: [mac ? { role: 'close' } : { role: 'quit' }] },
    // Without an Edit menu, macOS has no Cmd+C/Cmd+V in the page (the SDEK's Copy, pasting an SDEK).
    { role: 'editMenu' },
    {
      label: '&View',
      submenu: [
        ...(opts.dev
          ? ([
              { role: 'reload' },
              { role: 'forceReload' },
              { role: 'toggleDevTools' },
              { type: 'separator' },
            ] as MenuItemConstructorOptions[])
          : []),
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    {
      label: '&Help',
      submenu: [
        { label: 'Open Data Directory', click: () => openDataDirectory(opts) },
        { type: 'separator' },
        { label: 'About Lifeboat', click: () => showAbout(opts) },
      ],
    },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
