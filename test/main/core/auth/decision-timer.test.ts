/** When the auth service decides again: at the next boundary, at least every interval. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DecisionTimer, nextDecisionDelayMs } from '../../../../src/main/core/auth/decision-timer';

const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const MIN = 60_000;
const at = (offsetMs: number) => new Date(NOW + offsetMs);

describe('nextDecisionDelayMs', () => {
  it.each([
    { name: 'no decision: the interval', decision: undefined, skew: 0, expected: MIN },
    { name: 'exp far away: the interval', decision: { expiresAt: at(10 * MIN) }, skew: 0, expected: MIN },
    { name: 'exp in 20 s (plus skew 5 s)', decision: { expiresAt: at(20_000) }, skew: 5, expected: 25_000 },
    { name: 'exp passed, grace ends in 30 s', decision: { expiresAt: at(-MIN), fullUntil: at(30_000) }, skew: 0, expected: 30_000 },
    {
      name: 'grace over, read-only ends in 40 s (plus skew 5 s)',
      decision: { expiresAt: at(-3 * MIN), fullUntil: at(-MIN), readOnlyUntil: at(40_000) },
      skew: 5,
      expected: 45_000,
    },
    {
      name: 'check-in due in 10 s: just after it',
      decision: { expiresAt: at(10 * MIN), checkInDueAt: at(10_000) },
      skew: 300,
      expected: 10_001,
    },
    {
      name: 'every boundary passed: the interval',
      decision: { expiresAt: at(-3 * MIN), fullUntil: at(-2 * MIN), readOnlyUntil: at(-MIN), checkInDueAt: at(-1) },
      skew: 0,
      expected: MIN,
    },
    { name: 'a boundary 1 ms away: at least 1 ms', decision: { expiresAt: at(1) }, skew: 0, expected: 1 },
  ])('$name', ({ decision, skew, expected }) => {
    expect(nextDecisionDelayMs(NOW, decision, skew, MIN)).toBe(expected);
  });
});

describe('DecisionTimer', () => {
  afterEach(() => vi.useRealTimers());

  it('fires once per schedule; scheduling again replaces the pending tick; stop cancels it', () => {
    vi.useFakeTimers();
    const ticks: number[] = [];
    const timer = new DecisionTimer(() => ticks.push(Date.now()));
    timer.schedule(1000);
    timer.schedule(5000);
    vi.advanceTimersByTime(4999);
    expect(ticks).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(ticks).toHaveLength(1);
    timer.schedule(100);
    timer.stop();
    vi.advanceTimersByTime(1000);
    expect(ticks).toHaveLength(1);
  });
});
