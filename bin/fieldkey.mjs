#!/usr/bin/env node
// The `fieldkey` command under Node (development, CI, support): runs the built command line,
// out/cli/fieldkey.mjs (`npm run build:cli`, or `npm run build`), which needs only the production
// dependencies. A packaged app runs the same CLI when given these arguments, without opening a window.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const BUILT = join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'cli', 'fieldkey.mjs');
if (!existsSync(BUILT)) {
  process.stderr.write(
    `fieldkey: the command line is not built (${BUILT} is missing). Build it with \`npm run build:cli\` ` +
      '(or `npm run build`) in the FieldKey checkout, then run this again.\n',
  );
  process.exit(2);
}
const { main } = await import(pathToFileURL(BUILT).href);
const { version: appVersion } = createRequire(import.meta.url)('../package.json');
const code = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  appVersion,
});
process.exitCode = code;
// A keychain call that never answers (a locked or hung Secret Service) must not keep the command
// alive after it has reported: end shortly after, without delaying a normal exit.
setTimeout(() => process.exit(code), 1000).unref();
