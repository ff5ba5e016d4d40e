/**
 * When to decide again: at the next boundary where the offline decision can change on its own
 * (the grace period starts at `exp` + skew, full access ends at `exp` + grace + skew, a bounded
 * read-only tier ends at its end + skew, the check-in falls overdue just after its due time), and
 * at least every `maxIntervalMs` (a PIN wait that ended, the high-water mark kept current). A clock
 * that jumps is caught sooner by wake-signals.ts.
 */
import type { OfflineDecision } from '../offline/decision';

export const DEFAULT_DECISION_INTERVAL_MS = 60_000;

/** Milliseconds from `nowMs` to the next decision (at least 1, at most `maxIntervalMs`). */
export function nextDecisionDelayMs(
  nowMs: number,
  decision: Pick<OfflineDecision, 'expiresAt' | 'fullUntil' | 'readOnlyUntil' | 'checkInDueAt'> | undefined,
  clockSkewSeconds: number,
  maxIntervalMs: number,
): number {
  const skewMs = clockSkewSeconds * 1000;
  const boundaries = [
    decision?.expiresAt && decision.expiresAt.getTime() + skewMs,
    decision?.fullUntil && decision.fullUntil.getTime() + skewMs,
    decision?.readOnlyUntil && decision.readOnlyUntil.getTime() + skewMs,
    decision?.checkInDueAt && decision.checkInDueAt.getTime() + 1,
  ].filter((at): at is number => typeof at === 'number' && Number.isFinite(at) && at > nowMs);
  const next = Math.min(...boundaries.map((at) => at - nowMs), maxIntervalMs);
  return Math.max(1, Math.min(next, maxIntervalMs));
}

/** One pending re-decision; scheduling again replaces it. Never keeps the process alive. */
export class DecisionTimer {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly onTick: () => void) {}

  schedule(delayMs: number): void {
    this.stop();
    this.timer = setTimeout(this.onTick, Math.min(Math.max(1, delayMs), 2 ** 31 - 1));
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
