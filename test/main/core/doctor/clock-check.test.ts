import { describe, expect, it } from 'vitest';
import { checkClock, type ClockCheckInput } from '../../../../src/main/core/doctor/clock-check';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const at = (deltaMs: number) => new Date(NOW.getTime() + deltaMs);
const SKEW = { clockSkewSeconds: 300 };

function input(overrides: Partial<ClockCheckInput> = {}): ClockCheckInput {
  return {
    now: NOW,
    lastServerTime: { serverTime: at(-3_600_000 - 5000), localTime: at(-3_600_000) },
    trustedNow: at(-5000),
    highWater: at(-60_000),
    policy: SKEW,
    ...overrides,
  };
}

describe('checkClock', () => {
  it('records behind now: trusted, with the drift at the last contact', () => {
    expect(checkClock(input()).section).toEqual({
      status: 'ok',
      findings: [],
      skippedBecause: null,
      now: NOW.toISOString(),
      lastServerTime: at(-3_605_000).toISOString(),
      lastServerTimeSeenAt: at(-3_600_000).toISOString(),
      trustedNow: at(-5000).toISOString(),
      offsetSeconds: 5,
      highWater: at(-60_000).toISOString(),
      skewSeconds: 300,
      trusted: true,
      rollbackBecause: null,
      behindSeconds: null,
    });
  });

  it.each([
    ['the high-water mark', { highWater: at(2 * 3_600_000) }, 'high_water', 7200],
    ['the last server time', { lastServerTime: { serverTime: at(600_000), localTime: at(-1000) } }, 'server_time', 600],
  ])('behind %s beyond the skew: clock_rollback', (_name, overrides, because, behind) => {
    const { section, trust } = checkClock(input(overrides));
    expect(trust).toMatchObject({ trusted: false, because });
    expect(section).toMatchObject({
      status: 'problem',
      trusted: false,
      rollbackBecause: because,
      behindSeconds: behind,
      findings: [{ code: 'clock_rollback', message: expect.stringContaining('it may have been set back') }],
    });
  });

  it('within the skew: trusted', () => {
    expect(checkClock(input({ highWater: at(300_000) })).section.trusted).toBe(true);
  });

  it('no records yet: a note', () => {
    const { section } = checkClock(input({ lastServerTime: undefined, trustedNow: undefined, highWater: undefined }));
    expect(section).toMatchObject({
      status: 'note',
      trusted: true,
      lastServerTime: null,
      offsetSeconds: null,
      findings: [{ code: 'no_clock_records' }],
    });
  });

  it('without a policy: the records, not judged', () => {
    const { section, trust } = checkClock(input({ policy: undefined, highWater: at(86_400_000) }));
    expect(trust).toBeUndefined();
    expect(section).toMatchObject({ status: 'skipped', trusted: null, skewSeconds: null, highWater: at(86_400_000).toISOString() });
  });
});
