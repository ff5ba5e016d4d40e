/** Times as the screens say them. Pure functions of their inputs (tested under Node). */

const DATE_TIME = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
});

/** "Tue, 3 Mar, 14:05", or "not known". */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return 'not known';
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 'not known' : DATE_TIME.format(ms);
}

/** "in 3 h 20 min", "in 45 min", "in 2 days", "5 min ago", "just now". */
export function formatRelative(iso: string | null | undefined, nowMs: number): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  const delta = ms - nowMs;
  const span = durationText(Math.abs(delta));
  if (span === null) return 'just now';
  return delta > 0 ? `in ${span}` : `${span} ago`;
}

function durationText(ms: number): string | null {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return null;
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    const rest = minutes % 60;
    return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
  }
  return `${Math.floor(hours / 24)} days`;
}

/** A wait as "0:45" or "12:05" (minutes:seconds), rounded up. */
export function formatWait(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${minutes}:${String(seconds).padStart(2, '0')}`;
}

/** "1 attempt left", "4 attempts left". */
export function attemptsText(left: number): string {
  return `${left} ${left === 1 ? 'attempt' : 'attempts'} left`;
}
