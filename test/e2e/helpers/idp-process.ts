/**
 * The demo IdP as its own process (`node --import tsx idp/cli.ts`), on the app's libfaketime clock:
 * for the tests where the whole world's clock moves (a suspend and resume), not just the laptop's.
 * It shares the clock file with the web host, so both read the same offset at every clock reading.
 */
import type { ChildProcess } from 'node:child_process';
import { CLIENT_ID, DEMO_USERS, type DemoIdp } from '../../../idp/demo-idp';
import { startOnFakeClock, stopProcess } from './faketime-process';

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
    const args = [
      'idp/cli.ts',
      '--port',
      String(options.port),
      '--data-dir',
      options.dataDir,
      '--access-token-ttl',
      String(options.accessTokenTtlSeconds),
    ];
    const started = await startOnFakeClock(args, {}, options.clockFile, 'the demo IdP');
    const issuer = /listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(started.firstLine)?.[1];
    if (!issuer) throw new Error(`unexpected first line from the demo IdP: ${started.firstLine}`);
    started.lines.on('line', () => undefined); // keep draining the banner
    const idp = new IdpProcess(started.child, issuer);
    idp.errors.push(...started.errors);
    return idp;
  }

  /** SIGTERM (the CLI stops the IdP and closes its store), then waits for the exit. */
  stop(): Promise<void> {
    return stopProcess(this.child);
  }
}
