/**
 * The Electron IPC entry (main/host/ipc-call.ts) under plain Node, against a real engine in a temporary data
 * directory: Electron cannot run here, so the handler ipcMain.handle registers is called with the event's fields.
 * Whatever the sender or the input, the answer is a Result, never a rejection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../main/engine/api/dispatch';
import { Engine } from '../../main/engine/engine';
import { ipcCallHandler, type InvokeEvent } from '../../main/host/ipc-call';
import { tempHome } from '../helpers/home';

let engine: Engine;
beforeAll(() => {
  engine = Engine.open({ dataDir: tempHome(), mode: 'electron' });
});
afterAll(async () => {
  await engine?.close();
});

const contents = { id: 1 };
const window = { isDestroyed: () => false, webContents: contents };
const trusted: InvokeEvent<typeof contents> = {
  sender: contents,
  senderFrame: { parent: null, url: 'app://lifeboat/index.html' },
};
const scope = new AbortController();

/** An input whose every property read throws, as a hostile or broken object could. */
const hostileInput = new Proxy(
  {},
  {
    get() {
      throw new Error('property read refused');
    },
    ownKeys() {
      throw new Error('keys refused');
    },
  },
);

describe('IPC entry', () => {
  // Made per call: the engine opens in beforeAll, after this describe body runs.
  const handle = (event: InvokeEvent<typeof contents>, name: unknown, input: unknown) =>
    ipcCallHandler(
      engine,
      () => window,
      () => scope.signal,
    )(event, name, input);

  it('answers the main window with the call value', async () => {
    expect(await handle(trusted, 'status.get', {})).toMatchObject({ ok: true, value: { app: { mode: 'electron' } } });
  });

  it('answers bad names and inputs with invalid_input', async () => {
    for (const name of [null, undefined, 42, { call: 'status.get' }, 'x'.repeat(100_000)]) {
      const r = await handle(trusted, name, {});
      expect(r, String(typeof name)).toMatchObject({
        ok: false,
        error: { code: 'invalid_input', message: expect.stringMatching(/^Unknown call/) },
      });
      if (!r.ok) expect(r.error.message.length).toBeLessThan(200);
    }
    expect(await handle(trusted, 'jobs.list', { limit: 'many' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
  });

  it('answers an input that throws when read with a typed error, not a rejection', async () => {
    const r = await handle(trusted, 'jobs.list', hostileInput);
    expect(r).toMatchObject({
      ok: false,
      error: { code: expect.any(String), message: expect.any(String), hint: expect.any(String) },
    });
  });

  it('answers a sender frame Electron has disposed (its getter throws) with a typed error', async () => {
    const disposed = Object.defineProperty({ sender: contents }, 'senderFrame', {
      get() {
        throw new Error('Render frame was disposed before WebFrameMain could be accessed');
      },
    }) as InvokeEvent<typeof contents>;
    expect(await handle(disposed, 'status.get', {})).toMatchObject({
      ok: false,
      error: { code: 'internal', message: expect.stringMatching(/disposed/) },
    });
  });

  it('refuses other senders with forbidden', async () => {
    const sub = { sender: contents, senderFrame: { parent: {}, url: 'app://lifeboat/index.html' } };
    expect(await handle(sub, 'status.get', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await handle({ sender: { id: 2 }, senderFrame: trusted.senderFrame }, 'status.get', {})).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
  });
});

describe('dispatch', () => {
  it('resolves with a typed error when reading the input throws (it rejected before)', async () => {
    await expect(dispatch(engine, 'jobs.list', hostileInput)).resolves.toMatchObject({
      ok: false,
      error: { code: 'internal' },
    });
  });
});
