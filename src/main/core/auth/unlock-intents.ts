/**
 * PIN and unlock intents: sealing a completed sign-in under a new PIN, unlocking an account with
 * its PIN, locking, signing out, and switching the lock screen to another account. A "Forgot PIN?"
 * sign-in replaces the account's sealed session (new device key, counter reset) when its new PIN
 * is set; if it is abandoned, the old session stays as it was.
 *
 * Locking drops the key: the state changes at once; the vault zeroes the key material as soon as a
 * refresh in flight (if any) has sealed its rotated refresh token, which is already spent at the IdP.
 */
import type { AccountView } from '../../../shared/app-state';
import { FieldKeyError, isFieldKeyError } from '../../../shared/errors';
import type { Account } from '../accounts/account-store';
import { signOut as revokeAndWipe } from '../oauth/sign-out';
import { UnlockError, type AttemptStatus } from '../secrets/attempt-counter';
import { assertPinAllowed } from '../secrets/pin-policy';
import type { UnlockedSession } from '../secrets/unlocked-session';
import type { LockReason } from './auth-service-port';
import { decideAccess } from './access-decision';
import { AccountSession } from './account-session';
import type { Coordinator } from './coordinator';
import { signedOutNotice } from './notices';
import { IDLE, type PhaseOf } from './phase';
import type { SessionUpkeep } from './session-upkeep';
import type { SignInIntents } from './sign-in-intents';
import { accountView } from './state-facts';

export class UnlockIntents {
  constructor(
    private readonly c: Coordinator,
    private readonly upkeep: SessionUpkeep,
    private readonly signIn: SignInIntents,
  ) {}

  setPin(pin: string, confirm: string): Promise<void> {
    const c = this.c;
    return c.serial(async () => {
      const pending = c.phase;
      if (pending.kind !== 'pin-setup' || pending.sealing)
        throw new FieldKeyError('not_in_pin_setup', 'There is no new sign-in waiting for a PIN.');
      if (pin !== confirm) throw new FieldKeyError('pin_mismatch', 'The two PINs do not match. Type the same PIN twice.');
      assertPinAllowed(pin, c.policy.pin);
      c.notice = null;
      const { accountId, identity, tokens } = pending.result;
      const sealing: PhaseOf<'pin-setup'> = { ...pending, sealing: true };
      c.transition(sealing, 'sealing');
      let session: UnlockedSession | undefined;
      try {
        await c.keys.released(accountId);
        c.vault.addAccount(identity);
        session = await c.vault.createSession(accountId, pin, tokens);
      } catch (error) {
        // Locked (idle, suspend) while sealing: the session is sealed, just not unlocked.
        if (!(isFieldKeyError(error, 'session_locked') && c.vault.hasSession(accountId))) {
          if (c.isCurrent(sealing)) c.transition(pending, 'seal failed'); // the PIN can be chosen again
          throw error;
        }
      }
      c.audit.record('pin_changed', accountId, { reason: pending.purpose });
      if (!session || !c.isCurrent(sealing)) {
        // A lock came in while sealing: sealed, but it stays locked.
        if (c.isCurrent(sealing)) c.transition(IDLE, 'locked while sealing');
        c.vault.lock(accountId);
        c.selectedAccountId = accountId;
        await c.publish();
        return;
      }
      const active = await this.activate(session, accountView(c.requireAccount(accountId)), { refreshNow: false });
      c.checkedIn(active); // a completed sign-in is an online check-in too
    });
  }

  unlock(accountId: string, pin: string): Promise<void> {
    const c = this.c;
    return c.serial(async () => {
      c.assertIdle();
      const account = c.requireAccount(accountId);
      c.notice = null;
      if (c.active && !c.active.isLocked && c.active.accountId === accountId) return;
      const unlocking: PhaseOf<'unlocking'> = { kind: 'unlocking', accountId };
      c.transition(unlocking, 'unlock');
      const hadSession = c.vault.hasSession(accountId);
      let session: UnlockedSession;
      let before: AttemptStatus | undefined;
      try {
        await c.keys.released(accountId);
        before = await c.vault.attemptStatus(accountId).catch(() => undefined);
        session = await c.vault.unlock(accountId, pin);
      } catch (error) {
        if (c.isCurrent(unlocking)) c.transition(IDLE, 'unlock failed');
        this.unlockFailed(account, error, hadSession);
        await c.publish();
        throw error;
      }
      if (!c.isCurrent(unlocking)) {
        c.vault.lock(accountId);
        await c.publish();
        throw new FieldKeyError('session_locked', 'FieldKey was locked while the account was being unlocked.');
      }
      const active = await this.activate(session, accountView(account), { refreshNow: true });
      c.audit.record('unlock_ok', accountId, {
        access: active.decided?.decision.decision ?? null,
        failedAttempts: before?.failures ?? null,
      });
    });
  }

  lock(reason: LockReason): void {
    const c = this.c;
    const phase = c.phase;
    // An unsealed sign-in never outlives a lock: its tokens are dropped and revoked.
    if (phase.kind === 'pin-setup' && !phase.sealing) this.signIn.revokeUnsealed(phase.result);
    // A browser sign-in goes on (the technician is in the browser); everything else ends locked.
    if (phase.kind !== 'signing-in') c.transition(IDLE, reason);
    void c.publish();
  }

  signOut(): Promise<void> {
    const c = this.c;
    return c.serial(async () => {
      const phase = c.phase;
      if (phase.kind !== 'unlocked') throw new FieldKeyError('not_unlocked', 'Unlock FieldKey to sign out.');
      const active = phase.session;
      c.notice = null;
      active.stop();
      await active.idle();
      let refreshToken: string | undefined;
      try {
        refreshToken = active.tokens().refreshToken; // before the key is dropped
      } catch {
        refreshToken = undefined; // already locked or wiped
      }
      if (c.isCurrent(phase)) c.transition(IDLE, 'sign-out');
      const id = active.accountId;
      const outcome = await revokeAndWipe(c.idp.signOutDeps(), { refreshToken, wipe: () => c.vault.wipeSession(id) });
      if (outcome === 'revoked' || outcome === 'refused') this.upkeep.watch.report(true);
      if (outcome === 'queued' || outcome === 'not_queued') this.upkeep.watch.report(false);
      c.audit.record('sign_out', id, { reason: 'user', revocationQueued: outcome === 'queued' });
      c.auditedReasons.delete(id);
      c.selectedAccountId = id;
      c.notice = signedOutNotice(active.account, outcome);
      await c.publish();
    });
  }

  switchAccount(accountId: string): Promise<void> {
    const c = this.c;
    return c.serial(async () => {
      c.assertIdle();
      c.requireAccount(accountId);
      c.notice = null;
      c.transition(IDLE, 'switch');
      c.selectedAccountId = accountId;
      await c.publish();
    });
  }

  /** The unlocked phase for `session`: its account session decides, refreshes and emits outcomes. */
  private async activate(session: UnlockedSession, account: AccountView, { refreshNow }: { refreshNow: boolean }): Promise<AccountSession> {
    const c = this.c;
    const active = new AccountSession({
      account,
      session,
      clock: c.deps.clock,
      refresher: c.idp.refresher(session, () => c.vault.wipeSession(account.id)),
      decide: (tokens) =>
        decideAccess(
          { policy: c.policy, clock: c.deps.clock, times: c.idp.times, jwks: c.idp.jwks, online: () => this.upkeep.watch.online },
          account.id,
          tokens,
        ),
    });
    active.onRefreshed((outcome) => this.upkeep.refreshed(active, outcome));
    c.transition({ kind: 'unlocked', session: active }, 'unlocked');
    c.selectedAccountId = account.id;
    await this.upkeep.redecide();
    if (c.active === active) this.upkeep.startSession(active, refreshNow);
    return active;
  }

  private unlockFailed(account: Account, error: unknown, hadSession: boolean): void {
    const c = this.c;
    if (isFieldKeyError(error, 'attempts_tampered')) c.audit.record('records_tampered', account.id, { record: 'unlock_attempts' });
    if (!(error instanceof UnlockError)) return;
    const max = c.maxAttempts();
    switch (error.code) {
      case 'wrong_pin':
        c.audit.record('unlock_failed', account.id, { failedAttempts: max - error.attemptsLeft, remainingAttempts: error.attemptsLeft });
        break;
      case 'lockout_wipe':
      case 'locked_out': // the maximum was reached earlier; the vault finishes a wipe that did not complete
        if (hadSession) c.audit.record('lockout_wipe', account.id, { failedAttempts: max });
        c.auditedReasons.delete(account.id);
        c.selectedAccountId = account.id;
        c.notice = { code: error.code, message: error.message };
        break;
      default:
        break;
    }
  }
}
