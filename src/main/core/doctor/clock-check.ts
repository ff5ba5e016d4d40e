/**
 * Doctor: the clock-trust records and whether the clock looks rolled back now,
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
  /** True when the records fail their MACs (TimeRecords.integrity): the app does not trust the clock then. */
  recordsTampered?: boolean;
}

const TAMPERED_MESSAGE =
  'The clock records (server times, high-water mark, check-ins) were changed outside FieldKey or their key is not the ' +
  'one in the keychain: the app does not trust the clock, and denies offline access until an online check-in.';

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
      section: {
        ...skipped('no valid policy (the tolerated clock skew is a policy setting)'),
        ...facts,
        skewSeconds: null,
        trusted: null,
        rollbackBecause: null,
        behindSeconds: null,
      },
    };
  }
  const findings: Finding[] = [];
  let trust: ClockTrust;
  if (input.recordsTampered) {
    trust = { trusted: false, because: 'invalid_reading', message: TAMPERED_MESSAGE };
    findings.push(problem('clock_records_tampered', TAMPERED_MESSAGE));
  } else {
    trust = checkClockTrust(
      { now, ...(lastServerTime && { lastServerTime: lastServerTime.serverTime }), ...(highWater && { highWater }) },
      policy,
    );
    if (!trust.trusted) findings.push(problem('clock_rollback', trust.message));
  }
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
