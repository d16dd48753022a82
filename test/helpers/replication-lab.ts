/**
 * Source files and recovery points for the replication and site-agent tests through the real CLI: sparse images
 * written in place, mtimes aged past racy writes, a CLI command run in the background, points materialized.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, cli, ok, tempHome } from './home';

export const KiB = 1024;
export const MiB = KiB * KiB;
export const BLOCK = 64 * KiB;

/** Writes random bytes (or `data`) at `offset` of an image without changing its size. */
export function writeAt(file: string, offset: number, length: number, data = crypto.randomBytes(length)): void {
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, data, 0, length, offset);
  fs.closeSync(fd);
}

/** A sparse image of `size` bytes with random data in the given blocks. */
export function makeDisk(file: string, size: number, blocks: number[]): string {
  fs.writeFileSync(file, '');
  fs.truncateSync(file, size);
  for (const b of blocks) writeAt(file, b * BLOCK, BLOCK);
  return file;
}

/** Sets a file's mtime to a distinct time in the past, so that no write looks racy to the next cycle. */
let past = Date.now() / 1000 - 3600;
export const age = (p: string): void => fs.utimesSync(p, (past += 1), past);

/**
 * A fresh installation home, the root `dr` of a recovery site in a folder of its own, and a sparse source image
 * `vm.img` of `size` bytes with data in its first four blocks, aged.
 */
export function vmLab(size: number): { home: string; root: string; disk: string } {
  const home = tempHome();
  const root = path.join(tempHome('lifeboat-site-'), 'dr');
  const disk = makeDisk(path.join(tempHome('lifeboat-src-'), 'vm.img'), size, [0, 1, 2, 3]);
  age(disk);
  return { home, root, disk };
}

/** Runs a CLI command as a child process to completion, so the test can act on the agent meanwhile. */
export function cliAsync(
  home: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, '--home', home, ...args], {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.once('exit', (code) => resolve({ code: code ?? -1, stdout }));
  });
}

/** Materializes a recovery point through the CLI into a fresh folder, and returns that folder. */
export function materialize(home: string, item: string, point: string, env?: NodeJS.ProcessEnv): string {
  const to = path.join(tempHome('lifeboat-point-'), 'out');
  ok(cli(home, ['item', 'materialize', item, '--point', point, '--to', to], { env }));
  return to;
}
