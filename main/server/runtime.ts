/** Starts the engine the way an app does (lock, database, jobs, local socket); shared by Electron and web mode. */
import { Engine, type EngineOptions } from '../engine/engine';
import { startLocalSocket } from './local-socket';

export interface AppRuntime {
  engine: Engine;
  socketPath: string;
  close(): Promise<void>;
}

export async function startRuntime(opts: Omit<EngineOptions, 'runJobs'>): Promise<AppRuntime> {
  const engine = Engine.open({ ...opts, runJobs: true });
  try {
    const socket = await startLocalSocket(engine);
    engine.lock.update({ socket: socket.path });
    // Start-up (opening the database, spawning workers) is not the steady state the 50 ms budget is about.
    engine.eventLoop.reset();
    return {
      engine,
      socketPath: socket.path,
      close: async () => {
        await socket.close();
        await engine.close();
      },
    };
  } catch (err) {
    await engine.close();
    throw err;
  }
}
