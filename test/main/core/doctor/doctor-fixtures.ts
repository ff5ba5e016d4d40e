/**
 * Doctor test set-up: a temp data dir with a real policy file and a real SQLite file written by the
 * app's own storage code (JWKS, fetch records, clock records, accounts with real sealed sessions,
 * check-ins, audit events). Key pairs come from jose at test time.
 */
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import BetterSqlite3 from 'better-sqlite3';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../../../src/main/core/audit/audit-log';
import { fixedClock, type Clock } from '../../../../src/main/core/clock';
import type { DoctorDeps } from '../../../../src/main/core/doctor/run-doctor';
import { loadPolicy, type LoadedPolicy } from '../../../../src/main/core/policy/load-policy';
import type { SecretStore } from '../../../../src/main/core/secrets/secret-store';
import { SessionVault } from '../../../../src/main/core/secrets/session-vault';
import type { SessionTokens } from '../../../../src/main/core/secrets/session-tokens';
import { openDatabase } from '../../../../src/main/adapters/sqlite/database';
import { JwksStore } from '../../../../src/main/core/records/jwks-store';
import { TimeRecords } from '../../../../src/main/core/records/time-records';
import { FieldKeyError } from '../../../../src/shared/errors';
import { writePolicyFile } from '../../../helpers/test-policy';

export const ISSUER = 'https://idp.example.test';
export const CLIENT_ID = 'fieldkey-desktop';
export const PIN = '482916';
const WRONG_PIN = '975318';
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export const TOKENS: SessionTokens = {
  accessToken: 'eyJhbGciOiJSUzI1NiIsImtpZCI6InJzYS0xIn0.eyJzdWIiOiJkb2N0b3ItdGVzdCJ9.c2VhbGVkLWFjY2Vzcy1zaWduYXR1cmU',
  idToken: 'eyJhbGciOiJSUzI1NiIsImtpZCI6InJzYS0xIn0.eyJub25jZSI6ImRvY3RvciJ9.c2VhbGVkLWlkLXRva2VuLXNpZ25hdHVyZQ',
  refreshToken: 'doctor-refresh-token-Qk3x9vT2mZ8pL1wR7yN4bF6h',
  tokenType: 'Bearer',
  scope: 'openid offline_access',
  expiresAt: 1_900_000_000,
};

/**
 * A token set like TOKENS whose access and ID tokens carry this `exp` (the signature is not checked:
 * the vault stores their `exp` for doctor without verifying, as the tokens were verified before sealing).
 */
export function tokensExpiringAt(exp: Date): SessionTokens {
  const jwt = (payload: Record<string, unknown>) =>
    `eyJhbGciOiJSUzI1NiIsImtpZCI6InJzYS0xIn0.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2VhbGVkLWV4cC1zaWduYXR1cmU`;
  const seconds = Math.floor(exp.getTime() / 1000);
  return {
    ...TOKENS,
    accessToken: jwt({ sub: 'doctor-test', exp: seconds, scope: 'notes' }),
    idToken: jwt({ sub: 'doctor-test', exp: seconds, nonce: 'doctor' }),
    refreshToken: 'doctor-refresh-token-Exp7Hq2rN5vW9cK4mT1zY8',
  };
}

export function policyDocument(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { issuer: ISSUER, clientId: CLIENT_ID, allowedAlgorithms: ['RS256', 'ES256'], ...overrides };
}

export interface Install {
  dir: string;
  dataDir: string;
  dbFile: string;
  policyFile: string;
  writePolicy(document: unknown): void;
  cleanup(): void;
}

/** A temp dir with `data/` (FIELDKEY_DATA_DIR, not created) and `policy.json` (FIELDKEY_POLICY). */
export function tempInstall(): Install {
  const install = installAt(mkdtempSync(join(tmpdir(), 'fieldkey-doctor-')));
  install.writePolicy(policyDocument());
  return install;
}

/** The install laid out in `dir` (as tempInstall makes it), for a child process given the directory. */
export function installAt(dir: string): Install {
  const dataDir = join(dir, 'data');
  const policyFile = join(dir, 'policy.json');
  const install: Install = {
    dir,
    dataDir,
    dbFile: join(dataDir, 'fieldkey.db'),
    policyFile,
    writePolicy: (document) => writePolicyFile(policyFile, document),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  return install;
}

/** Loads the install's policy file (FIELDKEY_POLICY) with no machine-wide sources. */
export function loadInstallPolicy(install: Install): Promise<LoadedPolicy> {
  return loadPolicy({ env: { FIELDKEY_POLICY: install.policyFile }, platform: 'linux', machineSources: [] });
}

/** runDoctor's dependencies for a temp install: its policy file and database, the given clock time and keychain. */
export function installDoctorDeps(install: Install, options: { now: Date; secrets: SecretStore; keychainService: string }): DoctorDeps {
  return {
    clock: fixedClock(options.now),
    loadPolicy: () => loadInstallPolicy(install),
    readFile: (path) => readFileSync(path),
    databaseFile: install.dbFile,
    fileExists: existsSync,
    openReadOnly: (file) => openDatabase(file, { readonly: true }),
    secrets: options.secrets,
    keychainService: options.keychainService,
  };
}

/** A keychain in memory, for unit tests that do not test the keychain. */
export function memorySecretStore(): SecretStore & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return {
    entries,
    get: async (entry) => entries.get(entry) ?? null,
    set: async (entry, value) => void entries.set(entry, value),
    delete: async (entry) => entries.delete(entry),
    list: async () => [...entries.keys()],
  };
}

/** A keychain that is not there. */
export function unreachableSecretStore(message = 'No OS keychain is reachable (test: no Secret Service).'): SecretStore {
  const fail = async (): Promise<never> => {
    throw new FieldKeyError('keychain_unavailable', message);
  };
  return { get: fail, set: fail, delete: fail, list: fail };
}

export class SettableClock implements Clock {
  constructor(private ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
  set(at: Date): void {
    this.ms = at.getTime();
  }
}

export interface TestKeys {
  rsa: JWK;
  ec: JWK;
  old: JWK;
}

export async function testKeys(): Promise<TestKeys> {
  const pub = async (alg: 'RS256' | 'ES256', kid: string): Promise<JWK> => ({
    ...(await exportJWK((await generateKeyPair(alg, { extractable: true })).publicKey)),
    kid,
    alg,
    use: 'sig',
  });
  return { rsa: await pub('RS256', 'rsa-1'), ec: await pub('ES256', 'ec-1'), old: await pub('RS256', 'rsa-old') };
}

export interface SeedOptions {
  now: Date;
  keys: TestKeys;
  /** Key set, fetched this long before now (undefined: no fetch record, no keys). */
  jwksAgeMs?: number;
  /** Server time seen this long before now. */
  serverTimeAgeMs?: number;
  /** The high-water mark relative to now (positive: in the future, a rolled-back clock). */
  highWaterOffsetMs?: number;
  /** Accounts: the last check-in this long before now; a sealed session unless `sealed` is false; up to 3 failed unlocks. */
  /** `tokens`: what is sealed (default TOKENS, whose tokens have no `exp`). */
  accounts?: {
    displayName: string;
    email?: string;
    subject: string;
    checkInAgeMs?: number;
    sealed?: boolean;
    failures?: number;
    tokens?: SessionTokens;
  }[];
  auditEvents?: number;
  secrets: SecretStore;
}

export interface Seeded {
  accountIds: string[];
}

/** Writes an install's state the way the app does, then closes the database. */
export async function seedInstall(file: string, options: SeedOptions): Promise<Seeded> {
  const { now } = options;
  const clock = new SettableClock(now.getTime());
  const db = openDatabase(file);
  try {
    const jwks = new JwksStore(db, clock);
    const times = new TimeRecords(db);
    if (options.jwksAgeMs !== undefined) {
      clock.set(new Date(now.getTime() - options.jwksAgeMs - DAY_MS));
      await jwks.replaceIssuerKeys(ISSUER, [options.keys.old, options.keys.rsa], 'network');
      clock.set(new Date(now.getTime() - options.jwksAgeMs));
      await jwks.replaceIssuerKeys(ISSUER, [options.keys.rsa, options.keys.ec], 'network');
      jwks.recordFetch(ISSUER, { outcome: 'ok', serverDate: clock.now(), etag: '"v2"' });
    }
    if (options.serverTimeAgeMs !== undefined) {
      const seen = new Date(now.getTime() - options.serverTimeAgeMs);
      times.recordServerTime(new Date(seen.getTime() - 2000), seen, 'http-date');
      times.raiseHighWater(seen);
    }
    if (options.highWaterOffsetMs !== undefined) times.raiseHighWater(new Date(now.getTime() + options.highWaterOffsetMs));

    const accountIds: string[] = [];
    const vault = new SessionVault({
      db,
      secrets: options.secrets,
      clock,
      policy: { pin: { minLength: 6, maxAttempts: 5 }, maxAccounts: 5 },
      argon2: {
        current: async () => ({ memoryKiB: 1024, iterations: 1, parallelism: 1 }),
        peek: () => ({ memoryKiB: 1024, iterations: 1, parallelism: 1 }),
      },
    });
    for (const spec of options.accounts ?? []) {
      clock.set(new Date(now.getTime() - (spec.checkInAgeMs ?? 0)));
      const id = vault.addAccount({ issuer: ISSUER, subject: spec.subject, displayName: spec.displayName, email: spec.email ?? null }).id;
      accountIds.push(id);
      if (spec.sealed !== false) {
        await vault.createSession(id, PIN, spec.tokens ?? TOKENS);
        vault.lock(id);
      }
      if (spec.checkInAgeMs !== undefined) times.recordCheckIn(id, clock.now(), new Date(clock.now().getTime() - 1000));
      for (let i = 0; i < (spec.failures ?? 0); i++) {
        await vault.unlock(id, WRONG_PIN).catch(() => undefined);
      }
    }
    await vault.settle();

    clock.set(new Date(now.getTime() - HOUR_MS));
    const audit = new AuditLog(db, clock);
    for (let i = 0; i < (options.auditEvents ?? 0); i++) {
      audit.append(
        i % 2 === 0 ? 'unlock_ok' : 'sign_in',
        i % 2 === 0
          ? { details: { access: 'full', failedAttempts: 0 } }
          : { details: { issuer: ISSUER, reason: 'first', redirectMode: 'loopback' } },
      );
    }
    return { accountIds };
  } finally {
    db.close();
  }
}

/** A database with enough audit rows that its index spans a page, then that page overwritten. */
export function corruptIndexPage(file: string): void {
  const db = openDatabase(file);
  const log = new AuditLog(db, new SettableClock(Date.UTC(2026, 0, 1)));
  for (let i = 0; i < 200; i++) log.append('unlock_ok', { details: { access: 'full', failedAttempts: 0 } });
  db.close();
  const raw = new BetterSqlite3(file, { readonly: true });
  const root = (raw.prepare(`SELECT rootpage FROM sqlite_schema WHERE name = 'audit_events_at_local'`).get() as { rootpage: number })
    .rootpage;
  const pageSize = raw.pragma('page_size', { simple: true }) as number;
  raw.close();
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(pageSize - 200, 0x41), 0, pageSize - 200, (root - 1) * pageSize + 100);
  closeSync(fd);
}
