// `npm start` runs this first. The electron package downloads its binary on first launch (through
// `require('electron')`), but electron-vite's preview only looks for a downloaded binary. This
// checks for it, runs the package's own installer when it is missing, and when that cannot work (a
// closed network) prints one paragraph saying what to run instead, without the installer's stack
// trace. Exit status: 0 the binary is there, 1 it is not.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const INSTEAD =
  'run the same app in a browser through the development web host instead: ' +
  '`npm run build && npm run --silent web`, then open the URL on its first line.';

function fail(problem) {
  process.stderr.write(`FieldKey: ${problem} ${INSTEAD}\n`);
  process.exit(1);
}

let electronDir;
try {
  electronDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
} catch {
  fail('`npm start` needs the electron package, which is not installed (run `npm install`); or');
}

/** The downloaded binary's path, when it is there. */
function binary() {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const pathFile = join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const path = join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(path) ? path : undefined;
}

if (!binary()) {
  process.stdout.write('FieldKey: downloading the Electron binary (first launch only)...\n');
  const install = spawnSync(process.execPath, [join(electronDir, 'install.js')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (install.status !== 0 || !binary()) {
    // The installer's first line is its error ("TypeError: fetch failed"); the rest is its stack.
    const reason = `${install.stderr ?? ''}`.split('\n').find((line) => line.trim() !== '') ?? `exit status ${install.status}`;
    fail(
      `\`npm start\` needs the Electron binary, which is downloaded on first launch, and the download failed (${reason.trim()}). Where it cannot be downloaded,`,
    );
  }
}
