// Lint: TypeScript's recommended rules plus the layering rule of the architecture (LAYERS: what each layer may import).
import js from '@eslint/js';
import globals from 'globals';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

/**
 * The layers and what each may import (VS Code's code-layering is the model). A file's layer is the folder it lives
 * in; an import that resolves into a layer not on its list is bad layering. `node`: Node's own modules and the native
 * ones (better-sqlite3, piscina); `electron`: the electron module. test/ and scripts/ may import anything.
 */
const LAYERS = [
  { name: 'shared', dir: 'main/shared', may: [] },
  { name: 'engine', dir: 'main/engine', may: ['shared'], node: true },
  { name: 'server', dir: 'main/server', may: ['engine', 'shared'], node: true },
  { name: 'cli', dir: 'main/cli', may: ['engine', 'shared'], node: true },
  // The Electron host starts the same runtime as web mode (server/runtime.ts: the engine and its local socket).
  { name: 'host', dir: 'main/host', may: ['server', 'engine', 'shared'], node: true, electron: true },
  { name: 'preload', dir: 'preload', may: ['shared'], electron: true },
  { name: 'renderer', dir: 'renderer/src', may: ['shared'] },
];
const NODE_ONLY = new Set([...builtinModules, 'better-sqlite3', 'piscina']);

const layerOf = (file) => LAYERS.find((l) => (path.relative(ROOT, file) + '/').startsWith(l.dir + '/'));

/** What `spec`, imported from `file`, reaches: a layer's name, "node", "electron", or null for anything else. */
function targetOf(file, spec) {
  if (spec.startsWith('.')) return layerOf(path.resolve(path.dirname(file), spec))?.name ?? null;
  if (spec === 'electron') return 'electron';
  return spec.startsWith('node:') || NODE_ONLY.has(spec.split('/')[0]) ? 'node' : null;
}

const layering = {
  meta: {
    type: 'problem',
    docs: { description: 'Each layer imports only the layers it names (eslint.config.mjs, LAYERS).' },
    schema: [],
    messages: {
      bad: 'bad layering: {{layer}} may not import {{target}} ("{{spec}}"); {{layer}} may import {{allowed}}.',
    },
  },
  create(context) {
    const layer = layerOf(context.filename);
    if (!layer) return {};
    const allowed = [...layer.may, ...(layer.node ? ['node'] : []), ...(layer.electron ? ['electron'] : [])];
    const check = (source) => {
      const spec = source?.type === 'Literal' && typeof source.value === 'string' ? source.value : null;
      const target = spec === null ? null : targetOf(context.filename, spec);
      if (target === null || target === layer.name || allowed.includes(target)) return;
      const data = { layer: layer.name, target, spec, allowed: allowed.join(', ') || 'no other layer of Lifeboat' };
      context.report({ node: source, messageId: 'bad', data });
    };
    return {
      ImportDeclaration: (n) => check(n.source),
      ExportNamedDeclaration: (n) => check(n.source),
      ExportAllDeclaration: (n) => check(n.source),
      ImportExpression: (n) => check(n.source),
      TSImportType: (n) => check(n.source?.type === 'Literal' ? n.source : n.argument?.literal),
      CallExpression: (n) => n.callee.type === 'Identifier' && n.callee.name === 'require' && check(n.arguments[0]),
    };
  },
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'release/**',
      'node_modules/**',
      'test-results/**',
      'test/artifacts/**',
      'playwright-report/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
      // Terminal code matches ANSI escape sequences on purpose.
      'no-control-regex': 'off',
    },
  },
  // Playwright fixtures must destructure their (possibly empty) dependencies.
  { files: ['test/e2e/**'], rules: { 'no-empty-pattern': 'off' } },
  {
    files: ['main/**', 'preload/**', 'renderer/src/**'],
    plugins: { lifeboat: { rules: { layering } } },
    rules: { 'lifeboat/layering': 'error' },
  },
  { files: ['renderer/src/**'], languageOptions: { globals: { ...globals.browser } } },
);
