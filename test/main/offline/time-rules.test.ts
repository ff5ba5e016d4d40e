import { describe, expect, it } from 'vitest';
import type { ClockReadings } from '../../../src/main/offline/decision';
import { checkClockTrust, checkInDueAt, expiryStage, isCheckInOverdue } from '../../../src/main/offline/time-rules';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const at = (deltaMs: number) => new Date(NOW.getTime() + deltaMs);
const SKEW = { clockSkewSeconds: 300 };

describe('checkClockTrust', () => {
  const cases: { name: string; clock: Partial<ClockReadings>; skew?: number; expected: { trusted: boolean; because?: string; behindMs?: number } }[] = [
    { name: 'no records', clock: {}, expected: { trusted: true } },
    { name: 'records in the past', clock: { lastServerTime: at(-60_000), highWater: at(-1) }, expected: { trusted: true } },
    { name: 'high-water within skew', clock: { highWater: at(300_000) }, expected: { trusted: true } },
    { name: 'high-water beyond skew', clock: { highWater: at(300_001) }, expected: { trusted: false, because: 'high_water', behindMs: 300_001 } },
    { name: 'server time beyond skew', clock: { lastServerTime: at(3_600_000) }, expected: { trusted: false, because: 'server_time', behindMs: 3_600_000 } },
    { name: 'server time is checked before the high-water mark', clock: { lastServerTime: at(400_000), highWater: at(500_000) }, expected: { trusted: false, because: 'server_time' } },
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

describe('expiryStage: full until exp, read-only for the grace period, with the clock skew', () => {
  const policy = { gracePeriodHours: 24, clockSkewSeconds: 300 };
  const HOUR = 3_600_000;
  const exp = NOW.getTime();
  const cases: { name: string; nowMs: number; expected: ReturnType<typeof expiryStage> }[] = [
    { name: 'before exp', nowMs: exp - 1, expected: { stage: 'full', untilMs: exp + 300_000 } },
    { name: 'last ms of the skew', nowMs: exp + 299_999, expected: { stage: 'full', untilMs: exp + 300_000 } },
    { name: 'skew over: grace', nowMs: exp + 300_000, expected: { stage: 'read-only', untilMs: exp + 24 * HOUR + 300_000 } },
    { name: 'last ms of grace + skew', nowMs: exp + 24 * HOUR + 299_999, expected: { stage: 'read-only', untilMs: exp + 24 * HOUR + 300_000 } },
    { name: 'grace over', nowMs: exp + 24 * HOUR + 300_000, expected: { stage: 'expired' } },
  ];
  it.each(cases)('$name', ({ nowMs, expected }) => {
    expect(expiryStage(nowMs, exp, policy)).toEqual(expected);
  });
});
