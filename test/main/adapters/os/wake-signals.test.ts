/** Wake signals with fake timers and scripted clocks: a wall-clock jump and a network change are seen within one interval. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLOCK_JUMP_THRESHOLD_MS, interfaceSignature, watchWakeSignals } from '../../../../src/main/adapters/os/wake-signals';

const START = Date.parse('2026-06-01T12:00:00.000Z');
let wallOffsetMs: number;
let mono: number;
let interfaces: Record<string, { family: string; address: string }[]>;
let jumps: number[];
let changes: number;
let stop: () => void;

beforeEach(() => {
  vi.useFakeTimers({ now: START });
  wallOffsetMs = 0;
  mono = 0;
  interfaces = { lo: [{ family: 'IPv4', address: '127.0.0.1' }], eth0: [{ family: 'IPv4', address: '10.0.0.5' }] };
  jumps = [];
  changes = 0;
  stop = watchWakeSignals({
    clock: { now: () => new Date(Date.now() + wallOffsetMs) },
    monotonicMs: () => mono,
    interfaces: () => interfaces as never,
    intervalMs: 1000,
    onClockJump: (ms) => jumps.push(ms),
    onNetworkChange: () => changes++,
  });
});
afterEach(() => {
  stop();
  vi.useRealTimers();
});

/** One interval passes on both clocks (and the wall clock moves `extraWallMs` more). */
async function tick(extraWallMs = 0): Promise<void> {
  mono += 1000;
  wallOffsetMs += extraWallMs;
  await vi.advanceTimersByTimeAsync(1000);
}

describe('watchWakeSignals', () => {
  it('stays quiet while both clocks agree and nothing changes', async () => {
    for (let i = 0; i < 10; i++) await tick();
    expect(jumps).toEqual([]);
    expect(changes).toBe(0);
  });

  it('reports a wall-clock jump forward (resume) and backward, beyond the threshold only', async () => {
    await tick(CLOCK_JUMP_THRESHOLD_MS); // within the threshold: drift, not a jump
    await tick(400_000);
    await tick(-3_600_000);
    expect(jumps).toEqual([400_000, -3_600_000]);
  });

  it('reports a change of the network interfaces once', async () => {
    interfaces = { ...interfaces, wlan0: [{ family: 'IPv4', address: '192.168.1.20' }] };
    await tick();
    await tick();
    delete interfaces.eth0;
    await tick();
    expect(changes).toBe(2);
  });

  it('nothing after stop', async () => {
    stop();
    await tick(400_000);
    expect(jumps).toEqual([]);
  });
});

describe('interfaceSignature', () => {
  it('does not depend on the order of interfaces or addresses', () => {
    const a = {
      eth0: [
        { family: 'IPv4', address: '10.0.0.5' },
        { family: 'IPv6', address: 'fe80::1' },
      ],
      lo: [{ family: 'IPv4', address: '127.0.0.1' }],
    };
    const b = {
      lo: [{ family: 'IPv4', address: '127.0.0.1' }],
      eth0: [
        { family: 'IPv6', address: 'fe80::1' },
        { family: 'IPv4', address: '10.0.0.5' },
      ],
    };
    expect(interfaceSignature(a as never)).toBe(interfaceSignature(b as never));
  });
});
