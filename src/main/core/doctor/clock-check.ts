/**
 * Doctor: the clock-trust records (DESIGN.md section 2) and whether the clock looks rolled back now,
 * by the offline decision's own rule (time-rules.ts). Doctor only reads: it does not raise the
 * high-water mark.
 */
import { checkClockTrust, type ClockTrust } from '../offline/time-rules';
import type { Policy } from '../policy/policy-types';
import type { ServerTimeRecord } from '../records/time-records';
import { checked, iso, note, problem, seconds, skipped, type ClockSection, type Finding } from './doctor-report';

export interface ClockCheckInput {
  now: Date;
  lastServerTime: ServerTimeRecord | undefined;
  /** TimeRecords.trustedNow(now). */
  trustedNow: Date | undefined;
  highWater: Date | undefined;
  /** Undefined when no valid policy is in force: the skew is a policy setting, so nothing is judged. */
  policy: Pick<Policy, 'clockSkewSeconds'> | undefined;
}

export interface ClockCheck {
  section: ClockSection;
  /** The decision's verdict on the clock now; undefined when not judged. */
  trust: ClockTrust | undefined;
}

export function checkClock(input: ClockCheckInput): ClockCheck {
  const { now, lastServerTime, highWater, policy } = input;
  const facts = {
    now: now.toISOString(),
    lastServerTime: iso(lastServerTime?.serverTime),
    lastServerTimeSeenAt: iso(lastServerTime?.localTime),
    trustedNow: iso(input.trustedNow),
    offsetSeconds: lastServerTime ? seconds(lastServerTime.localTime.getTime() - lastServerTime.serverTime.getTime()) : null,
    highWater: iso(highWater),
  };
  if (!policy) {
    return {
      trust: undefined,
      section: { ...skipped('no valid policy (the tolerated clock skew is a policy setting)'), ...facts, skewSeconds: null, trusted: null, rollbackBecause: null, behindSeconds: null },
    };
  }
  const trust = checkClockTrust({ now, ...(lastServerTime && { lastServerTime: lastServerTime.serverTime }), ...(highWater && { highWater }) }, policy);
  const findings: Finding[] = [];
  if (!trust.trusted) findings.push(problem('clock_rollback', trust.message));
  if (!lastServerTime && !highWater) {
    findings.push(note('no_clock_records', 'No server time has been seen yet: the clock is checked from the first online sign-in on.'));
  }
  return {
    trust,
    section: {
      ...checked(findings),
      ...facts,
      skewSeconds: policy.clockSkewSeconds,
      trusted: trust.trusted,
      rollbackBecause: trust.trusted ? null : trust.because,
      behindSeconds: trust.trusted || trust.behindMs === undefined ? null : seconds(trust.behindMs),
    },
  };
}
