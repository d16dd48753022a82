/**
 * One Lifeboat per data directory. The lock file names the running instance (pid, mode, URL, socket) so a second
 * start is refused with a message naming it, and so the CLI can find the running app and talk to it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LifeboatError } from '../shared/errors';

export interface InstanceInfo {
  pid: number;
  mode: 'electron' | 'web' | 'cli';
  url: string | null;
  socket: string | null;
  startedAt: string;
  /** When the process began, as the kernel counts it (null where unknown): tells a reused pid from the holder. */
  processStart?: string | null;
}

export const LOCK_FILE = 'lifeboat.lock';

/** Whether a process with this pid runs on this machine (EPERM: it does, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * When the process with this pid began, in clock ticks since boot (Linux's /proc/PID/stat, field 22), or null where
 * that cannot be read. A pid is reused once its process is gone; the pair (pid, start) names one process.
 */
export function processStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether the process that recorded (pid, start) still runs: a live pid that began at another time is another process. */
export function ownerAlive(pid: number, start: string | null | undefined): boolean {
  if (!processAlive(pid)) return false;
  if (!start) return true;
  const now = processStart(pid);
  return now === null || now === start;
}

/** The instance holding the data directory, or null when none is running (a stale lock is ignored). */
export function readInstance(dataDir: string): InstanceInfo | null {
  try {
    const info = JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE), 'utf8')) as InstanceInfo;
    return ownerAlive(info.pid, info.processStart) ? info : null;
  } catch {
    return null;
  }
}

export function describeInstance(info: InstanceInfo): string {
  const where = {
    web: ` in web mode${info.url ? ` at ${info.url.replace(/#.*$/, '')}` : ''}`,
    electron: ' as the desktop app',
    cli: ' as a CLI command',
  }[info.mode];
  return `pid ${info.pid}${where}, started ${info.startedAt}`;
}

export class InstanceLock {
  private constructor(
    private readonly file: string,
    public info: InstanceInfo,
  ) {}

  static acquire(dataDir: string, mode: InstanceInfo['mode']): InstanceLock {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const file = path.join(dataDir, LOCK_FILE);
    const info: InstanceInfo = {
      pid: process.pid,
      mode,
      url: null,
      socket: null,
      startedAt: new Date().toISOString(),
      processStart: processStart(process.pid),
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.writeFileSync(file, JSON.stringify(info), { flag: 'wx', mode: 0o600 });
        return new InstanceLock(file, info);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readInstance(dataDir);
      if (holder) {
        throw new LifeboatError(
          'locked',
          `Lifeboat is already running on the data directory ${dataDir} (${describeInstance(holder)}).`,
          holder.mode === 'cli'
            ? 'Wait for that command to finish, then try again.'
            : 'Use the running Lifeboat, or close it first. The lifeboat CLI talks to it by itself.',
        );
      }
      fs.rmSync(file, { force: true }); // stale: its process is gone
    }
    throw new LifeboatError('locked', `Could not take the lock ${file}.`, 'Remove the file if no Lifeboat is running.');
  }

  update(patch: Partial<InstanceInfo>): void {
    this.info = { ...this.info, ...patch };
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.info), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }

  release(): void {
    try {
      const current = JSON.parse(fs.readFileSync(this.file, 'utf8')) as InstanceInfo;
      if (current.pid === process.pid) fs.rmSync(this.file, { force: true });
    } catch {
      // already gone
    }
  }
}
