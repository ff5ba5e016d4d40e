/**
 * The time rules of the offline decision, one set for the app, `fieldkey verify`, `fieldkey doctor`
 * and the audit log: whether the local clock can be trusted, when the mandatory online check-in
 * falls due (both need no token), and where a token's `exp` puts now on the offline runway (full
 * through the grace period, then read-only, then denied). verify-offline.ts decides with them;
 * `fieldkey doctor` applies them to what it knows without the PIN (the clock records, the last
 * check-in, and the sealed token's `exp` stored in clear).
 */
import type { ClockReadings, DecisionPolicy } from './decision';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export type ClockTrust =
  | { trusted: true }
  | {
      trusted: false;
      /** Which reading refused: a reading that is not a valid time, the last server time, or the high-water mark. */
      because: 'invalid_reading' | 'server_time' | 'high_water';
      /** How far the local clock is behind that record (not set for an invalid reading). */
      behindMs?: number;
      message: string;
    };

function isValidTime(value: Date | undefined): boolean {
  return value === undefined || (value instanceof Date && Number.isFinite(value.getTime()));
}

function rollbackMessage(now: Date, record: Date, what: string, skewSeconds: number): string {
  return `The local clock (${now.toISOString()}) is earlier than ${what} (${record.toISOString()}) by more than the tolerated ${skewSeconds} s: it may have been set back. Connect to check in online.`;
}

/**
 * The clock moved backward (`clock_rollback`) when now is earlier than the last server time or the
 * high-water mark by more than the policy's clock skew, or when any reading is not a valid time.
 * A record that is missing is not compared.
 */
export function checkClockTrust(clock: ClockReadings, policy: Pick<DecisionPolicy, 'clockSkewSeconds'>): ClockTrust {
  const now = clock.now;
  if (!isValidTime(now) || !isValidTime(clock.lastServerTime) || !isValidTime(clock.highWater) || !isValidTime(clock.lastCheckIn)) {
    return {
      trusted: false,
      because: 'invalid_reading',
      message: 'A clock reading is not a valid time, so the local clock cannot be trusted. Connect to check in online.',
    };
  }
  const nowMs = now.getTime();
  const skewMs = policy.clockSkewSeconds * 1000;
  if (clock.lastServerTime && clock.lastServerTime.getTime() - nowMs > skewMs) {
    return {
      trusted: false,
      because: 'server_time',
      behindMs: clock.lastServerTime.getTime() - nowMs,
      message: rollbackMessage(now, clock.lastServerTime, 'the last server time seen online', policy.clockSkewSeconds),
    };
  }
  if (clock.highWater && clock.highWater.getTime() - nowMs > skewMs) {
    return {
      trusted: false,
      because: 'high_water',
      behindMs: clock.highWater.getTime() - nowMs,
      message: rollbackMessage(now, clock.highWater, 'a time this device already saw', policy.clockSkewSeconds),
    };
  }
  return { trusted: true };
}

/** Last check-in + the policy's check-in interval; undefined without a (valid) last check-in. */
export function checkInDueAt(lastCheckIn: Date | undefined, policy: Pick<DecisionPolicy, 'checkInIntervalDays'>): Date | undefined {
  if (!lastCheckIn || !isValidTime(lastCheckIn)) return undefined;
  const due = new Date(lastCheckIn.getTime() + policy.checkInIntervalDays * DAY_MS);
  return Number.isFinite(due.getTime()) ? due : undefined;
}

/** The check-in is overdue once now is later than its due time (`check_in_overdue`). */
export function isCheckInOverdue(now: Date, dueAt: Date | undefined): dueAt is Date {
  return dueAt !== undefined && now.getTime() > dueAt.getTime();
}

/**
 * The offline runway of a token: **full** access while now < exp + grace (reason `valid` before
 * `exp`, `grace_period` after it), then **read-only** (reason `expired`) until exp + grace +
 * `readOnlyHours` when that is set, then **denied** (`expired`). The check-in due time ends every
 * tier (`check_in_overdue` once now is later than it). Each `exp`-based boundary carries the
 * policy's clock skew, as the decision applies it; the check-in boundary has none.
 */
export interface OfflineRunway {
  expiresAtMs: number;
  /** exp + grace period: full access ends here (nominal, without the skew). */
  fullUntilMs: number;
  /**
   * The end of the read-only tier when it is bounded: the earlier of exp + grace + `readOnlyHours`
   * and the check-in due time. Undefined when neither bounds it.
   */
  readOnlyUntilMs?: number;
  checkInDueAtMs?: number;
}

export type RunwayPolicy = Pick<DecisionPolicy, 'gracePeriodHours' | 'clockSkewSeconds'> & { readOnlyHours?: number | null };

export function offlineRunway(expMs: number, policy: RunwayPolicy, checkInDue?: Date): OfflineRunway {
  const fullUntilMs = expMs + policy.gracePeriodHours * HOUR_MS;
  const readOnlyHours = policy.readOnlyHours ?? null;
  const byHours = readOnlyHours === null ? undefined : fullUntilMs + readOnlyHours * HOUR_MS;
  const dueMs = checkInDue?.getTime();
  const bounds = [byHours, dueMs].filter((at): at is number => at !== undefined && Number.isFinite(at));
  const runway: OfflineRunway = { expiresAtMs: expMs, fullUntilMs };
  if (bounds.length > 0) runway.readOnlyUntilMs = Math.min(...bounds);
  if (dueMs !== undefined && Number.isFinite(dueMs)) runway.checkInDueAtMs = dueMs;
  return runway;
}

/**
 * Where now falls on the runway. `untilMs` is when the stage ends (the skew included), undefined
 * for a read-only tier that only an online check-in ends.
 */
export type RunwayStage =
  | { tier: 'full'; reason: 'valid' | 'grace_period'; untilMs: number }
  | { tier: 'read-only'; reason: 'expired'; untilMs?: number }
  | { tier: 'denied'; reason: 'expired' | 'check_in_overdue' };

export function runwayStage(
  nowMs: number,
  runway: OfflineRunway,
  policy: Pick<DecisionPolicy, 'clockSkewSeconds'> & { readOnlyHours?: number | null },
): RunwayStage {
  const skewMs = policy.clockSkewSeconds * 1000;
  const dueEnd = runway.checkInDueAtMs === undefined ? Infinity : runway.checkInDueAtMs + 1;
  if (nowMs >= dueEnd) return { tier: 'denied', reason: 'check_in_overdue' };
  const validUntil = runway.expiresAtMs + skewMs;
  if (nowMs < validUntil) return { tier: 'full', reason: 'valid', untilMs: Math.min(validUntil, dueEnd) };
  const fullUntil = runway.fullUntilMs + skewMs;
  if (nowMs < fullUntil) return { tier: 'full', reason: 'grace_period', untilMs: Math.min(fullUntil, dueEnd) };
  const readOnlyHours = policy.readOnlyHours ?? null;
  if (readOnlyHours === null)
    return dueEnd === Infinity ? { tier: 'read-only', reason: 'expired' } : { tier: 'read-only', reason: 'expired', untilMs: dueEnd };
  const readOnlyEnd = Math.min(runway.fullUntilMs + readOnlyHours * HOUR_MS + skewMs, dueEnd);
  if (nowMs < readOnlyEnd) return { tier: 'read-only', reason: 'expired', untilMs: readOnlyEnd };
  return { tier: 'denied', reason: 'expired' };
}
