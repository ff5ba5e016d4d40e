/**
 * The development web host as its own process (`node --import tsx webhost/index.ts`), the
 * way a developer runs `npm run web`, with its clock under libfaketime: the offset in `clockFile`
 * (e.g. `+900`, `-3h`, `+0`) is re-read on every clock reading, so a test moves the app's clock
 * while it runs. Only the wall clock is faked (timers keep real monotonic time); the demo IdP runs in
 * the test process on real time, like a server would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const STARTUP_TIMEOUT_MS = 60_000;

export interface WebHostProcessOptions {
  /** FIELDKEY_POLICY, FIELDKEY_DATA_DIR, FIELDKEY_KEYCHAIN_SERVICE, ... */
  env: Record<string, string>;
  rendererDir: string;
  /** The libfaketime offset file; its current content applies from the first clock reading. */
  clockFile: string;
}

export class WebHostProcess {
  readonly lines: string[] = [];
  readonly errors: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    /** The first line of output, and the URL at its end. */
    readonly firstLine: string,
    readonly url: string,
  ) {}

  get origin(): string {
    return new URL(this.url).origin;
  }

  static async start(options: WebHostProcessOptions): Promise<WebHostProcess> {
    if (!existsSync(LIBFAKETIME)) throw new Error(`libfaketime is missing (${LIBFAKETIME}); run scripts/setup-system.sh`);
    if (!existsSync(options.clockFile)) writeFileSync(options.clockFile, '+0\n');
    const child = spawn(process.execPath, ['--import', 'tsx', 'webhost/index.ts', '--port', '0', '--renderer-dir', options.rendererDir], {
      cwd: process.cwd(),
      env: {
        ...process.env,
        ...options.env,
        LD_PRELOAD: LIBFAKETIME,
        FAKETIME_TIMESTAMP_FILE: options.clockFile,
        FAKETIME_NO_CACHE: '1',
        FAKETIME_DONT_FAKE_MONOTONIC: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const errors: string[] = [];
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => errors.push(chunk));
    const lines = createInterface({ input: child.stdout! });
    const first = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the web host did not start: ${errors.join('')}`)), STARTUP_TIMEOUT_MS);
      lines.once('line', (line) => {
        clearTimeout(timer);
        resolve(line);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the web host exited with ${code}: ${errors.join('')}`));
      });
    });
    const url = first.split(' ').at(-1)!;
    const host = new WebHostProcess(child, first, url);
    host.errors.push(...errors);
    child.stderr!.on('data', (chunk: string) => host.errors.push(chunk));
    lines.on('line', (line) => host.lines.push(line));
    return host;
  }

  /** Sends `signal` now (SIGKILL: a crash, nothing runs after it) and waits for the exit. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill(signal);
    await exited;
  }

  /** SIGTERM, then waits for the exit (SIGKILL after 10 s). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
