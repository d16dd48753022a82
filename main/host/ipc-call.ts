/**
 * The IPC `invoke` handler without Electron: the sender check, then the call, all through the entry guard, so a
 * throw anywhere (a sender frame Electron has already disposed, an input no schema expected) is a typed Result.
 * ipc.ts registers it with ipcMain; unit tests run it under plain Node with a real engine.
 */
import { dispatch } from '../engine/api/dispatch';
import { guard } from '../engine/api/guard';
import type { Engine } from '../engine/engine';
import type { Result } from '../shared/errors';
import { FORBIDDEN, isTrustedSender } from './policy';

/** The parts of Electron's IpcMainInvokeEvent the handler reads. */
export interface InvokeEvent<Contents> {
  sender: Contents;
  senderFrame: { parent: unknown; url: string } | null;
}

export interface MainWindowLike<Contents> {
  isDestroyed(): boolean;
  webContents: Contents;
}

const NO_REPLY: Result<never> = {
  ok: false,
  error: {
    code: 'internal',
    message: 'The call got no reply.',
    hint: 'See the log in the data directory (lifeboat diagnostics).',
  },
};

export function ipcCallHandler<Contents>(
  engine: Engine,
  mainWindow: () => MainWindowLike<Contents> | null,
  signalOf: (contents: Contents) => AbortSignal,
): (event: InvokeEvent<Contents>, name: unknown, input: unknown) => Promise<Result<unknown>> {
  const answer = guard(
    'ipc',
    engine.log,
    (event: InvokeEvent<Contents>, name: unknown, input: unknown) => {
      const win = mainWindow();
      const frame = event.senderFrame;
      const trusted = isTrustedSender({
        fromMainWindow: win !== null && !win.isDestroyed() && event.sender === win.webContents,
        isTopFrame: frame !== null && frame.parent === null,
        url: frame?.url ?? null,
      });
      if (!trusted) return FORBIDDEN;
      return dispatch(engine, name, input, { signal: signalOf(event.sender) });
    },
    (error): Result<unknown> => ({ ok: false, error }),
  );
  // `fail` above cannot throw, so the guard never gives undefined here; the fallback is for the type.
  return async (event, name, input) => (await answer(event, name, input)) ?? NO_REPLY;
}
