/**
 * Runs a few lines of TypeScript as an unprivileged user, to test what a user who may not write a folder gets: root
 * writes anywhere and CI runs as root, so there the script runs as the user nobody (setpriv); otherwise as this user.
 */
import { buildSync } from 'esbuild';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Unprivileged {
  /** A folder other users can enter (0755), removed by `done`. */
  dir: string;
  /** Bundles `source` (its imports resolved from this repository) and runs it with `args`: exit status and output. */
  run(source: string, args: string[]): { status: number | null; stdout: string; stderr: string };
  done(): void;
}

export function unprivileged(prefix: string): Unprivileged {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  const asRoot = process.getuid?.() === 0;
  return {
    dir,
    run(source, args) {
      const entry = path.join(dir, 'script.ts');
      fs.writeFileSync(entry, source);
      const script = path.join(dir, 'script.cjs');
      buildSync({
        entryPoints: [entry],
        outfile: script,
        bundle: true,
        platform: 'node',
        format: 'cjs',
        logLevel: 'error',
      });
      fs.chmodSync(script, 0o644);
      const user = asRoot ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'] : [];
      const r = spawnSync(
        user[0] ?? process.execPath,
        [...user.slice(1), ...(asRoot ? [process.execPath] : []), script, ...args],
        { encoding: 'utf8' },
      );
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    done: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** An import line for a module of this repository, from the generated script. */
export const importFrom = (names: string, repoPath: string) =>
  `import { ${names} } from ${JSON.stringify(path.resolve(__dirname, '..', '..', repoPath))};\n`;
