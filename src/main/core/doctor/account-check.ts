/**
 * Doctor: one account's offline outlook, from what can be known without opening its token. The
 * token is in the sealed session, which only the PIN opens, and doctor never asks for a PIN; the
 * sealed-session row keeps the offline token's `exp` in clear (migration 5, secrets/offline-expiry.ts),
 * written when the verified token was sealed. So doctor applies the decision's rules
 * (offline/time-rules.ts) in the decision's order (verify-offline.ts: clock, keys, claims, check-in,
 * expiry):
 *  - no valid policy: the app refuses everything (fail-closed);
 *  - no sealed session, or the failed-PIN maximum reached: an online sign-in is needed;
 *  - the sealed session cannot be opened whatever the PIN (its device key is gone, or the row was
 *    modified: session-key-check.ts): an online sign-in is needed;
 *  - the clock looks rolled back, no cached key can verify, the account's issuer is not the
 *    policy's, or the check-in is overdue: denied until an online check-in;
 *  - with the stored `exp`: the runway of time-rules.ts, exactly as the decision applies it: `full`
 *    through exp + grace, then `read-only` until exp + grace + `readOnlyHours` (or until the check-in
 *    falls due), then `denied` (`expired`), every boundary with the clock-skew tolerance. This is
 *    based on the last verified token: at unlock the app decides from the token itself, signature
 *    and claims checked again, never from the stored `exp`;
 *  - without it (a session sealed before migration 5, or a token without `exp`): the outcome
 *    depends on the cached token, until the check-in falls due (the earliest end doctor can know).
 */
import type { Account } from '../accounts/account-store';
import { attemptStatus, wallClockWaitMs, type AttemptState } from '../secrets/attempt-counter';
import { checkInDueAt, isCheckInOverdue, offlineRunway, runwayStage, type ClockTrust } from '../offline/time-rules';
import type { Policy } from '../policy/policy-types';
import type { CheckIn } from '../records/time-records';
import {
  checked,
  iso,
  note,
  problem,
  skipped,
  type AccountFacts,
  type Finding,
  type OfflineOutlook,
  type UnlockAttemptsFacts,
} from './doctor-report';

export interface AccountCheckInput {
  account: Account;
  now: Date;
  /** Undefined when no valid policy is in force. */
  policy: Pick<Policy, 'issuer' | 'checkInIntervalDays' | 'gracePeriodHours' | 'readOnlyHours' | 'clockSkewSeconds' | 'pin'> | undefined;
  hasSealedSession: boolean;
  /** Why the sealed session cannot be opened with any PIN (session-key-check.ts); undefined when it can or was not checked. */
  sessionProblem?: Finding;
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
  const identity = {
    id: account.id,
    displayName: account.displayName,
    email: account.email,
    issuer: account.issuer,
    sealedSession: input.hasSealedSession,
  };
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
    offline = denied(
      'no_session',
      'No cached session on this device (signed out, PIN forgotten, locked out or revoked): an online sign-in is needed.',
      'note',
    );
  } else if (attempts?.tampered) {
    offline = denied(
      'attempts_tampered',
      "This account's count of wrong PINs was changed outside FieldKey (its MAC under this installation's key does not match): FieldKey tries no PIN for it until an online sign-in. Sign in online; if nobody here edited the database, keep a copy of it for IT first.",
    );
  } else if (attempts?.lockedOut) {
    offline = denied(
      'locked_out',
      `The maximum of ${policy.pin.maxAttempts} failed PIN attempts was reached: the cached session is wiped and an online sign-in is needed.`,
    );
  } else if (input.sessionProblem) {
    offline = denied(input.sessionProblem.code, input.sessionProblem.message);
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
    offline = denied(
      'check_in_overdue',
      `The mandatory online check-in was due at ${due.toISOString()} (every ${policy.checkInIntervalDays} days). Connect to check in.`,
    );
  } else if (input.offlineExpiresAt === undefined) {
    offline = {
      decision: 'depends_on_token',
      reason: 'depends_on_token',
      message: `Depends on the cached token, which is sealed under the PIN: full access until ${policy.gracePeriodHours} h past its expiry, then ${readOnlyWords(policy)}${due ? ', at most until the check-in falls due' : ''}. Unlock to see.`,
      holdsUntil: iso(due),
      endsWith: due ? 'check_in_due' : null,
      ...NO_TOKEN_FACTS,
    };
  } else {
    offline = fromStoredExpiry(input.offlineExpiresAt, now, due, policy, denied);
    if (offline.decision === 'read-only') findings.push(note('read_only', offline.message));
    if (offline.reason === 'grace_period') findings.push(note('grace_period', offline.message));
  }

  if (input.hasSealedSession && lastCheckIn === undefined) {
    findings.push(
      note('no_check_in', 'No online check-in is recorded for this account on this device, so no check-in deadline applies yet.'),
    );
  }
  if (attempts && !attempts.lockedOut && !attempts.tampered && attempts.failures > 0) {
    const wait = attempts.retryAt ? `; the next attempt is possible at ${attempts.retryAt}` : '';
    findings.push(
      note(
        'failed_unlocks',
        `${attempts.failures} failed PIN attempt(s) since the last unlock; ${attempts.attemptsLeft} left before the session is wiped${wait}.`,
      ),
    );
  }
  return { ...checked(findings), ...identity, lastCheckIn: iso(lastCheckIn), checkInDueAt: iso(due), unlockAttempts: attempts, offline };
}

const NO_TOKEN_FACTS = { tokenExpiresAt: null, fullUntil: null, readOnlyUntil: null, basis: null } as const;
const BASIS_TEXT =
  'Based on the last verified token (its expiry, stored when it was sealed); its signature and claims are checked again at unlock.';

function readOnlyWords(policy: Pick<Policy, 'readOnlyHours'>): string {
  if (policy.readOnlyHours === 0) return 'denied (no read-only period)';
  return policy.readOnlyHours === null ? 'read-only until the check-in' : `read-only for ${policy.readOnlyHours} h`;
}

/** The decision from the stored `exp` on the runway of time-rules.ts, bounded by the check-in due time. */
function fromStoredExpiry(
  exp: Date,
  now: Date,
  due: Date | undefined,
  policy: Pick<Policy, 'gracePeriodHours' | 'readOnlyHours' | 'clockSkewSeconds'>,
  denied: (reason: string, message: string) => OfflineOutlook,
): OfflineOutlook {
  const runway = offlineRunway(exp.getTime(), policy, due);
  const token = {
    tokenExpiresAt: exp.toISOString(),
    fullUntil: iso(new Date(runway.fullUntilMs)),
    readOnlyUntil: runway.readOnlyUntilMs === undefined ? null : iso(new Date(runway.readOnlyUntilMs)),
    basis: 'last_verified_token',
  } as const;
  const stage = runwayStage(now.getTime(), runway, policy);
  if (stage.tier === 'denied') {
    // The check-in was judged before; only the end of the runway is left.
    const outlook = denied(
      'expired',
      `The cached token expired at ${exp.toISOString()}; the grace period and the read-only period are over. Connect to check in. ${BASIS_TEXT}`,
    );
    return { ...outlook, ...token };
  }
  // The decision (not its reason) holds to the end of its tier: full access through the grace period.
  const tierEndMs = stage.tier === 'full' ? runway.fullUntilMs + policy.clockSkewSeconds * 1000 : stage.untilMs;
  const checkInFirst = due !== undefined && (tierEndMs === undefined || due.getTime() < tierEndMs);
  const holdsUntil = checkInFirst ? due : tierEndMs === undefined ? undefined : new Date(tierEndMs);
  let endsWith: OfflineOutlook['endsWith'];
  if (checkInFirst) endsWith = 'check_in_due';
  else if (stage.tier === 'full') endsWith = 'grace_end';
  else endsWith = holdsUntil ? 'read_only_end' : 'online_check_in';
  const what =
    stage.tier === 'read-only'
      ? `Read-only: the cached token expired at ${exp.toISOString()} and the ${policy.gracePeriodHours} h grace period is over`
      : stage.reason === 'grace_period'
        ? `Full access (grace period): the cached token expired at ${exp.toISOString()}`
        : `Full access: the cached token expires at ${exp.toISOString()}`;
  const holds = holdsUntil
    ? `this holds until ${holdsUntil.toISOString()}, ${THEN_WORDS[endsWith]}`
    : 'this holds until an online check-in';
  return {
    decision: stage.tier,
    reason: stage.reason,
    message: `${what}; ${holds}. ${BASIS_TEXT}`,
    holdsUntil: iso(holdsUntil),
    endsWith,
    ...token,
  };
}

/** What follows each end of an outlook, in words (render-doctor.ts shows the same). */
export const THEN_WORDS: Record<NonNullable<OfflineOutlook['endsWith']>, string> = {
  check_in_due: 'then the check-in is overdue',
  grace_end: 'then full access ends with the grace period',
  read_only_end: 'then denied: the read-only period ends',
  online_check_in: 'then an online check-in',
};

function attemptsFacts(state: AttemptState, mirrorRead: boolean, maxAttempts: number, now: Date): UnlockAttemptsFacts {
  // The app measures its waits on its own monotonic clock; from outside, the stored wall-clock
  // instant of the last attempt is the best estimate.
  const status = attemptStatus(state, maxAttempts, now.getTime(), wallClockWaitMs(state, now.getTime()));
  return {
    failures: status.failures,
    attemptsLeft: status.attemptsLeft,
    retryAt: iso(status.retryAt),
    lockedOut: status.lockedOut,
    keychainMirrorRead: mirrorRead,
    tampered: state.tampered === true,
  };
}
