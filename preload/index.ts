/**
 * The sandboxed preload: exposes `window.lifeboat` (mode, call, onEvent) and nothing else. It may only require
 * 'electron'; the bundle holds this file and the two channel names from wire.ts (everything else is types).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { EngineEvent } from '../main/shared/schemas';
import { IPC_CALL, IPC_EVENT, type LifeboatBridge } from '../main/shared/wire';
import type { Result } from '../main/shared/errors';

const bridge: LifeboatBridge = {
  mode: 'electron',
  call(name: string, input?: unknown): Promise<Result<unknown>> {
    // Keep the contract's "never throws": input that cannot cross IPC (functions, DOM nodes) becomes a Result.
    return (ipcRenderer.invoke(IPC_CALL, name, input) as Promise<Result<unknown>>).catch((err: unknown) => ({
      ok: false as const,
      error: {
        code: 'invalid_input' as const,
        message: `The call ${String(name)} could not be sent: ${err instanceof Error ? err.message : String(err)}`,
      },
    }));
  },
  onEvent(listener: (event: EngineEvent) => void): () => void {
    // The page gets the event object only, never the IpcRendererEvent (which would expose the sender).
    const forward = (_ipc: IpcRendererEvent, event: EngineEvent) => listener(event);
    ipcRenderer.on(IPC_EVENT, forward);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT, forward);
    };
  },
};

contextBridge.exposeInMainWorld('lifeboat', bridge);
