/**
 * Doctor: one account's offline outlook, from what can be known without opening its token. The
 * token is in the sealed session, which only the PIN opens, and doctor never asks for a PIN; the
 * sealed-session row keeps the offline token's `exp` in clear (migration 5, secrets/offline-expiry.ts),
 * written when the verified token was sealed. So doctor applies the decision's rules
 * (offline/time-rules.ts) in the decision's order (verify-offline.ts: clock, keys, claims, check-in,
 * expiry):
 *  - no valid policy: the app refuses everything (fail-closed);
 *  - no sealed session, or the failed-PIN maximum reached: an online sign-in is needed;
 *  - the clock looks rolled back, no cached key can verify, the account's issuer is not the
 *    policy's, or the check-in is overdue: denied until an online check-in;
 *  - with the stored `exp`: `full` until exp, `read-only` until exp + grace (both with the clock-skew
 *    tolerance, as the decision applies it), each bounded by the check-in due time, then `denied`
 *    (`expired`). This is based on the last verified token: at unlock the app decides from the token
 *    itself, signature and claims checked again, never from the stored `exp`;
 *  - without it (a session sealed before migration 5, or a token without `exp`): the outcome
 *    depends on the cached token, until the check-in falls due (the earliest end doctor can know).
 */
import type { Account } from '../accounts/account-store';
import { attemptStatus, wallClockWaitMs, type AttemptState } from '../secrets/attempt-counter';
import { checkInDueAt, expiryStage, isCheckInOverdue, type ClockTrust } from '../offline/time-rules';
import type { Policy } from '../policy/policy-types';
import type { CheckIn } from '../storage/time-records';
import { checked, iso, note, problem, skipped, type AccountFacts, type Finding, type OfflineOutlook, type UnlockAttemptsFacts } from './doctor-report';

export interface AccountCheckInput {
  account: Account;
  now: Date;
  /** Undefined when no valid policy is in force. */
  policy: Pick<Policy, 'issuer' | 'checkInIntervalDays' | 'gracePeriodHours' | 'clockSkewSeconds' | 'pin'> | undefined;
  hasSealedSession: boolean;
  /** The offline token's `exp` stored beside the sealed session; undefined when not stored (sealed before migration 5, or no `exp`). */
  offlineExpiresAt?: Date;
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
      offline: {
        decision: 'denied',
        reason: 'policy_invalid',
        message: 'FieldKey refuses every sign-in and unlock while the policy is invalid (fail-closed). Ask IT to fix it.',
        holdsUntil: null,
        endsWith: null,
        ...NO_TOKEN_FACTS,
      },
    };
  }

  const due = checkInDueAt(lastCheckIn, policy);
  const attempts = input.attempts ? attemptsFacts(input.attempts.state, input.attempts.mirrorRead, policy.pin.maxAttempts, now) : null;
  const findings: Finding[] = [];
  const denied = (reason: string, message: string, severity: 'problem' | 'note' = 'problem'): OfflineOutlook => {
    findings.push(severity === 'problem' ? problem(reason, message) : note(reason, message));
    return { decision: 'denied', reason, message, holdsUntil: null, endsWith: 'online_check_in', ...NO_TOKEN_FACTS };
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
  } else if (input.offlineExpiresAt === undefined) {
    offline = {
      decision: 'depends_on_token',
      reason: 'depends_on_token',
      message: `Depends on the cached token, which is sealed under the PIN: full access until its expiry, then read-only for ${policy.gracePeriodHours} h${due ? ', until the check-in falls due' : ''}. Unlock to see.`,
      holdsUntil: iso(due),
      endsWith: due ? 'check_in_due' : null,
      ...NO_TOKEN_FACTS,
    };
  } else {
    offline = fromStoredExpiry(input.offlineExpiresAt, now, due, policy, denied);
    if (offline.decision === 'read-only') findings.push(note('grace_period', offline.message));
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

const NO_TOKEN_FACTS = { tokenExpiresAt: null, readOnlyUntil: null, basis: null } as const;
const HOUR_MS = 3_600_000;
const BASIS_TEXT = 'Based on the last verified token (its expiry, stored when it was sealed); its signature and claims are checked again at unlock.';

/** The decision from the stored `exp` (time-rules.ts), bounded by the check-in due time. */
function fromStoredExpiry(
  exp: Date,
  now: Date,
  due: Date | undefined,
  policy: Pick<Policy, 'gracePeriodHours' | 'clockSkewSeconds'>,
  denied: (reason: string, message: string) => OfflineOutlook,
): OfflineOutlook {
  const readOnlyUntil = new Date(exp.getTime() + policy.gracePeriodHours * HOUR_MS);
  const token = { tokenExpiresAt: exp.toISOString(), readOnlyUntil: iso(readOnlyUntil), basis: 'last_verified_token' } as const;
  const stage = expiryStage(now.getTime(), exp.getTime(), policy);
  if (stage.stage === 'expired') {
    const outlook = denied(
      'expired',
      `The cached token expired at ${exp.toISOString()} and the ${policy.gracePeriodHours} h grace period is over. Connect to sign in again. ${BASIS_TEXT}`,
    );
    return { ...outlook, ...token };
  }
  const checkInFirst = due !== undefined && due.getTime() <= stage.untilMs;
  const holdsUntil = checkInFirst ? due : new Date(stage.untilMs);
  const then = checkInFirst ? 'then the check-in is overdue' : stage.stage === 'full' ? `then read-only for ${policy.gracePeriodHours} h` : 'then denied (expired)';
  const what = stage.stage === 'full' ? `Full access: the cached token expires at ${exp.toISOString()}` : `Read-only (grace period): the cached token expired at ${exp.toISOString()}`;
  return {
    decision: stage.stage,
    reason: stage.stage === 'full' ? 'valid' : 'grace_period',
    message: `${what}; this holds until ${holdsUntil.toISOString()}, ${then}. ${BASIS_TEXT}`,
    holdsUntil: holdsUntil.toISOString(),
    endsWith: checkInFirst ? 'check_in_due' : stage.stage === 'full' ? 'token_expiry' : 'grace_end',
    ...token,
  };
}

function attemptsFacts(state: AttemptState, mirrorRead: boolean, maxAttempts: number, now: Date): UnlockAttemptsFacts {
  // The app measures its waits on its own monotonic clock; from outside, the stored wall-clock
  // instant of the last attempt is the best estimate.
  const status = attemptStatus(state, maxAttempts, now.getTime(), wallClockWaitMs(state, now.getTime()));
  return { failures: status.failures, attemptsLeft: status.attemptsLeft, retryAt: iso(status.retryAt), lockedOut: status.lockedOut, keychainMirrorRead: mirrorRead };
}
