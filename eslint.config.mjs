// Lint: TypeScript's recommended rules plus the layering rules of the architecture.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const noElectron = {
  paths: [{ name: 'electron', message: 'The engine, web mode and CLI are pure Node: only main/host and preload may import electron.' }],
  patterns: [{ group: ['**/host/**', '**/renderer/**'], message: 'Lower layers never import the host or the renderer.' }],
};

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'test-results/**', 'test/artifacts/**', 'playwright-report/**'] },
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
  { files: ['main/engine/**', 'main/server/**', 'main/cli/**'], rules: { 'no-restricted-imports': ['error', noElectron] } },
  {
    files: ['renderer/src/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron', 'better-sqlite3', 'piscina'].map((name) => ({ name, message: 'The renderer reaches the engine only through the API bridge.' })),
          patterns: [{ group: ['node:*', '**/engine/db/**', '**/engine/jobs/**', '**/engine/engine'], message: 'The renderer reaches the engine only through the API bridge.' }],
        },
      ],
    },
  },
);
