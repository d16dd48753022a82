/**
 * The wire format shared by the web-mode WebSocket and the local socket (one JSON message per frame or line).
 * Electron IPC carries the same `call`/`result` pair through ipcRenderer.invoke and events on one channel.
 */
import type { Result } from '../errors';
import type { EngineEvent } from './schemas';

export type ClientMessage = { id: number; call: string; input?: unknown } | { id: number; abort: true };
export type ServerMessage = { id: number; result: Result<unknown> } | { event: EngineEvent } | { hello: { version: string; mode: string } };

/** Electron IPC channel names. */
export const IPC_CALL = 'lifeboat:call';
export const IPC_EVENT = 'lifeboat:event';

/** What the preload exposes as window.lifeboat, and what the web-mode client implements too. */
export interface LifeboatBridge {
  mode: 'electron' | 'web';
  call(name: string, input?: unknown): Promise<Result<unknown>>;
  onEvent(listener: (event: EngineEvent) => void): () => void;
}
