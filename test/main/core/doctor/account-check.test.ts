import { describe, expect, it } from 'vitest';
import { checkAccount, type AccountCheckInput } from '../../../../src/main/core/doctor/account-check';
import { checkClockTrust } from '../../../../src/main/core/offline/time-rules';
import { withDefaults } from '../../../../src/main/core/policy/policy-defaults';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const DAY_MS = 86_400_000;
const ISSUER = 'https://idp.example.test';
const policy = withDefaults({ issuer: ISSUER, clientId: 'fieldkey-desktop' });
const at = (deltaMs: number) => new Date(NOW.getTime() + deltaMs);

function input(overrides: Partial<AccountCheckInput> = {}): AccountCheckInput {
  return {
    account: { id: 'A'.repeat(43), issuer: ISSUER, displayName: 'Alice', email: 'alice@example.com', createdAt: 0, updatedAt: 0 },
    now: NOW,
    policy,
    hasSealedSession: true,
    lastCheckIn: { at: at(-2 * DAY_MS), serverTime: null },
    attempts: { state: { failures: 0, lastAttemptMs: 0 }, mirrorRead: true },
    clockTrust: { trusted: true },
    cannotVerify: undefined,
    ...overrides,
  };
}

describe('checkAccount: the offline outlook without the token', () => {
  const rolledBack = checkClockTrust({ now: NOW, highWater: at(DAY_MS) }, policy);
  const cases: { name: string; overrides: Partial<AccountCheckInput>; reason: string; status: string; severity?: 'problem' | 'note' }[] = [
    { name: 'nothing refuses: depends on the token', overrides: {}, reason: 'depends_on_token', status: 'ok' },
    { name: 'no sealed session', overrides: { hasSealedSession: false }, reason: 'no_session', status: 'note', severity: 'note' },
    {
      name: 'failed-PIN maximum reached',
      overrides: { attempts: { state: { failures: 5, lastAttemptMs: at(-60_000).getTime() }, mirrorRead: true } },
      reason: 'locked_out',
      status: 'problem',
      severity: 'problem',
    },
    {
      name: 'wrong-PIN count edited outside FieldKey (its MAC fails)',
      overrides: { attempts: { state: { failures: 0, lastAttemptMs: 0, tampered: true }, mirrorRead: true } },
      reason: 'attempts_tampered',
      status: 'problem',
      severity: 'problem',
    },
    { name: 'clock rolled back', overrides: { clockTrust: rolledBack }, reason: 'clock_rollback', status: 'problem', severity: 'problem' },
    {
      name: 'no usable key',
      overrides: { cannotVerify: { code: 'no_usable_keys', message: 'No signing key is cached.' } },
      reason: 'no_usable_keys',
      status: 'problem',
      severity: 'problem',
    },
    {
      name: 'another issuer than the policy’s',
      overrides: { account: { ...input().account, issuer: 'https://old-idp.example.test' } },
      reason: 'issuer_mismatch',
      status: 'problem',
      severity: 'problem',
    },
    {
      name: 'check-in overdue',
      overrides: { lastCheckIn: { at: at(-8 * DAY_MS), serverTime: null } },
      reason: 'check_in_overdue',
      status: 'problem',
      severity: 'problem',
    },
    {
      name: 'clock before check-in, as the decision orders them',
      overrides: { clockTrust: rolledBack, lastCheckIn: { at: at(-8 * DAY_MS), serverTime: null } },
      reason: 'clock_rollback',
      status: 'problem',
      severity: 'problem',
    },
  ];
  it.each(cases)('$name → $reason', ({ overrides, reason, status, severity }) => {
    const facts = checkAccount(input(overrides));
    expect(facts.offline.reason).toBe(reason);
    expect(facts.offline.decision).toBe(reason === 'depends_on_token' ? 'depends_on_token' : 'denied');
    expect(facts.status).toBe(status);
    if (severity) expect(facts.findings[0]).toMatchObject({ severity, code: reason });
    if (reason !== 'depends_on_token') expect(facts.offline).toMatchObject({ holdsUntil: null, endsWith: 'online_check_in' });
  });

  it('holds until the check-in falls due, exactly at the boundary the decision uses', () => {
    const due = at(-7 * DAY_MS);
    expect(checkAccount(input({ lastCheckIn: { at: due, serverTime: null } })).offline).toMatchObject({
      decision: 'depends_on_token',
      holdsUntil: NOW.toISOString(),
      endsWith: 'check_in_due',
    });
    expect(checkAccount(input({ lastCheckIn: { at: at(-7 * DAY_MS - 1), serverTime: null } })).offline.reason).toBe('check_in_overdue');
  });

  it('says the grace period and that unlocking shows the actual decision', () => {
    expect(checkAccount(input()).offline.message).toBe(
      'Depends on the cached token, which is sealed under the PIN: full access until 24 h past its expiry, then read-only until the check-in, at most until the check-in falls due. Unlock to see.',
    );
  });

  it('without a recorded check-in: no deadline known, and a note', () => {
    const facts = checkAccount(input({ lastCheckIn: undefined }));
    expect(facts).toMatchObject({
      lastCheckIn: null,
      checkInDueAt: null,
      offline: { decision: 'depends_on_token', holdsUntil: null, endsWith: null },
    });
    expect(facts.findings.map((f) => f.code)).toEqual(['no_check_in']);
  });

  it('failed PINs: a note with what is left and when the next attempt is possible', () => {
    const facts = checkAccount(input({ attempts: { state: { failures: 3, lastAttemptMs: at(-10_000).getTime() }, mirrorRead: false } }));
    expect(facts.unlockAttempts).toEqual({
      failures: 3,
      attemptsLeft: 2,
      retryAt: at(20_000).toISOString(),
      lockedOut: false,
      keychainMirrorRead: false,
      tampered: false,
    });
    expect(facts.findings).toEqual([
      expect.objectContaining({
        code: 'failed_unlocks',
        message: expect.stringContaining(`next attempt is possible at ${at(20_000).toISOString()}`),
      }),
    ]);
  });

  it('without a valid policy: skipped and denied (fail-closed), identity still shown', () => {
    const facts = checkAccount(input({ policy: undefined }));
    expect(facts).toMatchObject({
      status: 'skipped',
      displayName: 'Alice',
      checkInDueAt: null,
      unlockAttempts: null,
      offline: { decision: 'denied', reason: 'policy_invalid' },
    });
  });
});

describe('checkAccount: the offline decision from the stored expiry of the last verified token', () => {
  const HOUR_MS = 3_600_000;
  const SKEW_MS = policy.clockSkewSeconds * 1000;
  const GRACE_MS = policy.gracePeriodHours * HOUR_MS;
  // Last check-in 2 days ago: due in 5 days (7-day interval).
  const DUE = at(5 * DAY_MS);
  const cases: {
    name: string;
    exp: Date;
    lastCheckIn?: Date;
    decision: string;
    reason: string;
    holdsUntil: Date | null;
    endsWith: string;
    status: string;
    readOnlyHours?: number | null;
    fullUntil?: Date;
    readOnlyUntil?: Date | null;
  }[] = [
    {
      name: 'before exp: full through the grace period (+ skew)',
      exp: at(HOUR_MS),
      decision: 'full',
      reason: 'valid',
      holdsUntil: at(HOUR_MS + GRACE_MS + SKEW_MS),
      endsWith: 'grace_end',
      status: 'ok',
    },
    {
      name: 'inside the skew after exp: still valid, as the decision',
      exp: at(-SKEW_MS + 1),
      decision: 'full',
      reason: 'valid',
      holdsUntil: at(-SKEW_MS + 1 + GRACE_MS + SKEW_MS),
      endsWith: 'grace_end',
      status: 'ok',
    },
    {
      name: 'after exp: full in the grace period until exp + grace (+ skew)',
      exp: at(-HOUR_MS),
      decision: 'full',
      reason: 'grace_period',
      holdsUntil: at(-HOUR_MS + GRACE_MS + SKEW_MS),
      endsWith: 'grace_end',
      status: 'note',
    },
    {
      name: 'grace over: read-only until the check-in falls due',
      exp: at(-GRACE_MS - SKEW_MS),
      decision: 'read-only',
      reason: 'expired',
      holdsUntil: DUE,
      endsWith: 'check_in_due',
      status: 'note',
      readOnlyUntil: DUE,
    },
    {
      name: 'grace over, readOnlyHours 12: read-only until its end (+ skew)',
      exp: at(-GRACE_MS - SKEW_MS),
      readOnlyHours: 12,
      decision: 'read-only',
      reason: 'expired',
      holdsUntil: at(12 * HOUR_MS),
      endsWith: 'read_only_end',
      status: 'note',
      readOnlyUntil: at(12 * HOUR_MS - SKEW_MS),
    },
    {
      name: 'read-only over (readOnlyHours 12): denied, expired',
      exp: at(-GRACE_MS - 12 * HOUR_MS - SKEW_MS),
      readOnlyHours: 12,
      decision: 'denied',
      reason: 'expired',
      holdsUntil: null,
      endsWith: 'online_check_in',
      status: 'problem',
      readOnlyUntil: at(-SKEW_MS),
    },
    {
      name: 'readOnlyHours 0: denied right after the grace period',
      exp: at(-GRACE_MS - SKEW_MS),
      readOnlyHours: 0,
      decision: 'denied',
      reason: 'expired',
      holdsUntil: null,
      endsWith: 'online_check_in',
      status: 'problem',
      readOnlyUntil: at(-SKEW_MS),
    },
    {
      name: 'full, but the check-in falls due first',
      exp: at(30 * DAY_MS),
      decision: 'full',
      reason: 'valid',
      holdsUntil: DUE,
      endsWith: 'check_in_due',
      status: 'ok',
    },
    {
      name: 'grace period, but the check-in falls due first',
      exp: at(-HOUR_MS),
      lastCheckIn: at(-7 * DAY_MS + HOUR_MS),
      decision: 'full',
      reason: 'grace_period',
      holdsUntil: at(HOUR_MS),
      endsWith: 'check_in_due',
      status: 'note',
      readOnlyUntil: at(HOUR_MS),
    },
    {
      name: 'no check-in recorded: read-only unbounded after the grace period',
      exp: at(-GRACE_MS - SKEW_MS),
      lastCheckIn: undefined,
      decision: 'read-only',
      reason: 'expired',
      holdsUntil: null,
      endsWith: 'online_check_in',
      status: 'note',
      readOnlyUntil: null,
    },
  ];
  it.each(cases)('$name', ({ exp, decision, reason, holdsUntil, endsWith, status, readOnlyHours, fullUntil, readOnlyUntil, ...rest }) => {
    const lastCheckIn = 'lastCheckIn' in rest ? rest.lastCheckIn : at(-2 * DAY_MS);
    const withReadOnly = readOnlyHours === undefined ? policy : { ...policy, readOnlyHours };
    const facts = checkAccount(
      input({ policy: withReadOnly, offlineExpiresAt: exp, lastCheckIn: lastCheckIn && { at: lastCheckIn, serverTime: null } }),
    );
    expect(facts.status).toBe(status);
    const due = lastCheckIn ? new Date(lastCheckIn.getTime() + 7 * DAY_MS) : undefined;
    expect(facts.offline).toEqual({
      decision,
      reason,
      message: expect.stringContaining('Based on the last verified token'),
      holdsUntil: holdsUntil?.toISOString() ?? null,
      endsWith,
      tokenExpiresAt: exp.toISOString(),
      fullUntil: (fullUntil ?? new Date(exp.getTime() + GRACE_MS)).toISOString(),
      readOnlyUntil: readOnlyUntil === undefined ? (due?.toISOString() ?? null) : (readOnlyUntil?.toISOString() ?? null),
      basis: 'last_verified_token',
    });
    if (decision === 'read-only') expect(facts.findings).toContainEqual(expect.objectContaining({ severity: 'note', code: 'read_only' }));
    if (reason === 'grace_period')
      expect(facts.findings).toContainEqual(expect.objectContaining({ severity: 'note', code: 'grace_period' }));
    if (decision === 'denied') expect(facts.findings).toContainEqual(expect.objectContaining({ severity: 'problem', code: 'expired' }));
  });

  it('the token-independent rules still come first: clock, check-in, then expiry', () => {
    const rolledBack = checkClockTrust({ now: NOW, highWater: at(DAY_MS) }, policy);
    const exp = at(HOUR_MS);
    const denied = { decision: 'denied', holdsUntil: null, tokenExpiresAt: null, fullUntil: null, readOnlyUntil: null, basis: null };
    expect(checkAccount(input({ offlineExpiresAt: exp, clockTrust: rolledBack })).offline).toMatchObject({
      ...denied,
      reason: 'clock_rollback',
    });
    expect(checkAccount(input({ offlineExpiresAt: exp, lastCheckIn: { at: at(-8 * DAY_MS), serverTime: null } })).offline).toMatchObject({
      ...denied,
      reason: 'check_in_overdue',
    });
    expect(checkAccount(input({ offlineExpiresAt: exp, hasSealedSession: false })).offline).toMatchObject({
      ...denied,
      reason: 'no_session',
    });
  });

  it('says exactly what holds and until when', () => {
    const facts = checkAccount(input({ offlineExpiresAt: new Date('2026-06-01T18:00:00.000Z') }));
    expect(facts.offline.message).toBe(
      'Full access: the cached token expires at 2026-06-01T18:00:00.000Z; this holds until 2026-06-02T18:05:00.000Z, then full access ends with the grace period. ' +
        'Based on the last verified token (its expiry, stored when it was sealed); its signature and claims are checked again at unlock.',
    );
  });
});
