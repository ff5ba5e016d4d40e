/**
 * Sign-in intents: a browser sign-in (sign-in-flow.ts) from the sign-in screen, "Add account",
 * "Forgot PIN?" or a reconnect, its cancel, and its completion into a PIN set-up. The tokens of a
 * completed sign-in stay in main-process memory only, until the PIN seals them (unlock-intents.ts);
 * a sign-in that will never be sealed (cancelled, another account, too many accounts, a lock) has
 * its refresh token revoked, or queued for revocation.
 */
import { FieldKeyError, isFieldKeyError, isNoConnection } from '../../../shared/errors';
import type { SignInResult } from '../oauth/sign-in';
import type { SignInRequest, SignInStarted } from './auth-service-port';
import { confirmClockOnline } from './access-decision';
import type { Coordinator } from './coordinator';
import { errorCode } from './error-code';
import { errorNotice, tooManyAccountsNotice, wrongAccountNotice } from './notices';
import { IDLE, type PhaseOf } from './phase';
import type { SessionUpkeep } from './session-upkeep';
import { beginBrowserSignIn, type BrowserSignIn } from './sign-in-flow';
import { accountView } from './state-facts';

export class SignInIntents {
  constructor(
    private readonly c: Coordinator,
    private readonly upkeep: SessionUpkeep,
  ) {}

  begin(request: SignInRequest): Promise<SignInStarted> {
    const c = this.c;
    return c.serial(async () => {
      c.assertIdle();
      const known = request.accountId === undefined ? undefined : c.requireAccount(request.accountId);
      if ((request.purpose === 'forgot-pin' || request.purpose === 'reconnect') && !known) {
        throw new FieldKeyError('invalid_argument', 'This sign-in needs the account it is for.');
      }
      if (request.purpose === 'add-account' && c.vault.listAccounts().length >= c.policy.maxAccounts) {
        throw new FieldKeyError('too_many_accounts', tooManyAccountsNotice(c.policy.maxAccounts).message);
      }
      c.notice = null;
      let flow: BrowserSignIn;
      try {
        flow = await beginBrowserSignIn(c.idp, {
          ...(known?.email ? { loginHint: known.email } : {}),
          ...(c.timing.signInTimeoutMs !== undefined ? { timeoutMs: c.timing.signInTimeoutMs } : {}),
          onRefused: (reason) => c.deps.log(`sign-in listener refused a request (${reason})`),
        });
      } catch (error) {
        if (isFieldKeyError(error, 'idp_unreachable')) this.upkeep.watch.report(false);
        await c.publish();
        throw error;
      }
      this.upkeep.watch.report(true);
      const signingIn: PhaseOf<'signing-in'> = {
        kind: 'signing-in',
        purpose: request.purpose,
        account: known ? accountView(known) : null,
        flow,
      };
      c.transition(signingIn, 'sign-in');
      c.inBackground(
        flow.result.then(
          (result) => this.completed(signingIn, result),
          (error: unknown) => this.failed(signingIn, error),
        ),
        'completing the sign-in',
      );
      await c.publish();
      return flow.started;
    });
  }

  cancel(): Promise<void> {
    const c = this.c;
    return c.serial(async () => {
      const phase = c.phase;
      if (phase.kind === 'signing-in') phase.flow.cancel();
      else if (phase.kind === 'pin-setup' && !phase.sealing) this.revokeUnsealed(phase.result);
      else throw new FieldKeyError('not_signing_in', 'No sign-in is in progress.');
      c.transition(IDLE, 'sign-in cancelled');
      await c.publish();
    });
  }

  /** A sign-in that will never be sealed: its refresh token is revoked (or queued), in the background. */
  revokeUnsealed(result: SignInResult): void {
    this.c.inBackground(this.c.idp.revokeUnsealed(result.tokens), 'revoking an unsealed sign-in');
  }

  /** At dispose: a sign-in waiting for its PIN has its revocation queued (no time to send it). */
  async queueUnsealed(result: SignInResult): Promise<void> {
    await this.c.idp
      .queueRevocation(result.tokens)
      .catch((error: unknown) => this.c.deps.log(`queueing a revocation failed: ${errorCode(error)}`));
  }

  private completed(signingIn: PhaseOf<'signing-in'>, result: SignInResult): Promise<void> {
    const c = this.c;
    return c.serial(async () => {
      if (!c.isCurrent(signingIn)) return this.revokeUnsealed(result); // cancelled meanwhile
      c.transition(IDLE, 'sign-in completed');
      this.upkeep.watch.report(true);
      const expected = signingIn.account;
      if (expected && expected.id !== result.accountId) {
        c.notice = wrongAccountNotice(expected, result.identity.displayName);
        this.revokeUnsealed(result);
      } else if (!c.vault.getAccount(result.accountId) && c.vault.listAccounts().length >= c.policy.maxAccounts) {
        c.notice = tooManyAccountsNotice(c.policy.maxAccounts);
        this.revokeUnsealed(result);
      } else {
        c.transition({ kind: 'pin-setup', purpose: signingIn.purpose, result, sealing: false }, 'sign-in completed');
        c.audit.record('sign_in', result.accountId, {
          issuer: c.policy.issuer,
          reason: signingIn.purpose,
          redirectMode: c.policy.redirect.mode,
        });
        confirmClockOnline({ clock: c.deps.clock, times: c.idp.times }, c.policy);
      }
      await c.publish();
    });
  }

  private failed(signingIn: PhaseOf<'signing-in'>, error: unknown): Promise<void> {
    const c = this.c;
    return c.serial(async () => {
      if (!c.isCurrent(signingIn)) return;
      c.transition(IDLE, 'sign-in failed');
      if (isNoConnection(error)) this.upkeep.watch.report(false);
      if (!isFieldKeyError(error, 'sign_in_cancelled')) {
        c.deps.log(`sign-in failed: ${errorCode(error)}`);
        c.notice = errorNotice(error, 'sign_in_failed');
      }
      await c.publish();
    });
  }
}
