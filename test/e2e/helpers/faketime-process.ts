/**
 * A development tool (the web host, the demo IdP) started as its own process under libfaketime: the
 * offset in `clockFile` (`+900`, `-3h`, `+0`) is re-read at every clock reading, so a test moves the
 * process's wall clock while it runs; timers keep real monotonic time. The process counts as
 * started once it prints its first line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';

export const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const STARTUP_TIMEOUT_MS = 60_000;

export interface FaketimeProcess {
  child: ChildProcess;
  firstLine: string;
  /** The rest of stdout, line by line. */
  lines: Interface;
  /** Everything on stderr, as it arrives. */
  errors: string[];
}

/** Starts `node --import tsx <args>` with `env` on the clock in `clockFile`; `what` names it in errors. */
export async function startOnFakeClock(
  args: string[],
  env: Record<string, string>,
  clockFile: string,
  what: string,
): Promise<FaketimeProcess> {
  if (!existsSync(LIBFAKETIME)) throw new Error(`libfaketime is missing (${LIBFAKETIME}); run scripts/setup-system.sh`);
  if (!existsSync(clockFile)) writeFileSync(clockFile, '+0\n');
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      ...env,
      LD_PRELOAD: LIBFAKETIME,
      FAKETIME_TIMESTAMP_FILE: clockFile,
      FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const errors: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => errors.push(chunk));
  const lines = createInterface({ input: child.stdout! });
  const firstLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${errors.join('')}`)), STARTUP_TIMEOUT_MS);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${errors.join('')}`));
    });
  });
  return { child, firstLine, lines, errors };
}

/** SIGTERM, then waits for the exit (SIGKILL after 10 s). */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
