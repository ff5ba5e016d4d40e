/**
 * Failed unlock attempts per account. The count lives in two places: the `unlock_attempts` table
 * and a small keychain entry (`<accountId>/attempts`, "v1 <failures> <last attempt ms>"). Reading
 * takes the larger of the two, so deleting or restoring the database file does not reset it, and
 * neither does deleting only the keychain entry.
 *
 * An attempt is counted before the PIN is tried: the vault writes the database count before it
 * starts Argon2id, and compares the PIN only once the keychain mirror is written too (see
 * session-vault.ts), so a crash or a kill at any point leaves every attempt whose outcome could be
 * observed counted in both places. A successful unlock clears both.
 *
 * Delays: none for the first three failures; after the n-th failure (n >= 3) the next attempt waits
 * 30 s * 2^(n - 3) from the start of the failed attempt (30 s, 60 s, 2 min, ...; at most 1 h).
 * When the failures reach the policy maximum the vault wipes the session and the device key.
 */
import { FieldKeyError } from '../../shared/errors';
import type { Database } from '../storage/database';
import { attemptsEntry, type SecretStore } from './secret-store';

export interface AttemptState {
  failures: number;
  /** When the last counted attempt started (ms since the epoch, from the injected clock). */
  lastAttemptMs: number;
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

export function attemptStatus(state: AttemptState, maxAttempts: number, nowMs: number): AttemptStatus {
  const attemptsLeft = Math.max(0, maxAttempts - state.failures);
  const retryMs = state.lastAttemptMs + unlockDelayMs(state.failures);
  const status: AttemptStatus = { failures: state.failures, attemptsLeft, lockedOut: attemptsLeft === 0 };
  if (attemptsLeft > 0 && unlockDelayMs(state.failures) > 0 && nowMs < retryMs) status.retryAt = new Date(retryMs);
  return status;
}

/** An unlock refusal the lock screen explains: attempts left and, if any, when to try again. */
export class UnlockError extends FieldKeyError {
  readonly attemptsLeft: number;
  readonly retryAt?: Date;

  constructor(code: string, message: string, attemptsLeft: number, retryAt?: Date) {
    super(code, message);
    this.attemptsLeft = attemptsLeft;
    if (retryAt) this.retryAt = retryAt;
  }
}

interface CounterRow {
  failures: number;
  last_attempt_ms: number;
}

export class AttemptCounter {
  private readonly select;
  private readonly bump;
  private readonly remove;

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

  /** The count as the larger of the database and the keychain mirror. */
  async read(accountId: string): Promise<AttemptState> {
    return merge(this.readDatabase(accountId), parseMirror(await this.secrets.get(attemptsEntry(accountId))));
  }

  readDatabase(accountId: string): AttemptState {
    const row = this.select.get(accountId);
    return row ? { failures: row.failures, lastAttemptMs: row.last_attempt_ms } : { failures: 0, lastAttemptMs: 0 };
  }

  /**
   * Counts one more attempt on top of `known` (the state just read) in the database, flushed to
   * disk before it returns, and returns the new state. The vault calls this before Argon2id starts.
   */
  countInDatabase(accountId: string, known: AttemptState, nowMs: number): AttemptState {
    const row = this.bump.get(accountId, known.failures + 1, Math.max(nowMs, known.lastAttemptMs))!;
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
  return { failures: Math.max(a.failures, b.failures), lastAttemptMs: Math.max(a.lastAttemptMs, b.lastAttemptMs) };
}

function formatMirror(state: AttemptState): string {
  return `v1 ${state.failures} ${state.lastAttemptMs}`;
}

/** An unreadable mirror counts as zero: the database count still applies. */
function parseMirror(text: string | null): AttemptState {
  const match = text === null ? null : /^v1 (\d{1,9}) (\d{1,16})$/.exec(text);
  return match ? { failures: Number(match[1]), lastAttemptMs: Number(match[2]) } : { failures: 0, lastAttemptMs: 0 };
}
