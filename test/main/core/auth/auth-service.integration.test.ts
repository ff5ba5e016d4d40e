/**
 * The auth service end to end with real parts (run under scripts/with-keyring.sh): the demo IdP,
 * headless Chromium as the system browser, a real SQLite file, the real Secret Service, and a clock
 * the test moves. One technician's day, step by step (the steps build on each other): first
 * sign-in, PIN set-up, lock and unlock, the IdP going away, the clock moving past `exp` and the
 * grace period and back, reconnecting, revocation at the IdP, and wrong PINs to lockout.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../helpers/browser-sign-in';
import type { AppState, LockedState, UnlockedState } from '../../../../src/shared/app-state';
import { accountIdFor } from '../../../../src/main/core/accounts/account-id';
import { ACCESS_TTL_SECONDS, ServiceHarness, SKEW_SECONDS } from './service-harness';

const PIN = '482915';
const TESS_SUB = '5b7a1f2e-3c4d-4e5f-8a9b-0c1d2e3f4a01';
const HOUR = 3_600_000;

let browser: Browser;
let h: ServiceHarness;
let tessId: string;

const unlocked = (s: AppState): s is UnlockedState => s.status === 'unlocked';
const locked = (s: AppState): s is LockedState => s.status === 'locked';

beforeAll(async () => {
  browser = await launchChromium();
  h = new ServiceHarness({ browser });
  await h.start();
  tessId = accountIdFor(h.idp.issuer, TESS_SUB);
});

afterAll(async () => {
  await h?.stop();
  await browser?.close();
});

describe('auth service: one technician, online and offline', () => {
  it('starts signed out, with no account', () => {
    expect(h.state()).toEqual({ status: 'signed-out', notice: null });
    expect(h.service.activeAccountId()).toBeUndefined();
    expect(h.service.idleLockMinutes()).toBe(15);
  });

  it('cancels a started sign-in and refuses a second one while one runs', async () => {
    const started = await h.service.beginSignIn({ purpose: 'sign-in' });
    expect(new URL(started.authorizationUrl).origin + new URL(started.authorizationUrl).pathname).toBe(started.authorizationEndpoint);
    expect(started.authorizationEndpoint.startsWith(h.idp.issuer)).toBe(true);
    expect(h.state()).toMatchObject({ status: 'signing-in', purpose: 'sign-in', account: null });
    await expect(h.service.beginSignIn({ purpose: 'sign-in' })).rejects.toMatchObject({ code: 'sign_in_in_progress' });
    await h.service.cancelSignIn();
    expect(h.state()).toEqual({ status: 'signed-out', notice: null });
    await expect(h.service.cancelSignIn()).rejects.toMatchObject({ code: 'not_signing_in' });
  });

  it('first sign-in: the browser comes back, the tokens wait in memory for the PIN', async () => {
    await h.signInAs('tech1');
    const state = await h.waitFor((s) => s.status === 'pin-setup', 'PIN set-up');
    expect(state).toMatchObject({
      status: 'pin-setup',
      account: { id: tessId, displayName: 'Tess Technician', email: 'tech1@fieldkey.invalid' },
      rules: { minLength: 6 },
    });
    // Nothing sealed yet: a crash here loses only the sign-in.
    expect(h.db.prepare('SELECT count(*) AS n FROM sealed_sessions').get()).toEqual({ n: 0 });
    expect(h.db.prepare('SELECT count(*) AS n FROM accounts').get()).toEqual({ n: 0 });
    expect(h.auditTypes()).toContain('sign_in');
  });

  it('refuses mismatched and trivial PINs, then seals and unlocks with full access', async () => {
    await expect(h.service.setPin(PIN, '482916')).rejects.toMatchObject({ code: 'pin_mismatch' });
    await expect(h.service.setPin('123456', '123456')).rejects.toMatchObject({ code: 'pin_trivial' });
    await expect(h.service.setPin('4829', '4829')).rejects.toMatchObject({ code: 'pin_too_short' });
    expect(h.state().status).toBe('pin-setup');
    await h.service.setPin(PIN, PIN);
    const state = h.state();
    expect(state).toMatchObject({
      status: 'unlocked',
      account: { id: tessId, displayName: 'Tess Technician' },
      access: 'full',
      accessReason: 'valid',
      roles: ['technician'],
      canAddAccount: true,
    });
    const s = state as UnlockedState;
    const exp = Date.parse(s.tokenExpiresAt!);
    expect(exp - Date.now()).toBeGreaterThan((ACCESS_TTL_SECONDS - 30) * 1000);
    // Full access through the 24 h grace period, then read-only until the check-in falls due.
    expect(Date.parse(s.fullAccessUntil!) - exp).toBe(24 * HOUR);
    expect(s.readOnlyUntil).toBe(s.checkInDueAt);
    expect(s.offlineUntil).toBe(s.checkInDueAt);
    expect(Math.abs(Date.parse(s.lastCheckIn!) - Date.now())).toBeLessThan(30_000);
    expect(Date.parse(s.checkInDueAt!) - Date.parse(s.lastCheckIn!)).toBe(7 * 24 * HOUR);
    expect(Math.abs(Date.parse(s.rolesAsOf!) - Date.now())).toBeLessThan(30_000);
    expect(h.service.activeAccountId()).toBe(tessId);
    expect(await h.service.accessFor(tessId)).toBe('full');
    expect(h.auditTypes()).toContain('pin_changed');
    await h.waitFor((x) => unlocked(x) && x.online, 'online');
  });

  it('locks: the key leaves memory, the lock screen lists the account', async () => {
    await h.notes.create(tessId, 'Pump 7', 'Replaced the seal.');
    h.service.lock('user');
    const state = await h.waitFor(locked, 'locked');
    expect(state).toEqual({
      status: 'locked',
      notice: null,
      accounts: [
        { id: tessId, displayName: 'Tess Technician', email: 'tech1@fieldkey.invalid', hasSession: true, attemptsLeft: 5, retryAt: null },
      ],
      selectedAccountId: tessId,
      canAddAccount: true,
    });
    expect(h.service.activeAccountId()).toBeUndefined();
    expect(await h.service.accessFor(tessId)).toBe('locked');
    await expect(h.notes.list(tessId)).rejects.toMatchObject({ code: 'not_unlocked' });
  });

  it('counts a wrong PIN (attempts left), unlocks with the right one and refreshes at once', async () => {
    await expect(h.service.unlock(tessId, '111222')).rejects.toMatchObject({ code: 'wrong_pin', attemptsLeft: 4 });
    expect(h.state()).toMatchObject({ status: 'locked', accounts: [{ attemptsLeft: 4, hasSession: true }] });
    const refreshesBefore = h.auditTypes().filter((t) => t === 'refresh').length;
    await h.service.unlock(tessId, PIN);
    expect(h.state()).toMatchObject({ status: 'unlocked', access: 'full' });
    expect(await h.notes.list(tessId)).toMatchObject([{ title: 'Pump 7' }]);
    // Online at unlock: one refresh right away (rotating the refresh token, a new check-in).
    for (let i = 0; i < 200 && h.auditTypes().filter((t) => t === 'refresh').length === refreshesBefore; i++) await sleep(25);
    expect(h.auditTypes().filter((t) => t === 'refresh').length).toBe(refreshesBefore + 1);
    expect(h.auditTypes()).toEqual(expect.arrayContaining(['unlock_failed', 'unlock_ok', 'refresh']));
  });

  it('restarts locked: "unlocked" is never persisted', async () => {
    await h.service.dispose();
    await h.startService();
    expect(h.state()).toMatchObject({
      status: 'locked',
      selectedAccountId: tessId,
      accounts: [{ id: tessId, hasSession: true, attemptsLeft: 5 }],
    });
    await h.service.unlock(tessId, PIN);
    await h.waitFor((s) => unlocked(s) && s.online, 'unlocked online');
  });

  it('locks at once during a refresh, yet seals the rotated refresh token before the key is dropped', async () => {
    h.tokenDelayMs = 400; // the IdP has rotated the refresh token; its answer is still on the way
    const refreshing = h.service.retry();
    await sleep(150);
    h.service.lock('suspend');
    expect(h.service.activeAccountId()).toBeUndefined();
    expect(await h.service.accessFor(tessId)).toBe('locked');
    await h.waitFor(locked, 'locked');
    await refreshing;
    h.tokenDelayMs = 0;
    await h.service.unlock(tessId, PIN);
    // The sealed refresh token is the rotated one: the IdP accepts it (a spent one would revoke the grant).
    await h.service.retry();
    expect(h.state()).toMatchObject({ status: 'unlocked', access: 'full', online: true });
    expect(h.auditTypes()).not.toContain('revocation_detected');
    expect(h.auditTypes()).not.toContain('refresh_refused');
  });

  it('keeps unlocking with the IdP stopped: full access while exp holds, offline', async () => {
    await h.idp.stop();
    h.service.lock('idle');
    await h.waitFor(locked, 'locked');
    await h.service.unlock(tessId, PIN);
    const state = await h.waitFor((s) => unlocked(s) && !s.online, 'unlocked offline');
    expect(state).toMatchObject({ access: 'full', accessReason: 'valid' });
    await expect(h.service.retry()).rejects.toMatchObject({ code: 'idp_unreachable' });
    expect(h.state()).toMatchObject({ status: 'unlocked', access: 'full', online: false });
  });

  it('keeps full access past exp through the grace period (by the decision timer): writes work', async () => {
    const s = h.state() as UnlockedState;
    h.clock.offsetMs = Date.parse(s.tokenExpiresAt!) - Date.now() + SKEW_SECONDS * 1000 + 1000;
    const state = await h.waitFor((x) => unlocked(x) && x.accessReason === 'grace_period', 'grace period');
    expect(state).toMatchObject({ access: 'full', online: false, fullAccessUntil: s.fullAccessUntil, readOnlyUntil: s.readOnlyUntil });
    expect(await h.notes.create(tessId, 'Valve 1', 'Written in the grace period.')).toMatchObject({ title: 'Valve 1' });
    expect(h.auditTypes()).toContain('grace_entered');
  });

  it('turns read-only after the grace period, with writes refused and reads working', async () => {
    const s = h.state() as UnlockedState;
    h.clock.offsetMs += 24 * HOUR;
    const state = await h.waitFor((x) => unlocked(x) && x.access === 'read-only', 'read-only');
    expect(state).toMatchObject({
      accessReason: 'expired',
      online: false,
      fullAccessUntil: s.fullAccessUntil,
      readOnlyUntil: s.checkInDueAt,
    });
    expect(await h.notes.list(tessId)).toHaveLength(2);
    await expect(h.notes.create(tessId, 'Valve 2', 'Checked.')).rejects.toMatchObject({ code: 'read_only' });
    expect(h.auditTypes()).toContain('read_only_entered');
  });

  it('requires a connection once the check-in is overdue', async () => {
    const s = h.state() as UnlockedState;
    h.clock.offsetMs = Date.parse(s.checkInDueAt!) - Date.now() + 1000;
    expect(await h.service.accessFor(tessId)).toBe('denied');
    expect(h.state()).toMatchObject({ status: 'connection-required', account: { id: tessId }, reason: 'check_in_overdue' });
    await expect(h.notes.list(tessId)).rejects.toMatchObject({ code: 'connection_required' });
    expect(h.auditTypes()).toContain('check_in_overdue');
  });

  it('refuses a clock moved back (clock_rollback), until an online check-in confirms the clock', async () => {
    h.clock.offsetMs = 0;
    const state = await h.waitFor((s) => s.status === 'connection-required' && s.reason === 'clock_rollback', 'clock rollback');
    expect(state).toMatchObject({ account: { id: tessId }, message: expect.stringMatching(/clock/) });
    expect(h.auditTypes()).toContain('clock_rollback');

    await h.startIdp(); // same port, same grants: the network watch notices and refreshes at once
    await h.waitFor((s) => unlocked(s) && s.access === 'full' && s.online, 'full access after reconnecting', 20_000);
    expect(await h.notes.create(tessId, 'Valve 2', 'Checked.')).toMatchObject({ title: 'Valve 2' });
  });

  it('signs the account out when the IdP revoked it, on reconnect; its notes stay', async () => {
    await h.idp.stop();
    await expect(h.service.retry()).rejects.toMatchObject({ code: 'idp_unreachable' });
    await h.startIdp();
    h.idp.revokeUser('tech1'); // before FieldKey reaches it again
    const state = await h.waitFor((s) => s.status === 'signed-out', 'signed out after revocation', 20_000);
    expect(state.notice).toMatchObject({ code: 'session_revoked', message: expect.stringMatching(/notes are kept/) });
    expect(h.auditTypes()).toContain('revocation_detected');
    expect(h.service.activeAccountId()).toBeUndefined();
    expect(h.db.prepare('SELECT count(*) AS n FROM sealed_sessions').get()).toEqual({ n: 0 });

    await h.signInAs('tech1');
    await h.waitFor((s) => s.status === 'pin-setup', 'PIN set-up');
    await h.service.setPin(PIN, PIN);
    expect(h.state()).toMatchObject({ status: 'unlocked', account: { id: tessId }, access: 'full' });
    expect((await h.notes.list(tessId)).map((n) => n.title).sort()).toEqual(['Pump 7', 'Valve 1', 'Valve 2']);
  });

  it('a wrong-PIN count lowered with SQL: no PIN is tried, audited as records_tampered; the true count back makes it valid again', async () => {
    h.service.lock('user');
    await h.waitFor(locked, 'locked');
    await expect(h.service.unlock(tessId, '111222')).rejects.toMatchObject({ code: 'wrong_pin', attemptsLeft: 4 });
    h.db.prepare('UPDATE unlock_attempts SET failures = 0 WHERE account_id = ?').run(tessId);
    await expect(h.service.unlock(tessId, PIN)).rejects.toMatchObject({ code: 'attempts_tampered' });
    expect(h.state()).toMatchObject({ status: 'locked' });
    expect(h.auditEvents().filter((e) => e.type === 'records_tampered')).toMatchObject([
      { account: tessId, details: { record: 'unlock_attempts' } },
    ]);
    // Only the count FieldKey wrote verifies under the installation's key.
    h.db.prepare('UPDATE unlock_attempts SET failures = 1 WHERE account_id = ?').run(tessId);
    await h.service.unlock(tessId, PIN);
    expect(h.state()).toMatchObject({ status: 'unlocked' });
  });

  it('wipes the session after the last wrong PIN (waiting out the delays), and asks for an online sign-in', async () => {
    h.service.lock('lock-screen');
    await h.waitFor(locked, 'locked');
    for (const left of [4, 3, 2]) {
      await expect(h.service.unlock(tessId, '111222')).rejects.toMatchObject({ code: 'wrong_pin', attemptsLeft: left });
    }
    await expect(h.service.unlock(tessId, PIN)).rejects.toMatchObject({ code: 'unlock_delayed' });
    const waiting = h.state() as LockedState;
    expect(waiting.accounts[0]).toMatchObject({ attemptsLeft: 2, retryAt: expect.any(String) });
    h.clock.offsetMs += 31_000;
    await expect(h.service.unlock(tessId, '111222')).rejects.toMatchObject({ code: 'wrong_pin', attemptsLeft: 1 });
    h.clock.offsetMs += 61_000;
    await expect(h.service.unlock(tessId, '111222')).rejects.toMatchObject({ code: 'lockout_wipe' });
    expect(h.state()).toMatchObject({ status: 'signed-out', notice: { code: 'lockout_wipe' } });
    expect(h.auditTypes().filter((t) => t === 'lockout_wipe')).toHaveLength(1);
    // The right PIN is no use now: only an online sign-in brings the account back.
    await expect(h.service.unlock(tessId, PIN)).rejects.toMatchObject({ code: 'locked_out' });
    expect(h.auditTypes().filter((t) => t === 'lockout_wipe')).toHaveLength(1);
    expect(h.db.prepare('SELECT count(*) AS n FROM sealed_sessions').get()).toEqual({ n: 0 });
  });

  it('never put a token in a state, a log line or the audit log, and pushed only changes', () => {
    expect(h.tokens.size).toBeGreaterThan(5);
    expect(h.leakedTokens()).toEqual([]);
    for (let i = 1; i < h.states.length; i++) expect(JSON.stringify(h.states[i])).not.toBe(JSON.stringify(h.states[i - 1]));
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
