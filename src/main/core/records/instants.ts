/**
 * How the storage layer keeps instants: INTEGER milliseconds since the Unix epoch. An invalid `Date`
 * is a caller bug and is refused instead of being stored as NULL or NaN.
 */
import { FieldKeyError } from '../../../shared/errors';

export function toMillis(date: Date, what: string): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new FieldKeyError('invalid_argument', `${what} is not a valid date.`);
  return ms;
}

export function toMillisOrNull(date: Date | null | undefined, what: string): number | null {
  return date === null || date === undefined ? null : toMillis(date, what);
}

export function fromMillis(ms: number): Date {
  return new Date(ms);
}

export function fromMillisOrNull(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}
