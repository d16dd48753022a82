// Builds the main process, preload, CLI and worker with esbuild, and the renderer with Vite.
// Runs on `npm install` (prepare) so `npm start` and `npx lifeboat` work on a fresh clone.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const only = process.argv.slice(2);
const want = (part) => only.length === 0 || only.includes(part);

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  packages: 'external',
  logLevel: 'warning',
  define: { __LIFEBOAT_VERSION__: JSON.stringify(pkg.version) },
};

if (want('main')) {
  await build({
    ...common,
    entryPoints: {
      electron: 'main/host/main.ts',
      web: 'main/server/main.ts',
      cli: 'main/cli/main.ts',
      worker: 'main/engine/workers/worker.ts',
    },
    outdir: path.join(root, 'dist/main'),
    outExtension: { '.js': '.cjs' },
  });
  await build({ ...common, entryPoints: { index: 'preload/index.ts' }, outdir: path.join(root, 'dist/preload'), outExtension: { '.js': '.cjs' } });
}

if (want('renderer')) {
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: path.join(root, 'renderer/vite.config.ts'), logLevel: 'warn' });
}
console.log(`Lifeboat ${pkg.version} built into dist/`);
