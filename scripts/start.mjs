// `npm start`: the desktop app in Electron when its binary is installed, otherwise web mode in the default browser.
// Flags after `--` go to the app: --home DIR, --port N, --no-open, --web (force web mode).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { webModeArgs } from './web-mode.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);

if (
  !fs.existsSync(path.join(root, 'dist/main/web.cjs')) ||
  !fs.existsSync(path.join(root, 'dist/renderer/index.html'))
) {
  const built = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

/** The Electron binary's path when the optional electron package and its binary are both present. */
function electronBinary() {
  try {
    const bin = require('electron');
    return typeof bin === 'string' && fs.existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

/**
 * better-sqlite3 is a native module built for one ABI at a time: `npm install` builds it for Node (web mode, the CLI,
 * the tests). Electron needs it rebuilt for its own ABI, so check it loads there before choosing the desktop app.
 */
function sqliteLoadsIn(bin) {
  const probe = spawnSync(bin, ['-e', "require('better-sqlite3')(':memory:').close()"], {
    cwd: root,
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return probe.status === 0;
}

const forceWeb = args.includes('--web') || process.env.LIFEBOAT_WEB === '1';
const installed = forceWeb ? null : electronBinary();
const electron = installed && sqliteLoadsIn(installed) ? installed : null;
const rest = args.filter((a) => a !== '--web');
const child = electron
  ? spawn(electron, [root, ...rest], { stdio: 'inherit' })
  : spawn(process.execPath, webModeArgs(root, rest), { stdio: 'inherit' });
if (installed && !electron)
  console.log(
    'Electron is installed, but better-sqlite3 is built for Node, not for Electron, so Lifeboat runs in web mode.\n' +
      'For the desktop app run `npx electron-builder install-app-deps` first (docs/packaging.md).',
  );
else if (!electron && !forceWeb) console.log('Electron is not installed here, so Lifeboat runs in web mode.');
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
