/**
 * The unlocked account: its `UnlockedSession` (tokens and key material, main-process memory only),
 * its refresher, the refresh timer while the IdP is reachable, and its latest offline decision.
 *
 * Refreshes are single-flight here as in the refresher, and each one's outcome is handed to
 * the `refreshed` listeners exactly once (audit, network flag, re-decision), whoever asked: the timer, a
 * reconnect, or Retry. `refresh()` never rejects; it resolves with the outcome.
 *
 * Locking: `stop()` ends the timer at once; the key material is dropped by the vault, after
 * `idle()` so that a refresh in flight can persist its rotated refresh token first (the old one is
 * already spent at the IdP).
 */
import type { AccountView } from '../../../shared/app-state';
import { FieldKeyError, isNoConnection } from '../../../shared/errors';
import type { Clock } from '../clock';
import type { Refresher } from '../oauth/refresh';
import { startRefreshTimer, type RefreshTimer } from '../oauth/refresh-timer';
import type { SessionTokens } from '../secrets/session-tokens';
import type { UnlockedSession } from '../secrets/unlocked-session';
import type { DecidedAccess } from './access-decision';

export type RefreshOutcome =
  { ok: true; tokens: SessionTokens; rotated: boolean } | { ok: false; error: unknown; offline: boolean; revoked: boolean };

export interface AccountSessionDeps {
  account: AccountView;
  session: Pick<UnlockedSession, 'isLocked' | 'tokens'>;
  refresher: Pick<Refresher, 'dueAt' | 'refresh' | 'idle'>;
  clock: Clock;
  decide: (tokens: SessionTokens) => Promise<DecidedAccess>;
}

export class AccountSession {
  readonly account: AccountView;
  /** The latest decision, once `decide()` has run. */
  decided: DecidedAccess | undefined;
  private inFlight: Promise<RefreshOutcome> | undefined;
  private timer: RefreshTimer | undefined;
  private stopped = false;
  private readonly refreshedListeners = new Set<(outcome: RefreshOutcome) => Promise<void>>();

  constructor(private readonly deps: AccountSessionDeps) {
    this.account = deps.account;
  }

  get accountId(): string {
    return this.account.id;
  }

  get isLocked(): boolean {
    return this.deps.session.isLocked;
  }

  /** A copy of the tokens (main process only). */
  tokens(): SessionTokens {
    return this.deps.session.tokens();
  }

  /** Whether a refresh is in flight now. */
  get refreshing(): boolean {
    return this.inFlight !== undefined;
  }

  /** Decides again from the current tokens (`session_locked` once locked). */
  async decide(): Promise<DecidedAccess> {
    const decided = await this.deps.decide(this.tokens());
    if (!this.isLocked) this.decided = decided;
    return decided;
  }

  /** Whether the access token is due for a refresh now (halfway through its lifetime). */
  isDue(): boolean {
    if (this.isLocked) return false;
    const due = this.deps.refresher.dueAt();
    return due === undefined || due.getTime() <= this.deps.clock.now().getTime();
  }

  /** Every refresh's outcome, once; `refresh()` resolves after the listeners did. Returns an unsubscribe function. */
  onRefreshed(listener: (outcome: RefreshOutcome) => Promise<void>): () => void {
    this.refreshedListeners.add(listener);
    return () => this.refreshedListeners.delete(listener);
  }

  /** Refreshes now (shared with any refresh in flight). */
  refresh(): Promise<RefreshOutcome> {
    this.inFlight ??= this.refreshOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Runs the refresh timer while the IdP is reachable, and stops it while it is not. */
  setOnline(online: boolean): void {
    if (!online || this.stopped) {
      this.timer?.stop();
      this.timer = undefined;
      return;
    }
    this.timer ??= startRefreshTimer(
      {
        dueAt: () => (this.isLocked ? undefined : this.deps.refresher.dueAt()),
        refresh: async () => {
          const outcome = await this.refresh();
          if (!outcome.ok) throw outcome.error;
          return outcome.tokens;
        },
      },
      {
        clock: this.deps.clock,
        // A refusal other than "offline" ends the timer; the next reconnect starts a new one.
        onStopped: () => {
          this.timer = undefined;
        },
      },
    );
  }

  /** Stops the timer for good (lock, sign-out, revocation). */
  stop(): void {
    this.stopped = true;
    this.setOnline(false);
  }

  /** Resolves when no refresh is in flight. */
  async idle(): Promise<void> {
    await this.inFlight;
    await this.deps.refresher.idle();
  }

  private async refreshOnce(): Promise<RefreshOutcome> {
    let outcome: RefreshOutcome;
    try {
      if (this.isLocked) throw new FieldKeyError('session_locked', 'The session is locked.');
      const before = this.tokens().refreshToken;
      const tokens = await this.deps.refresher.refresh();
      outcome = { ok: true, tokens, rotated: tokens.refreshToken !== before };
    } catch (error) {
      outcome = {
        ok: false,
        error,
        offline: isNoConnection(error),
        revoked: error instanceof FieldKeyError && error.code === 'session_revoked',
      };
    }
    await Promise.all([...this.refreshedListeners].map((listener) => listener(outcome)));
    return outcome;
  }
}
