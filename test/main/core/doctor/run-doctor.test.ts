/**
 * runDoctor over a real SQLite file written by the app's own storage code, a real policy file and
 * an in-memory keychain (the keychain adapter is tested in keychain-check.test.ts and, for real,
 * through the CLI in test/main/cli/doctor-command.test.ts).
 */
import BetterSqlite3 from 'better-sqlite3';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditHeadMirror } from '../../../../src/main/core/audit/audit-keying';
import type { DoctorReport } from '../../../../src/main/core/doctor/doctor-report';
import { runDoctor, type DoctorDeps } from '../../../../src/main/core/doctor/run-doctor';
import type { SecretStore } from '../../../../src/main/core/secrets/secret-store';
import { migrate, openDatabase } from '../../../../src/main/adapters/sqlite/database';
import { schemaVersion } from '../../../../src/main/core/records/schema';
import { TimeRecords } from '../../../../src/main/core/records/time-records';
import { openRecordMac } from '../../../../src/main/core/records/record-mac';
import { AttemptCounter } from '../../../../src/main/core/secrets/attempt-counter';
import { migrations } from '../../../../src/main/core/records/migrations';
import {
  DAY_MS,
  HOUR_MS,
  ISSUER,
  TOKENS,
  installDoctorDeps,
  memorySecretStore,
  policyDocument,
  seedInstall,
  tempInstall,
  testKeys,
  tokensExpiringAt,
  unreachableSecretStore,
  type Install,
  type SeedOptions,
  type TestKeys,
} from './doctor-fixtures';

const NOW = new Date('2026-06-01T12:00:00.000Z');
let install: Install;
let keys: TestKeys;
let secrets: ReturnType<typeof memorySecretStore>;

beforeAll(async () => {
  keys = await testKeys();
});
beforeEach(() => {
  install = tempInstall();
  secrets = memorySecretStore();
});
afterEach(() => install.cleanup());

function deps(overrides: Partial<DoctorDeps> = {}): DoctorDeps {
  return { ...installDoctorDeps(install, { now: NOW, secrets, keychainService: 'doctor-unit' }), ...overrides };
}

const healthy: Omit<SeedOptions, 'keys' | 'secrets'> = {
  now: NOW,
  jwksAgeMs: DAY_MS,
  serverTimeAgeMs: 2 * DAY_MS,
  accounts: [{ displayName: 'Alice Example', email: 'alice@example.com', subject: 'alice', checkInAgeMs: 2 * DAY_MS }],
  auditEvents: 4,
};

async function seed(options: Partial<SeedOptions> = {}, store: SecretStore = secrets): Promise<string[]> {
  return (await seedInstall(install.dbFile, { ...healthy, keys, secrets: store, ...options })).accountIds;
}

const codes = (report: DoctorReport, severity: 'problems' | 'notes' = 'problems') => report[severity].map((f) => f.code);

/** Every key path of a JSON value; array elements share the path `[]`. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => keyPaths(item, `${prefix}[]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [`${prefix}.${key}`, ...keyPaths(child, `${prefix}.${key}`)]);
}

describe('runDoctor', () => {
  it('reports a healthy install: every section OK, the account’s outlook and when it ends', async () => {
    const [id] = await seed();
    const report = await runDoctor(deps());
    expect(report).toMatchObject({ version: 1, generatedAt: NOW.toISOString(), healthy: true, problemCount: 0, problems: [], notes: [] });
    for (const section of ['policy', 'database', 'keychain', 'jwks', 'clock', 'accounts', 'audit'] as const)
      expect(report[section].status, section).toBe('ok');
    expect(report.policy).toMatchObject({
      valid: true,
      source: { kind: 'env', location: install.policyFile, machineFile: null },
      settings: { issuer: ISSUER, checkInIntervalDays: 7 },
    });
    expect(report.database).toMatchObject({
      exists: true,
      opened: true,
      schemaVersion,
      codeSchemaVersion: schemaVersion,
      integrity: 'ok',
      integrityErrors: [],
    });
    expect(report.keychain).toMatchObject({ service: 'doctor-unit', reachable: true, errorCode: null });
    expect(report.jwks).toMatchObject({
      issuer: ISSUER,
      usableCount: 2,
      removedCount: 1,
      verifiableAlgorithms: ['RS256', 'ES256'],
      ageSeconds: 86_400,
      stale: false,
    });
    expect(report.jwks.keys.map((k) => [k.kid, k.state, k.source])).toEqual([
      ['rsa-old', 'removed', 'network'],
      ['rsa-1', 'usable', 'network'],
      ['ec-1', 'usable', 'network'],
    ]);
    expect(report.clock).toMatchObject({
      trusted: true,
      lastServerTime: new Date(NOW.getTime() - 2 * DAY_MS - 2000).toISOString(),
      offsetSeconds: 2,
      skewSeconds: 300,
    });
    expect(report.accounts.accounts).toEqual([
      expect.objectContaining({
        id,
        displayName: 'Alice Example',
        email: 'alice@example.com',
        sealedSession: true,
        status: 'ok',
        lastCheckIn: new Date(NOW.getTime() - 2 * DAY_MS).toISOString(),
        checkInDueAt: new Date(NOW.getTime() + 5 * DAY_MS).toISOString(),
        unlockAttempts: { failures: 0, attemptsLeft: 5, retryAt: null, lockedOut: false, keychainMirrorRead: true, tampered: false },
        offline: expect.objectContaining({
          decision: 'depends_on_token',
          holdsUntil: new Date(NOW.getTime() + 5 * DAY_MS).toISOString(),
          endsWith: 'check_in_due',
        }),
      }),
    ]);
    expect(report.audit).toMatchObject({
      present: true,
      intact: true,
      rows: 4,
      headSeq: 4,
      anchorSeq: 0,
      retention: { days: 365, rows: 100000 },
    });
  });

  it('reports a missing database as no data yet and does not create it (or its directory)', async () => {
    const report = await runDoctor(deps());
    expect(report.healthy).toBe(true);
    expect(codes(report, 'notes')).toEqual(['no_data']);
    expect(report.database).toMatchObject({ exists: false, opened: false, schemaVersion: null, integrity: null });
    for (const section of ['jwks', 'clock', 'accounts', 'audit'] as const)
      expect(report[section]).toMatchObject({ status: 'skipped', skippedBecause: 'no data yet' });
    expect(existsSync(install.dataDir)).toBe(false);
  });

  it('keeps the same JSON keys whatever the facts', async () => {
    const empty = await runDoctor(deps());
    await seed();
    const full = await runDoctor(deps());
    install.writePolicy('{ "issuer": 1 }');
    const invalid = await runDoctor(deps());
    // Every section has the same keys; a nested object that is unknown is null, never a different shape.
    const sectionKeys = (report: DoctorReport) => new Set(keyPaths(report).filter((p) => !p.includes('[]') && p.split('.').length <= 3));
    expect(sectionKeys(empty)).toEqual(sectionKeys(full));
    expect(sectionKeys(invalid)).toEqual(sectionKeys(full));
    const fullPaths = new Set(keyPaths(full));
    for (const path of [...keyPaths(empty), ...keyPaths(invalid)].filter((p) => !p.includes('[]'))) expect(fullPaths).toContain(path);
  });

  it('never opens the database for writing: the file, its version and its WAL stay as they were', async () => {
    await seed();
    const before = { bytes: readFileSync(install.dbFile), mtime: statSync(install.dbFile).mtimeMs };
    await runDoctor(deps());
    expect(readFileSync(install.dbFile).equals(before.bytes)).toBe(true);
    expect(statSync(install.dbFile).mtimeMs).toBe(before.mtime);
  });

  it('with an invalid policy: the field problems, and every account denied (fail-closed) without judging the rest', async () => {
    await seed();
    install.writePolicy(policyDocument({ gracePeriodHours: -1, pin: { minLength: 2 } }));
    const report = await runDoctor(deps());
    expect(report.healthy).toBe(false);
    expect(codes(report)).toEqual(['policy_invalid']);
    expect(report.policy).toMatchObject({ valid: false, errorCode: 'policy_invalid', invalidSource: install.policyFile, settings: null });
    expect(report.policy.problems.map((p) => p.field).sort()).toEqual(['gracePeriodHours', 'pin.minLength']);
    expect(report.jwks).toMatchObject({ status: 'skipped', skippedBecause: 'no valid policy' });
    expect(report.clock).toMatchObject({ status: 'skipped', trusted: null, highWater: expect.any(String) });
    expect(report.accounts.status).toBe('skipped');
    expect(report.accounts.accounts[0]!.offline).toMatchObject({ decision: 'denied', reason: 'policy_invalid' });
    expect(report.audit.status).toBe('ok');
    expect(report.audit.retention).toBeNull();
  });

  it('an unreadable policy file is policy_unreadable', async () => {
    install.cleanup();
    const report = await runDoctor(deps());
    expect(codes(report)).toEqual(['policy_unreadable']);
    expect(report.policy.errorCode).toBe('policy_unreadable');
  });

  it('a rolled-back clock: the clock and every account say clock_rollback, by the decision’s rule', async () => {
    const [id] = await seed({ highWaterOffsetMs: DAY_MS });
    const report = await runDoctor(deps());
    expect(report.clock).toMatchObject({ status: 'problem', trusted: false, rollbackBecause: 'high_water', behindSeconds: 86_400 });
    expect(report.problems).toEqual([
      expect.objectContaining({ section: 'clock', code: 'clock_rollback', accountId: null }),
      expect.objectContaining({ section: 'accounts', code: 'clock_rollback', accountId: id }),
    ]);
    expect(report.accounts.accounts[0]!.offline).toMatchObject({
      decision: 'denied',
      reason: 'clock_rollback',
      holdsUntil: null,
      endsWith: 'online_check_in',
    });
  });

  it('clock records edited outside FieldKey: clock_records_tampered, and every account denied as the app would', async () => {
    const [id] = await seed();
    // The app signs the records under the keychain's key (here the first start after an upgrade).
    const db = openDatabase(install.dbFile);
    await new TimeRecords(db).protectWith(secrets);
    db.close();
    expect((await runDoctor(deps())).healthy).toBe(true);

    const raw = new BetterSqlite3(install.dbFile);
    raw.exec('UPDATE check_ins SET at_local = at_local + 86400000');
    raw.close();
    const report = await runDoctor(deps());
    expect(report.clock).toMatchObject({ status: 'problem', trusted: false, rollbackBecause: 'invalid_reading' });
    expect(report.problems).toEqual([
      expect.objectContaining({ section: 'clock', code: 'clock_records_tampered', accountId: null }),
      expect.objectContaining({ section: 'accounts', code: 'clock_rollback', accountId: id }),
    ]);
    expect(report.accounts.accounts[0]!.offline).toMatchObject({ decision: 'denied', reason: 'clock_rollback' });
  });

  it('an overdue check-in is check_in_overdue, with when it was due', async () => {
    await seed({ accounts: [{ displayName: 'Bob', subject: 'bob', checkInAgeMs: 8 * DAY_MS }] });
    const report = await runDoctor(deps());
    expect(codes(report)).toEqual(['check_in_overdue']);
    const account = report.accounts.accounts[0]!;
    expect(account.checkInDueAt).toBe(new Date(NOW.getTime() - DAY_MS).toISOString());
    expect(account.offline.message).toContain(`was due at ${account.checkInDueAt}`);
  });

  it('a stale key set is a problem while accounts rely on it, a note otherwise', async () => {
    await seed({ jwksAgeMs: 10 * DAY_MS });
    let report = await runDoctor(deps());
    expect(codes(report)).toEqual(['jwks_stale']);
    expect(report.jwks).toMatchObject({ stale: true, ageSeconds: 864_000, refreshDays: 7 });
    install.cleanup();
    install = tempInstall();
    secrets = memorySecretStore();
    await seed({ jwksAgeMs: 10 * DAY_MS, accounts: [] });
    report = await runDoctor(deps());
    expect(report.healthy).toBe(true);
    expect(codes(report, 'notes')).toEqual(['jwks_stale']);
  });

  it('no cached key while an account exists: jwks_missing, and the account cannot be verified offline', async () => {
    await seed({ jwksAgeMs: undefined });
    const report = await runDoctor(deps());
    expect(codes(report)).toEqual(['jwks_missing', 'no_usable_keys']);
    expect(report.accounts.accounts[0]!.offline).toMatchObject({ decision: 'denied', reason: 'no_usable_keys' });
  });

  it('an account without a sealed session, and failed PINs, are notes', async () => {
    await seed({
      accounts: [
        { displayName: 'Signed out', subject: 'out', checkInAgeMs: HOUR_MS, sealed: false },
        { displayName: 'Fumbler', subject: 'fumbler', checkInAgeMs: HOUR_MS, failures: 2 },
      ],
    });
    const report = await runDoctor(deps());
    expect(report.healthy).toBe(true);
    expect(codes(report, 'notes')).toEqual(['no_session', 'failed_unlocks']);
    const [out, fumbler] = report.accounts.accounts;
    expect(out).toMatchObject({ status: 'note', sealedSession: false, offline: { decision: 'denied', reason: 'no_session' } });
    expect(fumbler).toMatchObject({
      status: 'note',
      unlockAttempts: { failures: 2, attemptsLeft: 3, keychainMirrorRead: true },
      offline: { decision: 'depends_on_token' },
    });
  });

  it('a wrong-PIN count edited with SQL after FieldKey signed it: attempts_tampered, and no PIN is tried offline', async () => {
    const [id] = await seed({ accounts: [{ displayName: 'Fumbler', subject: 'fumbler', checkInAgeMs: HOUR_MS, failures: 2 }] });
    const db = openDatabase(install.dbFile);
    const counter = new AttemptCounter(db, secrets);
    counter.protect((await openRecordMac(secrets)).mac);
    counter.countInDatabase(id!, counter.readDatabase(id!), NOW.getTime() - HOUR_MS);
    expect((await runDoctor(deps())).accounts.accounts[0]!.unlockAttempts).toMatchObject({ failures: 3, tampered: false });

    db.prepare('UPDATE unlock_attempts SET failures = 0 WHERE account_id = ?').run(id);
    db.close();
    const report = await runDoctor(deps());
    expect(codes(report)).toContain('attempts_tampered');
    expect(report.accounts.accounts[0]).toMatchObject({
      status: 'problem',
      unlockAttempts: { tampered: true },
      offline: { decision: 'denied', reason: 'attempts_tampered' },
    });
  });

  it('an unreachable keychain: keychain_unavailable with its message; failed PINs come from the database alone', async () => {
    await seed({ accounts: [{ displayName: 'Fumbler', subject: 'fumbler', checkInAgeMs: HOUR_MS, failures: 1 }] });
    const report = await runDoctor(deps({ secrets: unreachableSecretStore() }));
    expect(codes(report)).toEqual(['keychain_unavailable']);
    expect(report.keychain).toMatchObject({
      reachable: false,
      errorCode: 'keychain_unavailable',
      message: 'No OS keychain is reachable (test: no Secret Service).',
    });
    expect(report.accounts.accounts[0]!.unlockAttempts).toMatchObject({ failures: 1, keychainMirrorRead: false });
  });

  it('a database newer than the code: database_too_new, nothing else read', async () => {
    await seed();
    const raw = new BetterSqlite3(install.dbFile);
    raw.pragma(`user_version = ${schemaVersion + 1}`);
    raw.close();
    const report = await runDoctor(deps());
    expect(codes(report)).toEqual(['database_too_new']);
    expect(report.database).toMatchObject({ exists: true, opened: false });
    expect(report.accounts).toMatchObject({ status: 'skipped', skippedBecause: 'the database could not be opened' });
  });

  it('an older schema: a note, the sections its tables do not have yet skipped, and the file left at its version', async () => {
    mkdirSync(install.dataDir, { recursive: true });
    const old = new BetterSqlite3(install.dbFile);
    migrate(old, migrations.slice(0, 1));
    old.close();
    const report = await runDoctor(deps());
    expect(report.problems).toEqual([]);
    expect(codes(report, 'notes')).toContain('schema_outdated');
    expect(report.database.schemaVersion).toBe(1);
    expect(report.clock.status).toBe('note'); // no records yet
    expect(report.accounts).toMatchObject({ status: 'skipped', count: 0 });
    expect(report.audit).toMatchObject({ status: 'skipped', present: false });
    const after = new BetterSqlite3(install.dbFile, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(1);
    after.close();
  });

  it('an audit log whose newest rows were removed: audit_tampered by the head mirrored in the keychain', async () => {
    await seed({ auditEvents: 5 });
    const db = openDatabase(install.dbFile);
    const head = db.prepare('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string };
    db.close();
    const mirror = new AuditHeadMirror(secrets, (error) => {
      throw error;
    });
    mirror.record(head);
    await mirror.settle();
    expect(codes(await runDoctor(deps()))).toEqual([]);

    const raw = new BetterSqlite3(install.dbFile);
    raw.exec('DROP TRIGGER audit_events_append_only_delete; DELETE FROM audit_events WHERE seq > 3;');
    raw.close();
    const report = await runDoctor(deps());
    expect(codes(report)).toEqual(['audit_tampered']);
    expect(report.audit).toMatchObject({ intact: false, rows: 3, problemCount: 1, problems: [{ seq: 5, problem: 'deleted' }] });
  });

  it('a tampered audit chain: audit_tampered with the rows concerned', async () => {
    await seed({ auditEvents: 5 });
    const raw = new BetterSqlite3(install.dbFile);
    raw.exec(
      `DROP TRIGGER audit_events_append_only_update; UPDATE audit_events SET details = '{"access":"read-only","failedAttempts":0}' WHERE seq = 3;`,
    );
    raw.close();
    const report = await runDoctor(deps());
    expect(codes(report)).toEqual(['audit_tampered']);
    expect(report.audit).toMatchObject({ intact: false, rows: 5, problemCount: 1, problems: [{ seq: 3, problem: 'edited' }] });
  });
});

describe('runDoctor: the offline decision from the stored expiry of the last verified token', () => {
  const SKEW_MS = 300_000;
  const GRACE_MS = 24 * HOUR_MS;
  const at = (deltaMs: number) => new Date(NOW.getTime() + deltaMs);
  const accounts = [
    { displayName: 'Full', subject: 'full', checkInAgeMs: 2 * DAY_MS, tokens: tokensExpiringAt(at(3 * HOUR_MS)) },
    { displayName: 'Grace', subject: 'grace', checkInAgeMs: 2 * DAY_MS, tokens: tokensExpiringAt(at(-2 * HOUR_MS)) },
    { displayName: 'Expired', subject: 'expired', checkInAgeMs: 2 * DAY_MS, tokens: tokensExpiringAt(at(-2 * DAY_MS)) },
    { displayName: 'Due first', subject: 'due', checkInAgeMs: 6 * DAY_MS, tokens: tokensExpiringAt(at(3 * DAY_MS)) },
    { displayName: 'No exp', subject: 'no-exp', checkInAgeMs: 2 * DAY_MS, tokens: TOKENS },
  ];

  it('full, read-only or denied per account, each with until when it holds', async () => {
    await seed({ accounts });
    const report = await runDoctor(deps());
    const offline = Object.fromEntries(report.accounts.accounts.map((a) => [a.displayName, a.offline]));
    const due = at(5 * DAY_MS).toISOString();
    expect(offline.Full).toMatchObject({
      decision: 'full',
      reason: 'valid',
      holdsUntil: at(3 * HOUR_MS + GRACE_MS + SKEW_MS).toISOString(),
      endsWith: 'grace_end',
      tokenExpiresAt: at(3 * HOUR_MS).toISOString(),
      fullUntil: at(3 * HOUR_MS + GRACE_MS).toISOString(),
      basis: 'last_verified_token',
    });
    expect(offline.Grace).toMatchObject({
      decision: 'full',
      reason: 'grace_period',
      holdsUntil: at(-2 * HOUR_MS + GRACE_MS + SKEW_MS).toISOString(),
      endsWith: 'grace_end',
      fullUntil: at(-2 * HOUR_MS + GRACE_MS).toISOString(),
      readOnlyUntil: due,
    });
    expect(offline.Expired).toMatchObject({
      decision: 'read-only',
      reason: 'expired',
      holdsUntil: due,
      endsWith: 'check_in_due',
      tokenExpiresAt: at(-2 * DAY_MS).toISOString(),
      readOnlyUntil: due,
    });
    expect(offline['Due first']).toMatchObject({ decision: 'full', holdsUntil: at(DAY_MS).toISOString(), endsWith: 'check_in_due' });
    expect(offline['No exp']).toMatchObject({
      decision: 'depends_on_token',
      tokenExpiresAt: null,
      fullUntil: null,
      readOnlyUntil: null,
      basis: null,
    });
    expect(codes(report)).toEqual([]);
    expect(codes(report, 'notes').sort()).toEqual(['grace_period', 'read_only']);
  });

  it('sessions sealed before migration 5 (no column yet): depends on the cached token, and the file is left as it is', async () => {
    await seed({ accounts: accounts.slice(0, 1) });
    const raw = new BetterSqlite3(install.dbFile);
    raw.exec('ALTER TABLE sealed_sessions DROP COLUMN offline_expires_at');
    raw.pragma('user_version = 4');
    raw.close();
    const report = await runDoctor(deps());
    expect(report.database.schemaVersion).toBe(4);
    expect(report.accounts.accounts).toEqual([
      expect.objectContaining({
        displayName: 'Full',
        sealedSession: true,
        offline: expect.objectContaining({ decision: 'depends_on_token', tokenExpiresAt: null, basis: null }),
      }),
    ]);
    const after = new BetterSqlite3(install.dbFile, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(4);
    after.close();
  });
});
