/**
 * The offline runway as the home screen draws it: from now through full access, read-only and
 * "connection required", from the times the main process decided (never recomputed here). Pure
 * functions of the state, so they are tested under Node like format.ts.
 */
import type { UnlockedState } from '../shared/app-state';

export type RunwayTier = 'full' | 'read-only' | 'connection';

export interface RunwaySegment {
  tier: RunwayTier;
  /** ISO times; `until` null for a tier that only an online check-in ends. */
  from: string;
  until: string | null;
  /** Share of the bar, 0..1 (the shares add up to 1). */
  share: number;
}

/** The smallest share a tier gets, so that a short one stays visible. */
const MIN_SHARE = 0.12;
/** The share of a tier with no end in sight (read-only until the next check-in), and of "connection required". */
const OPEN_SHARE = 0.3;
const END_SHARE = 0.1;

type Span = { tier: RunwayTier; from: string; until: string | null };

/** The tiers still ahead of `state.decidedAt`, in order, ending with "connection required" when offline access ends. */
export function runwaySpans(state: UnlockedState): Span[] {
  const now = state.decidedAt;
  const spans: Span[] = [];
  let from = now;
  if (state.access === 'full') {
    spans.push({ tier: 'full', from, until: state.fullAccessUntil });
    if (state.fullAccessUntil === null) return spans;
    from = state.fullAccessUntil;
  }
  const end = state.offlineUntil;
  if (end === null || Date.parse(end) > Date.parse(from)) spans.push({ tier: 'read-only', from, until: end });
  if (end !== null) spans.push({ tier: 'connection', from: end, until: null });
  return spans;
}

/** The spans with their shares of the bar: by duration, each at least MIN_SHARE. */
export function runwaySegments(state: UnlockedState): RunwaySegment[] {
  const spans = runwaySpans(state);
  const fixed = spans.filter((s) => s.until === null).reduce((sum, s) => sum + (s.tier === 'connection' ? END_SHARE : OPEN_SHARE), 0);
  const timed = spans.filter((s) => s.until !== null);
  const durations = timed.map((s) => Math.max(0, Date.parse(s.until!) - Date.parse(s.from)));
  const total = durations.reduce((a, b) => a + b, 0);
  const room = 1 - fixed;
  const raw = timed.map((_, i) => (total > 0 ? (durations[i]! / total) * room : room / timed.length));
  // Lift short tiers to the minimum and take the difference from the longer ones.
  const lifted = raw.map((share) => Math.max(share, Math.min(MIN_SHARE, room / timed.length)));
  const excess = lifted.reduce((a, b) => a + b, 0) - room;
  const longer = lifted.map((share, i) => (share > raw[i]! ? 0 : share));
  const longerTotal = longer.reduce((a, b) => a + b, 0);
  const shares = lifted.map((share, i) => (longer[i]! > 0 && longerTotal > 0 ? share - (excess * longer[i]!) / longerTotal : share));
  let next = 0;
  return spans.map((span) => ({
    ...span,
    share: span.until === null ? (span.tier === 'connection' ? END_SHARE : OPEN_SHARE) : shares[next++]!,
  }));
}
