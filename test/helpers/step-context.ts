/** A job step's context as the runner gives one, for tests that run a step directly: never stopped, checkpoints kept in `state`. */
import type { Engine } from '../../main/engine/engine';
import type { ProgressUpdate, StepContext } from '../../main/engine/jobs/types';

export function stepContext<P, S extends object>(
  engine: Engine,
  jobId: string,
  params: P,
  state: S,
  onProgress: (u: ProgressUpdate) => void = () => undefined,
): StepContext<P, S> {
  return {
    jobId,
    params,
    state,
    signal: new AbortController().signal,
    dataDir: engine.dataDir,
    log: engine.log,
    workers: engine.workers,
    checkpoint: (patch) => void Object.assign(state, patch),
    progress: onProgress,
    throwIfStopped: () => undefined,
  };
}
