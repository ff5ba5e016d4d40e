/**
 * The time rules of the offline decision (DESIGN.md section 2): whether the local clock can be
 * trusted and when the mandatory online check-in falls due (both need no token), and which stage of
 * its life a token is in given its `exp` (full, then read-only for the grace period, then expired).
 * verify-offline.ts decides with them; `fieldkey doctor` applies them to what it knows without the
 * PIN (the clock records, the last check-in, and the sealed token's `exp` stored in clear).
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
    return { trusted: false, because: 'invalid_reading', message: 'A clock reading is not a valid time, so the local clock cannot be trusted. Connect to check in online.' };
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
 * The stage of a token by its `exp` (ms): `full` while now < exp + skew, `read-only` while
 * now < exp + grace + skew, then `expired`. `untilMs` is when the stage ends (the clock-skew
 * tolerance included, as the decision applies it).
 */
export type ExpiryStage = { stage: 'full' | 'read-only'; untilMs: number } | { stage: 'expired' };

export function expiryStage(nowMs: number, expMs: number, policy: Pick<DecisionPolicy, 'gracePeriodHours' | 'clockSkewSeconds'>): ExpiryStage {
  const skewMs = policy.clockSkewSeconds * 1000;
  const fullUntil = expMs + skewMs;
  if (nowMs < fullUntil) return { stage: 'full', untilMs: fullUntil };
  const readOnlyUntil = expMs + policy.gracePeriodHours * HOUR_MS + skewMs;
  if (nowMs < readOnlyUntil) return { stage: 'read-only', untilMs: readOnlyUntil };
  return { stage: 'expired' };
}
