/**
 * The subset of Electron's API that main/host and preload use, declared so that `tsc` checks them on a clean clone
 * where the optional `electron` package (and its electron.d.ts) is absent. The signatures match Electron 39's
 * own electron.d.ts, narrowed to what we call. When the real package is installed, its declarations of 'electron'
 * merge with these; the duplicates are only reported in .d.ts files, which tsconfig's skipLibCheck leaves unchecked.
 * Using a new Electron API? Add it here exactly as electron.d.ts declares it.
 */
declare module 'electron' {
  import { EventEmitter } from 'node:events';

  type Event<Params extends object = object> = {
    preventDefault: () => void;
    readonly defaultPrevented: boolean;
  } & Params;

  interface App extends NodeJS.EventEmitter {
    on(event: 'activate', listener: (event: Event, hasVisibleWindows: boolean) => void): this;
    on(event: 'before-quit', listener: (event: Event) => void): this;
    on(
      event: 'second-instance',
      listener: (event: Event, argv: string[], workingDirectory: string, additionalData: unknown) => void,
    ): this;
    on(event: 'web-contents-created', listener: (event: Event, webContents: WebContents) => void): this;
    on(event: 'window-all-closed', listener: () => void): this;
    enableSandbox(): void;
    exit(exitCode?: number): void;
    getPath(
      name: 'home' | 'appData' | 'userData' | 'sessionData' | 'temp' | 'exe' | 'module' | 'logs' | 'crashDumps',
    ): string;
    getVersion(): string;
    quit(): void;
    requestSingleInstanceLock(additionalData?: Record<any, any>): boolean;
    setAppUserModelId(id: string): void;
    setPath(name: string, path: string): void;
    whenReady(): Promise<void>;
    readonly isPackaged: boolean;
  }

  interface WebPreferences {
    devTools?: boolean;
    nodeIntegration?: boolean;
    nodeIntegrationInWorker?: boolean;
    nodeIntegrationInSubFrames?: boolean;
    preload?: string;
    sandbox?: boolean;
    webSecurity?: boolean;
    allowRunningInsecureContent?: boolean;
    contextIsolation?: boolean;
    webviewTag?: boolean;
    navigateOnDragDrop?: boolean;
    safeDialogs?: boolean;
    spellcheck?: boolean;
  }

  interface BrowserWindowConstructorOptions {
    width?: number;
    height?: number;
    minWidth?: number;
    minHeight?: number;
    show?: boolean;
    title?: string;
    backgroundColor?: string;
    webPreferences?: WebPreferences;
  }

  class BrowserWindow extends EventEmitter {
    constructor(options?: BrowserWindowConstructorOptions);
    static getAllWindows(): BrowserWindow[];
    on(event: 'closed', listener: () => void): this;
    once(event: 'ready-to-show', listener: () => void): this;
    focus(): void;
    isDestroyed(): boolean;
    isMinimized(): boolean;
    loadURL(url: string): Promise<void>;
    restore(): void;
    show(): void;
    readonly webContents: WebContents;
  }

  interface WebFrameMain {
    readonly parent: WebFrameMain | null;
    readonly url: string;
  }

  interface HandlerDetails {
    url: string;
    frameName: string;
    features: string;
  }

  interface WindowOpenHandlerResponse {
    action: 'allow' | 'deny';
  }

  interface WebContentsWillFrameNavigateEventParams {
    url: string;
    isSameDocument: boolean;
    isMainFrame: boolean;
    frame: WebFrameMain | null;
  }

  interface WebContentsWillRedirectEventParams {
    url: string;
    isSameDocument: boolean;
    isMainFrame: boolean;
  }

  interface WebContents extends NodeJS.EventEmitter {
    on(
      event: 'did-navigate',
      listener: (event: Event, url: string, httpResponseCode: number, httpStatusText: string) => void,
    ): this;
    on(
      event: 'will-attach-webview',
      listener: (event: Event, webPreferences: WebPreferences, params: Record<string, string>) => void,
    ): this;
    on(event: 'will-frame-navigate', listener: (details: Event<WebContentsWillFrameNavigateEventParams>) => void): this;
    on(event: 'will-redirect', listener: (details: Event<WebContentsWillRedirectEventParams>) => void): this;
    once(event: 'destroyed', listener: () => void): this;
    once(
      event: 'did-fail-load',
      listener: (
        event: Event,
        errorCode: number,
        errorDescription: string,
        validatedURL: string,
        isMainFrame: boolean,
      ) => void,
    ): this;
    isDestroyed(): boolean;
    send(channel: string, ...args: any[]): void;
    setWindowOpenHandler(handler: (details: HandlerDetails) => WindowOpenHandlerResponse): void;
    readonly id: number;
    readonly mainFrame: WebFrameMain;
  }

  interface IpcMainInvokeEvent {
    frameId: number;
    processId: number;
    sender: WebContents;
    readonly senderFrame: WebFrameMain | null;
  }

  interface IpcMain extends NodeJS.EventEmitter {
    handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: any[]) => Promise<any> | any): void;
    removeHandler(channel: string): void;
  }

  interface IpcRendererEvent {
    sender: IpcRenderer;
    senderId: number;
    ports: MessagePort[];
  }

  interface IpcRenderer extends NodeJS.EventEmitter {
    invoke(channel: string, ...args: any[]): Promise<any>;
    on(channel: string, listener: (event: IpcRendererEvent, ...args: any[]) => void): this;
    removeListener(channel: string, listener: (...args: any[]) => void): this;
  }

  interface ContextBridge {
    exposeInMainWorld(apiKey: string, api: any): void;
  }

  interface Privileges {
    standard?: boolean;
    secure?: boolean;
    bypassCSP?: boolean;
    allowServiceWorkers?: boolean;
    supportFetchAPI?: boolean;
    corsEnabled?: boolean;
    stream?: boolean;
    codeCache?: boolean;
  }

  interface CustomScheme {
    scheme: string;
    privileges?: Privileges;
  }

  interface Protocol {
    handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void;
    registerSchemesAsPrivileged(customSchemes: CustomScheme[]): void;
  }

  interface PermissionRequest {
    isMainFrame: boolean;
    requestingUrl: string;
  }

  interface WebRequestFilter {
    urls: string[];
  }

  interface CallbackResponse {
    cancel?: boolean;
    redirectURL?: string;
  }

  interface OnBeforeRequestListenerDetails {
    id: number;
    url: string;
    method: string;
  }

  interface WebRequest {
    onBeforeRequest(
      filter: WebRequestFilter,
      listener:
        ((details: OnBeforeRequestListenerDetails, callback: (response: CallbackResponse) => void) => void) | null,
    ): void;
  }

  type PermissionName =
    | 'clipboard-read'
    | 'clipboard-sanitized-write'
    | 'fullscreen'
    | 'geolocation'
    | 'media'
    | 'notifications'
    | 'openExternal'
    | 'unknown'
    | (string & {});

  interface Session extends NodeJS.EventEmitter {
    setDevicePermissionHandler(handler: ((details: unknown) => boolean) | null): void;
    setPermissionCheckHandler(
      handler:
        | ((
            webContents: WebContents | null,
            permission: PermissionName,
            requestingOrigin: string,
            details: unknown,
          ) => boolean)
        | null,
    ): void;
    setPermissionRequestHandler(
      handler:
        | ((
            webContents: WebContents,
            permission: PermissionName,
            callback: (permissionGranted: boolean) => void,
            details: PermissionRequest,
          ) => void)
        | null,
    ): void;
    readonly protocol: Protocol;
    readonly webRequest: WebRequest;
  }

  interface SessionModule {
    readonly defaultSession: Session;
  }

  interface MenuItemConstructorOptions {
    click?: () => void;
    role?:
      | 'undo'
      | 'redo'
      | 'cut'
      | 'copy'
      | 'paste'
      | 'selectAll'
      | 'reload'
      | 'forceReload'
      | 'toggleDevTools'
      | 'resetZoom'
      | 'zoomIn'
      | 'zoomOut'
      | 'togglefullscreen'
      | 'close'
      | 'quit'
      | 'appMenu'
      | 'editMenu'
      | 'viewMenu'
      | 'windowMenu'
      | 'help'
      | 'about';
    type?: 'normal' | 'separator' | 'submenu' | 'checkbox' | 'radio';
    label?: string;
    accelerator?: string;
    enabled?: boolean;
    visible?: boolean;
    submenu?: MenuItemConstructorOptions[];
  }

  class Menu extends EventEmitter {
    static buildFromTemplate(template: MenuItemConstructorOptions[]): Menu;
    static setApplicationMenu(menu: Menu | null): void;
  }

  interface MessageBoxOptions {
    message: string;
    type?: 'none' | 'info' | 'error' | 'question' | 'warning';
    buttons?: string[];
    title?: string;
    detail?: string;
  }

  interface MessageBoxReturnValue {
    response: number;
    checkboxChecked: boolean;
  }

  interface Dialog {
    showErrorBox(title: string, content: string): void;
    showMessageBox(window: BrowserWindow, options: MessageBoxOptions): Promise<MessageBoxReturnValue>;
    showMessageBox(options: MessageBoxOptions): Promise<MessageBoxReturnValue>;
  }

  interface Shell {
    openExternal(url: string): Promise<void>;
    openPath(path: string): Promise<string>;
  }

  interface SafeStorage {
    decryptString(encrypted: Buffer): string;
    encryptString(plainText: string): Buffer;
    getSelectedStorageBackend(): 'basic_text' | 'gnome_libsecret' | 'kwallet' | 'kwallet5' | 'kwallet6' | 'unknown';
    isEncryptionAvailable(): boolean;
  }

  interface NativeTheme {
    readonly shouldUseDarkColors: boolean;
  }

  const app: App;
  const contextBridge: ContextBridge;
  const dialog: Dialog;
  const ipcMain: IpcMain;
  const ipcRenderer: IpcRenderer;
  const nativeTheme: NativeTheme;
  const protocol: Protocol;
  const safeStorage: SafeStorage;
  const session: SessionModule;
  const shell: Shell;
}
