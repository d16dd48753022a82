// Bundles one TypeScript runner kept beside the tests (a bench section, the torture runner) as the build bundles the
// engine: one CommonJS file under dist/, so the helpers it imports keep their paths relative to the repository.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Bundles `entry` (relative to the repository) into `out` (relative too) and returns the bundle's absolute path. */
export async function bundleTs(entry, out) {
  const { build } = await import('esbuild');
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const outfile = path.join(root, out);
  await build({
    entryPoints: [path.join(root, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'warning',
    define: { __LIFEBOAT_VERSION__: JSON.stringify(pkg.version) },
  });
  return outfile;
}
