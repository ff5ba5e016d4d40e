/** The runway's spans and shares, from the main process's times (pure, under Node). */
import { describe, expect, it } from 'vitest';
import { runwaySegments, runwaySpans } from '../../src/renderer/runway';
import { readOnly, unlocked } from './helpers/states';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-06-01T12:00:00.000Z');
const iso = (offsetMs: number) => new Date(T0 + offsetMs).toISOString();
const sum = (shares: number[]) => shares.reduce((a, b) => a + b, 0);

describe('runwaySpans', () => {
  it('full, then read-only until the check-in, then connection required', () => {
    const state = unlocked({
      decidedAt: iso(0),
      fullAccessUntil: iso(24 * HOUR),
      readOnlyUntil: iso(7 * 24 * HOUR),
      offlineUntil: iso(7 * 24 * HOUR),
    });
    expect(runwaySpans(state)).toEqual([
      { tier: 'full', from: iso(0), until: iso(24 * HOUR) },
      { tier: 'read-only', from: iso(24 * HOUR), until: iso(7 * 24 * HOUR) },
      { tier: 'connection', from: iso(7 * 24 * HOUR), until: null },
    ]);
  });

  it('no read-only tier (readOnlyHours 0): full, then connection required', () => {
    const state = unlocked({ decidedAt: iso(0), fullAccessUntil: iso(HOUR), readOnlyUntil: iso(HOUR), offlineUntil: iso(HOUR) });
    expect(runwaySpans(state).map((s) => s.tier)).toEqual(['full', 'connection']);
  });

  it('read-only that only a check-in ends: no "connection required" end', () => {
    const state = unlocked({
      access: 'read-only',
      decidedAt: iso(0),
      fullAccessUntil: iso(-HOUR),
      readOnlyUntil: null,
      offlineUntil: null,
    });
    expect(runwaySpans(state)).toEqual([{ tier: 'read-only', from: iso(0), until: null }]);
  });

  it('read-only now: starts at now', () => {
    const state = readOnly();
    expect(runwaySpans(state).map((s) => [s.tier, s.from])).toEqual([
      ['read-only', state.decidedAt],
      ['connection', state.offlineUntil],
    ]);
  });
});

describe('runwaySegments', () => {
  it('shares add up to 1, a short tier keeps a visible minimum', () => {
    const state = unlocked({
      decidedAt: iso(0),
      fullAccessUntil: iso(10 * 60_000),
      readOnlyUntil: iso(30 * 24 * HOUR),
      offlineUntil: iso(30 * 24 * HOUR),
    });
    const shares = runwaySegments(state).map((s) => s.share);
    expect(sum(shares)).toBeCloseTo(1, 9);
    expect(shares[0]).toBeCloseTo(0.12, 9);
    expect(shares[1]).toBeGreaterThan(shares[0]!);
  });

  it('by duration when both are long enough', () => {
    const state = unlocked({
      decidedAt: iso(0),
      fullAccessUntil: iso(24 * HOUR),
      readOnlyUntil: iso(72 * HOUR),
      offlineUntil: iso(72 * HOUR),
    });
    const [full, readOnlyShare, end] = runwaySegments(state).map((s) => s.share);
    expect(end).toBeCloseTo(0.1, 9);
    expect(readOnlyShare! / full!).toBeCloseTo(2, 9);
  });
});
