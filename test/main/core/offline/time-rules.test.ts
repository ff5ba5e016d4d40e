import { describe, expect, it } from 'vitest';
import type { ClockReadings } from '../../../../src/main/core/offline/decision';
import {
  checkClockTrust,
  checkInDueAt,
  isCheckInOverdue,
  offlineRunway,
  runwayStage,
  type RunwayStage,
} from '../../../../src/main/core/offline/time-rules';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const at = (deltaMs: number) => new Date(NOW.getTime() + deltaMs);
const SKEW = { clockSkewSeconds: 300 };

describe('checkClockTrust', () => {
  const cases: {
    name: string;
    clock: Partial<ClockReadings>;
    skew?: number;
    expected: { trusted: boolean; because?: string; behindMs?: number };
  }[] = [
    { name: 'no records', clock: {}, expected: { trusted: true } },
    { name: 'records in the past', clock: { lastServerTime: at(-60_000), highWater: at(-1) }, expected: { trusted: true } },
    { name: 'high-water within skew', clock: { highWater: at(300_000) }, expected: { trusted: true } },
    {
      name: 'high-water beyond skew',
      clock: { highWater: at(300_001) },
      expected: { trusted: false, because: 'high_water', behindMs: 300_001 },
    },
    {
      name: 'server time beyond skew',
      clock: { lastServerTime: at(3_600_000) },
      expected: { trusted: false, because: 'server_time', behindMs: 3_600_000 },
    },
    {
      name: 'server time is checked before the high-water mark',
      clock: { lastServerTime: at(400_000), highWater: at(500_000) },
      expected: { trusted: false, because: 'server_time' },
    },
    { name: 'zero skew', clock: { highWater: at(1) }, skew: 0, expected: { trusted: false, because: 'high_water' } },
    { name: 'invalid reading', clock: { lastCheckIn: new Date(Number.NaN) }, expected: { trusted: false, because: 'invalid_reading' } },
    { name: 'invalid now', clock: { now: new Date('garbage') }, expected: { trusted: false, because: 'invalid_reading' } },
  ];
  it.each(cases)('$name', ({ clock, skew, expected }) => {
    const result = checkClockTrust({ now: NOW, ...clock }, { clockSkewSeconds: skew ?? SKEW.clockSkewSeconds });
    expect(result).toMatchObject(expected);
    if (!result.trusted) expect(result.message).toMatch(/Connect to check in online/);
  });
});

describe('checkInDueAt and isCheckInOverdue', () => {
  it('is the last check-in plus the interval', () => {
    expect(checkInDueAt(at(0), { checkInIntervalDays: 7 })).toEqual(at(7 * 86_400_000));
  });
  it('is unknown without a valid last check-in', () => {
    expect(checkInDueAt(undefined, { checkInIntervalDays: 7 })).toBeUndefined();
    expect(checkInDueAt(new Date(Number.NaN), { checkInIntervalDays: 7 })).toBeUndefined();
  });
  it('is overdue only strictly after the due time', () => {
    expect(isCheckInOverdue(NOW, at(0))).toBe(false);
    expect(isCheckInOverdue(NOW, at(-1))).toBe(true);
    expect(isCheckInOverdue(NOW, undefined)).toBe(false);
  });
});

describe('runwayStage: full through the grace period, then read-only, then denied, each boundary with the skew', () => {
  const HOUR = 3_600_000;
  const DAY = 24 * HOUR;
  const SKEW_MS = 300_000;
  const exp = NOW.getTime();
  const grace = exp + 24 * HOUR;
  type Case = { name: string; nowMs: number; readOnlyHours?: number | null; due?: number; expected: RunwayStage };
  const cases: Case[] = [
    // valid -> grace_period at exp + skew
    { name: 'before exp: valid', nowMs: exp - 1, expected: { tier: 'full', reason: 'valid', untilMs: exp + SKEW_MS } },
    {
      name: 'exp + skew - 1 s: still valid',
      nowMs: exp + SKEW_MS - 1000,
      expected: { tier: 'full', reason: 'valid', untilMs: exp + SKEW_MS },
    },
    {
      name: 'exp + skew: grace period, full access',
      nowMs: exp + SKEW_MS,
      expected: { tier: 'full', reason: 'grace_period', untilMs: grace + SKEW_MS },
    },
    {
      name: 'exp + skew + 1 s: grace period',
      nowMs: exp + SKEW_MS + 1000,
      expected: { tier: 'full', reason: 'grace_period', untilMs: grace + SKEW_MS },
    },
    // grace -> read-only at exp + grace + skew
    {
      name: 'grace end + skew - 1 s: still full',
      nowMs: grace + SKEW_MS - 1000,
      expected: { tier: 'full', reason: 'grace_period', untilMs: grace + SKEW_MS },
    },
    {
      name: 'grace end + skew: read-only, unbounded (readOnlyHours absent, no check-in known)',
      nowMs: grace + SKEW_MS,
      expected: { tier: 'read-only', reason: 'expired' },
    },
    {
      name: 'grace end + skew + 1 s, readOnlyHours null',
      nowMs: grace + SKEW_MS + 1000,
      readOnlyHours: null,
      expected: { tier: 'read-only', reason: 'expired' },
    },
    {
      name: 'read-only until the check-in falls due',
      nowMs: grace + DAY,
      due: exp + 7 * DAY,
      expected: { tier: 'read-only', reason: 'expired', untilMs: exp + 7 * DAY + 1 },
    },
    // read-only -> denied at exp + grace + readOnlyHours + skew
    {
      name: 'readOnlyHours 24: last second read-only',
      nowMs: grace + DAY + SKEW_MS - 1000,
      readOnlyHours: 24,
      expected: { tier: 'read-only', reason: 'expired', untilMs: grace + DAY + SKEW_MS },
    },
    {
      name: 'readOnlyHours 24: denied at its end + skew',
      nowMs: grace + DAY + SKEW_MS,
      readOnlyHours: 24,
      expected: { tier: 'denied', reason: 'expired' },
    },
    {
      name: 'readOnlyHours 24: denied 1 s later',
      nowMs: grace + DAY + SKEW_MS + 1000,
      readOnlyHours: 24,
      expected: { tier: 'denied', reason: 'expired' },
    },
    {
      name: 'readOnlyHours 0: no read-only tier',
      nowMs: grace + SKEW_MS,
      readOnlyHours: 0,
      expected: { tier: 'denied', reason: 'expired' },
    },
    {
      name: 'readOnlyHours 0: full until then',
      nowMs: grace + SKEW_MS - 1000,
      readOnlyHours: 0,
      expected: { tier: 'full', reason: 'grace_period', untilMs: grace + SKEW_MS },
    },
    {
      name: 'readOnlyHours longer than the check-in: the check-in ends read-only',
      nowMs: grace + HOUR,
      readOnlyHours: 1000,
      due: grace + 2 * HOUR,
      expected: { tier: 'read-only', reason: 'expired', untilMs: grace + 2 * HOUR + 1 },
    },
    // the check-in ends every tier
    {
      name: 'check-in due: last ms still full',
      nowMs: exp - HOUR,
      due: exp - HOUR,
      expected: { tier: 'full', reason: 'valid', untilMs: exp - HOUR + 1 },
    },
    {
      name: 'check-in overdue 1 ms later, even before exp',
      nowMs: exp - HOUR + 1,
      due: exp - HOUR,
      expected: { tier: 'denied', reason: 'check_in_overdue' },
    },
    {
      name: 'check-in overdue during the grace period',
      nowMs: exp + 2 * HOUR,
      due: exp + HOUR,
      expected: { tier: 'denied', reason: 'check_in_overdue' },
    },
    {
      name: 'check-in overdue during read-only',
      nowMs: grace + 2 * HOUR,
      due: grace + HOUR,
      readOnlyHours: 48,
      expected: { tier: 'denied', reason: 'check_in_overdue' },
    },
  ];
  it.each(cases)('$name', ({ nowMs, readOnlyHours, due, expected }) => {
    const policy = { gracePeriodHours: 24, clockSkewSeconds: 300, readOnlyHours };
    const runway = offlineRunway(exp, policy, due === undefined ? undefined : new Date(due));
    expect(runwayStage(nowMs, runway, policy)).toEqual(expected);
  });

  it('skew 0: the grace period starts at exp and read-only at exp + grace', () => {
    const policy = { gracePeriodHours: 24, clockSkewSeconds: 0, readOnlyHours: 24 };
    const runway = offlineRunway(exp, policy);
    expect(runwayStage(exp, runway, policy)).toMatchObject({ tier: 'full', reason: 'grace_period' });
    expect(runwayStage(grace, runway, policy)).toMatchObject({ tier: 'read-only' });
    expect(runwayStage(grace + DAY, runway, policy)).toEqual({ tier: 'denied', reason: 'expired' });
  });

  it('the strict profile (grace 0, read-only 24 h) is the read-only-after-exp behaviour', () => {
    const policy = { gracePeriodHours: 0, clockSkewSeconds: 300, readOnlyHours: 24 };
    const runway = offlineRunway(exp, policy);
    expect(runwayStage(exp + SKEW_MS - 1, runway, policy)).toMatchObject({ tier: 'full', reason: 'valid' });
    expect(runwayStage(exp + SKEW_MS, runway, policy)).toMatchObject({ tier: 'read-only', untilMs: exp + DAY + SKEW_MS });
    expect(runwayStage(exp + DAY + SKEW_MS, runway, policy)).toEqual({ tier: 'denied', reason: 'expired' });
  });
});

describe('offlineRunway: the nominal times (without the skew)', () => {
  const HOUR = 3_600_000;
  const exp = NOW.getTime();
  it('full until exp + grace; read-only unbounded without readOnlyHours and check-in', () => {
    expect(offlineRunway(exp, { gracePeriodHours: 24, clockSkewSeconds: 300 })).toEqual({ expiresAtMs: exp, fullUntilMs: exp + 24 * HOUR });
  });
  it('read-only bounded by readOnlyHours', () => {
    expect(offlineRunway(exp, { gracePeriodHours: 24, clockSkewSeconds: 300, readOnlyHours: 12 }).readOnlyUntilMs).toBe(exp + 36 * HOUR);
  });
  it('read-only bounded by the check-in, whichever is earlier', () => {
    const due = new Date(exp + 30 * HOUR);
    expect(offlineRunway(exp, { gracePeriodHours: 24, clockSkewSeconds: 300, readOnlyHours: 12 }, due)).toEqual({
      expiresAtMs: exp,
      fullUntilMs: exp + 24 * HOUR,
      readOnlyUntilMs: exp + 30 * HOUR,
      checkInDueAtMs: exp + 30 * HOUR,
    });
    expect(offlineRunway(exp, { gracePeriodHours: 24, clockSkewSeconds: 300, readOnlyHours: null }, due).readOnlyUntilMs).toBe(
      exp + 30 * HOUR,
    );
  });
});
