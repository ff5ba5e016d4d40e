/** Policy durations in milliseconds, so no caller multiplies units by hand. */
import type { Policy } from './policy-types';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Read-only access past the offline token's `exp`. */
export const gracePeriodMs = (policy: Pick<Policy, 'gracePeriodHours'>): number => policy.gracePeriodHours * HOUR;
/** Mandatory online check-in: longest time since the last successful refresh. */
export const checkInIntervalMs = (policy: Pick<Policy, 'checkInIntervalDays'>): number => policy.checkInIntervalDays * DAY;
/** Refresh the cached JWKS when older than this (while online). */
export const jwksRefreshMs = (policy: Pick<Policy, 'jwksRefreshDays'>): number => policy.jwksRefreshDays * DAY;
/** Tolerance for `exp`/`nbf` and for a clock that moved backward. */
export const clockSkewMs = (policy: Pick<Policy, 'clockSkewSeconds'>): number => policy.clockSkewSeconds * SECOND;
/** Lock the session after this long without user activity. */
export const idleLockMs = (policy: Pick<Policy, 'idleLockMinutes'>): number => policy.idleLockMinutes * MINUTE;
