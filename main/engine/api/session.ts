/**
 * One client connection (WebSocket or local socket): runs its calls, forwards every event, aborts waits on close.
 * Each message goes through the entry guard: a malformed one is answered with invalid_input (id -1 when it has no
 * usable id), and nothing in a message can throw past the session.
 */
import type { EngineSurface as Engine } from '../engine-surface';
import type { ErrorInfo } from '../../shared/errors';
import { dispatch } from './dispatch';
import { guard, type Entry } from './guard';
import { parseClientMessage } from '../../shared/client-message';
import type { ServerMessage } from '../../shared/wire';

export interface Session {
  /** Handles one message; never throws, and its promise (settled once the reply is sent) never rejects. */
  receive(raw: string): Promise<void>;
  /** Answers a message the transport could not hand over (too long to read), with no id to match. */
  reject(error: ErrorInfo): void;
  close(): void;
}

export function openSession(
  engine: Engine,
  send: (msg: ServerMessage) => void,
  entry: Extract<Entry, 'websocket' | 'local-socket'>,
): Session {
  const pending = new Map<number, AbortController>();
  const unsubscribe = engine.bus.on((event) => send({ event }));
  // `at.id` is known once the message parses, so a failure after that still reaches the caller waiting on its id.
  const run = guard(
    entry,
    engine.log,
    async (raw: string, at: { id: number }) => {
      const msg = parseClientMessage(raw);
      at.id = msg.id;
      if ('abort' in msg) {
        pending.get(msg.id)?.abort();
        return;
      }
      const controller = new AbortController();
      pending.set(msg.id, controller);
      try {
        send({ id: msg.id, result: await dispatch(engine, msg.call, msg.input, { signal: controller.signal }) });
      } finally {
        if (pending.get(msg.id) === controller) pending.delete(msg.id);
      }
    },
    (error, _raw, at) => send({ id: at.id, result: { ok: false, error } }),
  );
  return {
    receive: async (raw) => {
      await run(raw, { id: -1 });
    },
    reject: (error) => {
      try {
        send({ id: -1, result: { ok: false, error } });
      } catch {
        // The connection is gone: nobody is left to tell.
      }
    },
    close() {
      unsubscribe();
      for (const c of pending.values()) c.abort();
      pending.clear();
    },
  };
}
