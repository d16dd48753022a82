/**
 * Creating a new restore's files in the background, in the order their first chunk is written (restore.ts), so that
 * writers wait only for the file they need. Small files of a new restore are not created here (FileTarget.direct).
 */
import { LifeboatError } from '../../shared/errors';
import { openForRestore, type FileTarget, type Placement } from './restore-files';
import { keepHandle } from './restore-runs';

/**
 * Files created at once. Creating a file costs ~0.7 ms of kernel time on a plain ext4 VM, and the kernel serialises
 * creations in one folder, so a couple in flight keep up with the writes without crowding them out of the thread pool.
 */
const CREATE_PARALLEL = 2;

/** Every target file, in the order its first chunk will be written; files with nothing to fetch last. */
export function firstWritten(
  todo: ReadonlyArray<{ c: string }>,
  placements: Map<string, Placement[]>,
  files: FileTarget[],
): FileTarget[] {
  const order = new Set<FileTarget>();
  for (const t of todo) for (const p of placements.get(t.c)!) order.add(p.file);
  for (const f of files) order.add(f);
  return [...order];
}

/**
 * Creates every target file at its size (openForRestore), in the given order, in the background. Each file's
 * `ready` settles once it exists, so writers wait for exactly the file they need. The handle of a file still
 * waiting for data is kept as its shared write handle (up to MAX_OPEN), which saves an open and a close per file.
 * After stop() or a failure the files not yet created are not: their `ready` rejects with the reason.
 */
export function createTargets(
  files: FileTarget[],
  keep: boolean,
  resumed: boolean,
): { done: Promise<void>; stop: () => void } {
  const gates = new Map<FileTarget, { resolve: () => void; reject: (err: unknown) => void }>();
  for (const f of files) {
    f.ready = new Promise<void>((resolve, reject) => gates.set(f, { resolve, reject }));
    f.ready.catch(() => undefined); // a file nobody waits for must not become an unhandled rejection
  }
  let next = 0;
  let failure: unknown;
  const one = async () => {
    while (next < files.length) {
      const f = files[next++];
      const gate = gates.get(f)!;
      if (failure) {
        gate.reject(failure);
        continue;
      }
      try {
        const fh = await openForRestore(f, keep, resumed);
        // Half the handles at most: creation runs ahead of the writes, which need handles of their own.
        if (!keepHandle(f, fh)) await fh.close();
        gate.resolve();
      } catch (err) {
        failure ??= err;
        gate.reject(err);
      }
    }
  };
  const done = Promise.all(Array.from({ length: CREATE_PARALLEL }, one)).then(() => {
    if (failure) throw failure;
  });
  done.catch(() => undefined); // awaited by the restore; until then a failure is not an unhandled rejection
  const stop = () =>
    void (failure ??= new LifeboatError('cancelled', 'The restore stopped before this file was created.'));
  return { done, stop };
}

/** The smallest key of a list; a loop, as Math.min(...list) overflows the stack with hundreds of thousands of items. */
export function minOf<T>(list: readonly T[], key: (item: T) => number): number {
  let min = Infinity;
  for (const item of list) {
    const k = key(item);
    if (k < min) min = k;
  }
  return min;
}
