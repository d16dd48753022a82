/**
 * The desktop host's rules (main/host/policy.ts) and the preload bundle, checked under plain Node: Electron's binary
 * is not needed. The preload is bundled with esbuild as the build does and run against a stand-in `electron`.
 */
import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { IPC_CALL, IPC_EVENT, type LifeboatBridge } from '../../main/shared/wire';
import {
  APP_ENTRY,
  FORBIDDEN,
  appFilePath,
  chromiumProfileDir,
  contentType,
  desktopCsp,
  homeArgument,
  isAppUrl,
  isPermissionAllowed,
  isSafeExternalUrl,
  isTrustedSender,
  unpackedPath,
  withCspMeta,
} from '../../main/host/policy';
import { ROOT } from '../helpers/home';

describe('desktop host policy', () => {
  it('recognises only the renderer origin app://lifeboat', () => {
    expect(isAppUrl(APP_ENTRY)).toBe(true);
    expect(isAppUrl('app://lifeboat/assets/index.js')).toBe(true);
    for (const url of [
      'app://evil/index.html',
      'app://user@lifeboat/',
      'file:///index.html',
      'https://lifeboat/',
      'http://127.0.0.1/',
      'devtools://devtools/',
      'not a url',
      '',
    ])
      expect(isAppUrl(url), url).toBe(false);
  });

  it('maps app:// URLs to files inside the renderer directory and nowhere else', () => {
    const dir = path.resolve('/srv/renderer');
    expect(appFilePath(dir, 'app://lifeboat/')).toBe(path.join(dir, 'index.html'));
    expect(appFilePath(dir, 'app://lifeboat/assets/index-abc.js')).toBe(path.join(dir, 'assets', 'index-abc.js'));
    expect(appFilePath(dir, 'app://lifeboat/jobs/42')).toBe(path.join(dir, 'index.html'));
    expect(appFilePath(dir, 'app://lifeboat/../../etc/passwd.txt')).toBe(path.join(dir, 'etc', 'passwd.txt'));
    expect(appFilePath(dir, 'app://lifeboat/..%2f..%2fetc%2fpasswd.txt')).toBeNull();
    expect(appFilePath(dir, 'app://lifeboat/..%5c..%5csecret.txt')).toBe(
      process.platform === 'win32' ? null : path.join(dir, '..\\..\\secret.txt'),
    );
    expect(appFilePath(dir, 'app://lifeboat/a%00.js')).toBeNull();
    expect(appFilePath(dir, 'app://lifeboat/%E0%A4%A.js')).toBeNull();
    expect(appFilePath(dir, 'app://other/index.html')).toBeNull();
    expect(appFilePath(dir, 'file:///etc/passwd')).toBeNull();
    expect(contentType('x/index.html')).toMatch(/^text\/html/);
    expect(contentType('x/a.JS')).toMatch(/^text\/javascript/);
    expect(contentType('x/blob.bin')).toBe('application/octet-stream');
  });

  it('has a CSP with no network, no eval and no inline scripts, repeated as a <meta> tag', () => {
    const csp = desktopCsp();
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-eval|ws:|http:|https:|\*/);
    expect(/script-src[^;]*unsafe-inline/.test(csp)).toBe(false);
    const html = withCspMeta(
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Lifeboat</title></head><body></body></html>',
      csp,
    );
    const meta = /<head><meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
    expect(meta?.[1]).toContain("script-src 'self'");
    expect(meta?.[1]).not.toContain('frame-ancestors');
    expect(html.indexOf('http-equiv')).toBeLessThan(html.indexOf('<title>'));
  });

  it('opens only plain https links externally', () => {
    expect(isSafeExternalUrl('https://learn.microsoft.com/azure/storsimple/')).toBe(true);
    for (const url of [
      'http://example.com/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://server/share',
      'https://user:pw@example.com/',
      'app://lifeboat/',
      'nonsense',
    ])
      expect(isSafeExternalUrl(url), url).toBe(false);
  });

  it('grants no permission but sanitized clipboard writes from the renderer', () => {
    expect(isPermissionAllowed('clipboard-sanitized-write', 'app://lifeboat/index.html')).toBe(true);
    expect(isPermissionAllowed('clipboard-sanitized-write', 'app://lifeboat')).toBe(true);
    expect(isPermissionAllowed('clipboard-sanitized-write', 'https://example.com/')).toBe(false);
    for (const p of [
      'clipboard-read',
      'media',
      'notifications',
      'geolocation',
      'openExternal',
      'fullscreen',
      'hid',
      'unknown',
    ])
      expect(isPermissionAllowed(p, 'app://lifeboat/index.html'), p).toBe(false);
  });

  it('answers IPC only from the main window top frame on the app origin', () => {
    const good = { fromMainWindow: true, isTopFrame: true, url: APP_ENTRY };
    expect(isTrustedSender(good)).toBe(true);
    expect(isTrustedSender({ ...good, fromMainWindow: false })).toBe(false);
    expect(isTrustedSender({ ...good, isTopFrame: false })).toBe(false);
    expect(isTrustedSender({ ...good, url: null })).toBe(false);
    expect(isTrustedSender({ ...good, url: 'https://evil.example/' })).toBe(false);
    expect(isTrustedSender({ ...good, url: 'devtools://devtools/bundled/index.html' })).toBe(false);
    expect(FORBIDDEN).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('reads --home from the command line and keeps the Chromium profile in a subfolder', () => {
    expect(homeArgument(['/opt/Lifeboat/lifeboat', '--home', '/data/a'])).toBe('/data/a');
    expect(homeArgument(['electron', '/repo', '--no-sandbox-x', '--home=/data/b'])).toBe('/data/b');
    expect(homeArgument(['electron', '/repo', '--home'])).toBeUndefined();
    expect(homeArgument(['electron', '/repo', '--home', '--other'])).toBeUndefined();
    expect(homeArgument(['electron', '/repo'])).toBeUndefined();
    expect(chromiumProfileDir('/data/a')).toBe(path.join('/data/a', 'electron'));
  });

  it('points packaged files at their unpacked twin', () => {
    expect(unpackedPath('/opt/Lifeboat/resources/app.asar/dist/main/worker.cjs')).toBe(
      '/opt/Lifeboat/resources/app.asar.unpacked/dist/main/worker.cjs',
    );
    expect(unpackedPath('C:\\Lifeboat\\resources\\app.asar\\dist\\main\\worker.cjs')).toBe(
      'C:\\Lifeboat\\resources\\app.asar.unpacked\\dist\\main\\worker.cjs',
    );
    expect(unpackedPath('/repo/dist/main/worker.cjs')).toBe('/repo/dist/main/worker.cjs');
  });
});

describe('preload bundle', () => {
  async function bundlePreload() {
    const result = await build({
      entryPoints: [path.join(ROOT, 'preload/index.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      packages: 'external',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    return { code: result.outputFiles[0].text, inputs: Object.keys(result.metafile.inputs).sort() };
  }

  /** Runs the bundle as a sandboxed preload would, with `electron` replaced by a recording stand-in. */
  function runPreload(code: string) {
    const exposed: Record<string, unknown> = {};
    const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
    const invoked: unknown[][] = [];
    let invokeResult: () => Promise<unknown> = () => Promise.resolve({ ok: true, value: 1 });
    const electron = {
      contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
      ipcRenderer: {
        invoke: (...args: unknown[]) => {
          invoked.push(args);
          return invokeResult();
        },
        on: (channel: string, fn: (...args: unknown[]) => void) =>
          listeners.set(channel, (listeners.get(channel) ?? new Set()).add(fn)),
        removeListener: (channel: string, fn: (...args: unknown[]) => void) => listeners.get(channel)?.delete(fn),
      },
    };
    const required: string[] = [];
    const fakeRequire = (name: string) => {
      required.push(name);
      if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
      return electron;
    };
    const module = { exports: {} };
    new Function('require', 'module', 'exports', code)(fakeRequire, module, module.exports);
    const emit = (channel: string, ...args: unknown[]) => listeners.get(channel)?.forEach((fn) => fn(...args));
    return {
      exposed,
      listeners,
      invoked,
      required,
      emit,
      failInvoke: (err: Error) => (invokeResult = () => Promise.reject(err)),
    };
  }

  it('holds only the preload and the channel names, and requires only electron', async () => {
    const { code, inputs } = await bundlePreload();
    expect(inputs).toEqual(['main/shared/wire.ts', 'preload/index.ts']);
    expect(runPreload(code).required).toEqual(['electron']);
  });

  it('exposes window.lifeboat with mode, call and onEvent only', async () => {
    const page = runPreload((await bundlePreload()).code);
    expect(Object.keys(page.exposed)).toEqual(['lifeboat']);
    const bridge = page.exposed.lifeboat as LifeboatBridge;
    expect(Object.keys(bridge).sort()).toEqual(['call', 'mode', 'onEvent']);
    expect(bridge.mode).toBe('electron');

    await expect(bridge.call('service.status', { a: 1 })).resolves.toEqual({ ok: true, value: 1 });
    expect(page.invoked).toEqual([[IPC_CALL, 'service.status', { a: 1 }]]);
    page.failInvoke(new Error('An object could not be cloned.'));
    await expect(bridge.call('jobs.list', { f: () => 1 })).resolves.toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
  });

  it('gives listeners the event object only, and unsubscribes', async () => {
    const page = runPreload((await bundlePreload()).code);
    const bridge = page.exposed.lifeboat as LifeboatBridge;
    const seen: unknown[][] = [];
    const off = bridge.onEvent((...args: unknown[]) => seen.push(args));
    const event = { type: 'alert.raised' };
    page.emit(IPC_EVENT, { sender: 'ipc-renderer-internals' }, event);
    expect(seen).toEqual([[event]]);
    off();
    page.emit(IPC_EVENT, { sender: 'ipc-renderer-internals' }, event);
    expect(seen).toHaveLength(1);
    expect(page.listeners.get(IPC_EVENT)?.size).toBe(0);
  });
});
