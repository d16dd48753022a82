/** One client connection (WebSocket or local socket): runs its calls, forwards every event, aborts waits on close. */
import type { Engine } from '../engine';
import { dispatch } from './dispatch';
import type { ServerMessage } from './wire';

export interface Session {
  receive(raw: string): void;
  close(): void;
}

export function openSession(engine: Engine, send: (msg: ServerMessage) => void): Session {
  const pending = new Map<number, AbortController>();
  const unsubscribe = engine.bus.on((event) => send({ event }));
  const reply = (id: number, result: ServerMessage & { id: number }) => send(result);
  return {
    receive(raw) {
      let msg: { id?: unknown; call?: unknown; input?: unknown; abort?: unknown };
      try {
        msg = JSON.parse(raw);
      } catch {
        return send({ id: -1, result: { ok: false, error: { code: 'invalid_input', message: 'The message is not valid JSON.' } } });
      }
      const id = typeof msg.id === 'number' ? msg.id : -1;
      if (msg.abort) {
        pending.get(id)?.abort();
        return;
      }
      const controller = new AbortController();
      pending.set(id, controller);
      void dispatch(engine, msg.call, msg.input, { signal: controller.signal }).then((result) => {
        pending.delete(id);
        reply(id, { id, result });
      });
    },
    close() {
      unsubscribe();
      for (const c of pending.values()) c.abort();
      pending.clear();
    },
  };
}
