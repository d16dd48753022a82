/** Entry of the worker threads (bundled to dist/main/worker.cjs). */
import { runTask, type WorkerTask } from './tasks';

export default function (task: WorkerTask): unknown {
  return runTask(task);
}
