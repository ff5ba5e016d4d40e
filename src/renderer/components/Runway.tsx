/**
 * The offline runway: a bar from now through full access, read-only and "connection required",
 * with the times in words below it. The bar is decoration (aria-hidden); the list says the same
 * for screen readers and for anyone who does not read colours.
 */
import type { UnlockedState } from '../../shared/app-state';
import { formatDateTime, formatRelative } from '../format';
import { runwaySegments, type RunwaySegment, type RunwayTier } from '../runway';

const TIER_NAME: Record<RunwayTier, string> = { full: 'Full access', 'read-only': 'Read-only', connection: 'Connection required' };

function when(iso: string, nowMs: number): string {
  return `${formatDateTime(iso)}, ${formatRelative(iso, nowMs)}`;
}

function segmentText(segment: RunwaySegment, state: UnlockedState, nowMs: number): string {
  if (segment.tier === 'connection') return `Then connection required, from ${when(segment.from, nowMs)}`;
  const name = segment.tier === 'full' && state.accessReason === 'grace_period' ? 'Full access (grace period)' : TIER_NAME[segment.tier];
  if (segment.until === null) return `${name} until the next check-in`;
  return `${name} until ${when(segment.until, nowMs)}`;
}

export function Runway({ state }: { state: UnlockedState }) {
  const nowMs = Date.parse(state.decidedAt);
  const segments = runwaySegments(state);
  let x = 0;
  return (
    <section className="runway" aria-labelledby="runway-title">
      <h3 id="runway-title" className="runway-title">
        Offline runway
      </h3>
      <svg className="runway-bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" focusable="false">
        {segments.map((segment) => {
          const width = segment.share * 100;
          const rect = <rect key={segment.tier} className={`runway-${segment.tier}`} x={x} y={0} width={width} height={8} />;
          x += width;
          return rect;
        })}
      </svg>
      <ol className="runway-legend">
        {segments.map((segment) => (
          <li key={segment.tier} className={`runway-item runway-item-${segment.tier}`}>
            {segmentText(segment, state, nowMs)}
          </li>
        ))}
      </ol>
      {state.tokenExpiresAt && state.accessReason !== 'valid' ? (
        <p className="hint">The sign-in expired {when(state.tokenExpiresAt, nowMs)}.</p>
      ) : null}
    </section>
  );
}
