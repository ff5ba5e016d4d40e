/**
 * The page-side bridge (page/web-bridge.ts) bundled for the browser at web host start-up, from the
 * same factory as the Electron preload, so there is no second hand-written copy of `window.fieldkey`.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ENTRY = fileURLToPath(new URL('./page/web-bridge.ts', import.meta.url));

export async function bundlePageBridge(): Promise<string> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    legalComments: 'none',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error('the page bridge bundle is empty');
  return output.text;
}
