/**
 * Web mode's bridge: the LifeboatBridge contract over one WebSocket to the engine (`/api`, authenticated by the
 * session cookie). It reconnects with backoff; calls made while disconnected wait for the connection for a while,
 * and calls in flight when it drops fail with `unavailable` rather than being re-sent (they may not be idempotent).
 */
import type { ServerMessage } from '../../../main/shared/wire';
import {
  cancelledError,
  type AppBridge,
  type CallOptions,
  type ConnectionState,
  type EngineEvent,
  type Result,
} from './types';

const QUEUE_TIMEOUT_MS = 20_000;
const MAX_BACKOFF_MS = 5_000;

interface Pending {
  message: string;
  sent: boolean;
  settle(result: Result<unknown>): void;
}

const unavailable = (message: string): Result<unknown> => ({
  ok: false,
  error: {
    code: 'unavailable',
    message,
    hint: 'If Lifeboat was restarted, open the address it printed when it started.',
  },
});

export function createWebSocketBridge(url: string): AppBridge {
  let socket: WebSocket | null = null;
  let state: ConnectionState = 'connecting';
  let attempt = 0;
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const eventListeners = new Set<(event: EngineEvent) => void>();
  const stateListeners = new Set<(state: ConnectionState) => void>();

  const setState = (next: ConnectionState) => {
    if (next === state) return;
    state = next;
    for (const listener of [...stateListeners]) listener(next);
  };

  const send = (p: Pending) => {
    if (socket?.readyState !== WebSocket.OPEN || p.sent) return;
    socket.send(p.message);
    p.sent = true;
  };

  const receive = (raw: string) => {
    let msg: ServerMessage;
    try {
      msg = JSON.parse(raw) as ServerMessage;
    } catch {
      return;
    }
    if ('event' in msg) {
      for (const listener of [...eventListeners]) listener(msg.event);
    } else if ('result' in msg) {
      pending.get(msg.id)?.settle(msg.result);
    }
  };

  const connect = () => {
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      setState('open');
      for (const p of pending.values()) send(p);
    };
    ws.onmessage = (m) => receive(String(m.data));
    ws.onclose = () => {
      socket = null;
      for (const p of [...pending.values()])
        if (p.sent) p.settle(unavailable('The connection to Lifeboat was lost while this call was running.'));
      setState('reconnecting');
      const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** attempt++);
      setTimeout(connect, delay);
    };
  };
  connect();

  return {
    mode: 'web',
    call(name: string, input: unknown, opts: CallOptions = {}) {
      return new Promise<Result<unknown>>((resolve) => {
        const id = nextId++;
        const { signal } = opts;
        if (signal?.aborted) return resolve({ ok: false, error: cancelledError });
        const onAbort = () => {
          if (p.sent && socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ id, abort: true }));
          p.settle({ ok: false, error: cancelledError });
        };
        const timer = setTimeout(() => {
          if (!p.sent) p.settle(unavailable('Lifeboat is not reachable: the call was not sent.'));
        }, QUEUE_TIMEOUT_MS);
        const p: Pending = {
          message: JSON.stringify({ id, call: name, input: input ?? {} }),
          sent: false,
          settle(result) {
            if (!pending.has(id)) return;
            pending.delete(id);
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            resolve(result);
          },
        };
        pending.set(id, p);
        signal?.addEventListener('abort', onAbort);
        send(p);
      });
    },
    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    connection: () => state,
    onConnection(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
  };
}
