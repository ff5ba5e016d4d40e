/**
 * The sealed-session vault: accounts, their sealed sessions, PIN
 * unlock with counted attempts, lockout, re-seal while unlocked, change and forgotten PIN.
 *
 * State is derived from facts: an account "has a session" when its `sealed_sessions` row exists; it
 * is "unlocked" while this vault holds an `UnlockedSession` for it (key material in memory only).
 * Nothing about being unlocked is persisted.
 *
 * Unlock, in order (each step's error code in brackets):
 *  1. read the device key and the keychain counter mirror [keychain_unavailable];
 *  2. the counter row's MAC fails: no PIN is tried until an online sign-in [attempts_tampered];
 *     attempts at the maximum: finish the wipe [locked_out]; inside a delay [unlock_delayed];
 *  3. the row exists [no_sealed_session], was sealed for this account [session_account_mismatch],
 *     the device key exists and is the one it was sealed with [device_key_missing; but
 *     keychain_unavailable if the keychain cannot be written either: a locked keychain whose
 *     unlock prompt was dismissed or cannot be shown reads as empty], and its MAC
 *     verifies under the device key [session_tampered] (none of these try the PIN or count);
 *  4. count the attempt in the database (flushed to disk before Argon2id starts), and in the keychain
 *     mirror (written while Argon2id runs, and awaited before the PIN is compared);
 *  5. Argon2id + HKDF, compare the PIN verifier [wrong_pin with attemptsLeft and retryAt; on the
 *     last allowed failure the session and the device key are destroyed: lockout_wipe];
 *  6. the PIN was right: clear the counter (database now; keychain mirror as the account's next
 *     queued operation); AES-256-GCM open [session_tampered].
 *  If the session's Argon2id parameters are weaker than the current ones, or use another number of
 *  lanes (a session sealed with p = 1 before lanes were the default), it is re-sealed with the PIN
 *  under the current parameters and a fresh salt right after a successful unlock.
 *
 * A new session and a PIN change each seal under a new device key (`sealUnderNewDeviceKey`): the
 * key goes to the keychain's pending entry, the row commits, and only then does the new key replace
 * the old one (deleting it). A copy of the database taken before the change, put back afterwards,
 * names a device key that no longer exists: `device_key_missing`, whatever PIN is tried. Step 1
 * reads the pending entry too: if the row was sealed under it (a crash or keychain failure after the
 * commit), it becomes the device key; if not, it is left over from a seal that never committed and
 * is deleted.
 *
 * Operations on one account run one at a time (unlock, new session, re-seal, change PIN, wipe,
 * remove). `lock()` always wins: an unlock (or new session, or PIN change) that was requested
 * before a lock of its account and finishes after it is discarded (`session_locked`).
 *
 * Every seal (new session, change PIN, parameter upgrade on unlock, re-seal while unlocked) goes
 * through `sealRow`, which also stores the offline token's `exp` in clear beside the row (advisory,
 * for `fieldkey doctor` only; see offline-expiry.ts). Unlocking never reads it back.
 *
 * "Forgot PIN" (`forgetPin`) and a revoked session (`wipeSession`) destroy the sealed session and
 * the device key but keep the account row, so the lock screen can still offer "Sign in" by name.
 * `removeAccount` also deletes the account row, its counter and its keychain entries. Other tables
 * (field notes, ...) are not touched.
 */
import { FieldKeyError } from '../../../shared/errors';
import type { Account, AccountIdentity } from '../accounts/account-store';
import type { RecordMac } from '../records/record-mac';
import { AccountStore } from '../accounts/account-store';
import { monotonicMs, type Clock } from '../clock';
import type { Policy } from '../policy/policy-types';
import type { Database } from '../../adapters/sqlite/database';
import { needsReseal, type Argon2Params, type Argon2ParamsSource } from './argon2-params';
import { AttemptCounter, attemptStatus, UnlockError, UnlockWaits, type AttemptState, type AttemptStatus } from './attempt-counter';
import { offlineExpiresAt } from './offline-expiry';
import { assertPinAllowed } from './pin-policy';
import { attemptsEntry, deviceKeyEntry, pendingDeviceKeyEntry, type SecretStore } from './secret-store';
import {
  decodeDeviceKey,
  deriveSessionKeys,
  deviceKeyId,
  encodeDeviceKey,
  generateDeviceKey,
  newKdfSalt,
  openTokens,
  pinMatches,
  rowMacValid,
  sealTokens,
  tampered,
  type SealedEnvelope,
  type SessionKeys,
} from './session-crypto';
import { SealedSessionStore } from './sealed-session-store';
import { isSessionTokens, type SessionTokens } from './session-tokens';
import { UnlockedSession } from './unlocked-session';

/** A throwaway entry written only to tell a locked keychain from a missing device key. */
const KEYCHAIN_PROBE_ENTRY = 'fieldkey/keychain-probe';

export interface SessionVaultOptions {
  db: Database;
  /** The OS keychain: `createKeytarSecretStore()` in the app. */
  secrets: SecretStore;
  clock: Clock;
  /** `offlineToken` picks the token whose `exp` is stored for doctor; `access` when unset (as in the offline decision). */
  policy: VaultPolicy;
  /** Parameters for new seals: `argon2ParamsFromPolicy(policy.argon2, { db, clock })` in the app. */
  argon2: Argon2ParamsSource;
  /** The installation's record MAC key (records/record-mac.ts): the attempt counter's rows are signed under it. */
  recordMac?: RecordMac | undefined;
}

export type VaultPolicy = Pick<Policy, 'pin' | 'maxAccounts'> & Partial<Pick<Policy, 'offlineToken'>>;

export interface AccountSummary extends Account {
  hasSession: boolean;
  unlocked: boolean;
}

export class SessionVault {
  private readonly db: Database;
  private readonly secrets: SecretStore;
  private readonly clock: Clock;
  private readonly policy: VaultPolicy;
  private readonly argon2: Argon2ParamsSource;
  private readonly accounts: AccountStore;
  private readonly sessions: SealedSessionStore;
  private readonly attempts: AttemptCounter;
  private readonly waits: UnlockWaits;
  private readonly open = new Map<string, UnlockedSession>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly lockEpochs = new Map<string, number>();

  constructor(options: SessionVaultOptions) {
    this.db = options.db;
    this.secrets = options.secrets;
    this.clock = options.clock;
    this.policy = options.policy;
    this.argon2 = options.argon2;
    this.accounts = new AccountStore(options.db, options.clock);
    this.sessions = new SealedSessionStore(options.db);
    this.attempts = new AttemptCounter(options.db, options.secrets);
    if (options.recordMac) this.attempts.protect(options.recordMac);
    this.waits = new UnlockWaits(() => monotonicMs(options.clock));
  }

  // ---- accounts ----

  listAccounts(): AccountSummary[] {
    const sealed = this.sessions.accountIds();
    return this.accounts.list().map((a) => this.summary(a, sealed.has(a.id)));
  }

  getAccount(accountId: string): AccountSummary | undefined {
    const account = this.accounts.get(accountId);
    return account && this.summary(account, this.sessions.get(accountId) !== undefined);
  }

  /** Adds the account (issuer + `sub`) or refreshes its display name and email; `too_many_accounts` beyond the policy cap. */
  addAccount(identity: AccountIdentity): Account {
    return this.accounts.upsert(identity, this.policy.maxAccounts);
  }

  /** Removes the account: its sealed session, keychain entries, counter and row. */
  async removeAccount(accountId: string): Promise<void> {
    this.lock(accountId);
    return this.serialize(accountId, async () => {
      this.sessions.delete(accountId);
      await this.secrets.delete(deviceKeyEntry(accountId));
      await this.secrets.delete(pendingDeviceKeyEntry(accountId));
      await this.secrets.delete(attemptsEntry(accountId));
      this.db.transaction(() => {
        this.attempts.clearDatabase(accountId);
        this.accounts.delete(accountId);
      })();
    });
  }

  hasSession(accountId: string): boolean {
    return this.sessions.get(accountId) !== undefined;
  }

  // ---- sessions ----

  /**
   * Seals the tokens of a fresh online sign-in under a new PIN and a new device key, replacing any
   * earlier session of the account, resets its counter, and returns it unlocked.
   */
  async createSession(accountId: string, pin: string, tokens: SessionTokens): Promise<UnlockedSession> {
    this.requireAccount(accountId);
    assertPinAllowed(pin, this.policy.pin);
    if (!isSessionTokens(tokens)) throw new FieldKeyError('invalid_tokens', 'The session to seal must be an object.');
    this.lock(accountId);
    const epoch = this.epoch(accountId);
    return this.serialize(accountId, async () => {
      // Keychain first: if it is unavailable nothing is written to the database.
      await this.secrets.delete(attemptsEntry(accountId));
      const keys = await this.sealUnderNewDeviceKey(accountId, pin, tokens, () => this.attempts.clearDatabase(accountId));
      return this.register(keys, tokens, epoch);
    });
  }

  /** Unlocks with the PIN; see the module comment for the order of checks and the error codes. */
  async unlock(accountId: string, pin: string): Promise<UnlockedSession> {
    this.requireAccount(accountId);
    const epoch = this.epoch(accountId);
    return this.serialize(accountId, async () => {
      const { keys, tokens } = await this.unlockKeys(accountId, pin);
      return this.register(keys, tokens, epoch);
    });
  }

  /**
   * The Argon2id parameters new seals will use. With a target unlock time the first call calibrates
   * (a few seconds, once per machine and target): call it at start-up, so the first PIN set-up does
   * not wait for it.
   */
  prepareKdf(): Promise<Argon2Params> {
    return this.argon2.current();
  }

  /** Attempts used and left, and the time the next attempt is allowed, for the lock screen. */
  async attemptStatus(accountId: string): Promise<AttemptStatus> {
    this.requireAccount(accountId);
    return this.serialize(accountId, async () => this.status(accountId, await this.attempts.read(accountId)));
  }

  /**
   * Changes the PIN. The current PIN is checked as an unlock attempt (counted, delays, lockout);
   * the new one must satisfy the PIN policy (checked first, without using an attempt). Returns the
   * session unlocked under the new PIN, sealed under a new device key (the old one is deleted once
   * the new seal has committed), so no earlier copy of the row opens with the old PIN.
   */
  async changePin(accountId: string, currentPin: string, newPin: string): Promise<UnlockedSession> {
    this.requireAccount(accountId);
    assertPinAllowed(newPin, this.policy.pin);
    const epoch = this.epoch(accountId);
    return this.serialize(accountId, async () => {
      const { keys, tokens } = await this.unlockKeys(accountId, currentPin, { forChange: true });
      keys.destroy();
      const fresh = await this.sealUnderNewDeviceKey(accountId, newPin, tokens);
      return this.register(fresh, tokens, epoch);
    });
  }

  /** "Forgot PIN": destroys the sealed session and the device key; the account stays listed for a new sign-in. */
  forgetPin(accountId: string): Promise<void> {
    return this.wipeSession(accountId);
  }

  /** Destroys the sealed session and the device key (forgotten PIN, revoked session, sign-out). */
  async wipeSession(accountId: string): Promise<void> {
    this.lock(accountId);
    return this.serialize(accountId, () => this.wipe(accountId));
  }

  /** The unlocked session of the account, if any. */
  unlocked(accountId: string): UnlockedSession | undefined {
    const session = this.open.get(accountId);
    return session && !session.isLocked ? session : undefined;
  }

  /** Re-seals new tokens for an unlocked account without the PIN; `session_locked` if it is not unlocked. */
  async reseal(accountId: string, tokens: SessionTokens): Promise<void> {
    const session = this.unlocked(accountId);
    if (!session) throw new FieldKeyError('session_locked', 'The session is locked; unlock it with the PIN first.');
    return session.reseal(tokens);
  }

  /** Drops the account's key material from memory. */
  lock(accountId: string): void {
    this.lockEpochs.set(accountId, this.epoch(accountId) + 1);
    this.open.get(accountId)?.lock();
    this.open.delete(accountId);
  }

  /** Locks every account (idle timeout, OS suspend or screen lock). */
  lockAll(): void {
    for (const accountId of [...this.open.keys()]) this.lock(accountId);
  }

  /** Resolves once every queued operation has finished, including background keychain clean-up. Await it before quitting. */
  async settle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()]);
  }

  // ---- internals ----

  /** Attempts left and the wait still owed (monotonic, see attempt-counter.ts), dated on the wall clock. */
  private status(accountId: string, state: AttemptState): AttemptStatus {
    return attemptStatus(state, this.maxAttempts(), this.clock.now().getTime(), this.waits.remainingMs(accountId, state.failures));
  }

  private async unlockKeys(
    accountId: string,
    pin: string,
    options: { forChange?: boolean } = {},
  ): Promise<{ keys: SessionKeys; tokens: SessionTokens }> {
    if (typeof pin !== 'string') throw new FieldKeyError('pin_invalid', 'The PIN must be text.');
    const max = this.maxAttempts();
    const [currentKey, pendingKey, known] = await Promise.all([
      this.secrets.get(deviceKeyEntry(accountId)),
      this.secrets.get(pendingDeviceKeyEntry(accountId)),
      this.attempts.read(accountId),
    ]);
    const now = this.clock.now().getTime();
    const startedMono = monotonicMs(this.clock);
    if (known.tampered) {
      throw new FieldKeyError(
        'attempts_tampered',
        "This account's count of wrong PINs was changed outside FieldKey, so no PIN can be tried for it on this laptop. Sign in online to use it again.",
      );
    }
    const before = this.status(accountId, known);
    if (before.lockedOut) {
      await this.wipe(accountId);
      throw new UnlockError('locked_out', 'Too many wrong PINs: this account was locked. Sign in online to use it again.', 0);
    }
    if (before.retryAt) {
      throw new UnlockError(
        'unlock_delayed',
        `Too many wrong PINs. Try again after ${before.retryAt.toISOString()}.`,
        before.attemptsLeft,
        before.retryAt,
      );
    }

    const envelope = this.sessions.get(accountId);
    if (!envelope) {
      throw new FieldKeyError('no_sealed_session', 'This account has no stored session on this laptop. Sign in online.');
    }
    if (envelope.sealedFor !== accountId) {
      throw new FieldKeyError(
        'session_account_mismatch',
        'The stored session of this account belongs to another account and cannot be used. Sign in online to replace it.',
      );
    }
    const storedKey = await this.settlePendingDeviceKey(accountId, envelope, currentKey, pendingKey);
    const deviceKey = storedKey === null ? undefined : decodeDeviceKey(storedKey);
    try {
      if (!deviceKey || !deviceKeyId(deviceKey).equals(envelope.deviceKeyId)) {
        if (storedKey === null) await this.assertKeychainWritable();
        throw new FieldKeyError(
          'device_key_missing',
          "This account's device key is missing from the OS keychain, so its stored session cannot be opened. Sign in online.",
        );
      }
      if (!rowMacValid(envelope, deviceKey, accountId)) throw tampered();

      const { keys, counted } = await this.countThenDerive(accountId, known, now, pin, deviceKey, envelope);
      this.waits.counted(accountId, counted.failures, startedMono);
      if (!pinMatches(keys, envelope)) {
        keys.destroy();
        const after = this.status(accountId, counted);
        if (after.lockedOut) {
          // The row goes first, which alone makes the tokens unreadable; if the keychain fails to
          // delete the device key now, the next attempt (locked_out) deletes it.
          await this.wipe(accountId).catch(() => undefined);
          throw new UnlockError(
            'lockout_wipe',
            `Wrong PIN. That was the last of ${max} attempts: the stored session was erased. Sign in online to use this account again.`,
            0,
          );
        }
        const wait = after.retryAt ? ` Next attempt after ${after.retryAt.toISOString()}.` : '';
        throw new UnlockError('wrong_pin', `Wrong PIN. ${after.attemptsLeft} attempt(s) left.${wait}`, after.attemptsLeft, after.retryAt);
      }
      // The PIN was right: clear the count, whether or not the payload then opens.
      this.attempts.clearDatabase(accountId);
      this.clearMirrorSoon(accountId);
      let tokens: SessionTokens;
      try {
        tokens = openTokens(keys, envelope);
      } catch (error) {
        keys.destroy();
        throw error;
      }
      if (options.forChange) return { keys, tokens };
      return { keys: await this.upgradeIfWeaker(accountId, pin, deviceKey, keys, tokens), tokens };
    } finally {
      deviceKey?.fill(0);
    }
  }

  /**
   * Counts the attempt and runs the KDF. The database count is written and flushed to disk before
   * Argon2id starts. The keychain mirror is written while Argon2id runs on its worker thread
   * (a keychain write costs milliseconds), and the caller gets the keys, and so can compare the PIN,
   * only once that write has succeeded; if it fails, the derived keys are destroyed unused. So no
   * attempt's outcome is ever observable before it is counted in both places, and a kill at any
   * point leaves it counted at least in the database.
   */
  private async countThenDerive(
    accountId: string,
    known: AttemptState,
    now: number,
    pin: string,
    deviceKey: Buffer,
    envelope: SealedEnvelope,
  ): Promise<{ keys: SessionKeys; counted: AttemptState }> {
    const counted = this.attempts.countInDatabase(accountId, known, now);
    const [mirrored, derived] = await Promise.allSettled([
      this.attempts.mirror(accountId, counted),
      deriveSessionKeys(pin, deviceKey, accountId, envelope.kdf, envelope.kdfSalt),
    ]);
    if (mirrored.status === 'rejected') {
      if (derived.status === 'fulfilled') derived.value.destroy();
      throw mirrored.reason;
    }
    if (derived.status === 'rejected') throw derived.reason;
    return { keys: derived.value, counted };
  }

  /**
   * Clears the keychain mirror after a successful unlock without making the caller wait for the
   * keychain write: it is queued as the account's next operation, so any later unlock, status read
   * or change of this account sees it done. If it fails or the process dies first, the mirror
   * keeps the old count, which only errs on the safe side (more attempts counted, never fewer).
   */
  private clearMirrorSoon(accountId: string): void {
    void this.serialize(accountId, () => this.attempts.clearMirror(accountId)).catch(() => undefined);
  }

  /** Re-seals with the PIN under stronger current parameters or the current lanes (never calibrates during an unlock). */
  private async upgradeIfWeaker(
    accountId: string,
    pin: string,
    deviceKey: Buffer,
    keys: SessionKeys,
    tokens: SessionTokens,
  ): Promise<SessionKeys> {
    const wanted = this.argon2.peek();
    if (!wanted || !needsReseal(keys.kdf, wanted)) return keys;
    const fresh = await deriveSessionKeys(pin, deviceKey, accountId, wanted, newKdfSalt());
    const row = this.sealRow(fresh, tokens);
    this.sessions.put(accountId, row.envelope, row.offlineExpiresAt);
    keys.destroy();
    return fresh;
  }

  /**
   * Seals the tokens under the PIN, the current parameters, a fresh salt and a new device key, and
   * makes that key the account's. The key is written to the pending entry first (so an unavailable
   * keychain stops everything before the database is touched), the row commits (with `alsoCommit` in
   * the same transaction), and only then does the new key replace the old one in the device-key
   * entry. If that last step fails, the pending entry still opens the committed row and the next
   * unlock finishes it; if anything before the commit fails, the old row and key stay as they were.
   */
  private async sealUnderNewDeviceKey(
    accountId: string,
    pin: string,
    tokens: SessionTokens,
    alsoCommit: () => void = () => {},
  ): Promise<SessionKeys> {
    const kdf = await this.argon2.current();
    const deviceKey = generateDeviceKey();
    const encoded = encodeDeviceKey(deviceKey);
    const pending = pendingDeviceKeyEntry(accountId);
    try {
      await this.secrets.set(pending, encoded);
      let keys: SessionKeys;
      try {
        keys = await deriveSessionKeys(pin, deviceKey, accountId, kdf, newKdfSalt());
        const row = this.sealRow(keys, tokens);
        this.db.transaction(() => {
          this.sessions.put(accountId, row.envelope, row.offlineExpiresAt);
          alsoCommit();
        })();
      } catch (error) {
        await this.secrets.delete(pending).catch(() => undefined);
        throw error;
      }
      await this.promoteDeviceKey(accountId, encoded).catch(() => undefined);
      return keys;
    } finally {
      deviceKey.fill(0);
    }
  }

  /** The new device key replaces the old one (which is thereby deleted), then the pending entry goes. */
  private async promoteDeviceKey(accountId: string, encoded: string): Promise<void> {
    await this.secrets.set(deviceKeyEntry(accountId), encoded);
    await this.secrets.delete(pendingDeviceKeyEntry(accountId));
  }

  /**
   * Finishes or drops a pending device key left by an interrupted seal (see `sealUnderNewDeviceKey`)
   * and returns the keychain text of the key the row is to be opened with: the pending key when the
   * row names it (promoted now), else the current one (a pending key the row does not name never
   * committed and is deleted).
   */
  private async settlePendingDeviceKey(
    accountId: string,
    envelope: SealedEnvelope,
    current: string | null,
    pending: string | null,
  ): Promise<string | null> {
    if (pending === null) return current;
    const pendingKey = decodeDeviceKey(pending);
    try {
      if (pendingKey && deviceKeyId(pendingKey).equals(envelope.deviceKeyId)) {
        await this.promoteDeviceKey(accountId, pending);
        return pending;
      }
    } finally {
      pendingKey?.fill(0);
    }
    await this.secrets.delete(pendingDeviceKeyEntry(accountId));
    return current;
  }

  /**
   * A locked keychain (unlock prompt dismissed, or no display to show it) answers reads with
   * "no such entry"; a write fails. Before reporting a device key as missing, try a write, so a
   * locked keychain is reported as `keychain_unavailable` with the advice to unlock it.
   */
  private async assertKeychainWritable(): Promise<void> {
    await this.secrets.set(KEYCHAIN_PROBE_ENTRY, 'probe');
    await this.secrets.delete(KEYCHAIN_PROBE_ENTRY);
  }

  /** Deletes the sealed row first (that alone makes the tokens unreadable), then the device keys. */
  private async wipe(accountId: string): Promise<void> {
    this.open.get(accountId)?.lock();
    this.open.delete(accountId);
    this.sessions.delete(accountId);
    await this.secrets.delete(deviceKeyEntry(accountId));
    await this.secrets.delete(pendingDeviceKeyEntry(accountId));
  }

  private register(keys: SessionKeys, tokens: SessionTokens, epoch: number): UnlockedSession {
    if (this.epoch(keys.accountId) !== epoch) {
      keys.destroy();
      throw new FieldKeyError('session_locked', 'The account was locked while it was being unlocked.');
    }
    const session = new UnlockedSession(keys, tokens, (k, t) => this.persistReseal(k, t));
    this.open.get(keys.accountId)?.lock();
    this.open.set(keys.accountId, session);
    return session;
  }

  private persistReseal(keys: SessionKeys, tokens: SessionTokens): Promise<void> {
    return this.serialize(keys.accountId, async () => {
      const row = this.sealRow(keys, tokens);
      if (!this.sessions.replaceIfSameKeys(keys.accountId, row.envelope, row.offlineExpiresAt)) {
        throw new FieldKeyError('session_locked', 'The stored session was replaced or erased; unlock or sign in again.');
      }
    });
  }

  /** Seals the tokens now, with the offline token's `exp` to store beside the row (the one place both are made). */
  private sealRow(keys: SessionKeys, tokens: SessionTokens): { envelope: SealedEnvelope; offlineExpiresAt: number | null } {
    return {
      envelope: sealTokens(keys, tokens, this.clock.now().getTime()),
      offlineExpiresAt: offlineExpiresAt(tokens, this.policy.offlineToken),
    };
  }

  private serialize<T>(accountId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(accountId) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.catch(() => undefined);
    this.queues.set(accountId, settled);
    void settled.then(() => {
      if (this.queues.get(accountId) === settled) this.queues.delete(accountId);
    });
    return next;
  }

  private epoch(accountId: string): number {
    return this.lockEpochs.get(accountId) ?? 0;
  }

  private maxAttempts(): number {
    return Math.max(1, Math.floor(this.policy.pin.maxAttempts));
  }

  private requireAccount(accountId: string): void {
    if (!this.accounts.get(accountId)) throw new FieldKeyError('unknown_account', 'There is no such account on this laptop.');
  }

  private summary(account: Account, hasSession: boolean): AccountSummary {
    return { ...account, hasSession, unlocked: this.unlocked(account.id) !== undefined };
  }
}
