/**
 * Signals that the world moved while FieldKey was not looking, so the offline decision must be
 * derived again at once: the wall clock jumped (a suspend and resume, or the clock was changed),
 * or the network interfaces changed (a cable, Wi-Fi, a VPN). Node has neither event, so one timer
 * compares the wall clock with the monotonic clock and the interface list with the last one every
 * `intervalMs`. The Electron shell adds the OS's own resume and unlock-screen events on top.
 */
import { networkInterfaces } from 'node:os';
import type { Clock } from '../../core/clock';

export const WAKE_CHECK_INTERVAL_MS = 5_000;
/** A wall-clock step larger than this against the monotonic clock counts as a jump. */
export const CLOCK_JUMP_THRESHOLD_MS = 3_000;

export interface WakeSignalOptions {
  clock: Clock;
  onClockJump: (jumpMs: number) => void;
  onNetworkChange: () => void;
  intervalMs?: number;
  /** The interface list (default `os.networkInterfaces`). */
  interfaces?: () => ReturnType<typeof networkInterfaces>;
  /** The monotonic clock in ms (default `performance.now`). */
  monotonicMs?: () => number;
}

/** Addresses per interface, in a stable order: equal strings mean no change. */
export function interfaceSignature(list: ReturnType<typeof networkInterfaces>): string {
  return Object.entries(list)
    .map(
      ([name, addresses]) =>
        `${name}=${(addresses ?? [])
          .map((a) => `${a.family}/${a.address}`)
          .sort()
          .join(',')}`,
    )
    .sort()
    .join(';');
}

/** Starts watching; the returned function stops it. The timer never keeps the process alive. */
export function watchWakeSignals(options: WakeSignalOptions): () => void {
  const monotonic = options.monotonicMs ?? (() => performance.now());
  const interfaces = options.interfaces ?? networkInterfaces;
  const signature = (): string => {
    try {
      return interfaceSignature(interfaces());
    } catch {
      return ''; // unreadable: no change can be seen, and nothing breaks
    }
  };
  let lastWall = options.clock.now().getTime();
  let lastMono = monotonic();
  let lastInterfaces = signature();
  const timer = setInterval(() => {
    const wall = options.clock.now().getTime();
    const mono = monotonic();
    const jumpMs = wall - lastWall - (mono - lastMono);
    lastWall = wall;
    lastMono = mono;
    if (Math.abs(jumpMs) > CLOCK_JUMP_THRESHOLD_MS) options.onClockJump(jumpMs);
    const now = signature();
    if (now !== lastInterfaces) {
      lastInterfaces = now;
      options.onNetworkChange();
    }
  }, options.intervalMs ?? WAKE_CHECK_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
