/**
 * The instance lock names its process by pid and kernel start time: a lock left by a dead Lifeboat whose pid now
 * belongs to an unrelated process is stale, not a running Lifeboat that refuses every start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InstanceLock, LOCK_FILE, ownerAlive, processStart, readInstance } from '../../main/engine/lock';
import { tempHome } from '../helpers/home';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** A live process that is not Lifeboat: stands for one that got a dead Lifeboat's pid. */
function stranger(): ChildProcess {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(child);
  return child;
}

describe('instance lock owners', () => {
  it.skipIf(!fs.existsSync('/proc/self/stat'))(
    'tells a reused pid from the process that took the lock (needs /proc)',
    () => {
      const home = tempHome();
      const other = stranger();
      const start = processStart(other.pid!);
      expect(start).toMatch(/^\d+$/);
      expect(ownerAlive(other.pid!, start)).toBe(true);
      // The lock's process began at another time: the pid was reused.
      const lock = {
        pid: other.pid!,
        mode: 'web',
        url: null,
        socket: null,
        startedAt: '2026-01-01T00:00:00.000Z',
        processStart: String(Number(start) - 1),
      };
      fs.writeFileSync(path.join(home, LOCK_FILE), JSON.stringify(lock));
      expect(ownerAlive(lock.pid, lock.processStart)).toBe(false);
      expect(readInstance(home)).toBeNull();
      const taken = InstanceLock.acquire(home, 'cli');
      expect(taken.info).toMatchObject({ pid: process.pid, processStart: processStart(process.pid) });
      taken.release();

      // The same process, same start time: a live holder, and a second start is refused with its pid.
      fs.writeFileSync(path.join(home, LOCK_FILE), JSON.stringify({ ...lock, processStart: start }));
      expect(readInstance(home)?.pid).toBe(other.pid);
      expect(() => InstanceLock.acquire(home, 'cli')).toThrow(new RegExp(`pid ${other.pid}`));
    },
  );
});
