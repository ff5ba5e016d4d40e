/**
 * The network watch with a scripted probe and fake timers: backoff while unreachable, a slower
 * cadence while reachable, `onReconnect` only when a probe finds the IdP again, reports from other
 * contacts changing the flag at once.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NetworkWatch } from '../../../../src/main/core/auth/network-watch';

let answers: boolean[];
let probeTimes: number[];
let events: string[];
let watch: NetworkWatch;

function startWatch(): void {
  watch = new NetworkWatch({
    probe: async () => {
      probeTimes.push(Date.now());
      return answers.shift() ?? false;
    },
    onReconnect: () => events.push('reconnect'),
    onChange: (online) => events.push(online ? 'online' : 'offline'),
    offlineMinMs: 1000,
    offlineMaxMs: 4000,
    onlineIntervalMs: 10_000,
  });
  watch.start();
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
  answers = [];
  probeTimes = [];
  events = [];
});
afterEach(() => {
  watch.stop();
  vi.useRealTimers();
});

describe('NetworkWatch', () => {
  it('probes at once, then backs off 1 s, 2 s, 4 s, 4 s while unreachable', async () => {
    startWatch();
    await vi.advanceTimersByTimeAsync(1000 + 2000 + 4000 + 4000);
    expect(probeTimes).toEqual([0, 1000, 3000, 7000, 11_000]);
    expect(watch.online).toBe(false);
    expect(events).toEqual([]);
  });

  it('reconnects when a probe answers, then probes every 10 s, and notices a drop', async () => {
    answers = [false, true, true, false];
    startWatch();
    await vi.advanceTimersByTimeAsync(1000);
    expect(events).toEqual(['online', 'reconnect']);
    expect(watch.online).toBe(true);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(probeTimes).toEqual([0, 1000, 11_000, 21_000]);
    expect(events).toEqual(['online', 'reconnect', 'offline']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(probeTimes.at(-1)).toBe(22_000); // back to the shortest delay after a drop
  });

  it('takes reports from other contacts: the flag changes, but only a probe fires onReconnect', async () => {
    startWatch();
    await vi.advanceTimersByTimeAsync(0);
    watch.report(true);
    expect(watch.online).toBe(true);
    watch.report(true);
    watch.report(false);
    expect(events).toEqual(['online', 'offline']);
  });

  it('checkNow probes immediately and shares one probe between callers', async () => {
    startWatch();
    await vi.advanceTimersByTimeAsync(0);
    answers = [true];
    const [a, b] = await Promise.all([watch.checkNow(), watch.checkNow()]);
    expect([a, b]).toEqual([true, true]);
    expect(probeTimes).toHaveLength(2);
    expect(events).toEqual(['online', 'reconnect']);
  });

  it('a probe that throws counts as unreachable; nothing runs after stop', async () => {
    watch = new NetworkWatch({
      probe: async () => Promise.reject(new Error('boom')),
      onReconnect: () => events.push('reconnect'),
      onChange: () => events.push('change'),
      offlineMinMs: 1000,
    });
    expect(await watch.checkNow()).toBe(false);
    watch.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(events).toEqual([]);
  });

  it('pauses while everything is locked: no probe at all, then one at once when an account is unlocked', async () => {
    startWatch();
    await vi.advanceTimersByTimeAsync(0);
    watch.setActive(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(probeTimes).toEqual([0]);
    answers = [true];
    watch.setActive(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(probeTimes).toEqual([0, 60_000]);
    expect(events).toEqual(['online', 'reconnect']);
  });

  it('a nudge (a user intent while unreachable) probes at once; reachable, it does nothing', async () => {
    startWatch();
    await vi.advanceTimersByTimeAsync(500);
    watch.nudge();
    await vi.advanceTimersByTimeAsync(0);
    expect(probeTimes).toEqual([0, 500]);
    answers = [true];
    watch.nudge();
    await vi.advanceTimersByTimeAsync(0);
    watch.nudge();
    await vi.advanceTimersByTimeAsync(0);
    expect(probeTimes).toEqual([0, 500, 500]);
  });

  it('with the default timing, after an outage of more than 5 minutes the IdP is found again within 10 s', async () => {
    watch = new NetworkWatch({
      probe: async () => {
        probeTimes.push(Date.now());
        return answers.shift() ?? false;
      },
      onReconnect: () => events.push('reconnect'),
      onChange: (online) => events.push(online ? 'online' : 'offline'),
    });
    watch.start();
    await vi.advanceTimersByTimeAsync(6 * 60_000);
    const gaps = probeTimes.slice(1).map((t, i) => t - probeTimes[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(10_000);
    answers = [true];
    const back = Date.now();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(events).toEqual(['online', 'reconnect']);
    expect(probeTimes.at(-1)! - back).toBeLessThanOrEqual(10_000);
  });
});
