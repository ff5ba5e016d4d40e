/**
 * Shared set-up for the sealed-session tests: a real SQLite file in a temp dir, the real keychain
 * under a service name unique to the test file, a movable clock, and fast Argon2id parameters for
 * tests that do not test the parameters themselves.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../../../src/main/core/clock';
import { createKeytarSecretStore } from '../../../../src/main/adapters/keychain/keytar-secret-store';
import type { Argon2Params, Argon2ParamsSource } from '../../../../src/main/core/secrets/argon2-params';
import type { SecretStore } from '../../../../src/main/core/secrets/secret-store';
import { SessionVault, type VaultPolicy } from '../../../../src/main/core/secrets/session-vault';
import { openDatabase, type Database } from '../../../../src/main/adapters/sqlite/database';
import { FieldKeyError } from '../../../../src/shared/errors';

/** Below the OWASP floor on purpose, to keep tests fast; only tests may use it. */
export const FAST_PARAMS: Argon2Params = { memoryKiB: 1024, iterations: 1, parallelism: 1 };

export function fixedParams(params: Argon2Params): Argon2ParamsSource {
  return { current: async () => ({ ...params }), peek: () => ({ ...params }) };
}

export class MovableClock implements Clock {
  constructor(private ms = Date.UTC(2026, 0, 5, 8, 0, 0)) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export const testPolicy = { pin: { minLength: 6, maxAttempts: 5 }, maxAccounts: 3 };

export function uniqueService(tag: string): string {
  return `FieldKey-test-${tag}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * The vault the child-process fixtures open on the parent's database: real time, the test policy,
 * fast Argon2id parameters (and none known before an unlock reads them).
 */
export function childProcessVault(db: Database, secrets: SecretStore): SessionVault {
  return new SessionVault({
    db,
    secrets,
    clock: systemClock,
    policy: testPolicy,
    argon2: { current: async () => ({ ...FAST_PARAMS }), peek: () => undefined },
  });
}

/** A temp data dir with the database file, a keychain service, and constructors for fresh objects ("restarts"). */
export class VaultFixture {
  readonly dir = mkdtempSync(join(tmpdir(), 'fieldkey-vault-'));
  readonly file = join(this.dir, 'fieldkey.db');
  readonly clock = new MovableClock();
  readonly secrets: SecretStore;
  db: Database;
  vault: SessionVault;

  constructor(
    readonly service: string,
    private readonly argon2: Argon2ParamsSource = fixedParams(FAST_PARAMS),
    private readonly policy: VaultPolicy = testPolicy,
  ) {
    this.secrets = createKeytarSecretStore({ service });
    this.db = openDatabase(this.file);
    this.vault = this.newVault();
  }

  newVault(argon2: Argon2ParamsSource = this.argon2, secrets: SecretStore = this.secrets): SessionVault {
    return new SessionVault({ db: this.db, secrets, clock: this.clock, policy: this.policy, argon2 });
  }

  /** Closes the database and opens everything again, as an app restart does. */
  async restart(): Promise<void> {
    await this.vault.settle();
    this.db.close();
    this.db = openDatabase(this.file);
    this.vault = new SessionVault({
      db: this.db,
      secrets: createKeytarSecretStore({ service: this.service }),
      clock: this.clock,
      policy: this.policy,
      argon2: this.argon2,
    });
  }

  async cleanup(): Promise<void> {
    this.vault.lockAll();
    await this.vault.settle();
    if (this.db.open) this.db.close();
    for (const entry of await this.secrets.list()) await this.secrets.delete(entry);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The real keychain, except that writes or deletes of entries matching `failOn` fail as if it went away. */
export function failingOn(store: SecretStore, failOn: { set?: RegExp; delete?: RegExp }): SecretStore {
  const unavailable = () => new FieldKeyError('keychain_unavailable', 'No OS keychain is reachable (test).');
  return {
    get: (entry) => store.get(entry),
    list: () => store.list(),
    set: async (entry, value) => {
      if (failOn.set?.test(entry)) throw unavailable();
      return store.set(entry, value);
    },
    delete: async (entry) => {
      if (failOn.delete?.test(entry)) throw unavailable();
      return store.delete(entry);
    },
  };
}

export const tokens = {
  accessToken: 'eyJhbGciOiJFUzI1NiJ9.access-token-body.sig',
  idToken: 'eyJhbGciOiJFUzI1NiJ9.id-token-body.sig',
  refreshToken: 'refresh-token-secret-0001',
  tokenType: 'Bearer',
  scope: 'openid offline_access',
  expiresAt: 1_767_600_000,
};
