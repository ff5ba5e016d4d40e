#!/usr/bin/env node
// The `fieldkey` command under Node (development, CI, support): runs the TypeScript CLI through tsx.
// A packaged app runs the same CLI when given these arguments, without opening a window.
import { createRequire } from 'node:module';
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main/cli/index.ts');
const { version: appVersion } = createRequire(import.meta.url)('../package.json');
const code = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, appVersion });
process.exitCode = code;
// A keychain call that never answers (a locked or hung Secret Service) must not keep the command
// alive after it has reported: end shortly after, without delaying a normal exit.
setTimeout(() => process.exit(code), 1000).unref();
