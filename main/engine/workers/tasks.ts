/** The tasks a worker thread runs. Each is pure I/O or CPU work on buffers and files, with no engine state. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import {
  runRepoBackup,
  runRepoRestore,
  type RepoBackupTask,
  type RepoRestoreTask,
  type WorkerOutcome,
} from '../backups/in-worker';
import { runMaintenance, type MaintenanceTask, type MaintenanceValue } from '../backups/maintenance';
import { runHashBlocks, type HashBlocksResult, type HashBlocksTask } from '../replication/disk-scan';

export type WorkerTask =
  | { op: 'write-pattern'; path: string; offset: number; length: number; seed: number }
  | { op: 'hash-range'; path: string; offset: number; length: number }
  | RepoBackupTask
  | RepoRestoreTask
  | MaintenanceTask
  | HashBlocksTask;

export type WorkerResult<T extends WorkerTask> = T extends { op: 'write-pattern' }
  ? { written: number }
  : T extends { op: 'hash-range' }
    ? { sha256: string; bytes: number }
    : T extends RepoBackupTask
      ? Awaited<ReturnType<typeof runRepoBackup>>
      : T extends RepoRestoreTask
        ? Awaited<ReturnType<typeof runRepoRestore>>
        : T extends MaintenanceTask
          ? WorkerOutcome<MaintenanceValue<T>>
          : T extends HashBlocksTask
            ? HashBlocksResult
            : never;

/** Deterministic pseudo-random bytes (a counter under SHA-256), so a rewritten piece is identical to the first try. */
function pattern(seed: number, offset: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let pos = 0; pos < length; pos += 32) {
    const block = crypto
      .createHash('sha256')
      .update(`${seed}:${offset + pos}`)
      .digest();
    block.copy(out, pos, 0, Math.min(32, length - pos));
  }
  return out;
}

export function runTask(task: WorkerTask): unknown {
  switch (task.op) {
    case 'write-pattern': {
      const fd = fs.openSync(task.path, fs.existsSync(task.path) ? 'r+' : 'w+', 0o600);
      try {
        const written = fs.writeSync(fd, pattern(task.seed, task.offset, task.length), 0, task.length, task.offset);
        fs.fsyncSync(fd);
        return { written };
      } finally {
        fs.closeSync(fd);
      }
    }
    case 'hash-range': {
      const fd = fs.openSync(task.path, 'r');
      try {
        const hash = crypto.createHash('sha256');
        const buf = Buffer.allocUnsafe(1 << 20);
        let done = 0;
        while (done < task.length) {
          const n = fs.readSync(fd, buf, 0, Math.min(buf.length, task.length - done), task.offset + done);
          if (n === 0) break;
          hash.update(buf.subarray(0, n));
          done += n;
        }
        return { sha256: hash.digest('hex'), bytes: done };
      } finally {
        fs.closeSync(fd);
      }
    }
    // A whole backup or restore: the repository's CPU work stays off the main thread (backups/in-worker.ts).
    case 'repo-backup':
      return runRepoBackup(task);
    case 'repo-restore':
      return runRepoRestore(task);
    // Check, prune and the catalog: manifests, index objects and packs are read here (backups/maintenance.ts).
    case 'prune-plan':
    case 'prune-sweep':
    case 'catalog-scan':
    case 'repo-check':
    case 'snapshot-digest':
    case 'device-volume-heat':
    case 'snapshot-files':
      return runMaintenance(task);
    // The changed blocks of a protected disk (replication/disk-scan.ts).
    case 'replica-hash':
      return runHashBlocks(task);
  }
}
