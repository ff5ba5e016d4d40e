/**
 * One offline decision for an unlocked account (DESIGN.md sections 1-2), exactly as `fieldkey
 * verify` decides: the policy's offline token (`access` or `id`) against the configured issuer's
 * cached keys, with the clock records. Every decision first raises the local clock's high-water
 * mark. A token naming a key the cache lacks (`unknown_kid`) triggers the rate-limited JWKS
 * re-fetch while the IdP is reachable, and is decided again with the new set.
 */
import type { Clock } from '../clock';
import type { ClockReadings, OfflineDecision } from '../offline/decision';
import { verifyOffline } from '../offline/verify-offline';
import type { JwksSync, JwksSyncResult } from '../oauth/jwks-sync';
import type { Policy } from '../policy/policy-types';
import type { SessionTokens } from '../secrets/session-tokens';
import type { TimeRecords } from '../records/time-records';

export interface AccessDecisionDeps {
  policy: Policy;
  clock: Clock;
  times: Pick<TimeRecords, 'raiseHighWater' | 'lastServerTime' | 'lastCheckIn'>;
  jwks: Pick<JwksSync, 'keys' | 'syncForUnknownKid'>;
  /** Whether the IdP is reachable now (the JWKS re-fetch is only tried then). */
  online: () => boolean;
}

export interface DecidedAccess {
  decision: OfflineDecision;
  /** The clock readings the decision used (for the audit log's `clock_rollback`). */
  readings: ClockReadings;
  /** Set when an unknown `kid` made the JWKS be fetched. */
  jwksSync?: JwksSyncResult;
}

/** The token the policy decides on; the empty string (denied as `malformed`) when the session has none. */
export function offlineTokenOf(tokens: SessionTokens, policy: Pick<Policy, 'offlineToken'>): string {
  return (policy.offlineToken === 'id' ? tokens.idToken : tokens.accessToken) ?? '';
}

/** The clock readings for `accountId` now, raising the high-water mark first. */
export function clockReadings(deps: Pick<AccessDecisionDeps, 'clock' | 'times'>, accountId: string): ClockReadings {
  const now = deps.clock.now();
  const readings: ClockReadings = { now, highWater: deps.times.raiseHighWater(now) };
  const server = deps.times.lastServerTime();
  if (server) readings.lastServerTime = server.serverTime;
  const checkIn = deps.times.lastCheckIn(accountId);
  if (checkIn) readings.lastCheckIn = checkIn.at;
  return readings;
}

export async function decideAccess(deps: AccessDecisionDeps, accountId: string, tokens: SessionTokens): Promise<DecidedAccess> {
  const token = offlineTokenOf(tokens, deps.policy);
  const readings = clockReadings(deps, accountId);
  const decision = await verifyOffline(token, deps.jwks.keys(), deps.policy, readings);
  if (decision.reason !== 'unknown_kid' || !deps.online()) return { decision, readings };

  const jwksSync = await deps.jwks.syncForUnknownKid();
  if (jwksSync.outcome !== 'ok') return { decision, readings, jwksSync };
  const again = clockReadings(deps, accountId);
  return { decision: await verifyOffline(token, deps.jwks.keys(), deps.policy, again), readings: again, jwksSync };
}

/**
 * After a successful online exchange: when the server's time then agreed with the local clock
 * (within the policy's skew), the local clock is confirmed, so the high-water mark is set to now.
 * This is the "online check-in" that ends a `clock_rollback` (DESIGN.md section 2); a clock that is
 * still wrong disagrees with the server and keeps the mark.
 */
/** How old the last server-time record may be to count as the exchange that just succeeded. */
const JUST_NOW_MS = 60_000;

export function confirmClockOnline(
  deps: { clock: Clock; times: Pick<TimeRecords, 'lastServerTime' | 'resetHighWater'> },
  policy: Pick<Policy, 'clockSkewSeconds'>,
): boolean {
  const last = deps.times.lastServerTime();
  if (!last) return false;
  const now = deps.clock.now();
  // HTTP `Date` has one-second resolution: agreement within the skew, but never stricter than 5 s.
  const toleranceMs = Math.max(policy.clockSkewSeconds * 1000, 5_000);
  const agreed = Math.abs(last.serverTime.getTime() - last.localTime.getTime()) <= toleranceMs;
  const recent = Math.abs(now.getTime() - last.localTime.getTime()) <= JUST_NOW_MS;
  if (!agreed || !recent) return false;
  deps.times.resetHighWater(now);
  return true;
}
