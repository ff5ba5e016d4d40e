/**
 * The demo IdP as its own process (`node --import tsx idp/cli.ts`), on the app's libfaketime clock:
 * for the tests where the whole world's clock moves (a suspend and resume), not just the laptop's.
 * It shares the clock file with the web host, so both read the same offset at every clock reading.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CLIENT_ID, DEMO_USERS, type DemoIdp } from '../../../idp/demo-idp';
import { LIBFAKETIME } from './web-host-process';

const STARTUP_TIMEOUT_MS = 60_000;

export interface IdpProcessOptions {
  port: number;
  dataDir: string;
  accessTokenTtlSeconds: number;
  clockFile: string;
}

export class IdpProcess implements Pick<DemoIdp, 'issuer' | 'port' | 'clientId' | 'users' | 'stop'> {
  readonly clientId = CLIENT_ID;
  readonly users = DEMO_USERS;
  readonly errors: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly issuer: string,
  ) {}

  get port(): number {
    return Number(new URL(this.issuer).port);
  }

  static async start(options: IdpProcessOptions): Promise<IdpProcess> {
    const args = ['--import', 'tsx', 'idp/cli.ts', '--port', String(options.port), '--data-dir', options.dataDir, '--access-token-ttl', String(options.accessTokenTtlSeconds)];
    const child = spawn(process.execPath, args, {
      cwd: process.cwd(),
      env: { ...process.env, LD_PRELOAD: LIBFAKETIME, FAKETIME_TIMESTAMP_FILE: options.clockFile, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const errors: string[] = [];
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => errors.push(chunk));
    const lines = createInterface({ input: child.stdout! });
    const first = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the demo IdP did not start: ${errors.join('')}`)), STARTUP_TIMEOUT_MS);
      lines.once('line', (line) => {
        clearTimeout(timer);
        resolve(line);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the demo IdP exited with ${code}: ${errors.join('')}`));
      });
    });
    const issuer = /listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first)?.[1];
    if (!issuer) throw new Error(`unexpected first line from the demo IdP: ${first}`);
    lines.on('line', () => undefined); // keep draining the banner
    const idp = new IdpProcess(child, issuer);
    idp.errors.push(...errors);
    return idp;
  }

  /** SIGTERM (the CLI stops the IdP and closes its store), then waits for the exit (SIGKILL after 10 s). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
