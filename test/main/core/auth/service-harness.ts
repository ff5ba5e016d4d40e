/**
 * The auth service with real parts for integration tests: the demo IdP on 127.0.0.1 (restartable
 * on its port, its grants kept), headless Chromium as the system browser, a real SQLite file and the
 * real Secret Service under a service name unique to the harness, a policy file in a temp dir, and
 * a clock that runs with real time plus an offset the test moves. Notes and their sync are wired as
 * in the app (src/main/core/sync/note-sync.ts).
 *
 * It records every pushed state, every log line and every token the IdP's token endpoint handed
 * out (through the injected fetch), so tests can assert that no state or log line holds a token.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startDemoIdp, type DemoIdp } from '../../../../idp/demo-idp';
import { signInThroughBrowser } from '../../../helpers/browser-sign-in';
import { demoIdpPolicy, writePolicyFile } from '../../../helpers/test-policy';
import type { AppState } from '../../../../src/shared/app-state';
import { createAuthServiceWith, type AuthServiceOptions } from '../../../../src/main/core/auth/auth-service';
import type { AuthService, SignInRequest } from '../../../../src/main/core/auth/auth-service-port';
import type { FieldNotes } from '../../../../src/main/core/notes/field-notes';
import { auditEvents, type AuditEvent } from '../../../../src/main/core/audit/audit-log';
import type { Clock } from '../../../../src/main/core/clock';
import { LogFile } from '../../../../src/main/adapters/logging/log-file';
import type { FetchFn } from '../../../../src/main/core/oauth/http-client';
import { createKeytarSecretStore } from '../../../../src/main/adapters/keychain/keytar-secret-store';
import { openDatabase, type Database } from '../../../../src/main/adapters/sqlite/database';
import { watchWakeSignals } from '../../../../src/main/adapters/os/wake-signals';
import { startNoteSync, type NoteSync } from '../../../../src/main/core/sync/note-sync';

export const ACCESS_TTL_SECONDS = 600;
export const SKEW_SECONDS = 60;

/** Real time plus an offset the test moves (the demo IdP keeps real time). */
export class OffsetClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

export interface HarnessOptions {
  /** Headless Chromium for `signInAs`; a test that never signs in may leave it out. */
  browser?: Browser;
  /** Extra policy fields (the policy file is written from them). */
  policy?: Record<string, unknown>;
  service?: AuthServiceOptions;
  /** Also write every log line to the log file in `logDir`, as the Electron shell does. */
  logFile?: boolean;
}

export class ServiceHarness {
  readonly dir = mkdtempSync(join(tmpdir(), 'fieldkey-auth-'));
  readonly clock = new OffsetClock();
  readonly keychainService = `FieldKey-test-auth-${process.pid}-${randomBytes(4).toString('hex')}`;
  readonly states: AppState[] = [];
  readonly logLines: string[] = [];
  readonly tokens = new Set<string>();
  /** The log folder when `logFile` is on. */
  readonly logDir = join(this.dir, 'logs');
  private readonly logFile: LogFile | undefined;
  /** Holds each token endpoint answer this long after the IdP sent it (a slow network). */
  tokenDelayMs = 0;
  idp!: DemoIdp;
  db!: Database;
  service!: AuthService;
  notes!: FieldNotes;
  /** The notes' sync as the app wires it (it syncs only when the policy names a Field API). */
  noteSync!: NoteSync;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: HarnessOptions) {
    if (options.logFile) this.logFile = new LogFile({ dir: this.logDir });
  }

  get policyFile(): string {
    return join(this.dir, 'policy.json');
  }

  async start(): Promise<void> {
    await this.startIdp(0);
    this.writePolicy(demoIdpPolicy(this.idp, SKEW_SECONDS, this.options.policy));
    this.db = openDatabase(join(this.dir, 'fieldkey.db'));
    await this.startService();
  }

  writePolicy(document: unknown): void {
    writePolicyFile(this.policyFile, document);
  }

  async startIdp(port = this.idp.port): Promise<void> {
    this.idp = await startDemoIdp({ port, dataDir: join(this.dir, 'idp'), accessTokenTtlSeconds: ACCESS_TTL_SECONDS });
  }

  /** A new service on the same data (an app restart). */
  async startService(): Promise<void> {
    this.unsubscribe?.();
    this.service = await createAuthServiceWith(
      {
        env: { FIELDKEY_POLICY: this.policyFile, FIELDKEY_DATA_DIR: this.dir, FIELDKEY_KEYCHAIN_SERVICE: this.keychainService },
        platform: 'linux',
        db: this.db,
        clock: this.clock,
        fetch: this.recordingFetch,
        log: (line) => {
          this.logLines.push(line);
          this.logFile?.info(line);
        },
        secrets: createKeytarSecretStore({ service: this.keychainService }),
        watchWakeSignals,
      },
      {
        decisionIntervalMs: 250,
        network: { offlineMinMs: 100, offlineMaxMs: 400, onlineIntervalMs: 2000 },
        httpTimeoutMs: 5000,
        ...this.options.service,
      },
    );
    this.states.push(this.service.getState());
    this.unsubscribe = this.service.subscribe((state) => this.states.push(state));
    await this.noteSync?.close();
    this.noteSync = startNoteSync({
      db: this.db,
      clock: this.clock,
      fetch: this.recordingFetch,
      auth: this.service,
      log: (line) => this.logLines.push(line),
      timeoutMs: 5000,
    });
    this.notes = this.noteSync.notes;
  }

  /** The injected fetch: Node's, recording every token the token endpoint returns. */
  private readonly recordingFetch: FetchFn = async (input, init) => {
    const response = await fetch(input, init);
    if (new URL(input).pathname !== '/token') return response;
    if (this.tokenDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.tokenDelayMs));
    if (response.ok) {
      const body = (await response
        .clone()
        .json()
        .catch(() => ({}))) as Record<string, unknown>;
      for (const name of ['access_token', 'id_token', 'refresh_token']) {
        if (typeof body[name] === 'string') this.tokens.add(body[name]);
      }
    }
    return response;
  };

  state(): AppState {
    return this.service.getState();
  }

  /** Resolves with the first state (current or pushed) matching `predicate`. */
  waitFor<S extends AppState>(predicate: (state: AppState) => state is S, what: string, timeoutMs?: number): Promise<S>;
  waitFor(predicate: (state: AppState) => boolean, what: string, timeoutMs?: number): Promise<AppState>;
  async waitFor(predicate: (state: AppState) => boolean, what: string, timeoutMs = 15_000): Promise<AppState> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = this.service.getState();
      if (predicate(state)) return state;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; state is ${JSON.stringify(state)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Begins a sign-in, completes it in Chromium as `username`, and returns the URL it opened. */
  async signInAs(username: string, request: SignInRequest = { purpose: 'sign-in' }): Promise<string> {
    if (!this.options.browser) throw new Error('ServiceHarness.signInAs needs a browser');
    const user = this.idp.users.find((u) => u.username === username)!;
    const started = await this.service.beginSignIn(request);
    await signInThroughBrowser({
      browser: this.options.browser,
      authorizationUrl: started.authorizationUrl,
      username,
      password: user.password,
    });
    return started.authorizationUrl;
  }

  auditTypes(): string[] {
    return [...auditEvents(this.db)].map((e) => e.type);
  }

  auditEvents(): AuditEvent[] {
    return [...auditEvents(this.db)];
  }

  /** Every pushed state, log line and audit row, searched for every token the IdP handed out. */
  leakedTokens(): string[] {
    const haystacks = [
      ...this.states.map((s) => JSON.stringify(s)),
      JSON.stringify(this.service.getState()),
      ...this.logLines,
      ...[...auditEvents(this.db)].map((e) => JSON.stringify(e)),
    ];
    return [...this.tokens].filter((token) => haystacks.some((text) => text.includes(token)));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.service?.dispose();
    await this.noteSync?.close();
    if (this.db?.open) this.db.close();
    await this.idp?.stop();
    const secrets = createKeytarSecretStore({ service: this.keychainService });
    for (const entry of await secrets.list().catch(() => [])) await secrets.delete(entry).catch(() => false);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
