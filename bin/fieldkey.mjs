#!/usr/bin/env node
// The `fieldkey` command under Node (development, CI, support): runs the TypeScript CLI through tsx.
// A packaged app runs the same CLI when given these arguments, without opening a window.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main/cli/index.ts');
process.exitCode = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
