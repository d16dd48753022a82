// Builds the main process, preload, CLI and worker with esbuild, and the renderer with Vite.
// Runs on `npm install` (prepare) so `npm start` and `npx lifeboat` work on a fresh clone.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const flags = process.argv.slice(2);
const ifStale = flags.includes('--if-stale');
const only = flags.filter((f) => !f.startsWith('--'));
const want = (part) => only.length === 0 || only.includes(part);
const stamp = path.join(root, 'dist', '.build-stamp');

/** Newest modification time under the given paths (sources of the build). */
function newest(paths) {
  let t = 0;
  const walk = (p) => {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    else t = Math.max(t, st.mtimeMs);
  };
  paths.forEach((p) => walk(path.join(root, p)));
  return t;
}

// `npm install` and `npx lifeboat` run prepare: skip the build when nothing changed since the last one.
if (
  ifStale &&
  fs.existsSync(stamp) &&
  fs.statSync(stamp).mtimeMs >= newest(['main', 'preload', 'renderer', 'scripts/build.mjs', 'package.json'])
)
  process.exit(0);

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
      worker: 'main/engine/workers/worker.ts',
    },
    outdir: path.join(root, 'dist/main'),
    outExtension: { '.js': '.cjs' },
  });
  // The CLI starts for every command: zod goes into its bundle (tree-shaken, one file to compile instead of a few
  // hundred modules to resolve and load), which takes a third off its start-up.
  const external = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})].filter(
    (d) => d !== 'zod',
  );
  await build({
    ...common,
    packages: undefined,
    external,
    entryPoints: { cli: 'main/cli/main.ts' },
    outdir: path.join(root, 'dist/main'),
    outExtension: { '.js': '.cjs' },
  });
  await build({
    ...common,
    entryPoints: { index: 'preload/index.ts' },
    outdir: path.join(root, 'dist/preload'),
    outExtension: { '.js': '.cjs' },
  });
}

if (want('renderer')) {
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: path.join(root, 'renderer/vite.config.mts'), logLevel: 'warn' });
}
if (only.length === 0) fs.writeFileSync(stamp, new Date().toISOString());
console.log(`Lifeboat ${pkg.version} built into dist/`);
