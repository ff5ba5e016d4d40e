/**
 * Claim rules of the offline decision, run only on a payload whose signature has been verified:
 * exact-string issuer, audience, required claims, claim types, and `nbf`/`iat` against the local
 * clock. Messages name the expected values and the claim, never the token's own values.
 */
import type { JWTPayload } from 'jose';
import type { DecisionPolicy, DecisionReason } from './decision';

/** Claims every offline token must carry, whichever token type is decided on. */
export const ALWAYS_REQUIRED_CLAIMS = ['exp', 'iat', 'sub'] as const;

/** The largest NumericDate (seconds) a JavaScript Date can hold. */
const MAX_NUMERIC_DATE = 8.64e12;

export type ClaimsCheck =
  | { ok: true; sub: string; expiresAtMs: number }
  | {
      ok: false;
      reason: Extract<DecisionReason, 'issuer_mismatch' | 'audience_mismatch' | 'missing_claim' | 'malformed' | 'not_yet_valid'>;
      message: string;
      missingClaim?: string;
    };

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= MAX_NUMERIC_DATE;
}

/** True when `exp` is a usable NumericDate, so callers may report it even when a later rule fails. */
export function expiresAtMs(payload: JWTPayload): number | undefined {
  return isNumericDate(payload.exp) ? payload.exp * 1000 : undefined;
}

function hasAudience(aud: unknown, expected: string): boolean {
  if (typeof aud === 'string') return aud === expected;
  return Array.isArray(aud) && aud.some((entry) => entry === expected);
}

/**
 * In order: `issuer_mismatch`, `audience_mismatch`, `missing_claim` (exp, iat, sub, then the
 * policy's), `malformed` (exp/iat/nbf not a NumericDate, sub not a string), `not_yet_valid` (`nbf`
 * or `iat` later than now + skew). The grace period plays no part here: it only follows `exp`.
 */
export function checkClaims(payload: JWTPayload, policy: DecisionPolicy, nowMs: number): ClaimsCheck {
  if (typeof payload.iss !== 'string' || payload.iss !== policy.issuer) {
    return {
      ok: false,
      reason: 'issuer_mismatch',
      message: `The token was not issued by the configured issuer ${JSON.stringify(policy.issuer)} (compared exactly).`,
    };
  }
  if (!hasAudience(payload.aud, policy.audience)) {
    return {
      ok: false,
      reason: 'audience_mismatch',
      message: `The token is not meant for the expected audience ${JSON.stringify(policy.audience)}.`,
    };
  }
  for (const claim of [...ALWAYS_REQUIRED_CLAIMS, ...policy.requiredClaims]) {
    // Own members only: a claim named like an Object.prototype member is not "present" by inheritance.
    const value: unknown = Object.hasOwn(payload, claim) ? payload[claim] : undefined;
    if (value === undefined || value === null) {
      return {
        ok: false,
        reason: 'missing_claim',
        message: `The token lacks the required claim ${JSON.stringify(claim)}.`,
        missingClaim: claim,
      };
    }
  }
  for (const claim of ['exp', 'iat', 'nbf'] as const) {
    if (payload[claim] !== undefined && !isNumericDate(payload[claim])) {
      return { ok: false, reason: 'malformed', message: `The token's ${claim} claim is not a valid NumericDate.` };
    }
  }
  if (typeof payload.sub !== 'string') return { ok: false, reason: 'malformed', message: "The token's sub claim is not a string." };

  const latest = nowMs + policy.clockSkewSeconds * 1000;
  if (payload.nbf !== undefined && payload.nbf * 1000 > latest) {
    return {
      ok: false,
      reason: 'not_yet_valid',
      message: `The token is not valid yet: its nbf is later than the local clock plus ${policy.clockSkewSeconds} s of tolerated skew.`,
    };
  }
  if (payload.iat! * 1000 > latest) {
    return {
      ok: false,
      reason: 'not_yet_valid',
      message: `The token is not valid yet: its iat is later than the local clock plus ${policy.clockSkewSeconds} s of tolerated skew.`,
    };
  }
  return { ok: true, sub: payload.sub, expiresAtMs: payload.exp! * 1000 };
}
