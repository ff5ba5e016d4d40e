/** Time is passed in, never read from globals by auth code (STYLE.md). */
export interface Clock {
  now(): Date;
  /**
   * Milliseconds on a clock nobody can set (`performance.now()` in the system clock): for waits
   * that moving the wall clock must not shorten. It restarts with the process and does not advance
   * while the laptop sleeps. Clocks made for tests and tools may leave it out; then `now()` stands in.
   */
  monotonicMs?(): number;
}

export const systemClock: Clock = { now: () => new Date(), monotonicMs: () => performance.now() };

/** `clock.monotonicMs()`, or the wall clock for a clock without one (tests, tools). */
export function monotonicMs(clock: Clock): number {
  return clock.monotonicMs ? clock.monotonicMs() : clock.now().getTime();
}

/** A clock for tests and tools that always reads the given instant. */
export function fixedClock(at: Date): Clock {
  return { now: () => new Date(at.getTime()) };
}
