/** Where Lifeboat keeps its state: --home, else $LIFEBOAT_HOME, else the XDG data directory. */
import os from 'node:os';
import path from 'node:path';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LIFEBOAT_HOME) return path.resolve(env.LIFEBOAT_HOME);
  if (process.platform === 'win32')
    return path.join(env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'), 'Lifeboat');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'Lifeboat');
  return path.join(env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'lifeboat');
}

export function resolveDataDir(home: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return home ? path.resolve(home) : defaultDataDir(env);
}

/** The version from package.json, embedded at build time (falls back to reading it in tests). */
declare const __LIFEBOAT_VERSION__: string | undefined;
export const VERSION: string =
  typeof __LIFEBOAT_VERSION__ === 'string'
    ? __LIFEBOAT_VERSION__
    : (require('../../package.json') as { version: string }).version;
