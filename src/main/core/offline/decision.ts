/**
 * The offline decision's inputs and result: how much a cached token still
 * lets a technician do, from the token, the cached keys, the policy and the clock records.
 */
import type { JWTPayload } from 'jose';
import type { Policy } from '../policy/policy-types';

export type Decision = 'full' | 'read-only' | 'denied';

export const DECISION_REASONS = [
  'valid',
  'grace_period',
  'expired',
  'not_yet_valid',
  'bad_signature',
  'unknown_kid',
  'ambiguous_key',
  'alg_not_allowed',
  'issuer_mismatch',
  'audience_mismatch',
  'missing_claim',
  'malformed',
  'no_usable_keys',
  'clock_rollback',
  'check_in_overdue',
] as const;
export type DecisionReason = (typeof DECISION_REASONS)[number];

/** The policy fields a decision reads; a full `Policy` fits. */
export type DecisionPolicy = Pick<Policy, 'issuer' | 'audience' | 'gracePeriodHours' | 'checkInIntervalDays' | 'clockSkewSeconds'> & {
  allowedAlgorithms: readonly string[];
  /** Claims required besides `exp`, `iat` and `sub`. */
  requiredClaims: readonly string[];
  /** Which token is decided on; see verify-offline.ts for what it changes. Default `access`. */
  offlineToken?: Policy['offlineToken'];
  /** The read-only tier after the grace period, in hours; absent or null: until the check-in falls due. */
  readOnlyHours?: Policy['readOnlyHours'];
};

/** The time records a decision compares with; a check whose record is missing is skipped. */
export interface ClockReadings {
  /** The local clock now. */
  now: Date;
  /** The last server time seen online (HTTP `Date`, token `iat`). */
  lastServerTime?: Date;
  /** The highest local clock reading seen so far. */
  highWater?: Date;
  /** The last successful online check-in (refresh). */
  lastCheckIn?: Date;
}

export interface OfflineDecision {
  decision: Decision;
  reason: DecisionReason;
  /** For people: says what happened and what to do. Never holds token content beyond sub, kid, alg. */
  message: string;
  /** From the verified token only. */
  sub?: string;
  /** From the token header (`kid`, `alg`): known even when verification fails. */
  kid?: string;
  alg?: string;
  /** From the verified token: `exp`, and `exp` + grace period (full access ends). */
  expiresAt?: Date;
  fullUntil?: Date;
  /**
   * The end of the read-only tier when it is bounded: the earlier of exp + grace + `readOnlyHours`
   * and the check-in due time. Absent when only an online check-in ends it.
   */
  readOnlyUntil?: Date;
  /** Last check-in + check-in interval, when the last check-in is known. */
  checkInDueAt?: Date;
  /** For `missing_claim`: the claim that is missing. */
  missingClaim?: string;
  /**
   * The verified claims, for main-process callers only (never the renderer, the CLI or a log).
   * Set with `valid` and `grace_period`, and with `expired` and `check_in_overdue` (every check
   * but time passed), so those denials still say whose token it is. Never set otherwise.
   */
  claims?: JWTPayload;
}

/** The documented, shareable fields of a decision (CLI JSON, IPC): ISO times, no claims. */
export interface DecisionSummary {
  decision: Decision;
  reason: DecisionReason;
  sub?: string;
  kid?: string;
  alg?: string;
  expiresAt?: string;
  fullUntil?: string;
  readOnlyUntil?: string;
  checkInDueAt?: string;
  message: string;
}

export function summarizeDecision(result: OfflineDecision): DecisionSummary {
  return {
    decision: result.decision,
    reason: result.reason,
    ...(result.sub !== undefined && { sub: result.sub }),
    ...(result.kid !== undefined && { kid: result.kid }),
    ...(result.alg !== undefined && { alg: result.alg }),
    ...(result.expiresAt && { expiresAt: result.expiresAt.toISOString() }),
    ...(result.fullUntil && { fullUntil: result.fullUntil.toISOString() }),
    ...(result.readOnlyUntil && { readOnlyUntil: result.readOnlyUntil.toISOString() }),
    ...(result.checkInDueAt && { checkInDueAt: result.checkInDueAt.toISOString() }),
    message: result.message,
  };
}
