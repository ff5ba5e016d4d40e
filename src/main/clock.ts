/** Time is passed in, never read from globals by auth code (STYLE.md). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock for tests and tools that always reads the given instant. */
export function fixedClock(at: Date): Clock {
  return { now: () => new Date(at.getTime()) };
}
