/**
 * The app state as a pure function of facts: one row per situation, the expected state (or the
 * parts that matter), and never a claim, token or key in the result.
 */
import { describe, expect, it } from 'vitest';
import type { OfflineDecision } from '../../../../src/main/core/offline/decision';
import { deriveState, rolesOf, type AccountFacts, type AuthFacts } from '../../../../src/main/core/auth/state-derivation';

const TESS = { id: 'a'.repeat(43), displayName: 'Tess Technician', email: 'tech1@fieldkey.invalid' };
const SAM = { id: 'b'.repeat(43), displayName: 'Sam Supervisor', email: null };
const RULES = { minLength: 6, maxLength: 64, text: 'Use at least 6 characters.' };
const OK = { ok: true as const, pinRules: RULES, maxAccounts: 2 };
const EXP = new Date('2026-06-01T12:15:00.000Z');
const FULL_UNTIL = new Date('2026-06-02T12:15:00.000Z');
const READ_ONLY_UNTIL = new Date('2026-06-08T12:00:00.000Z');
const CHECK_IN_DUE = new Date('2026-06-08T12:00:00.000Z');
const LAST_CHECK_IN = new Date('2026-06-01T12:00:00.000Z');
const SECRET_CLAIM = 'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0.c2ln';

function decision(overrides: Partial<OfflineDecision> = {}): OfflineDecision {
  return {
    decision: 'full',
    reason: 'valid',
    message: 'Signed in offline as "tech-1" until ...',
    sub: 'tech-1',
    expiresAt: EXP,
    fullUntil: FULL_UNTIL,
    readOnlyUntil: READ_ONLY_UNTIL,
    checkInDueAt: CHECK_IN_DUE,
    claims: {
      sub: 'tech-1',
      iat: LAST_CHECK_IN.getTime() / 1000,
      exp: EXP.getTime() / 1000,
      roles: ['technician', 42, 'supervisor'],
      raw: SECRET_CLAIM,
    },
    ...overrides,
  };
}

function account(view: typeof TESS | typeof SAM, overrides: Partial<AccountFacts> = {}): AccountFacts {
  return { account: view, hasSession: true, attemptsLeft: 5, retryAt: undefined, ...overrides };
}

function facts(overrides: Partial<AuthFacts> = {}): AuthFacts {
  return { configuration: OK, accounts: [], notice: null, ...overrides };
}

const DECIDED_AT = new Date('2026-06-01T12:03:41.250Z');
const active = (d: Partial<OfflineDecision> = {}, online = true) => ({
  account: TESS,
  decision: decision(d),
  decidedAt: DECIDED_AT,
  lastCheckIn: LAST_CHECK_IN,
  online,
});
const notice = { code: 'session_revoked', message: 'Sign in again; your notes are kept.' };

const rows: { name: string; facts: AuthFacts; expected: Record<string, unknown> }[] = [
  {
    name: 'misconfigured wins over everything',
    facts: facts({
      configuration: {
        ok: false,
        summary: 'Contact IT.',
        problems: [{ field: 'issuer', message: 'is required' }],
        source: '/etc/fieldkey/policy.json',
      },
      accounts: [account(TESS)],
      active: active(),
    }),
    expected: {
      status: 'misconfigured',
      summary: 'Contact IT.',
      problems: [{ field: 'issuer', message: 'is required' }],
      source: '/etc/fieldkey/policy.json',
      notice: null,
    },
  },
  { name: 'no account at all', facts: facts(), expected: { status: 'signed-out', notice: null } },
  {
    name: 'accounts whose sessions were all wiped: signed out, with the notice',
    facts: facts({ accounts: [account(TESS, { hasSession: false })], notice }),
    expected: { status: 'signed-out', notice },
  },
  {
    name: 'a sign-in in progress',
    facts: facts({ accounts: [account(TESS)], signingIn: { purpose: 'forgot-pin', account: TESS } }),
    expected: { status: 'signing-in', purpose: 'forgot-pin', account: TESS },
  },
  {
    name: 'PIN set-up after the sign-in, with the policy rules',
    facts: facts({ pinSetup: { account: SAM } }),
    expected: { status: 'pin-setup', account: SAM, rules: RULES },
  },
  {
    name: 'locked: every account listed, the selected one first choice, the cap reached',
    facts: facts({
      accounts: [account(TESS, { attemptsLeft: 3, retryAt: new Date('2026-06-01T12:00:30.000Z') }), account(SAM, { hasSession: false })],
      selectedAccountId: SAM.id,
    }),
    expected: {
      status: 'locked',
      accounts: [
        { ...TESS, hasSession: true, attemptsLeft: 3, retryAt: '2026-06-01T12:00:30.000Z' },
        { ...SAM, hasSession: false, attemptsLeft: 5, retryAt: null },
      ],
      selectedAccountId: SAM.id,
      canAddAccount: false,
    },
  },
  {
    name: 'locked: an unknown selection falls back to the first account with a session',
    facts: facts({ accounts: [account(TESS, { hasSession: false }), account(SAM)], selectedAccountId: 'gone' }),
    expected: { status: 'locked', selectedAccountId: SAM.id },
  },
  {
    name: 'unlocked with full access: times, roles (strings only) and their age, online',
    facts: facts({ accounts: [account(TESS)], active: active() }),
    expected: {
      status: 'unlocked',
      account: TESS,
      access: 'full',
      accessReason: 'valid',
      decidedAt: '2026-06-01T12:03:00.000Z',
      tokenExpiresAt: EXP.toISOString(),
      fullAccessUntil: FULL_UNTIL.toISOString(),
      readOnlyUntil: READ_ONLY_UNTIL.toISOString(),
      offlineUntil: READ_ONLY_UNTIL.toISOString(),
      lastCheckIn: LAST_CHECK_IN.toISOString(),
      checkInDueAt: CHECK_IN_DUE.toISOString(),
      roles: ['technician', 'supervisor'],
      rolesAsOf: LAST_CHECK_IN.toISOString(),
      online: true,
      canAddAccount: true,
    },
  },
  {
    name: 'full access in the grace period, offline',
    facts: facts({ accounts: [account(TESS)], active: active({ reason: 'grace_period' }, false) }),
    expected: {
      status: 'unlocked',
      access: 'full',
      accessReason: 'grace_period',
      accessMessage: expect.stringMatching(/full access through the grace period/),
      online: false,
    },
  },
  {
    name: 'read-only after the grace period, offline',
    facts: facts({ accounts: [account(TESS)], active: active({ decision: 'read-only', reason: 'expired' }, false) }),
    expected: {
      status: 'unlocked',
      access: 'read-only',
      accessReason: 'expired',
      accessMessage: expect.stringMatching(/can be read but not changed/),
      online: false,
    },
  },
  {
    name: 'read-only with no bound but the next check-in',
    facts: facts({
      accounts: [account(TESS)],
      active: active({ decision: 'read-only', reason: 'expired', readOnlyUntil: undefined, checkInDueAt: undefined }),
    }),
    expected: { status: 'unlocked', readOnlyUntil: null, offlineUntil: null, checkInDueAt: null },
  },
  {
    name: 'full access ends at the check-in when it falls due before the grace period ends',
    facts: facts({
      accounts: [account(TESS)],
      active: active({ checkInDueAt: new Date('2026-06-02T00:00:00.000Z'), readOnlyUntil: new Date('2026-06-02T00:00:00.000Z') }),
    }),
    expected: { status: 'unlocked', fullAccessUntil: '2026-06-02T00:00:00.000Z', offlineUntil: '2026-06-02T00:00:00.000Z' },
  },
  {
    name: 'a token without roles or iat',
    facts: facts({ accounts: [account(TESS)], active: active({ claims: { sub: 'tech-1' } }) }),
    expected: { status: 'unlocked', roles: [], rolesAsOf: null },
  },
  ...(
    [
      ['expired', /grace period and read-only period are over/],
      ['check_in_overdue', /check-in is overdue/],
      ['clock_rollback', /clock reads earlier/],
      ['unknown_kid', /^The token names key/],
    ] as const
  ).map(([reason, message]) => ({
    name: `denied (${reason}): connection required, with the reason`,
    facts: facts({
      accounts: [account(TESS)],
      active: active({ decision: 'denied', reason, message: 'The token names key "k2", which is not in the cached key set.' }),
    }),
    expected: { status: 'connection-required', account: TESS, reason, message: expect.stringMatching(message) },
  })),
];

describe('deriveState', () => {
  it.each(rows)('$name', ({ facts: input, expected }) => {
    const state = deriveState(input);
    expect(state).toMatchObject(expected);
    expect(JSON.stringify(state)).not.toContain(SECRET_CLAIM);
    expect(JSON.stringify(state)).not.toContain('"claims"');
  });

  it('is pure: the same facts give equal states, and the facts are not changed', () => {
    const input = facts({ accounts: [account(TESS), account(SAM)], active: active() });
    const copy = structuredClone(input);
    expect(deriveState(input)).toEqual(deriveState(input));
    expect(input).toEqual(copy);
  });
});

describe('rolesOf', () => {
  it.each([
    [{ roles: ['a', 'b'] }, ['a', 'b']],
    [{ roles: 'admin' }, []],
    [{ roles: [1, null, 'x'.repeat(101), 'ok'] }, ['ok']],
    [undefined, []],
  ])('%j -> %j', (claims, roles) => {
    expect(rolesOf(decision({ claims: claims as OfflineDecision['claims'] }))).toEqual(roles);
  });
});
