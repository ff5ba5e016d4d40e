// `npm start` runs this first. Electron 42+ downloads its binary on first launch through
// `require('electron')`, but electron-vite's preview only looks for the downloaded binary and fails
// with "Electron uninstall"; requiring the package here triggers the download.
import { createRequire } from 'node:module';

try {
  createRequire(import.meta.url)('electron');
} catch (error) {
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  console.error(
    `FieldKey: the Electron binary is not available and could not be downloaded (${reason}).\n` +
      'Without it, run the same app in a browser through the development web host: npm run build && npm run web',
  );
  process.exit(1);
}
