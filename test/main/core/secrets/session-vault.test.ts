/**
 * Integration tests of the sealed-session vault against the real Secret Service (run under
 * scripts/with-keyring.sh) and a real SQLite file.
 */
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountIdFor } from '../../../../src/main/core/accounts/account-id';
import { UnlockError } from '../../../../src/main/core/secrets/attempt-counter';
import { OWASP_FLOOR } from '../../../../src/main/core/secrets/argon2-params';
import { argon2ParamsFromPolicy } from '../../../../src/main/core/secrets/kdf-calibration';
import { attemptsEntry, deviceKeyEntry, pendingDeviceKeyEntry } from '../../../../src/main/core/secrets/secret-store';
import { encodeDeviceKey, generateDeviceKey } from '../../../../src/main/core/secrets/session-crypto';
import { isFieldKeyError } from '../../../../src/shared/errors';
import { failingOn, FAST_PARAMS, fixedParams, tokens, uniqueService, VaultFixture } from './vault-fixtures';

const service = uniqueService('vault');
const PIN = '482915';
const OTHER_PIN = '730264';
const WRONG = '555123';

const alice = { issuer: 'https://idp.example', subject: 'alice-sub', displayName: 'Alice Tech', email: 'alice@example.com' };
const bob = { issuer: 'https://idp.example', subject: 'bob-sub', displayName: 'Bob Tech', email: null };

async function failure(promise: Promise<unknown>): Promise<UnlockError & { code: string }> {
  try {
    await promise;
  } catch (error) {
    return error as UnlockError;
  }
  throw new Error('expected the promise to reject');
}

function row(f: VaultFixture, accountId: string) {
  return f.db.prepare('SELECT * FROM sealed_sessions WHERE account_id = ?').get(accountId) as Record<string, unknown> | undefined;
}

function dbFailures(f: VaultFixture, accountId: string): number {
  const r = f.db.prepare('SELECT failures FROM unlock_attempts WHERE account_id = ?').get(accountId) as { failures: number } | undefined;
  return r?.failures ?? 0;
}

describe('SessionVault', () => {
  let f: VaultFixture;
  let id: string;

  beforeEach(async () => {
    f = new VaultFixture(service);
    id = f.vault.addAccount(alice).id;
    await f.vault.createSession(id, PIN, tokens);
    f.vault.lock(id);
  });
  afterEach(() => f.cleanup());

  it('seals and unseals the tokens; neither they nor the PIN appear in the database file', async () => {
    expect(id).toBe(accountIdFor(alice.issuer, alice.subject));
    expect(f.vault.unlocked(id)).toBeUndefined();
    const session = await f.vault.unlock(id, PIN);
    expect(session.tokens()).toEqual(tokens);
    expect(f.vault.unlocked(id)).toBe(session);
    expect(f.vault.listAccounts()).toMatchObject([
      { id, displayName: 'Alice Tech', email: 'alice@example.com', hasSession: true, unlocked: true },
    ]);

    f.db.close();
    const bytes = readFileSync(f.file);
    for (const secret of [tokens.refreshToken, tokens.accessToken, 'access-token-body', PIN]) {
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
    }
    expect((await f.secrets.get(deviceKeyEntry(id)))!.length).toBe(44);
  });

  it('refuses a wrong PIN with the attempts left, counting it in the database and the keychain', async () => {
    const error = await failure(f.vault.unlock(id, WRONG));
    expect(error).toBeInstanceOf(UnlockError);
    expect(error.code).toBe('wrong_pin');
    expect(error.attemptsLeft).toBe(4);
    expect(error.retryAt).toBeUndefined();
    expect(error.message).not.toContain(WRONG);
    expect(dbFailures(f, id)).toBe(1);
    expect(await f.secrets.get(attemptsEntry(id))).toMatch(/^v1 1 \d+$/);
    expect(await f.vault.attemptStatus(id)).toEqual({ failures: 1, attemptsLeft: 4, lockedOut: false });
    expect(f.vault.unlocked(id)).toBeUndefined();
  });

  it('delays after the third failure, wipes the session and device key after the fifth, then needs a new sign-in', async () => {
    expect((await failure(f.vault.unlock(id, WRONG))).attemptsLeft).toBe(4);
    expect((await failure(f.vault.unlock(id, WRONG))).attemptsLeft).toBe(3);
    const third = await failure(f.vault.unlock(id, WRONG));
    expect(third).toMatchObject({ code: 'wrong_pin', attemptsLeft: 2 });
    expect(third.retryAt!.getTime()).toBe(f.clock.now().getTime() + 30_000);

    // Even the right PIN waits, and the wait does not cost an attempt.
    const delayed = await failure(f.vault.unlock(id, PIN));
    expect(delayed).toMatchObject({ code: 'unlock_delayed', attemptsLeft: 2 });
    expect(delayed.retryAt).toEqual(third.retryAt);
    expect(dbFailures(f, id)).toBe(3);

    f.clock.advance(30_000);
    const fourth = await failure(f.vault.unlock(id, WRONG));
    expect(fourth).toMatchObject({ code: 'wrong_pin', attemptsLeft: 1 });
    expect(fourth.retryAt!.getTime()).toBe(f.clock.now().getTime() + 60_000);
    f.clock.advance(59_000);
    expect((await failure(f.vault.unlock(id, WRONG))).code).toBe('unlock_delayed');
    f.clock.advance(1_000);

    const fifth = await failure(f.vault.unlock(id, WRONG));
    expect(fifth).toMatchObject({ code: 'lockout_wipe', attemptsLeft: 0 });
    expect(row(f, id)).toBeUndefined();
    expect(await f.secrets.get(deviceKeyEntry(id))).toBeNull();
    expect(f.vault.getAccount(id)).toMatchObject({ displayName: 'Alice Tech', hasSession: false });

    // The right PIN no longer helps; a restart changes nothing.
    f.clock.advance(3_600_000);
    expect((await failure(f.vault.unlock(id, PIN))).code).toBe('locked_out');
    await f.restart();
    expect((await failure(f.vault.unlock(id, PIN))).code).toBe('locked_out');
    expect(await f.vault.attemptStatus(id)).toMatchObject({ failures: 5, attemptsLeft: 0, lockedOut: true });

    // A new online sign-in seals a new session with a new device key and resets the counter.
    await f.vault.createSession(id, OTHER_PIN, { ...tokens, refreshToken: 'after-sign-in' });
    f.vault.lock(id);
    expect(await f.vault.attemptStatus(id)).toEqual({ failures: 0, attemptsLeft: 5, lockedOut: false });
    expect((await f.vault.unlock(id, OTHER_PIN)).tokens().refreshToken).toBe('after-sign-in');
  });

  it('keeps counting across restarts (new database handle, new keychain adapter, new vault)', async () => {
    await failure(f.vault.unlock(id, WRONG));
    await f.restart();
    await failure(f.vault.unlock(id, WRONG));
    await f.restart();
    expect(await f.vault.attemptStatus(id)).toMatchObject({ failures: 2, attemptsLeft: 3 });
    expect((await failure(f.vault.unlock(id, WRONG))).attemptsLeft).toBe(2);
    await f.restart();
    // A success resets both counts.
    f.clock.advance(30_000);
    await f.vault.unlock(id, PIN);
    expect(dbFailures(f, id)).toBe(0);
    // The keychain mirror is cleared as the account's next operation: a status read waits for it.
    expect(await f.vault.attemptStatus(id)).toEqual({ failures: 0, attemptsLeft: 5, lockedOut: false });
    expect(await f.secrets.get(attemptsEntry(id))).toBeNull();
  });

  it('compares no PIN when the attempt cannot be mirrored in the keychain: even the right PIN does not unlock', async () => {
    f.vault = f.newVault(undefined, failingOn(f.secrets, { set: /\/attempts$/ }));
    await expect(f.vault.unlock(id, PIN)).rejects.toMatchObject({ code: 'keychain_unavailable' });
    expect(f.vault.unlocked(id)).toBeUndefined();
    expect(dbFailures(f, id)).toBe(1);
  });

  it('errs on the safe side when clearing the mirror after a success fails: the old count stays', async () => {
    await failure(f.vault.unlock(id, WRONG));
    f.vault = f.newVault(undefined, failingOn(f.secrets, { delete: /\/attempts$/ }));
    expect((await f.vault.unlock(id, PIN)).tokens()).toEqual(tokens);
    expect(dbFailures(f, id)).toBe(0);
    expect(await f.vault.attemptStatus(id)).toMatchObject({ failures: 2, attemptsLeft: 3 });
    // The next success with a working keychain clears it.
    f.vault = f.newVault();
    await f.vault.unlock(id, PIN);
    expect(await f.vault.attemptStatus(id)).toMatchObject({ failures: 0, attemptsLeft: 5 });
  });

  it('keeps the count when the database file is restored from a copy taken before the failures', async () => {
    f.db.close();
    const backup = `${f.file}.bak`;
    copyFileSync(f.file, backup);
    await f.restart();
    for (let i = 0; i < 3; i++) await failure(f.vault.unlock(id, WRONG));
    f.db.close();
    copyFileSync(backup, f.file);
    await f.restart();
    expect(dbFailures(f, id)).toBe(0);
    expect(await f.vault.attemptStatus(id)).toMatchObject({ failures: 3, attemptsLeft: 2 });
    expect((await failure(f.vault.unlock(id, PIN))).code).toBe('unlock_delayed');
    f.clock.advance(30_000);
    expect((await failure(f.vault.unlock(id, WRONG))).attemptsLeft).toBe(1);
  });

  it('keeps the count when the database file is deleted', async () => {
    await failure(f.vault.unlock(id, WRONG));
    await failure(f.vault.unlock(id, WRONG));
    f.db.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(f.file + suffix, { force: true });
    await f.restart();
    expect(f.vault.listAccounts()).toEqual([]);
    expect(f.vault.addAccount(alice).id).toBe(id);
    expect(await f.vault.attemptStatus(id)).toMatchObject({ failures: 2, attemptsLeft: 3 });
    expect((await failure(f.vault.unlock(id, PIN))).code).toBe('no_sealed_session');
  });

  it('keeps two accounts independent: PIN, device key, counter and lockout', async () => {
    const bobId = f.vault.addAccount(bob).id;
    await f.vault.createSession(bobId, OTHER_PIN, { ...tokens, refreshToken: 'bob-refresh' });
    f.vault.lockAll();
    expect(await f.secrets.get(deviceKeyEntry(bobId))).not.toBe(await f.secrets.get(deviceKeyEntry(id)));

    expect((await failure(f.vault.unlock(bobId, PIN))).code).toBe('wrong_pin');
    expect((await failure(f.vault.unlock(id, OTHER_PIN))).code).toBe('wrong_pin');
    expect(await f.vault.attemptStatus(bobId)).toMatchObject({ failures: 1 });
    expect(await f.vault.attemptStatus(id)).toMatchObject({ failures: 1 });

    for (let i = 0; i < 4; i++) {
      f.clock.advance(3_600_000);
      await failure(f.vault.unlock(id, WRONG));
    }
    expect(f.vault.hasSession(id)).toBe(false);
    expect(f.vault.hasSession(bobId)).toBe(true);
    const bobSession = await f.vault.unlock(bobId, OTHER_PIN);
    expect(bobSession.tokens().refreshToken).toBe('bob-refresh');
    expect(await f.vault.attemptStatus(bobId)).toMatchObject({ failures: 0 });
  });

  it('detects a flipped byte in the ciphertext of the real database file, without counting an attempt', async () => {
    const ciphertext = row(f, id)!.ciphertext as Buffer;
    f.db.close(); // checkpoints the WAL into the main file
    const bytes = readFileSync(f.file);
    const at = bytes.indexOf(ciphertext);
    expect(at).toBeGreaterThan(0);
    bytes[at + 5]! ^= 0x01;
    writeFileSync(f.file, bytes);
    await f.restart();
    const error = await failure(f.vault.unlock(id, PIN));
    expect(error.code).toBe('session_tampered');
    expect(dbFailures(f, id)).toBe(0);
  });

  it.each(['kdf_salt', 'device_key_id', 'seal_salt', 'nonce', 'verifier', 'ciphertext', 'row_mac'])(
    'detects a flipped byte in %s',
    async (column) => {
      const value = Buffer.from(row(f, id)![column] as Buffer);
      value[value.length - 1]! ^= 0x80;
      f.db.prepare(`UPDATE sealed_sessions SET ${column} = ? WHERE account_id = ?`).run(value, id);
      const error = await failure(f.vault.unlock(id, PIN));
      // A changed device key id means "sealed with another device key".
      expect(error.code).toBe(column === 'device_key_id' ? 'device_key_missing' : 'session_tampered');
      expect(dbFailures(f, id)).toBe(0);
    },
  );

  it.each([
    ['kdf_memory_kib', 2048],
    ['kdf_iterations', 3],
    ['format', 2],
    ['sealed_at', 1],
  ])('detects a changed %s', async (column, value) => {
    f.db.prepare(`UPDATE sealed_sessions SET ${column} = ? WHERE account_id = ?`).run(value, id);
    expect((await failure(f.vault.unlock(id, PIN))).code).toBe('session_tampered');
  });

  it('refuses a session copied to another account', async () => {
    const bobId = f.vault.addAccount(bob).id;
    await f.vault.createSession(bobId, OTHER_PIN, tokens);
    f.vault.lock(bobId);
    f.db
      .prepare(
        `UPDATE sealed_sessions SET (sealed_for, format, kdf_memory_kib, kdf_iterations, kdf_parallelism, kdf_salt, device_key_id,
           seal_salt, nonce, verifier, ciphertext, row_mac, sealed_at) =
         (SELECT sealed_for, format, kdf_memory_kib, kdf_iterations, kdf_parallelism, kdf_salt, device_key_id,
           seal_salt, nonce, verifier, ciphertext, row_mac, sealed_at FROM sealed_sessions WHERE account_id = ?)
         WHERE account_id = ?`,
      )
      .run(id, bobId);
    expect((await failure(f.vault.unlock(bobId, PIN))).code).toBe('session_account_mismatch');
    expect((await failure(f.vault.unlock(bobId, OTHER_PIN))).code).toBe('session_account_mismatch');
    // Relabelling it as Bob's does not help: it was sealed for Alice under Alice's device key.
    f.db.prepare('UPDATE sealed_sessions SET sealed_for = ? WHERE account_id = ?').run(bobId, bobId);
    expect((await failure(f.vault.unlock(bobId, PIN))).code).toBe('device_key_missing');
    expect(dbFailures(f, bobId)).toBe(0);
  });

  it('reports a missing or replaced device key without counting an attempt', async () => {
    const stored = (await f.secrets.get(deviceKeyEntry(id)))!;
    await f.secrets.delete(deviceKeyEntry(id));
    expect((await failure(f.vault.unlock(id, PIN))).code).toBe('device_key_missing');
    await f.secrets.set(deviceKeyEntry(id), encodeDeviceKey(generateDeviceKey()));
    expect((await failure(f.vault.unlock(id, PIN))).code).toBe('device_key_missing');
    await f.secrets.set(deviceKeyEntry(id), 'not a key');
    expect((await failure(f.vault.unlock(id, PIN))).code).toBe('device_key_missing');
    expect(dbFailures(f, id)).toBe(0);
    await f.secrets.set(deviceKeyEntry(id), stored);
    expect((await f.vault.unlock(id, PIN)).tokens()).toEqual(tokens);
  });

  it('re-seals while unlocked with a fresh seal salt and nonce, and the new tokens survive a restart', async () => {
    const session = await f.vault.unlock(id, PIN);
    const before = row(f, id)!;
    await session.reseal({ ...tokens, refreshToken: 'rotated-1' });
    const after = row(f, id)!;
    expect(after.kdf_salt).toEqual(before.kdf_salt);
    expect(after.seal_salt).not.toEqual(before.seal_salt);
    expect(after.nonce).not.toEqual(before.nonce);
    expect(session.tokens().refreshToken).toBe('rotated-1');
    await f.vault.reseal(id, { ...tokens, refreshToken: 'rotated-2' });

    await f.restart();
    expect(f.vault.unlocked(id)).toBeUndefined();
    expect((await f.vault.unlock(id, PIN)).tokens().refreshToken).toBe('rotated-2');
  });

  it('drops the key on lock: tokens and re-seal are refused afterwards', async () => {
    const session = await f.vault.unlock(id, PIN);
    f.vault.lock(id);
    expect(session.isLocked).toBe(true);
    expect(() => session.tokens()).toThrow(expect.objectContaining({ code: 'session_locked' }));
    await expect(session.reseal(tokens)).rejects.toMatchObject({ code: 'session_locked' });
    await expect(f.vault.reseal(id, tokens)).rejects.toMatchObject({ code: 'session_locked' });
    expect(f.vault.getAccount(id)).toMatchObject({ hasSession: true, unlocked: false });
  });

  it('discards an unlock that finishes after the account was locked', async () => {
    const pending = f.vault.unlock(id, PIN);
    f.vault.lock(id);
    await expect(pending).rejects.toMatchObject({ code: 'session_locked' });
    expect(f.vault.unlocked(id)).toBeUndefined();
  });

  it('refuses a re-seal from a session that was replaced by a new sign-in', async () => {
    const old = await f.vault.unlock(id, PIN);
    const keep = old.reseal.bind(old);
    await f.vault.createSession(id, OTHER_PIN, { ...tokens, refreshToken: 'new-session' });
    await expect(keep(tokens)).rejects.toMatchObject({ code: 'session_locked' });
    f.vault.lock(id);
    expect((await f.vault.unlock(id, OTHER_PIN)).tokens().refreshToken).toBe('new-session');
  });

  it('changes the PIN: the current PIN counts as an attempt, the new one must follow the rules', async () => {
    await expect(f.vault.changePin(id, PIN, '111111')).rejects.toMatchObject({ code: 'pin_trivial' });
    expect(dbFailures(f, id)).toBe(0);
    const wrong = await failure(f.vault.changePin(id, WRONG, OTHER_PIN));
    expect(wrong).toMatchObject({ code: 'wrong_pin', attemptsLeft: 4 });

    const saltBefore = row(f, id)!.kdf_salt;
    const session = await f.vault.changePin(id, PIN, OTHER_PIN);
    expect(session.tokens()).toEqual(tokens);
    expect(row(f, id)!.kdf_salt).not.toEqual(saltBefore);
    expect(dbFailures(f, id)).toBe(0);
    f.vault.lock(id);
    expect((await failure(f.vault.unlock(id, PIN))).code).toBe('wrong_pin');
    expect((await f.vault.unlock(id, OTHER_PIN)).tokens()).toEqual(tokens);
  });

  /** Copies the database file aside (closed, so the copy is whole); returns a function that puts it back and restarts. */
  async function snapshotDatabase(): Promise<() => Promise<void>> {
    f.db.close();
    const backup = `${f.file}.before`;
    copyFileSync(f.file, backup);
    await f.restart();
    return async () => {
      await f.vault.settle();
      f.db.close();
      copyFileSync(backup, f.file);
      await f.restart();
    };
  }

  it('changes the PIN under a new device key: a copy of the database from before no longer opens with the old PIN', async () => {
    const keyBefore = await f.secrets.get(deviceKeyEntry(id));
    const restore = await snapshotDatabase();
    await f.vault.changePin(id, PIN, OTHER_PIN);
    expect(await f.secrets.get(deviceKeyEntry(id))).not.toBe(keyBefore);
    expect(await f.secrets.get(pendingDeviceKeyEntry(id))).toBeNull();

    await restore();
    const refused = await failure(f.vault.unlock(id, PIN));
    expect(['device_key_missing', 'session_tampered']).toContain(refused.code);
    expect(dbFailures(f, id)).toBe(0);
  });

  it.each([
    ['forgetPin, then a new sign-in', true],
    ['a new sign-in over the old session', false],
  ])('Forgot PIN (%s) seals under a new device key: the old copy does not open with the old PIN', async (_name, forgetFirst) => {
    const keyBefore = await f.secrets.get(deviceKeyEntry(id));
    const restore = await snapshotDatabase();
    if (forgetFirst) await f.vault.forgetPin(id);
    await f.vault.createSession(id, OTHER_PIN, tokens);
    expect(await f.secrets.get(deviceKeyEntry(id))).not.toBe(keyBefore);
    expect(await f.secrets.get(pendingDeviceKeyEntry(id))).toBeNull();

    await restore();
    const refused = await failure(f.vault.unlock(id, PIN));
    expect(['device_key_missing', 'session_tampered']).toContain(refused.code);
  });

  it('keeps the old device key until the new seal commits: a keychain failure before it changes nothing', async () => {
    const keyBefore = await f.secrets.get(deviceKeyEntry(id));
    f.vault = f.newVault(undefined, failingOn(f.secrets, { set: /\/device-key-pending$/ }));
    await expect(f.vault.changePin(id, PIN, OTHER_PIN)).rejects.toMatchObject({ code: 'keychain_unavailable' });
    f.vault = f.newVault();
    expect(await f.secrets.get(deviceKeyEntry(id))).toBe(keyBefore);
    expect((await f.vault.unlock(id, PIN)).tokens()).toEqual(tokens);
  });

  it('finishes a PIN change whose new key could not replace the old one: the next unlock promotes it', async () => {
    const keyBefore = await f.secrets.get(deviceKeyEntry(id));
    f.vault = f.newVault(undefined, failingOn(f.secrets, { set: /\/device-key$/ }));
    await f.vault.changePin(id, PIN, OTHER_PIN);
    const pending = await f.secrets.get(pendingDeviceKeyEntry(id));
    expect(pending).not.toBeNull();
    expect(await f.secrets.get(deviceKeyEntry(id))).toBe(keyBefore);

    await f.restart();
    expect((await f.vault.unlock(id, OTHER_PIN)).tokens()).toEqual(tokens);
    expect(await f.secrets.get(deviceKeyEntry(id))).toBe(pending);
    expect(await f.secrets.get(pendingDeviceKeyEntry(id))).toBeNull();
  });

  it('drops a pending device key that no committed seal uses', async () => {
    const keyBefore = await f.secrets.get(deviceKeyEntry(id));
    await f.secrets.set(pendingDeviceKeyEntry(id), encodeDeviceKey(generateDeviceKey()));
    expect((await f.vault.unlock(id, PIN)).tokens()).toEqual(tokens);
    expect(await f.secrets.get(deviceKeyEntry(id))).toBe(keyBefore);
    expect(await f.secrets.get(pendingDeviceKeyEntry(id))).toBeNull();
  });

  it('forgets the PIN: session and device key are destroyed, the account stays for a new sign-in', async () => {
    await f.vault.unlock(id, PIN);
    await f.vault.forgetPin(id);
    expect(f.vault.unlocked(id)).toBeUndefined();
    expect(row(f, id)).toBeUndefined();
    expect(await f.secrets.get(deviceKeyEntry(id))).toBeNull();
    expect(f.vault.listAccounts()).toMatchObject([{ id, displayName: 'Alice Tech', hasSession: false }]);
    expect((await failure(f.vault.unlock(id, PIN))).code).toBe('no_sealed_session');
  });

  it('removes an account with its keychain entries, sealed session and counter, and nothing of the others', async () => {
    const bobId = f.vault.addAccount(bob).id;
    await f.vault.createSession(bobId, OTHER_PIN, tokens);
    await failure(f.vault.unlock(id, WRONG));
    await f.vault.removeAccount(id);
    expect(f.vault.listAccounts().map((a) => a.id)).toEqual([bobId]);
    expect(row(f, id)).toBeUndefined();
    expect(dbFailures(f, id)).toBe(0);
    expect((await f.secrets.list()).sort()).toEqual([deviceKeyEntry(bobId)]);
    await expect(f.vault.unlock(id, PIN)).rejects.toMatchObject({ code: 'unknown_account' });
    expect(f.vault.unlocked(bobId)).toBeDefined();
  });

  it('caps the number of accounts from policy', async () => {
    f.vault.addAccount(bob);
    f.vault.addAccount({ ...bob, subject: 'carol' });
    expect(() => f.vault.addAccount({ ...bob, subject: 'dave' })).toThrow(expect.objectContaining({ code: 'too_many_accounts' }));
    // An existing account may still update its display name.
    expect(f.vault.addAccount({ ...alice, displayName: 'Alice T.' }).displayName).toBe('Alice T.');
    expect(f.vault.listAccounts()).toHaveLength(3);
  });

  it('refuses a PIN that breaks the policy when sealing', async () => {
    for (const pin of ['12345', '000000', '123456', '121212']) {
      const error = await failure(f.vault.createSession(id, pin, tokens));
      expect(isFieldKeyError(error)).toBe(true);
      expect(error.code).toMatch(/^pin_(too_short|trivial)$/);
    }
    expect((await f.vault.unlock(id, PIN)).tokens()).toEqual(tokens);
  });

  it('re-seals a session sealed with one lane under the current lanes at its next unlock, same memory', async () => {
    expect(row(f, id)).toMatchObject({ kdf_parallelism: 1 });
    const laned = { ...FAST_PARAMS, parallelism: 2 };
    f.vault = f.newVault(fixedParams(laned));
    expect((await f.vault.unlock(id, PIN)).tokens()).toEqual(tokens);
    expect(row(f, id)).toMatchObject({ kdf_memory_kib: FAST_PARAMS.memoryKiB, kdf_iterations: FAST_PARAMS.iterations, kdf_parallelism: 2 });
    f.vault.lock(id);
    await f.restart();
    f.vault = f.newVault(fixedParams(laned));
    expect((await f.vault.unlock(id, PIN)).tokens()).toEqual(tokens);
    // A wrong PIN is still wrong under the new lanes (nothing else changed).
    f.vault.lock(id);
    expect((await failure(f.vault.unlock(id, WRONG))).code).toBe('wrong_pin');
  });

  it('seals with one lane per CPU thread (at most 4) under the default policy, and keeps an explicit parallelism', async () => {
    const defaults = new VaultFixture(uniqueService('lanes'), argon2ParamsFromPolicy({ memoryKiB: OWASP_FLOOR.memoryKiB, iterations: 2 }));
    try {
      const lanesId = defaults.vault.addAccount(bob).id;
      await defaults.vault.createSession(lanesId, PIN, tokens);
      expect(row(defaults, lanesId)).toMatchObject({ kdf_parallelism: Math.min(4, availableParallelism()) });
      defaults.vault.lock(lanesId);
      defaults.vault = defaults.newVault(argon2ParamsFromPolicy({ memoryKiB: OWASP_FLOOR.memoryKiB, iterations: 2, parallelism: 1 }));
      await defaults.vault.unlock(lanesId, PIN);
      expect(row(defaults, lanesId)).toMatchObject({ kdf_parallelism: 1 });
    } finally {
      await defaults.cleanup();
    }
  });

  it('raises a session sealed with weaker parameters to the current ones on unlock', async () => {
    const stronger = { memoryKiB: 4096, iterations: 2, parallelism: 1 };
    f.vault = f.newVault(fixedParams(stronger));
    await f.vault.unlock(id, PIN);
    expect(row(f, id)).toMatchObject({ kdf_memory_kib: 4096, kdf_iterations: 2 });
    f.vault.lock(id);
    expect((await f.vault.unlock(id, PIN)).tokens()).toEqual(tokens);
    // Never lowered again by a vault with weaker parameters.
    f.vault = f.newVault(fixedParams(FAST_PARAMS));
    await f.vault.unlock(id, PIN);
    expect(row(f, id)).toMatchObject({ kdf_memory_kib: 4096 });
  });

  it('seals with at least the OWASP floor when the policy asks for less', async () => {
    f.vault = f.newVault(argon2ParamsFromPolicy({ memoryKiB: 1024, iterations: 1, parallelism: 1 }));
    await f.vault.createSession(id, PIN, tokens);
    expect(row(f, id)).toMatchObject({
      kdf_memory_kib: OWASP_FLOOR.memoryKiB,
      kdf_iterations: OWASP_FLOOR.iterations,
      kdf_parallelism: OWASP_FLOOR.parallelism,
    });
    f.vault.lock(id);
    expect((await f.vault.unlock(id, PIN)).tokens()).toEqual(tokens);
    expect(existsSync(f.file)).toBe(true);
  });
});
