import { describe, expect, it } from 'vitest';
import {
  checkInIntervalMs,
  clockSkewMs,
  gracePeriodMs,
  idleLockMs,
  jwksRefreshMs,
} from '../../../../src/main/core/policy/policy-durations';
import { demoPolicy } from '../../../../src/main/core/policy/policy-defaults';

describe('policy durations', () => {
  const policy = {
    ...demoPolicy(),
    gracePeriodHours: 2,
    checkInIntervalDays: 3,
    jwksRefreshDays: 4,
    clockSkewSeconds: 5,
    idleLockMinutes: 6,
  };
  it.each([
    ['gracePeriodMs', gracePeriodMs(policy), 2 * 3_600_000],
    ['checkInIntervalMs', checkInIntervalMs(policy), 3 * 86_400_000],
    ['jwksRefreshMs', jwksRefreshMs(policy), 4 * 86_400_000],
    ['clockSkewMs', clockSkewMs(policy), 5_000],
    ['idleLockMs', idleLockMs(policy), 6 * 60_000],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toBe(expected);
  });

  it('gives the defaults in ms', () => {
    const d = demoPolicy();
    expect([gracePeriodMs(d), checkInIntervalMs(d), jwksRefreshMs(d), clockSkewMs(d), idleLockMs(d)]).toEqual([
      86_400_000, 604_800_000, 604_800_000, 300_000, 900_000,
    ]);
  });
});
