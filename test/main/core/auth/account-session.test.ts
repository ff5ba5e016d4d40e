/**
 * The unlocked account's refreshes with test doubles for the session and the refresher: one
 * outcome per refresh whoever asked, the outcome's classification, the refresh timer only while
 * online, and `idle()` waiting for a refresh in flight.
 */
import { describe, expect, it } from 'vitest';
import { AccountSession, type RefreshOutcome } from '../../../../src/main/core/auth/account-session';
import { systemClock } from '../../../../src/main/core/clock';
import type { SessionTokens } from '../../../../src/main/core/secrets/session-tokens';
import { FieldKeyError } from '../../../../src/shared/errors';

const ACCOUNT = { id: 'a'.repeat(43), displayName: 'Tess', email: null };

function harness(answers: (() => Promise<SessionTokens>)[], dueInMs = 60 * 60_000) {
  let tokens: SessionTokens = { accessToken: 'at-0', refreshToken: 'rt-0' };
  let locked = false;
  const outcomes: RefreshOutcome[] = [];
  const refresher = {
    requests: 0,
    dueAt: () => new Date(Date.now() + dueInMs),
    refresh: async () => {
      refresher.requests++;
      const next = await answers.shift()!();
      tokens = next;
      return next;
    },
    idle: async () => undefined,
  };
  const session = new AccountSession({
    account: ACCOUNT,
    session: {
      get isLocked() {
        return locked;
      },
      tokens: () => ({ ...tokens }),
    },
    refresher,
    clock: systemClock,
    decide: async () => ({ decision: { decision: 'full', reason: 'valid', message: '' }, readings: { now: new Date() } }),
  });
  session.onRefreshed(async (outcome) => void outcomes.push(outcome));
  return { session, refresher, outcomes, lock: () => (locked = true) };
}

const offline = () => Promise.reject(new FieldKeyError('offline', 'Cannot reach the identity provider.'));

describe('AccountSession.refresh', () => {
  it('shares one refresh between callers and reports its outcome once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const h = harness([async () => (await gate, { accessToken: 'at-1', refreshToken: 'rt-1' })]);
    const calls = [h.session.refresh(), h.session.refresh(), h.session.refresh()];
    expect(h.session.refreshing).toBe(true);
    release();
    const results = await Promise.all(calls);
    expect(h.refresher.requests).toBe(1);
    expect(h.outcomes).toEqual([{ ok: true, tokens: { accessToken: 'at-1', refreshToken: 'rt-1' }, rotated: true }]);
    expect(results.every((r) => r === results[0])).toBe(true);
    expect(h.session.refreshing).toBe(false);
  });

  it.each<[string, () => Promise<SessionTokens>, Partial<RefreshOutcome>]>([
    ['a kept refresh token is not a rotation', async () => ({ accessToken: 'at-1', refreshToken: 'rt-0' }), { ok: true, rotated: false }],
    ['offline', offline, { ok: false, offline: true, revoked: false }],
    [
      'idp_unavailable is offline too',
      () => Promise.reject(new FieldKeyError('idp_unavailable', '503')),
      { ok: false, offline: true, revoked: false },
    ],
    [
      'session_revoked',
      () => Promise.reject(new FieldKeyError('session_revoked', 'revoked')),
      { ok: false, offline: false, revoked: true },
    ],
    ['another refusal', () => Promise.reject(new FieldKeyError('identity_changed', 'x')), { ok: false, offline: false, revoked: false }],
  ])('%s', async (_name, answer, expected) => {
    const h = harness([answer]);
    expect(await h.session.refresh()).toMatchObject(expected);
    expect(h.outcomes).toHaveLength(1);
  });

  it('does not ask the IdP once the session is locked', async () => {
    const h = harness([]);
    h.lock();
    expect(await h.session.refresh()).toMatchObject({ ok: false, error: { code: 'session_locked' } });
    expect(h.refresher.requests).toBe(0);
  });

  it('idle() resolves only after the refresh in flight finished and was reported', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const h = harness([async () => (await gate, { accessToken: 'at-1', refreshToken: 'rt-1' })]);
    void h.session.refresh();
    let idle = false;
    const waiting = h.session.idle().then(() => (idle = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(idle).toBe(false);
    release();
    await waiting;
    expect(h.outcomes).toHaveLength(1);
  });
});

describe('AccountSession refresh timer', () => {
  it('refreshes when due while online, not at all while offline or after stop', async () => {
    const h = harness(
      [async () => ({ accessToken: 'at-1', refreshToken: 'rt-1' }), async () => ({ accessToken: 'at-2', refreshToken: 'rt-2' })],
      -1,
    );
    h.session.setOnline(false);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(h.refresher.requests).toBe(0);
    h.session.setOnline(true);
    for (let i = 0; i < 40 && h.outcomes.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    h.session.stop();
    const after = h.refresher.requests;
    expect(after).toBeGreaterThanOrEqual(1);
    h.session.setOnline(true); // stopped for good
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(h.refresher.requests).toBe(after);
  });
});
