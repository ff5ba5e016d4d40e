/**
 * electron-vite build: main (ESM, native modules external), preload (CommonJS: sandboxed preloads
 * cannot load ES modules) and the React renderer (served from app://fieldkey/, so no inline script).
 * Output: out/main/index.js, out/preload/index.cjs, out/renderer/.
 */
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

// Native modules are rebuilt for Electron and unpacked at packaging; the demo IdP's provider and
// the demo Field API's server are development-only (loaded by a dynamic import that packaged builds
// never reach).
const external = ['better-sqlite3', 'keytar', '@node-rs/argon2', 'oidc-provider', 'fastify'];

export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'src/main/index.ts') },
        external,
      },
    },
  },
  preload: {
    build: {
      externalizeDeps: true,
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'src/renderer'),
    plugins: [react()],
    build: {
      // No inline scripts or styles: everything is a file under the CSP's 'self'.
      assetsInlineLimit: 0,
      minify: true,
      modulePreload: { polyfill: false },
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'src/renderer/index.html') },
      },
    },
  },
});
