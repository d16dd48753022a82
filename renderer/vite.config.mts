// The renderer bundle: one static app served by web mode (strict CSP, no inline scripts) and loaded by Electron over
// its own app:// scheme, hence relative asset URLs.
import react from '@vitejs/plugin-react';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  plugins: [react()],
  build: {
    outDir: path.resolve(here, '../dist/renderer'),
    emptyOutDir: true,
    sourcemap: true,
    // Fluent UI and xterm make one large chunk; it is loaded from disk, so size warnings are noise.
    chunkSizeWarningLimit: 4096,
  },
});
