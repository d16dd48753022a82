/**
 * Electron hardening: the app:// scheme that serves the renderer with its CSP, navigation and window.open denied,
 * permissions denied, no <webview>, and no network requests from any page. The rules themselves are in policy.ts.
 */
import fs from 'node:fs';
import { app, protocol, shell, type Session, type WebContents } from 'electron';
import {
  APP_SCHEME,
  appFilePath,
  contentType,
  desktopCsp,
  isAppUrl,
  isPermissionAllowed,
  isSafeExternalUrl,
  withCspMeta,
} from './policy';

/** Must run before the app is ready. A standard, secure scheme gets an origin, ES modules (CORS) and fetch. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true },
    },
  ]);
}

function openExternally(url: string): void {
  if (isSafeExternalUrl(url)) void shell.openExternal(url).catch(() => undefined);
}

/** Guards every web contents ever created (the window, DevTools, anything a bug might open). */
export function hardenAllWebContents(): void {
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      openExternally(url);
      return { action: 'deny' };
    });
    contents.on('will-frame-navigate', (event) => {
      if (isAppUrl(event.url)) return;
      event.preventDefault();
      // A plain https link clicked in the UI (e.g. documentation) opens in the user's browser instead.
      if (event.isMainFrame) openExternally(event.url);
    });
    contents.on('will-redirect', (event) => {
      if (!isAppUrl(event.url)) event.preventDefault();
    });
  });
}

/** Serves dist/renderer on app://lifeboat/ with the CSP as a header (and a <meta> in the HTML as a second layer). */
export function serveRenderer(ses: Session, rendererDir: string): void {
  const csp = desktopCsp();
  ses.protocol.handle(APP_SCHEME, async (request) => {
    const headers = {
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
    };
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return new Response('Method not allowed.', { status: 405, headers });
    const file = appFilePath(rendererDir, request.url);
    if (!file) return new Response('Not found.', { status: 404, headers });
    let body: Uint8Array<ArrayBuffer> | string;
    try {
      const bytes = await fs.promises.readFile(file);
      body = file.endsWith('.html') ? withCspMeta(bytes.toString('utf8'), csp) : new Uint8Array(bytes);
    } catch {
      const missing = file.endsWith('index.html') ? 'The renderer is not built: run `npm run build`.' : 'Not found.';
      return new Response(missing, {
        status: 404,
        headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' },
      });
    }
    return new Response(request.method === 'HEAD' ? null : body, {
      status: 200,
      headers: { ...headers, 'Content-Type': contentType(file) },
    });
  });
}

/** Denies permissions (but sanitized clipboard writes from our page), device access, and every network request. */
export function hardenSession(ses: Session): void {
  ses.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(isPermissionAllowed(permission, details.requestingUrl)),
  );
  ses.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    isPermissionAllowed(permission, requestingOrigin),
  );
  ses.setDevicePermissionHandler(() => false);
  // The renderer needs no network: the API is IPC and assets come from app://. Links go to the OS browser.
  ses.webRequest.onBeforeRequest(
    { urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] },
    (_details, callback) => callback({ cancel: true }),
  );
}
