/**
 * The auth coordinator's race rules, fast, over fakes of the vault and the IdP client (each step
 * a promise the test settles by hand), a real SQLite file for the time records and the audit log,
 * and real signed tokens decided by the real offline decision:
 *  - a lock during an unlock wins: the unlock ends `session_locked`, nothing stays unlocked;
 *  - a lock during a refresh: the state is locked at once, the key is dropped only after the
 *    refresh has sealed its rotated refresh token;
 *  - a sign-out during a refresh waits for it and revokes the rotated refresh token;
 *  - two intents at once run one after the other;
 *  - dispose during an unlock: nothing is unlocked afterwards and nothing more is pushed.
 * The same rules against the real vault, keychain and IdP are in ../auth-service*.integration.test.ts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppState } from '../../../../src/shared/app-state';
import { FieldKeyError } from '../../../../src/shared/errors';
import { accountIdFor } from '../../../../src/main/core/accounts/account-id';
import type { Account } from '../../../../src/main/core/accounts/account-store';
import { createAuthServiceWith, type AuthIdp, type AuthVault } from '../../../../src/main/core/auth/auth-service';
import type { AuthService } from '../../../../src/main/core/auth/auth-service-port';
import { keysFromJwks } from '../../../../src/main/core/offline/cached-keys';
import type { Refresher } from '../../../../src/main/core/oauth/refresh';
import type { SecretStore } from '../../../../src/main/core/secrets/secret-store';
import type { SessionTokens } from '../../../../src/main/core/secrets/session-tokens';
import type { UnlockedSession } from '../../../../src/main/core/secrets/unlocked-session';
import { TimeRecords } from '../../../../src/main/core/records/time-records';
import { AUDIENCE, ISSUER, NOW, NOW_S, claims, makeKey, sign, type TestKey } from '../offline/token-factory';
import { openTempDatabase, type TempDatabase } from '../../../helpers/temp-database';

const PIN = '482915';

/** The coordinator never reaches the keychain itself here: the fake vault and IdP own it. */
function memorySecrets(): SecretStore {
  const refuse = async (): Promise<never> => {
    throw new Error('the coordinator used the keychain directly');
  };
  return { get: refuse, set: refuse, delete: refuse, list: refuse } as unknown as SecretStore;
}
const SUB = 'tech-42';
const ACCOUNT_ID = accountIdFor(ISSUER, SUB);

class Deferred<T> {
  resolve!: (value: T) => void;
  reject!: (error: unknown) => void;
  readonly promise = new Promise<T>((resolve, reject) => {
    this.resolve = resolve;
    this.reject = reject;
  });
}

/** The vault's behaviour the coordinator relies on, with unlocks the test lets through by hand. */
class FakeVault {
  readonly unlocks: Deferred<void>[] = [];
  readonly locks: string[] = [];
  private readonly epochs = new Map<string, number>();
  private readonly lockedNow = new Set<string>();
  private readonly sessions = new Set<string>([ACCOUNT_ID]);
  tokens: SessionTokens = {};
  readonly account: Account = {
    id: ACCOUNT_ID,
    issuer: ISSUER,
    displayName: 'Tess',
    email: 'tess@example.com',
    createdAt: 0,
    updatedAt: 0,
  };

  listAccounts() {
    return [{ ...this.account, hasSession: this.sessions.has(ACCOUNT_ID), unlocked: !this.lockedNow.has(ACCOUNT_ID) }];
  }
  getAccount(id: string) {
    return id === ACCOUNT_ID ? this.listAccounts()[0] : undefined;
  }
  hasSession(id: string) {
    return this.sessions.has(id);
  }
  async unlock(id: string, pin: string): Promise<UnlockedSession> {
    const epoch = this.epochs.get(id) ?? 0;
    if (pin !== PIN) throw new FieldKeyError('wrong_pin', 'Wrong PIN.');
    const step = new Deferred<void>();
    this.unlocks.push(step);
    await step.promise;
    if ((this.epochs.get(id) ?? 0) !== epoch) throw new FieldKeyError('session_locked', 'Locked while unlocking.');
    this.lockedNow.delete(id);
    return this.session(id);
  }
  lock(id: string) {
    this.locks.push(id);
    this.lockedNow.add(id);
    this.epochs.set(id, (this.epochs.get(id) ?? 0) + 1);
  }
  lockAll() {
    this.lock(ACCOUNT_ID);
  }
  async attemptStatus() {
    return { failures: 0, attemptsLeft: 5, lockedOut: false };
  }
  async wipeSession(id: string) {
    this.sessions.delete(id);
  }
  async settle() {}
  async prepareKdf() {
    return { memoryKiB: 19456, iterations: 2, parallelism: 1 };
  }
  addAccount(): Account {
    return this.account;
  }
  createSession(): Promise<UnlockedSession> {
    throw new Error('not used by these tests');
  }
  isLocked(id: string) {
    return this.lockedNow.has(id);
  }
  private session(id: string): UnlockedSession {
    const lockedNow = this.lockedNow;
    return {
      accountId: id,
      get isLocked() {
        return lockedNow.has(id);
      },
      tokens: () => {
        if (lockedNow.has(id)) throw new FieldKeyError('session_locked', 'locked');
        return structuredClone(this.tokens);
      },
      reseal: async (tokens: SessionTokens) => {
        this.tokens = structuredClone(tokens);
      },
    } as unknown as UnlockedSession;
  }
}

/** The IdP client: reachable or not, refreshes settled by hand, revocations recorded. */
class FakeIdp {
  reachable = true;
  readonly refreshes: Deferred<SessionTokens>[] = [];
  readonly revoked: (string | undefined)[] = [];
  readonly times: TimeRecords;

  constructor(
    db: TempDatabase['db'],
    private readonly key: TestKey,
    private readonly vault: FakeVault,
  ) {
    this.times = new TimeRecords(db);
  }

  build(): AuthIdp {
    const policy = { issuer: ISSUER, clientId: AUDIENCE };
    const offline = () => new FieldKeyError('offline', 'no network in this test');
    return {
      policy,
      discoveryCache: {},
      jwks: {
        keys: () => keysFromJwks({ keys: [this.key.jwk] }),
        syncForUnknownKid: async () => ({ outcome: 'network_error', detail: 'offline' }),
        syncIfStale: async () => ({ outcome: 'not_modified' }),
        importBundledFile: async () => undefined,
      },
      times: this.times,
      probe: async () => this.reachable,
      signInDeps: () => {
        throw new Error('not used by these tests');
      },
      signOutDeps: () => ({
        policy,
        http: { fetch: async () => Promise.reject(offline()) },
        metadata: async () => Promise.reject(offline()),
        queue: {
          enqueue: async (entry: { refreshToken: string }) => (this.revoked.push(entry.refreshToken), 'entry-1'),
          remove: async () => undefined,
          pending: async () => [],
        },
      }),
      refresher: (session: { tokens(): SessionTokens; reseal(t: SessionTokens): Promise<void> }) => this.refresher(session),
      revokeUnsealed: async () => 'queued',
      queueRevocation: async () => undefined,
    } as unknown as AuthIdp;
  }

  private refresher(session: { tokens(): SessionTokens; reseal(t: SessionTokens): Promise<void> }): Refresher {
    let inFlight: Promise<SessionTokens> | undefined;
    const once = async (): Promise<SessionTokens> => {
      const step = new Deferred<SessionTokens>();
      this.refreshes.push(step);
      const next = await step.promise;
      await session.reseal(next); // the rotated refresh token is sealed before anything else
      return next;
    };
    return {
      dueAt: () => new Date(NOW.getTime() + 3_600_000),
      refresh: () => (inFlight ??= once().finally(() => (inFlight = undefined))),
      idle: async () => {
        await inFlight?.catch(() => undefined);
      },
    } as unknown as Refresher;
  }
}

let t: TempDatabase;
let vault: FakeVault;
let idp: FakeIdp;
let service: AuthService;
let states: AppState[];

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeEach(async () => {
  t = openTempDatabase();
  const key = await makeKey('ES256', 'k1');
  vault = new FakeVault();
  vault.tokens = { accessToken: await sign(key, claims({ sub: SUB })), refreshToken: 'rt-0', expiresAt: NOW_S + 900 };
  idp = new FakeIdp(t.db, key, vault);
  const policyFile = join(t.dir, 'policy.json');
  writeFileSync(
    policyFile,
    JSON.stringify({
      issuer: ISSUER,
      clientId: AUDIENCE,
      discoveryUrl: 'https://auth.acme.example/tenant/.well-known/openid-configuration',
    }),
  );
  service = await createAuthServiceWith(
    {
      env: { FIELDKEY_POLICY: policyFile, FIELDKEY_DATA_DIR: t.dir },
      platform: 'linux',
      db: t.db,
      clock: { now: () => new Date(NOW) },
      fetch: async () => new Response(),
      log: () => undefined,
      secrets: memorySecrets(),
    },
    {
      vault: vault as unknown as AuthVault,
      idp: idp.build(),
      wakeCheckIntervalMs: 60_000,
      network: { offlineMinMs: 60_000, offlineMaxMs: 60_000, onlineIntervalMs: 60_000 },
    },
  );
  states = [service.getState()];
  service.subscribe((s) => states.push(s));
});

afterEach(async () => {
  for (const step of idp.refreshes) step.resolve({ ...vault.tokens, refreshToken: 'rt-late' });
  for (const step of vault.unlocks) step.resolve();
  await service.dispose();
  t.cleanup();
});

/** Unlocks with the fake vault letting the key through at once; resolves when unlocked. */
async function unlocked(): Promise<void> {
  const unlocking = service.unlock(ACCOUNT_ID, PIN);
  await until(() => vault.unlocks.length > 0, 'the vault asked');
  vault.unlocks.shift()!.resolve();
  await unlocking;
  expect(service.activeAccountId()).toBe(ACCOUNT_ID);
}

describe('auth coordinator race rules', () => {
  it('a lock during an unlock wins: session_locked, nothing unlocked, the key dropped', async () => {
    const unlocking = service.unlock(ACCOUNT_ID, PIN);
    await until(() => vault.unlocks.length > 0, 'the vault asked');
    service.lock('suspend');
    vault.unlocks.shift()!.resolve();
    await expect(unlocking).rejects.toMatchObject({ code: 'session_locked' });
    expect(service.activeAccountId()).toBeUndefined();
    expect(service.getState().status).toBe('locked');
    expect(vault.isLocked(ACCOUNT_ID)).toBe(true);
    expect(states.some((s) => s.status === 'unlocked')).toBe(false);
  });

  it('a lock during a refresh locks the state at once and drops the key only after the rotated token is sealed', async () => {
    await unlocked();
    await until(() => idp.refreshes.length > 0, 'the refresh on unlock');
    service.lock('idle');
    expect(service.activeAccountId()).toBeUndefined();
    expect(await service.accessFor(ACCOUNT_ID)).toBe('locked');
    await until(() => service.getState().status === 'locked', 'the locked state pushed');
    expect(vault.isLocked(ACCOUNT_ID)).toBe(false); // the refresh in flight still needs the key to seal
    idp.refreshes.shift()!.resolve({ ...vault.tokens, refreshToken: 'rt-1' });
    await until(() => vault.isLocked(ACCOUNT_ID), 'the key dropped');
    expect(vault.tokens.refreshToken).toBe('rt-1');
  });

  it('a sign-out during a refresh waits for it and revokes the rotated refresh token', async () => {
    await unlocked();
    await until(() => idp.refreshes.length > 0, 'the refresh on unlock');
    const signingOut = service.signOut();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(idp.revoked).toEqual([]); // still waiting for the refresh
    idp.refreshes.shift()!.resolve({ ...vault.tokens, refreshToken: 'rt-1' });
    await signingOut;
    expect(idp.revoked).toEqual(['rt-1']);
    expect(vault.hasSession(ACCOUNT_ID)).toBe(false);
    expect(service.getState()).toMatchObject({ status: 'signed-out', notice: { code: 'signed_out' } });
  });

  it('two intents at once run one after the other', async () => {
    const first = service.unlock(ACCOUNT_ID, PIN);
    const second = service.switchAccount(ACCOUNT_ID);
    await until(() => vault.unlocks.length > 0, 'the vault asked');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(vault.unlocks).toHaveLength(1); // the switch waits for the unlock
    vault.unlocks.shift()!.resolve();
    await first;
    await second;
    expect(service.activeAccountId()).toBeUndefined(); // the switch came second and locked
    expect(service.getState()).toMatchObject({ status: 'locked', selectedAccountId: ACCOUNT_ID });
  });

  it('dispose during an unlock: nothing is unlocked afterwards, nothing more is pushed', async () => {
    const unlocking = service.unlock(ACCOUNT_ID, PIN).catch((error: unknown) => error);
    await until(() => vault.unlocks.length > 0, 'the vault asked');
    const disposing = service.dispose();
    const pushed = states.length;
    vault.unlocks.shift()!.resolve();
    await disposing;
    expect(await unlocking).toMatchObject({ code: 'session_locked' });
    expect(service.activeAccountId()).toBeUndefined();
    expect(states).toHaveLength(pushed);
  });
});
