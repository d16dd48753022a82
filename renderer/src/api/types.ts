/** Domain types shared with the engine, imported type-only so no engine code enters the renderer bundle. */
export type {
  Alert,
  Backup,
  EngineEvent,
  Job,
  JobStatus,
  JobStep,
  ProbeResult,
  Service,
  StorageAccount,
} from '../../../main/shared/schemas';
export type { CallInput, CallName, CallOutput } from '../../../main/shared/contract';
export type { ErrorInfo, Result } from '../../../main/shared/errors';
export type { LifeboatBridge } from '../../../main/shared/wire';

import type { LifeboatBridge } from '../../../main/shared/wire';
import type { ErrorInfo, Result } from '../../../main/shared/errors';

/** The connection to the engine: always open in Electron; over the WebSocket it can drop and come back. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting';

export interface CallOptions {
  /** Aborting stops waiting at once and asks the engine to abort the call (e.g. `jobs.wait`). */
  signal?: AbortSignal;
}

/** The bridge the renderer uses: the preload's or the WebSocket's, plus connection state and abortable calls. */
export interface AppBridge {
  mode: LifeboatBridge['mode'];
  call(name: string, input: unknown, opts?: CallOptions): Promise<Result<unknown>>;
  onEvent: LifeboatBridge['onEvent'];
  connection(): ConnectionState;
  onConnection(listener: (state: ConnectionState) => void): () => void;
}

export const cancelledError: ErrorInfo = { code: 'cancelled', message: 'Cancelled.' };
