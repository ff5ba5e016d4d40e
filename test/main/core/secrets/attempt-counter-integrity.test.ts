/**
 * The unlock-attempt rows under the installation's record MAC key, against the real Secret Service
 * (run under scripts/with-keyring.sh) and a real SQLite file edited with raw SQL as an attacker
 * with a SQLite tool would: a lowered count, a row copied from another account, a cleared MAC.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRecordMac, RecordMac } from '../../../../src/main/core/records/record-mac';
import { attemptsEntry } from '../../../../src/main/core/secrets/secret-store';
import { SessionVault } from '../../../../src/main/core/secrets/session-vault';
import { FieldKeyError } from '../../../../src/shared/errors';
import { FAST_PARAMS, fixedParams, testPolicy, tokens, uniqueService, VaultFixture } from './vault-fixtures';

const service = uniqueService('attempt-macs');
const PIN = '482915';
const WRONG = '555123';
const alice = { issuer: 'https://idp.example', subject: 'alice-sub', displayName: 'Alice Tech', email: null };
const bob = { issuer: 'https://idp.example', subject: 'bob-sub', displayName: 'Bob Tech', email: null };

interface Row {
  failures: number;
  last_attempt_ms: number;
  mac: Buffer | null;
}

let f: VaultFixture;
let mac: RecordMac;
let vault: SessionVault;
let aliceId: string;
let bobId: string;

function protectedVault(): SessionVault {
  return new SessionVault({
    db: f.db,
    secrets: f.secrets,
    clock: f.clock,
    policy: testPolicy,
    argon2: fixedParams(FAST_PARAMS),
    recordMac: mac,
  });
}

function row(accountId: string): Row | undefined {
  return f.db.prepare('SELECT failures, last_attempt_ms, mac FROM unlock_attempts WHERE account_id = ?').get(accountId) as Row | undefined;
}

async function rejection(promise: Promise<unknown>): Promise<FieldKeyError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FieldKeyError) return error;
    throw error;
  }
  throw new Error('expected the promise to reject');
}

/** One wrong PIN, refused as such (the first three cost no wait). */
async function wrongPin(accountId: string): Promise<void> {
  expect((await rejection(vault.unlock(accountId, WRONG))).code).toBe('wrong_pin');
}

beforeEach(async () => {
  f = new VaultFixture(service);
  ({ mac } = await openRecordMac(f.secrets));
  vault = protectedVault();
  aliceId = vault.addAccount(alice).id;
  bobId = vault.addAccount(bob).id;
  for (const id of [aliceId, bobId]) {
    await vault.createSession(id, PIN, tokens);
    vault.lock(id);
  }
});
afterEach(async () => {
  vault.lockAll();
  await vault.settle();
  await f.cleanup();
});

describe('unlock-attempt rows under the record MAC', () => {
  it('every counted attempt is written with a MAC of the account, the count and the time', async () => {
    await wrongPin(aliceId);
    await wrongPin(aliceId);
    const stored = row(aliceId)!;
    expect(stored.failures).toBe(2);
    expect(mac.verify('unlock_attempts', [aliceId, 2, stored.last_attempt_ms], stored.mac)).toBe(true);
    expect(await vault.attemptStatus(aliceId)).toEqual({ failures: 2, attemptsLeft: 3, lockedOut: false });
  });

  it('a count lowered with SQL: no PIN is tried, not even the right one, until an online sign-in', async () => {
    await wrongPin(aliceId);
    await wrongPin(aliceId);
    f.db.prepare('UPDATE unlock_attempts SET failures = 0 WHERE account_id = ?').run(aliceId);
    await vault.settle();

    const refused = await rejection(vault.unlock(aliceId, PIN));
    expect(refused.code).toBe('attempts_tampered');
    expect(refused.message).toMatch(/changed outside FieldKey.*Sign in online/);
    expect(vault.unlocked(aliceId)).toBeUndefined();
    // Nothing counted or cleared: the edited row and the mirror stay as they were.
    expect(row(aliceId)!.failures).toBe(0);
    expect(await f.secrets.get(attemptsEntry(aliceId))).toMatch(/^v1 2 /);
    expect((await rejection(vault.changePin(aliceId, PIN, '730264'))).code).toBe('attempts_tampered');
    // The other account is not affected.
    expect((await vault.unlock(bobId, PIN)).tokens()).toEqual(tokens);

    // An online sign-in seals a new session and clears the row: the PIN works again.
    await vault.createSession(aliceId, PIN, tokens);
    vault.lock(aliceId);
    expect((await vault.unlock(aliceId, PIN)).tokens()).toEqual(tokens);
  });

  it("another account's row (its count and MAC) copied over this one's is tampered", async () => {
    await wrongPin(bobId);
    await vault.settle();
    const bobs = row(bobId)!;
    f.db
      .prepare('INSERT INTO unlock_attempts (account_id, failures, last_attempt_ms, mac) VALUES (?, ?, ?, ?)')
      .run(aliceId, bobs.failures, bobs.last_attempt_ms, bobs.mac);
    expect((await rejection(vault.unlock(aliceId, PIN))).code).toBe('attempts_tampered');
  });

  it('a row under another installation key (a database from another laptop) is tampered after a restart', async () => {
    await wrongPin(aliceId);
    await vault.settle();
    mac = new RecordMac(randomBytes(32));
    vault = protectedVault();
    expect((await rejection(vault.unlock(aliceId, PIN))).code).toBe('attempts_tampered');
  });

  it('a row without a MAC (written before the installation had one) counts as it is and is signed at its next write', async () => {
    await wrongPin(aliceId);
    await wrongPin(aliceId);
    await vault.settle();
    f.db.prepare('UPDATE unlock_attempts SET mac = NULL WHERE account_id = ?').run(aliceId);
    expect(await vault.attemptStatus(aliceId)).toMatchObject({ failures: 2, attemptsLeft: 3 });

    await wrongPin(aliceId);
    const stored = row(aliceId)!;
    expect(stored.failures).toBe(3);
    expect(mac.verify('unlock_attempts', [aliceId, 3, stored.last_attempt_ms], stored.mac)).toBe(true);
  });

  it('a count lowered and its MAC cleared still reads as the keychain mirror’s higher count', async () => {
    for (let i = 0; i < 3; i++) await wrongPin(aliceId);
    await vault.settle();
    f.db.prepare('UPDATE unlock_attempts SET failures = 0, mac = NULL WHERE account_id = ?').run(aliceId);
    expect(await vault.attemptStatus(aliceId)).toMatchObject({ failures: 3, attemptsLeft: 2 });
    expect((await rejection(vault.unlock(aliceId, PIN))).code).toBe('unlock_delayed');
  });
});
