/** Durations for people: the two largest units, e.g. `3 d 4 h`, `2 h 5 min`, `42 s`. */

const UNITS: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['min', 60_000],
  ['s', 1000],
];

export function formatDuration(ms: number): string {
  let rest = Math.round(Math.abs(ms) / 1000) * 1000;
  if (rest === 0) return '0 s';
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    if (parts.length === 2) break;
    const count = Math.floor(rest / size);
    if (count > 0) {
      parts.push(`${count} ${unit}`);
      rest -= count * size;
    } else if (parts.length > 0) {
      break; // `3 d` rather than `3 d 0 h`; the next unit down would overstate the precision
    }
  }
  return parts.join(' ');
}

/** `in 3 d 4 h` or `2 h 5 min ago`, relative to `now`. */
export function relativeTo(now: Date, at: Date): string {
  const delta = at.getTime() - now.getTime();
  return delta >= 0 ? `in ${formatDuration(delta)}` : `${formatDuration(delta)} ago`;
}
