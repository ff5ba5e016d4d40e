/**
 * Failed unlock attempts per account. The count lives in two places: the `unlock_attempts` table
 * and a small keychain entry (`<accountId>/attempts`, "v1 <failures> <last attempt ms>"). Reading
 * takes the larger of the two, so deleting or restoring the database file does not reset it, and
 * neither does deleting only the keychain entry.
 *
 * Integrity (once `protect` has given the installation's record MAC, record-mac.ts): every row
 * written carries a MAC of its account id, count and time. A row whose MAC does not match was
 * edited outside FieldKey (or copied from another account or laptop): it reads as `tampered`, and
 * the vault then refuses to try a PIN for that account until an online sign-in replaces the session
 * (which clears the row). The true count is unknown then, so no number read from it is trusted;
 * refusing is the only answer that never gives an attacker more attempts. A row without a MAC was
 * written before there was one (an upgrade) and counts as it is, the larger of it and the mirror as
 * always; it is signed at its next write. Clearing a MAC with a SQLite tool therefore gets the row
 * read like an old one, and a count lowered that way is still caught by the keychain mirror.
 *
 * An attempt is counted before the PIN is tried: the vault writes the database count before it
 * starts Argon2id, and compares the PIN only once the keychain mirror is written too (see
 * session-vault.ts), so a crash or a kill at any point leaves every attempt whose outcome could be
 * observed counted in both places. A successful unlock clears both.
 *
 * Delays: none for the first three failures; after the n-th failure (n >= 3) the next attempt waits
 * 30 s * 2^(n - 3) from the start of the failed attempt (30 s, 60 s, 2 min, ...; at most 1 h).
 * When the failures reach the policy maximum the vault wipes the session and the device key.
 *
 * The wait is measured on the monotonic clock (`UnlockWaits`), never on the wall clock: setting the
 * laptop's clock forward during a wait does not end it (and setting it back does not lengthen it).
 * The monotonic clock restarts with FieldKey, so across a restart nothing can tell how much of a
 * wait passed while FieldKey was not running: for a count a run did not make itself (so one made
 * before it started), the whole wait for that count is owed from the start of the run. A restart
 * therefore never shortens a wait; at worst it repeats one (at most an hour). Time asleep does not
 * count either.
 */
import { FieldKeyError, type ErrorCode } from '../../../shared/errors';
import type { Database } from '../../adapters/sqlite/database';
import type { MacField, RecordMac } from '../records/record-mac';
import { attemptsEntry, type SecretStore } from './secret-store';

export interface AttemptState {
  failures: number;
  /** When the last counted attempt started (ms since the epoch, from the injected clock). */
  lastAttemptMs: number;
  /** Set when the database row's MAC does not match: the count cannot be trusted (module comment). */
  tampered?: true;
}

export interface AttemptStatus {
  failures: number;
  attemptsLeft: number;
  /** Set while the next attempt must wait. */
  retryAt?: Date;
  /** The maximum was reached: the session is (being) wiped and an online sign-in is needed. */
  lockedOut: boolean;
}

const FIRST_DELAY_MS = 30_000;
const MAX_DELAY_MS = 60 * 60_000;
const FREE_FAILURES = 3;

/** How long to wait after the given number of consecutive failures before the next attempt. */
export function unlockDelayMs(failures: number): number {
  if (failures < FREE_FAILURES) return 0;
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (failures - FREE_FAILURES));
}

/**
 * The status for `state`, `waitMs` being what is left of the wait (from `UnlockWaits`, or
 * `wallClockWaitMs` where only stored data is known); `retryAt` is that much after `nowMs`.
 */
export function attemptStatus(state: AttemptState, maxAttempts: number, nowMs: number, waitMs: number): AttemptStatus {
  const attemptsLeft = Math.max(0, maxAttempts - state.failures);
  const status: AttemptStatus = { failures: state.failures, attemptsLeft, lockedOut: attemptsLeft === 0 };
  if (attemptsLeft > 0 && waitMs > 0) status.retryAt = new Date(nowMs + waitMs);
  return status;
}

/**
 * The wait left by the stored wall-clock instant of the last attempt. Only for reports about a
 * FieldKey that is not this process (`fieldkey doctor`): an unlock never relies on it.
 */
export function wallClockWaitMs(state: AttemptState, nowMs: number): number {
  return Math.max(0, state.lastAttemptMs + unlockDelayMs(state.failures) - nowMs);
}

/**
 * The waits of one run, per account, on the monotonic clock: from when the attempt that brought the
 * count to its value started or, for a count this run did not make, from the start of the run.
 */
export class UnlockWaits {
  private readonly started = new Map<string, { failures: number; atMs: number }>();
  private readonly runStartMs: number;

  constructor(private readonly monotonicNowMs: () => number) {
    this.runStartMs = monotonicNowMs();
  }

  /** This run counted the attempt that brought `failures` about; it started at `atMs` (monotonic). */
  counted(accountId: string, failures: number, atMs: number): void {
    this.started.set(accountId, { failures, atMs });
  }

  /** What is left of the wait owed after `failures` failures (0: the next attempt may start). */
  remainingMs(accountId: string, failures: number): number {
    const delay = unlockDelayMs(failures);
    if (delay === 0) return 0;
    const start = this.started.get(accountId);
    const atMs = start?.failures === failures ? start.atMs : this.runStartMs;
    return Math.max(0, atMs + delay - this.monotonicNowMs());
  }
}

/** An unlock refusal the lock screen explains: attempts left and, if any, when to try again. */
export class UnlockError extends FieldKeyError {
  readonly attemptsLeft: number;
  readonly retryAt?: Date;

  constructor(code: ErrorCode, message: string, attemptsLeft: number, retryAt?: Date) {
    super(code, message);
    this.attemptsLeft = attemptsLeft;
    if (retryAt) this.retryAt = retryAt;
  }
}

interface CounterRow {
  failures: number;
  last_attempt_ms: number;
}

const MAC_KIND = 'unlock_attempts';
const macFields = (accountId: string, row: CounterRow): MacField[] => [accountId, row.failures, row.last_attempt_ms];

/** The statements only a protected counter runs (they name migration 10's `mac` column). */
function macStatements(db: Database) {
  return {
    select: db.prepare<[string], CounterRow & { mac: Buffer | null }>(
      'SELECT failures, last_attempt_ms, mac FROM unlock_attempts WHERE account_id = ?',
    ),
    sign: db.prepare<[Buffer, string]>('UPDATE unlock_attempts SET mac = ? WHERE account_id = ?'),
  };
}

export class AttemptCounter {
  private readonly select;
  private readonly bump;
  private readonly remove;
  private keyed: { mac: RecordMac; statements: ReturnType<typeof macStatements> } | undefined;

  constructor(
    private readonly db: Database,
    private readonly secrets: SecretStore,
  ) {
    this.select = db.prepare<[string], CounterRow>('SELECT failures, last_attempt_ms FROM unlock_attempts WHERE account_id = ?');
    this.bump = db.prepare<[string, number, number], CounterRow>(
      `INSERT INTO unlock_attempts (account_id, failures, last_attempt_ms) VALUES (?, ?, ?)
       ON CONFLICT (account_id) DO UPDATE SET failures = max(failures + 1, excluded.failures),
         last_attempt_ms = max(last_attempt_ms, excluded.last_attempt_ms)
       RETURNING failures, last_attempt_ms`,
    );
    this.remove = db.prepare<[string]>('DELETE FROM unlock_attempts WHERE account_id = ?');
  }

  /** From now on, sign every row written and check every row read under `mac` (see the module comment). */
  protect(mac: RecordMac): void {
    this.keyed = { mac, statements: macStatements(this.db) };
  }

  /** The count as the larger of the database and the keychain mirror. */
  async read(accountId: string): Promise<AttemptState> {
    return merge(this.readDatabase(accountId), parseMirror(await this.secrets.get(attemptsEntry(accountId))));
  }

  readDatabase(accountId: string): AttemptState {
    if (!this.keyed) {
      const row = this.select.get(accountId);
      return row ? { failures: row.failures, lastAttemptMs: row.last_attempt_ms } : { failures: 0, lastAttemptMs: 0 };
    }
    const row = this.keyed.statements.select.get(accountId);
    if (!row) return { failures: 0, lastAttemptMs: 0 };
    const state: AttemptState = { failures: row.failures, lastAttemptMs: row.last_attempt_ms };
    if (row.mac !== null && !this.keyed.mac.verify(MAC_KIND, macFields(accountId, row), row.mac)) state.tampered = true;
    return state;
  }

  /**
   * Counts one more attempt on top of `known` (the state just read) in the database, flushed to
   * disk before it returns, and returns the new state. The vault calls this before Argon2id starts.
   */
  countInDatabase(accountId: string, known: AttemptState, nowMs: number): AttemptState {
    const row = this.db.transaction(() => {
      const counted = this.bump.get(accountId, known.failures + 1, Math.max(nowMs, known.lastAttemptMs))!;
      if (this.keyed) this.keyed.statements.sign.run(this.keyed.mac.tag(MAC_KIND, macFields(accountId, counted)), accountId);
      return counted;
    })();
    return { failures: row.failures, lastAttemptMs: row.last_attempt_ms };
  }

  /** Writes the counted state to the keychain mirror. The vault compares no PIN before this resolves. */
  mirror(accountId: string, state: AttemptState): Promise<void> {
    return this.secrets.set(attemptsEntry(accountId), formatMirror(state));
  }

  /** Back to zero in the database (inside a transaction if the caller has one). */
  clearDatabase(accountId: string): void {
    this.remove.run(accountId);
  }

  /** Back to zero in the keychain. */
  async clearMirror(accountId: string): Promise<void> {
    await this.secrets.delete(attemptsEntry(accountId));
  }
}

function merge(a: AttemptState, b: AttemptState): AttemptState {
  const merged: AttemptState = { failures: Math.max(a.failures, b.failures), lastAttemptMs: Math.max(a.lastAttemptMs, b.lastAttemptMs) };
  if (a.tampered || b.tampered) merged.tampered = true;
  return merged;
}

function formatMirror(state: AttemptState): string {
  return `v1 ${state.failures} ${state.lastAttemptMs}`;
}

/** An unreadable mirror counts as zero: the database count still applies. */
function parseMirror(text: string | null): AttemptState {
  const match = text === null ? null : /^v1 (\d{1,9}) (\d{1,16})$/.exec(text);
  return match ? { failures: Number(match[1]), lastAttemptMs: Number(match[2]) } : { failures: 0, lastAttemptMs: 0 };
}
