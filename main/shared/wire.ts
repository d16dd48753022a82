/**
 * The wire format shared by the web-mode WebSocket and the local socket (one JSON message per frame or line).
 * Electron IPC carries the same `call`/`result` pair through ipcRenderer.invoke and events on one channel.
 */
import type { Result } from './errors';
import type { EngineEvent } from './schemas';

export type ClientMessage = { id: number; call: unknown; input?: unknown } | { id: number; abort: true };
export type ServerMessage =
  { id: number; result: Result<unknown> } | { event: EngineEvent } | { hello: { version: string; mode: string } };

/** Electron IPC channel names. */
export const IPC_CALL = 'lifeboat:call';
export const IPC_EVENT = 'lifeboat:event';

/** What the preload exposes as window.lifeboat, and what the web-mode client implements too. */
export interface LifeboatBridge {
  mode: 'electron' | 'web';
  call(name: string, input?: unknown): Promise<Result<unknown>>;
  onEvent(listener: (event: EngineEvent) => void): () => void;
}

/**
 * The largest message a client may send, a WebSocket frame or a local socket line: each is held whole in memory
 * before it is parsed. The largest real input (a script runs from its path, an SDEK file is a line) is far below it.
 */
export const MAX_MESSAGE_BYTES = 1 << 20;
