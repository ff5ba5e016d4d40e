/**
 * A repository script (e.g. `idp/cli.ts`) run with tsx as a real child process, its output
 * collected, for tests of the `npm run ...` entry points. Call `killTsxChildren()` in afterEach.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TSX = join(REPO, 'node_modules', '.bin', 'tsx');
const children: ChildProcess[] = [];

export interface TsxRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

/** `env` replaces the child's environment when given (default: this process's). */
export function runTsx(script: string, args: string[], env?: NodeJS.ProcessEnv): TsxRun {
  const child = spawn(TSX, [script, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Kills every child `runTsx` started that is still running. */
export function killTsxChildren(): void {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
}

/** Polls `probe` every 100 ms until it gives a value. */
export async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
