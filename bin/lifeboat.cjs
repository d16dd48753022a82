#!/usr/bin/env node
// The `lifeboat` command: the bundled CLI (built by `npm install` / `npm run build`).
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'main', 'cli.cjs');
if (!fs.existsSync(cli)) {
  process.stderr.write(
    'Lifeboat is not built yet: run `npm install` (or `npm run build`) in ' + path.dirname(__dirname) + '\n',
  );
  process.exit(1);
}
loadWithCodeCache(cli);

/**
 * Runs the bundle as `require` would, with V8's code cache beside it: compiling the 1 MB bundle is most of the
 * command's start-up, and every command starts it. The cache is named by a hash of the bundle, because V8 checks only
 * the source's length and flags (a cache of an older bundle of the same length would run the old code). It is written
 * at exit when missing or rejected (another V8), replacing older ones; where dist/ is read-only it is not kept.
 */
function loadWithCodeCache(file) {
  const vm = require('node:vm');
  const Module = require('node:module');
  const source = fs.readFileSync(file, 'utf8');
  const digest = require('node:crypto').createHash('sha256').update(source).digest('hex').slice(0, 16);
  const cacheFile = `${file}.${digest}.v8cache`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    /* first run */
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  if (!cachedData || script.cachedDataRejected)
    process.once('exit', () => {
      try {
        const temp = `${cacheFile}.${process.pid}`;
        fs.writeFileSync(temp, script.createCachedData());
        fs.renameSync(temp, cacheFile);
        const base = path.basename(file);
        for (const old of fs.readdirSync(path.dirname(file)))
          if (old.startsWith(`${base}.`) && old.endsWith('.v8cache') && old !== path.basename(cacheFile))
            fs.rmSync(path.join(path.dirname(file), old), { force: true });
      } catch {
        /* read-only install: run without a cache */
      }
    });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  const req = (id) => mod.require(id);
  req.resolve = (id, opts) => Module._resolveFilename(id, mod, false, opts);
  script.runInThisContext()(mod.exports, req, mod, file, path.dirname(file));
}
