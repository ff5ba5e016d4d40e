import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FieldKeyError } from '../../../../src/shared/errors';
import { RETRY_MAX_MS, RETRY_MIN_MS, startRefreshTimer, WALL_CLOCK_CHECK_MS } from '../../../../src/main/core/oauth/refresh-timer';
import type { SessionTokens } from '../../../../src/main/core/secrets/session-tokens';

const START = new Date('2026-06-02T10:00:00Z').getTime();
const clock = { now: () => new Date(Date.now()) };

/** A refresher whose access token lives 15 minutes, with a 60 s margin; each refresh is scripted. */
function scripted(outcomes: (() => SessionTokens | Error)[]) {
  let expiresAt = START / 1000 + 900;
  const calls: number[] = [];
  return {
    calls,
    dueAt: () => new Date((expiresAt - 60) * 1000),
    refresh: async () => {
      calls.push(Date.now());
      const outcome = outcomes.shift()?.() ?? new Error('no more outcomes');
      if (outcome instanceof Error) throw outcome;
      expiresAt = Date.now() / 1000 + 900;
      return outcome;
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(START);
});
afterEach(() => vi.useRealTimers());

describe('refresh timer', () => {
  it('refreshes at expiry minus the margin, then again for the new token', async () => {
    const refresher = scripted([() => ({ accessToken: 'a1' }), () => ({ accessToken: 'a2' })]);
    const refreshed: string[] = [];
    const timer = startRefreshTimer(refresher, { clock, onRefreshed: (t) => refreshed.push(t.accessToken!) });
    await vi.advanceTimersByTimeAsync(839_999);
    expect(refresher.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(refresher.calls).toEqual([START + 840_000]);
    await vi.advanceTimersByTimeAsync(840_000);
    expect(refreshed).toEqual(['a1', 'a2']);
    timer.stop();
  });

  it('retries with a growing delay while offline, and keeps going once back', async () => {
    const offline = () => new FieldKeyError('offline', 'no network');
    const refresher = scripted([offline, offline, offline, offline, offline, offline, () => ({ accessToken: 'back' })]);
    const offlineSeen: unknown[] = [];
    const refreshed: string[] = [];
    const timer = startRefreshTimer(refresher, {
      clock,
      onOffline: (e) => offlineSeen.push(e),
      onRefreshed: (t) => refreshed.push(t.accessToken!),
    });
    await vi.advanceTimersByTimeAsync(840_000 + 30_000 + 60_000 + 120_000 + 240_000 + RETRY_MAX_MS + RETRY_MAX_MS);
    const gaps = refresher.calls.slice(1).map((t, i) => t - refresher.calls[i]!);
    expect(gaps).toEqual([RETRY_MIN_MS, 60_000, 120_000, 240_000, RETRY_MAX_MS, RETRY_MAX_MS]);
    expect(offlineSeen).toHaveLength(6);
    expect(refreshed).toEqual(['back']);
    timer.stop();
  });

  it('stops on a revoked session and reports it', async () => {
    const revoked = new FieldKeyError('session_revoked', 'revoked');
    const refresher = scripted([() => revoked]);
    const stoppedWith: unknown[] = [];
    startRefreshTimer(refresher, { clock, onStopped: (e) => stoppedWith.push(e) });
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(stoppedWith).toEqual([revoked]);
    expect(refresher.calls).toHaveLength(1);
  });

  it('compares the wall clock again at least every few seconds: a clock jump past the due time refreshes at once', async () => {
    const refresher = scripted([() => ({ accessToken: 'after-jump' })]);
    const refreshed: string[] = [];
    const timer = startRefreshTimer(refresher, { clock, onRefreshed: (t) => refreshed.push(t.accessToken!) });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(refresher.calls).toHaveLength(0);
    // Suspend and resume: the wall clock is now 400 s past exp, while timers barely moved.
    vi.setSystemTime(START + 900_000 + 400_000);
    await vi.advanceTimersByTimeAsync(WALL_CLOCK_CHECK_MS);
    expect(refresher.calls).toHaveLength(1);
    expect(refreshed).toEqual(['after-jump']);
    timer.stop();
  });

  it('stop() cancels the pending refresh', async () => {
    const refresher = scripted([() => ({ accessToken: 'never' })]);
    startRefreshTimer(refresher, { clock }).stop();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(refresher.calls).toHaveLength(0);
  });
});
