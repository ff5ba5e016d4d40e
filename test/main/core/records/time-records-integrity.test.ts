/**
 * The clock-trust records under the installation's record MAC key (the real Secret Service, run
 * under scripts/with-keyring.sh; a real SQLite file), decided by the app's offline decision: once a
 * rollback was refused, editing the records with SQLite on the file does not bring full access back;
 * an online check-in does.
 */
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { accountIdFor } from '../../../../src/main/core/accounts/account-id';
import { decideAccess } from '../../../../src/main/core/auth/access-decision';
import { withDefaults } from '../../../../src/main/core/policy/policy-defaults';
import { createKeytarSecretStore } from '../../../../src/main/adapters/keychain/keytar-secret-store';
import { RECORD_MAC_KEY_ENTRY, type SecretStore } from '../../../../src/main/core/secrets/secret-store';
import { openDatabase, type Database } from '../../../../src/main/adapters/sqlite/database';
import { TimeRecords } from '../../../../src/main/core/records/time-records';
import { manualClock, sign, testKey, type TestKey } from '../oauth/test-keys';
import { uniqueService } from '../secrets/vault-fixtures';
import { openTempDatabase, type TempDatabase } from '../../../helpers/temp-database';

const ISSUER = 'https://idp.example.test';
const CLIENT = 'fieldkey-desktop';
const SUB = 'tech-1';
const ACCOUNT = accountIdFor(ISSUER, SUB);
const policy = withDefaults({ issuer: ISSUER, clientId: CLIENT });
const T0 = Date.parse('2026-06-02T10:00:00Z');
const MIN = 60_000;

let key: TestKey;
beforeAll(async () => {
  key = await testKey('k1');
});

let t: TempDatabase;
let secrets: SecretStore;
let db: Database;
let times: TimeRecords;
const clock = manualClock(new Date(T0));

/** A fresh TimeRecords on a fresh handle, protected with the keychain's key: an app restart. */
async function restart(): Promise<void> {
  if (db.open) db.close();
  db = openDatabase(t.file);
  times = new TimeRecords(db);
  await times.protectWith(secrets);
}

/** The offline decision now for a token issued at `issuedAt` (15-minute lifetime). */
async function decide(issuedAt: number) {
  const token = await sign(key, { iss: ISSUER, aud: CLIENT, sub: SUB, iat: issuedAt / 1000, exp: issuedAt / 1000 + 900 });
  const jwks = {
    keys: () => [{ kid: key.kid, alg: key.alg, jwk: key.publicJwk }],
    syncForUnknownKid: async () => ({ outcome: 'ok' as const }),
  };
  const { decision } = await decideAccess({ policy, clock, times, jwks: jwks as never, online: () => false }, ACCOUNT, {
    accessToken: token,
  });
  return decision;
}

/** A successful online exchange at `at`, its server time agreeing with the local clock. */
function checkInOnline(at: number): void {
  clock.set(new Date(at));
  times.recordServerTime(new Date(at), new Date(at), 'http-date');
  times.recordCheckIn(ACCOUNT, new Date(at), new Date(at));
  times.resetHighWater(new Date(at));
}

/** Edits the database file as an attacker would: another connection, plain SQL. */
function editFile(sql: string): void {
  const raw = new BetterSqlite3(t.file);
  try {
    raw.exec(sql);
  } finally {
    raw.close();
  }
}

beforeEach(async () => {
  t = openTempDatabase();
  secrets = createKeytarSecretStore({ service: uniqueService('records') });
  db = t.db;
  times = new TimeRecords(db);
  await times.protectWith(secrets);
  checkInOnline(T0);
});

afterEach(async () => {
  if (db.open) db.close();
  for (const entry of await secrets.list()) await secrets.delete(entry);
  t.cleanup();
});

describe('tampered clock records', () => {
  it('signs what it writes: the records verify, and a clock used up to now decides full access', async () => {
    expect(times.integrity()).toBe('ok');
    clock.set(new Date(T0 + 5 * MIN));
    expect((await decide(T0)).decision).toBe('full');
    expect(times.highWater()).toEqual(new Date(T0 + 5 * MIN));
  });

  it.each([
    ['lowering the high-water mark', 'UPDATE clock_high_water SET local_time = local_time - 3600000'],
    ['lowering it and clearing its MAC', 'UPDATE clock_high_water SET local_time = local_time - 3600000, mac = NULL'],
    ['deleting the high-water mark', 'DELETE FROM clock_high_water'],
    ['deleting the high-water mark and the server times', 'DELETE FROM clock_high_water; DELETE FROM server_times'],
    [
      'moving the newest server time back',
      'UPDATE server_times SET server_time = 0, local_time = 0 WHERE id = (SELECT max(id) FROM server_times)',
    ],
    ['deleting the newest server time', 'DELETE FROM server_times WHERE id = (SELECT max(id) FROM server_times)'],
    ['moving the check-in forward', 'UPDATE check_ins SET at_local = at_local + 86400000'],
    ['deleting the check-ins', 'DELETE FROM check_ins'],
  ])('after a refused rollback, %s does not give full access again', async (_name, sql) => {
    clock.set(new Date(T0 + 14 * MIN));
    expect((await decide(T0)).decision).toBe('full');
    // The clock is set back 10 minutes: refused.
    clock.set(new Date(T0 + 4 * MIN));
    expect(await decide(T0)).toMatchObject({ decision: 'denied', reason: 'clock_rollback' });

    // The attacker quits FieldKey, edits the file and starts FieldKey again.
    db.close();
    editFile(sql);
    await restart();
    expect(times.integrity()).toBe('tampered');
    const after = await decide(T0);
    expect(after.decision).not.toBe('full');
    expect(after.decision).toBe('denied');
    // Deciding again never signs the tampered state.
    expect(times.integrity()).toBe('tampered');

    // An online check-in confirms the clock again: full access with a fresh token.
    checkInOnline(T0 + 20 * MIN);
    expect(times.integrity()).toBe('ok');
    expect((await decide(T0 + 20 * MIN)).decision).toBe('full');
  });

  it('moves a tampered check-in to the epoch at the next online check-in of another account, never further', async () => {
    const other = accountIdFor(ISSUER, 'tech-2');
    times.recordCheckIn(other, new Date(T0), null);
    db.close();
    editFile(`UPDATE check_ins SET at_local = at_local + 86400000 WHERE account_key = '${other}'`);
    await restart();
    expect(times.integrity()).toBe('tampered');
    checkInOnline(T0 + 20 * MIN);
    expect(times.integrity()).toBe('ok');
    expect(times.lastCheckIn(other)?.at).toEqual(new Date(0));
  });

  it('signs the records it finds when the key is first made (an upgrade), and distrusts them once the key is lost', async () => {
    db.close();
    editFile('UPDATE server_times SET mac = NULL; UPDATE check_ins SET mac = NULL; UPDATE clock_high_water SET mac = NULL');
    await secrets.delete(RECORD_MAC_KEY_ENTRY);
    await restart();
    expect(times.integrity()).toBe('ok');
    clock.set(new Date(T0 + 5 * MIN));
    expect((await decide(T0)).decision).toBe('full');

    // The key disappears from the keychain while the records carry MACs: a new key, nothing verifies.
    await secrets.delete(RECORD_MAC_KEY_ENTRY);
    await restart();
    expect(times.integrity()).toBe('tampered');
    expect((await decide(T0)).decision).toBe('denied');
  });
});
