/**
 * Doctor: one account's offline outlook, from what can be known without its token. The token is in
 * the sealed session, which only the PIN opens, and doctor never asks for a PIN; the sealed-session
 * row keeps no expiry in clear. So doctor reports the facts that need no token, in the decision's
 * order (verify-offline.ts: clock, keys, claims, check-in), and otherwise says the outcome depends on
 * the cached token:
 *  - no valid policy: the app refuses everything (fail-closed);
 *  - no sealed session, or the failed-PIN maximum reached: an online sign-in is needed;
 *  - the clock looks rolled back, no cached key can verify, the account's issuer is not the
 *    policy's, or the check-in is overdue: denied until an online check-in;
 *  - else: full until the token's `exp`, read-only for the grace period after, until the check-in
 *    falls due (the earliest end doctor can know).
 */
import type { Account } from '../accounts/account-store';
import { attemptStatus, type AttemptState } from '../secrets/attempt-counter';
import { checkInDueAt, isCheckInOverdue, type ClockTrust } from '../offline/time-rules';
import type { Policy } from '../policy/policy-types';
import type { CheckIn } from '../storage/time-records';
import { checked, iso, note, problem, skipped, type AccountFacts, type Finding, type OfflineOutlook, type UnlockAttemptsFacts } from './doctor-report';

export interface AccountCheckInput {
  account: Account;
  now: Date;
  /** Undefined when no valid policy is in force. */
  policy: Pick<Policy, 'issuer' | 'checkInIntervalDays' | 'gracePeriodHours' | 'pin'> | undefined;
  hasSealedSession: boolean;
  lastCheckIn: CheckIn | undefined;
  /** The failed-unlock count (AttemptCounter), and whether the keychain mirror was read as well. */
  attempts: { state: AttemptState; mirrorRead: boolean } | undefined;
  /** The clock verdict (clock-check.ts); undefined when not judged. */
  clockTrust: ClockTrust | undefined;
  /** Set when no cached key can verify any token of the issuer (jwks-check.ts). */
  cannotVerify: { code: string; message: string } | undefined;
}

export function checkAccount(input: AccountCheckInput): AccountFacts {
  const { account, now, policy } = input;
  const identity = { id: account.id, displayName: account.displayName, email: account.email, issuer: account.issuer, sealedSession: input.hasSealedSession };
  const lastCheckIn = input.lastCheckIn?.at;

  if (!policy) {
    return {
      ...skipped('no valid policy'),
      ...identity,
      lastCheckIn: iso(lastCheckIn),
      checkInDueAt: null,
      unlockAttempts: null,
      offline: { decision: 'denied', reason: 'policy_invalid', message: 'FieldKey refuses every sign-in and unlock while the policy is invalid (fail-closed). Ask IT to fix it.', holdsUntil: null, endsWith: null },
    };
  }

  const due = checkInDueAt(lastCheckIn, policy);
  const attempts = input.attempts ? attemptsFacts(input.attempts.state, input.attempts.mirrorRead, policy.pin.maxAttempts, now) : null;
  const findings: Finding[] = [];
  const denied = (reason: string, message: string, severity: 'problem' | 'note' = 'problem'): OfflineOutlook => {
    findings.push(severity === 'problem' ? problem(reason, message) : note(reason, message));
    return { decision: 'denied', reason, message, holdsUntil: null, endsWith: 'online_check_in' };
  };

  let offline: OfflineOutlook;
  if (!input.hasSealedSession) {
    offline = denied('no_session', 'No cached session on this device (signed out, PIN forgotten, locked out or revoked): an online sign-in is needed.', 'note');
  } else if (attempts?.lockedOut) {
    offline = denied('locked_out', `The maximum of ${policy.pin.maxAttempts} failed PIN attempts was reached: the cached session is wiped and an online sign-in is needed.`);
  } else if (input.clockTrust && !input.clockTrust.trusted) {
    offline = denied('clock_rollback', input.clockTrust.message);
  } else if (input.cannotVerify) {
    offline = denied(input.cannotVerify.code, input.cannotVerify.message);
  } else if (account.issuer !== policy.issuer) {
    offline = denied(
      'issuer_mismatch',
      `This account was signed in with issuer ${JSON.stringify(account.issuer)}, but the policy now names ${JSON.stringify(policy.issuer)}: its cached token cannot be verified. Sign in again online.`,
    );
  } else if (isCheckInOverdue(now, due)) {
    offline = denied('check_in_overdue', `The mandatory online check-in was due at ${due.toISOString()} (every ${policy.checkInIntervalDays} days). Connect to check in.`);
  } else {
    offline = {
      decision: 'depends_on_token',
      reason: 'depends_on_token',
      message: `Depends on the cached token, which is sealed under the PIN: full access until its expiry, then read-only for ${policy.gracePeriodHours} h${due ? ', until the check-in falls due' : ''}. Unlock to see.`,
      holdsUntil: iso(due),
      endsWith: due ? 'check_in_due' : null,
    };
  }

  if (input.hasSealedSession && lastCheckIn === undefined) {
    findings.push(note('no_check_in', 'No online check-in is recorded for this account on this device, so no check-in deadline applies yet.'));
  }
  if (attempts && !attempts.lockedOut && attempts.failures > 0) {
    const wait = attempts.retryAt ? `; the next attempt is possible at ${attempts.retryAt}` : '';
    findings.push(note('failed_unlocks', `${attempts.failures} failed PIN attempt(s) since the last unlock; ${attempts.attemptsLeft} left before the session is wiped${wait}.`));
  }
  return { ...checked(findings), ...identity, lastCheckIn: iso(lastCheckIn), checkInDueAt: iso(due), unlockAttempts: attempts, offline };
}

function attemptsFacts(state: AttemptState, mirrorRead: boolean, maxAttempts: number, now: Date): UnlockAttemptsFacts {
  const status = attemptStatus(state, maxAttempts, now.getTime());
  return { failures: status.failures, attemptsLeft: status.attemptsLeft, retryAt: iso(status.retryAt), lockedOut: status.lockedOut, keychainMirrorRead: mirrorRead };
}
