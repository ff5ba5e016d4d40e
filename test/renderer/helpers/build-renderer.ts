/**
 * Builds the renderer exactly as `electron-vite build` does (the `renderer` section of
 * electron.vite.config.ts) into a temporary directory, so renderer tests never depend on a stale
 * out/renderer and never need the main process to build.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type InlineConfig } from 'vite';
import config from '../../../electron.vite.config';

export async function buildRenderer(): Promise<string> {
  const outDir = join(mkdtempSync(join(tmpdir(), 'fieldkey-renderer-')), 'renderer');
  const renderer = (config as { renderer: InlineConfig }).renderer;
  // Vitest sets NODE_ENV=test; Vite and the React plugin read it to pick development JSX. Build
  // what the app ships: production.
  const previous = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      ...renderer,
      configFile: false,
      mode: 'production',
      base: './',
      logLevel: 'silent',
      build: { ...renderer.build, outDir, emptyOutDir: true },
    });
  } finally {
    process.env.NODE_ENV = previous;
  }
  return outDir;
}
