/** Chooses the bridge: the preload's `window.lifeboat` in Electron, else the web-mode WebSocket. */
import type { Result } from '../../../main/shared/errors';
import { cancelledError, type AppBridge, type CallOptions, type LifeboatBridge } from './types';
import { createWebSocketBridge } from './ws-bridge';

declare global {
  interface Window {
    lifeboat?: LifeboatBridge;
  }
}

/** IPC cannot abort a call, so an aborted call stops being awaited here and the engine finishes it alone. */
function fromPreload(preload: LifeboatBridge): AppBridge {
  return {
    mode: preload.mode,
    call(name: string, input: unknown, opts: CallOptions = {}) {
      const { signal } = opts;
      if (!signal) return preload.call(name, input);
      if (signal.aborted) return Promise.resolve({ ok: false, error: cancelledError });
      return new Promise<Result<unknown>>((resolve) => {
        const onAbort = () => resolve({ ok: false, error: cancelledError });
        signal.addEventListener('abort', onAbort, { once: true });
        void preload.call(name, input).then((r) => {
          signal.removeEventListener('abort', onAbort);
          resolve(r);
        });
      });
    },
    onEvent: (listener) => preload.onEvent(listener),
    connection: () => 'open',
    onConnection: () => () => undefined,
  };
}

export function selectBridge(): AppBridge {
  if (window.lifeboat) return fromPreload(window.lifeboat);
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return createWebSocketBridge(`${scheme}://${location.host}/api`);
}
