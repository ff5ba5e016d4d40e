/**
 * Electron main entry (electron-vite `main`): everything Electron-specific is in ./shell.
 */
import { runElectronMain } from './shell/electron-main';

void runElectronMain().catch((error: unknown) => {
  process.stderr.write(`[fieldkey] FieldKey failed to start: ${error instanceof Error ? error.name : typeof error}\n`);
  process.exit(1);
});
