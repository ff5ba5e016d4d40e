/**
 * The development web host as its own process (`node --import tsx webhost/index.ts`), the
 * way a developer runs `npm run web`, with its clock under libfaketime: the offset in `clockFile`
 * (e.g. `+900`, `-3h`, `+0`) is re-read on every clock reading, so a test moves the app's clock
 * while it runs. Only the wall clock is faked (timers keep real monotonic time); the demo IdP runs in
 * the test process on real time, like a server would.
 */
import type { ChildProcess } from 'node:child_process';
import { startOnFakeClock, stopProcess } from './faketime-process';

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
    const started = await startOnFakeClock(
      ['webhost/index.ts', '--port', '0', '--renderer-dir', options.rendererDir],
      options.env,
      options.clockFile,
      'the web host',
    );
    const url = started.firstLine.split(' ').at(-1)!;
    const host = new WebHostProcess(started.child, started.firstLine, url);
    host.errors.push(...started.errors);
    started.child.stderr!.on('data', (chunk: string) => host.errors.push(chunk));
    started.lines.on('line', (line) => host.lines.push(line));
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
  stop(): Promise<void> {
    return stopProcess(this.child);
  }
}
