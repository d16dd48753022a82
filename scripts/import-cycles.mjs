/**
 * Import cycles of a source folder (default main/engine): the strongly connected components of its import graph,
 * type imports included, read with the TypeScript API. Prints how many files sit in cycles and the component
 * through engine.ts; `--list` prints every component. Usage: node scripts/import-cycles.mjs [folder] [--list]
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const args = process.argv.slice(2);
const root = path.resolve(args.find((a) => !a.startsWith('--')) ?? 'main/engine');
const files = [];
(function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) files.push(p);
  }
})(root);
const known = new Set(files);
const resolve = (from, spec) => {
  if (!spec.startsWith('.')) return null;
  const base = path.resolve(path.dirname(from), spec);
  return [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')].find((c) => known.has(c)) ?? null;
};
const graph = new Map(
  files.map((f) => {
    const info = ts.preProcessFile(fs.readFileSync(f, 'utf8'), true, true);
    return [f, [...new Set(info.importedFiles.map((i) => resolve(f, i.fileName)).filter(Boolean))]];
  }),
);

// Tarjan's algorithm; it recurses as deep as the longest import chain (a few dozen files).
let counter = 0;
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const components = [];
function visit(v) {
  index.set(v, counter);
  low.set(v, counter++);
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v)) {
    if (!index.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
  }
  if (low.get(v) !== index.get(v)) return;
  const component = [];
  let w;
  do {
    w = stack.pop();
    onStack.delete(w);
    component.push(path.relative(root, w));
  } while (w !== v);
  if (component.length > 1) components.push(component.sort());
}
for (const f of files) if (!index.has(f)) visit(f);

const throughEngine = components.find((c) => c.includes('engine.ts'));
const inCycles = components.reduce((n, c) => n + c.length, 0);
console.log(
  `${files.length} files; ${components.length} cycles holding ${inCycles} files; through engine.ts: ${throughEngine?.length ?? 0} files`,
);
if (args.includes('--list'))
  for (const c of components.sort((a, b) => b.length - a.length)) console.log(`${c.length}: ${c.join(' ')}`);
