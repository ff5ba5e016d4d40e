/**
 * Everything an end-to-end test needs, all real: the demo IdP on 127.0.0.1 (stoppable and
 * restartable on its port, its grants kept), a policy file, a data directory with the SQLite file,
 * a keychain service name unique to the test file (the Secret Service of scripts/with-keyring.sh),
 * the renderer built as the app builds it, the development web host in its own process under
 * libfaketime, and headless Chromium as both the technician's window and the system browser.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startDemoIdp, type DemoIdp } from '../../../idp/demo-idp';
import { createKeytarSecretStore } from '../../../src/main/adapters/keychain/keytar-secret-store';
import { launchChromium } from '../../helpers/browser-sign-in';
import { demoIdpPolicy, writePolicyFile } from '../../helpers/test-policy';
import { buildRenderer } from '../../renderer/helpers/build-renderer';
import { WebHostProcess } from './web-host-process';

export const ACCESS_TOKEN_TTL_SECONDS = 600;

/** What the tests need of the IdP they sign in against. */
export type E2eIdp = Pick<DemoIdp, 'issuer' | 'clientId' | 'port' | 'users' | 'stop'>;

/** Starts the IdP on `port` (0: any), keeping its data in `dataDir`, given the app's clock file. */
export type StartIdp<I extends E2eIdp> = (port: number, dataDir: string, clockFile: string) => Promise<I>;

/** The default: the demo IdP in the test process, on real time, like a server. */
const inProcessIdp: StartIdp<DemoIdp> = (port, dataDir) => startDemoIdp({ port, dataDir, accessTokenTtlSeconds: ACCESS_TOKEN_TTL_SECONDS });

export class E2eEnvironment<I extends E2eIdp = DemoIdp> {
  readonly dir = mkdtempSync(join(tmpdir(), 'fieldkey-e2e-'));
  readonly keychainService = `FieldKey-e2e-${process.pid}-${randomBytes(4).toString('hex')}`;
  readonly clockFile = join(this.dir, 'faketime');
  readonly dataDir = join(this.dir, 'data');
  idp!: I;
  browser!: Browser;
  rendererDir!: string;
  host: WebHostProcess | undefined;
  context!: BrowserContext;
  page!: Page;

  get policyFile(): string {
    return join(this.dir, 'policy.json');
  }

  async start(policy: Record<string, unknown> = {}): Promise<void> {
    mkdirSync(this.dataDir, { recursive: true });
    this.setClock('+0');
    await this.startIdp(0);
    this.writePolicy(demoIdpPolicy(this.idp, 60, policy));
    [this.rendererDir, this.browser] = await Promise.all([buildRenderer(), launchChromium()]);
    await this.startHost();
  }

  writePolicy(document: unknown): void {
    writePolicyFile(this.policyFile, document);
  }

  /** The app's clock offset from real time, in libfaketime's notation: `+900` (seconds), `+25h`, `-3h`, `+0`. */
  setClock(offset: string): void {
    writeFileSync(this.clockFile, `${offset}\n`);
  }

  constructor(private readonly launchIdp: StartIdp<I> = inProcessIdp as unknown as StartIdp<I>) {}

  async startIdp(port = this.idp.port): Promise<void> {
    this.idp = await this.launchIdp(port, join(this.dir, 'idp'), this.clockFile);
  }

  async stopIdp(): Promise<void> {
    await this.idp.stop();
  }

  /** (Re)starts the web host on the same data and opens its page in a fresh browser context. */
  async startHost(): Promise<void> {
    await this.stopHost();
    this.host = await WebHostProcess.start({
      env: {
        FIELDKEY_POLICY: this.policyFile,
        FIELDKEY_DATA_DIR: this.dataDir,
        FIELDKEY_LOG_DIR: join(this.dataDir, 'logs'),
        FIELDKEY_KEYCHAIN_SERVICE: this.keychainService,
      },
      rendererDir: this.rendererDir,
      clockFile: this.clockFile,
    });
    this.context = await this.browser.newContext({ viewport: { width: 1200, height: 800 } });
    this.page = await this.context.newPage();
    this.page.setDefaultTimeout(20_000);
    await this.page.goto(this.host.url);
    await this.page.getByRole('status').waitFor();
  }

  async stopHost(): Promise<void> {
    await this.context?.close().catch(() => undefined);
    await this.host?.stop();
    this.host = undefined;
  }

  async stop(): Promise<void> {
    await this.stopHost();
    await this.browser?.close();
    await this.idp?.stop().catch(() => undefined);
    const secrets = createKeytarSecretStore({ service: this.keychainService });
    for (const entry of await secrets.list().catch(() => [])) await secrets.delete(entry).catch(() => false);
    if (this.rendererDir) rmSync(dirname(this.rendererDir), { recursive: true, force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface E2eHooksOptions {
  /** Policy settings over the demo IdP's (see E2eEnvironment.start). */
  policy?: Record<string, unknown>;
  /** Runs after the start, in the same beforeAll (180 s for both). */
  prepare?: () => Promise<void>;
}

/**
 * A test file's hooks around `env`: start it (then `prepare`) before all tests, print the web
 * host's output when a test fails, stop it after all.
 */
export function useE2eEnvironment<I extends E2eIdp>(env: E2eEnvironment<I>, options: E2eHooksOptions = {}): void {
  beforeAll(async () => {
    await env.start(options.policy);
    await options.prepare?.();
  }, 180_000);

  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => console.error(`web host output:\n${env.host?.lines.join('\n') ?? ''}\n${env.host?.errors.join('') ?? ''}`));
  });

  afterAll(async () => {
    await env.stop();
  });
}
