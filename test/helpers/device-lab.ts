/** An engine with a service and a local storage account, the engine API called as the UI does, and a lab's devices. */
import fs from 'node:fs';
import path from 'node:path';
import type { CallName, CallInput, CallOutput } from '../../main/shared/contract';
import { Engine } from '../../main/engine/engine';
import { tempHome } from './home';

const engines: Engine[] = [];

/** Closes the engine after the test (closeEngines); returns it. */
export function track(engine: Engine): Engine {
  engines.push(engine);
  return engine;
}

/** Closes every engine the test opened: call it from afterEach. */
export async function closeEngines(): Promise<void> {
  for (const e of engines.splice(0)) await e.close();
}

/** Calls the engine's API; a refusal throws with its code. */
export async function call<N extends CallName>(engine: Engine, name: N, input: CallInput<N>): Promise<CallOutput<N>> {
  const r = await engine.call(name, input);
  if (!r.ok) throw Object.assign(new Error(`${name}: ${r.error.message}`), { code: r.error.code });
  return r.value;
}

/** An engine that runs jobs, with a service and a local storage account "lab" (its folder: `account`). */
export async function lab(): Promise<{ engine: Engine; key: string; account: string }> {
  const engine = track(Engine.open({ dataDir: tempHome(), mode: 'cli', runJobs: true }));
  const { registrationKey } = engine.service.init('Lab');
  const account = path.join(tempHome('lifeboat-acct-'), 'acct');
  await call(engine, 'accounts.add', { name: 'lab', local: account });
  return { engine, key: registrationKey, account };
}

/** An iSCSI server ISCSI1 with one volume vol1 of `size`, and a way to write bytes into the volume at an offset. */
export async function iscsiVolume(engine: Engine, key: string, size: string) {
  const root = path.join(tempHome('lifeboat-dev-'), 'root');
  const device = await call(engine, 'devices.create', {
    name: 'ISCSI1',
    type: 'iscsi',
    root,
    capacity: '1GiB',
    account: 'lab',
    registrationKey: key,
  });
  const vol = await call(engine, 'volumes.create', {
    device: 'ISCSI1',
    name: 'vol1',
    size,
    acr: ['iqn.1991-05.com.microsoft:host1'],
  });
  const write = (offset: number, bytes: Buffer) => {
    const fd = fs.openSync(vol.path, 'r+');
    fs.writeSync(fd, bytes, 0, bytes.length, offset);
    fs.closeSync(fd);
  };
  return { device, vol, write };
}
