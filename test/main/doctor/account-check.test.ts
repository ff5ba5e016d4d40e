import { describe, expect, it } from 'vitest';
import { checkAccount, type AccountCheckInput } from '../../../src/main/doctor/account-check';
import { checkClockTrust } from '../../../src/main/offline/time-rules';
import { withDefaults } from '../../../src/main/policy/policy-defaults';

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
    { name: 'failed-PIN maximum reached', overrides: { attempts: { state: { failures: 5, lastAttemptMs: at(-60_000).getTime() }, mirrorRead: true } }, reason: 'locked_out', status: 'problem', severity: 'problem' },
    { name: 'clock rolled back', overrides: { clockTrust: rolledBack }, reason: 'clock_rollback', status: 'problem', severity: 'problem' },
    { name: 'no usable key', overrides: { cannotVerify: { code: 'no_usable_keys', message: 'No signing key is cached.' } }, reason: 'no_usable_keys', status: 'problem', severity: 'problem' },
    { name: 'another issuer than the policy’s', overrides: { account: { ...input().account, issuer: 'https://old-idp.example.test' } }, reason: 'issuer_mismatch', status: 'problem', severity: 'problem' },
    { name: 'check-in overdue', overrides: { lastCheckIn: { at: at(-8 * DAY_MS), serverTime: null } }, reason: 'check_in_overdue', status: 'problem', severity: 'problem' },
    { name: 'clock before check-in, as the decision orders them', overrides: { clockTrust: rolledBack, lastCheckIn: { at: at(-8 * DAY_MS), serverTime: null } }, reason: 'clock_rollback', status: 'problem', severity: 'problem' },
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
    expect(checkAccount(input({ lastCheckIn: { at: due, serverTime: null } })).offline).toMatchObject({ decision: 'depends_on_token', holdsUntil: NOW.toISOString(), endsWith: 'check_in_due' });
    expect(checkAccount(input({ lastCheckIn: { at: at(-7 * DAY_MS - 1), serverTime: null } })).offline.reason).toBe('check_in_overdue');
  });

  it('says the grace period and that unlocking shows the actual decision', () => {
    expect(checkAccount(input()).offline.message).toBe(
      'Depends on the cached token, which is sealed under the PIN: full access until its expiry, then read-only for 24 h, until the check-in falls due. Unlock to see.',
    );
  });

  it('without a recorded check-in: no deadline known, and a note', () => {
    const facts = checkAccount(input({ lastCheckIn: undefined }));
    expect(facts).toMatchObject({ lastCheckIn: null, checkInDueAt: null, offline: { decision: 'depends_on_token', holdsUntil: null, endsWith: null } });
    expect(facts.findings.map((f) => f.code)).toEqual(['no_check_in']);
  });

  it('failed PINs: a note with what is left and when the next attempt is possible', () => {
    const facts = checkAccount(input({ attempts: { state: { failures: 3, lastAttemptMs: at(-10_000).getTime() }, mirrorRead: false } }));
    expect(facts.unlockAttempts).toEqual({ failures: 3, attemptsLeft: 2, retryAt: at(20_000).toISOString(), lockedOut: false, keychainMirrorRead: false });
    expect(facts.findings).toEqual([expect.objectContaining({ code: 'failed_unlocks', message: expect.stringContaining(`next attempt is possible at ${at(20_000).toISOString()}`) })]);
  });

  it('without a valid policy: skipped and denied (fail-closed), identity still shown', () => {
    const facts = checkAccount(input({ policy: undefined }));
    expect(facts).toMatchObject({ status: 'skipped', displayName: 'Alice', checkInDueAt: null, unlockAttempts: null, offline: { decision: 'denied', reason: 'policy_invalid' } });
  });
});
