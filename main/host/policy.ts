/**
 * The desktop host's security and path rules as pure functions: no electron import, so unit tests run them under
 * plain Node. The Electron glue (security.ts, ipc.ts, main.ts) only wires these to Electron's hooks.
 */
import path from 'node:path';
import type { Result } from '../shared/errors';

/** The renderer is served from a privileged custom scheme, not file://, so that it has a real origin and headers. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'lifeboat';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

/** True for URLs of the bundled renderer (app://lifeboat/...), false for anything else or anything unparsable. */
export function isAppUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST && !url.username && !url.password;
  } catch {
    return false;
  }
}

/**
 * The desktop CSP. Like web mode's, minus the WebSocket (the API goes through IPC) and with no network at all:
 * everything the renderer loads is its own bundle. Griffel (Fluent UI) inserts style elements, hence the inline styles.
 */
export function desktopCsp(): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "frame-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Adds the CSP as a <meta> tag too, so the policy holds even if a Chromium version ignored a custom scheme's
 * response header. frame-ancestors is left out: it is not allowed in <meta> and would only log a warning.
 */
export function withCspMeta(html: string, csp: string): string {
  const policy = csp
    .split(';')
    .map((d) => d.trim())
    .filter((d) => d && !d.startsWith('frame-ancestors'))
    .join('; ');
  const meta = `<meta http-equiv="Content-Security-Policy" content="${policy.replace(/"/g, '&quot;')}">`;
  const head = /<head(\s[^>]*)?>/i.exec(html);
  if (!head) return meta + html;
  const at = head.index + head[0].length;
  return html.slice(0, at) + meta + html.slice(at);
}

/**
 * The file under rendererDir that an app:// URL names, or null when the URL is not ours or escapes the directory.
 * "/" is index.html; a path without an extension falls back to index.html (client-side routes).
 */
export function appFilePath(rendererDir: string, raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0')) return null;
  if (rel === '' || rel === '/' || path.posix.extname(rel) === '') rel = '/index.html';
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, `.${rel}`);
  return file.startsWith(root + path.sep) ? file : null;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentType(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Links the UI may hand to the OS browser: https only, no embedded credentials. */
export function isSafeExternalUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === 'https:' && !url.username && !url.password && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * Permissions the renderer gets: only writing sanitized text to the clipboard (the SDEK's Copy button), and only
 * for our own origin. Camera, notifications, geolocation, HID/USB/serial and the rest are denied.
 */
export function isPermissionAllowed(permission: string, requestingUrl: string): boolean {
  return permission === 'clipboard-sanitized-write' && isAppUrl(requestingUrl);
}

/**
 * An IPC call is answered only when it comes from the main window's top frame showing our renderer: not from a
 * subframe, another window, a navigated-away page or DevTools.
 */
export function isTrustedSender(sender: { fromMainWindow: boolean; isTopFrame: boolean; url: string | null }): boolean {
  return sender.fromMainWindow && sender.isTopFrame && sender.url !== null && isAppUrl(sender.url);
}

export const FORBIDDEN: Result<never> = {
  ok: false,
  error: {
    code: 'forbidden',
    message: 'This call did not come from the Lifeboat window.',
    hint: 'Only the Lifeboat window may call the engine.',
  },
};

/** `--home DIR` or `--home=DIR` from Electron's argv (which also holds the executable, the app path and Chromium switches). */
export function homeArgument(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--home') return argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[i + 1] : undefined;
    if (arg.startsWith('--home=')) return arg.slice('--home='.length) || undefined;
  }
  return undefined;
}

/** Chromium's own profile (cache, local storage, GPU cache) is kept apart from Lifeboat's files, in a subfolder. */
export function chromiumProfileDir(dataDir: string): string {
  return path.join(dataDir, 'electron');
}

/** The unpacked twin of a path inside app.asar (for files that must be real files: worker scripts, native code). */
export function unpackedPath(file: string): string {
  return file.replace(/\.asar([\\/])/, '.asar.unpacked$1');
}
