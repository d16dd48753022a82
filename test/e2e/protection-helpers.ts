/**
 * Helpers of the protected-item e2e tests (failover-item.spec.ts, failback-item.spec.ts): a machine app01 with one
 * 8 MiB sparse disk, a recovery site dr and a policy quarter made through the CLI, a disk's sha256 and writes into it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { cli } from '../helpers/home';
import { tempDir } from './devices-helpers';
import { expect, type Lifeboat } from './fixtures';

/** The size of app01's disk. */
export const DISK_SIZE = 8 * 1024 * 1024;

export const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

export function writeAt(file: string, offset: number, data: Buffer): void {
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, data, 0, data.length, offset);
  fs.closeSync(fd);
}

/**
 * A temp folder `prefix-…` holding app01's disk (`dataBytes` of random data, then a hole to DISK_SIZE) and the root of
 * site dr, added with a policy quarter (15 min, RPO alert at 30 min). `run` runs a CLI command with --json and checks
 * it succeeded; `atFirstPoint` is the disk's sha256 before anything else writes to it.
 */
export function appWithSite(lifeboat: Lifeboat, prefix: string, dataBytes: number) {
  const base = tempDir(lifeboat, prefix);
  const disk = path.join(base, 'app01', 'disk0.img');
  fs.mkdirSync(path.dirname(disk), { recursive: true });
  fs.writeFileSync(disk, crypto.randomBytes(dataBytes));
  fs.truncateSync(disk, DISK_SIZE);
  const atFirstPoint = sha(disk);
  const run = (args: string[]) => {
    const r = cli(lifeboat.home, [...args, '--json']);
    expect(r.code, `${args.join(' ')}: ${r.stderr}${r.stdout}`).toBe(0);
    return r;
  };
  run(['site', 'add', 'dr', '--root', path.join(base, 'dr-site')]);
  run(['policy', 'create', 'quarter', '--frequency', '15m', '--rpo-threshold', '30m']);
  return { base, disk, atFirstPoint, run };
}
