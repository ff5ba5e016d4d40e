/**
 * The auth service with two technicians on one laptop, with real parts (run under
 * scripts/with-keyring.sh): adding an account, the lock screen's list and selection, switching,
 * "Forgot PIN?" (including signing in as the wrong person), signing out, the policy's account cap,
 * the mandatory check-in; and a misconfigured policy.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../helpers/browser-sign-in';
import type { AppState, LockedState, UnlockedState } from '../../../../src/shared/app-state';
import { accountIdFor } from '../../../../src/main/core/accounts/account-id';
import { ServiceHarness } from './service-harness';

const TESS_PIN = '482915';
const SAM_PIN = '739154';
const SAM_NEW_PIN = '907314';
const TESS_SUB = '5b7a1f2e-3c4d-4e5f-8a9b-0c1d2e3f4a01';
const SAM_SUB = '5b7a1f2e-3c4d-4e5f-8a9b-0c1d2e3f4a02';
const DAY = 86_400_000;

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

const locked = (s: AppState): s is LockedState => s.status === 'locked';
const unlockedAs =
  (id: string) =>
  (s: AppState): s is UnlockedState =>
    s.status === 'unlocked' && s.account.id === id;

describe('auth service: two accounts on one laptop', () => {
  let h: ServiceHarness;
  let tess: string;
  let sam: string;

  beforeAll(async () => {
    h = new ServiceHarness({ browser, policy: { maxAccounts: 2 } });
    await h.start();
    tess = accountIdFor(h.idp.issuer, TESS_SUB);
    sam = accountIdFor(h.idp.issuer, SAM_SUB);
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('adds a second account while the first is unlocked; each gets its own PIN and roles', async () => {
    await h.signInAs('tech1');
    await h.waitFor((s) => s.status === 'pin-setup', 'PIN set-up');
    await h.service.setPin(TESS_PIN, TESS_PIN);
    expect(h.state()).toMatchObject({ status: 'unlocked', account: { id: tess }, canAddAccount: true });

    await h.signInAs('tech2', { purpose: 'add-account' });
    expect(h.service.activeAccountId()).toBeUndefined(); // the sign-in locked Tess
    await h.waitFor((s) => s.status === 'pin-setup' && s.account.id === sam, 'PIN set-up for Sam');
    await h.service.setPin(SAM_PIN, SAM_PIN);
    expect(h.state()).toMatchObject({
      status: 'unlocked',
      account: { id: sam, displayName: 'Sam Supervisor' },
      roles: ['technician', 'supervisor'],
      canAddAccount: false,
    });
    expect(await h.service.accessFor(tess)).toBe('locked');
  });

  it('refuses a third account (the policy allows two)', async () => {
    await expect(h.service.beginSignIn({ purpose: 'add-account' })).rejects.toMatchObject({ code: 'too_many_accounts' });
    expect(h.state()).toMatchObject({ status: 'unlocked', account: { id: sam } });
  });

  it('lists both accounts on the lock screen, and switches the selection', async () => {
    h.service.lock('user');
    const state = await h.waitFor(locked, 'locked');
    expect(state.accounts.map((a) => [a.displayName, a.hasSession, a.attemptsLeft])).toEqual([
      ['Tess Technician', true, 5],
      ['Sam Supervisor', true, 5],
    ]);
    expect(state.selectedAccountId).toBe(sam);
    expect(state.canAddAccount).toBe(false);
    await h.service.switchAccount(tess);
    expect(h.state()).toMatchObject({ status: 'locked', selectedAccountId: tess });
    await expect(h.service.switchAccount('x'.repeat(43))).rejects.toMatchObject({ code: 'unknown_account' });
  });

  it("keeps each account's PIN and attempts apart", async () => {
    await expect(h.service.unlock(tess, SAM_PIN)).rejects.toMatchObject({ code: 'wrong_pin', attemptsLeft: 4 });
    expect((h.state() as LockedState).accounts.map((a) => a.attemptsLeft)).toEqual([4, 5]);
    await h.service.unlock(tess, TESS_PIN);
    expect(h.state()).toMatchObject({ status: 'unlocked', account: { id: tess } });
    await h.service.switchAccount(sam);
    await h.service.unlock(sam, SAM_PIN);
    expect(h.state()).toMatchObject({ status: 'unlocked', account: { id: sam } });
    expect(h.service.activeAccountId()).toBe(sam);
  });

  it('"Forgot PIN?": a sign-in as someone else is refused; the right person sets a new PIN', async () => {
    h.service.lock('user');
    await h.waitFor(locked, 'locked');
    await h.signInAs('tech1', { purpose: 'forgot-pin', accountId: sam });
    const refused = await h.waitFor((s) => s.status === 'locked' && s.notice !== null, 'wrong-account notice');
    expect(refused.notice).toMatchObject({ code: 'wrong_account', message: expect.stringMatching(/Tess Technician.*Sam Supervisor/) });
    // Nothing changed: Sam's old session and PIN still work.
    expect(h.db.prepare('SELECT count(*) AS n FROM sealed_sessions').get()).toEqual({ n: 2 });

    await h.signInAs('tech2', { purpose: 'forgot-pin', accountId: sam });
    await h.waitFor((s) => s.status === 'pin-setup' && s.account.id === sam, 'PIN set-up for Sam');
    await h.service.setPin(SAM_NEW_PIN, SAM_NEW_PIN);
    await h.waitFor(unlockedAs(sam), 'Sam unlocked');
    h.service.lock('user');
    await h.waitFor(locked, 'locked');
    await expect(h.service.unlock(sam, SAM_PIN)).rejects.toMatchObject({ code: 'wrong_pin' });
    await h.service.unlock(sam, SAM_NEW_PIN);
    expect(h.state()).toMatchObject({ status: 'unlocked', account: { id: sam } });
    expect(
      h
        .auditEvents()
        .some((e) => e.type === 'pin_changed' && e.account === sam && (e.details as Record<string, unknown>).reason === 'forgot-pin'),
    ).toBe(true);
  });

  it('signs Sam out offline: his session is gone, the revocation queued, Tess stays, the lock screen offers Sam a new sign-in', async () => {
    await h.waitFor((s) => unlockedAs(sam)(s) && s.online, 'Sam online');
    await h.idp.stop();
    await h.service.signOut();
    const state = await h.waitFor(locked, 'locked');
    expect(state.notice).toMatchObject({ code: 'signed_out', message: expect.stringMatching(/as soon as this laptop is online/) });
    expect(state.accounts.map((a) => [a.id, a.hasSession])).toEqual([
      [tess, true],
      [sam, false],
    ]);
    expect(state.selectedAccountId).toBe(sam);
    const signOut = h.auditEvents().find((e) => e.type === 'sign_out');
    expect(signOut).toMatchObject({ account: sam, details: { reason: 'user', revocationQueued: true } });
    await expect(h.service.signOut()).rejects.toMatchObject({ code: 'not_unlocked' });
    await expect(h.service.unlock(sam, SAM_NEW_PIN)).rejects.toMatchObject({ code: 'no_sealed_session' });
  });

  it('requires a connection once the mandatory check-in is overdue', async () => {
    await h.service.unlock(tess, TESS_PIN);
    await h.waitFor((s) => unlockedAs(tess)(s) && !s.online, 'Tess offline');
    h.clock.offsetMs += 7 * DAY + 60_000;
    const state = await h.waitFor((s) => s.status === 'connection-required', 'connection required');
    expect(state).toMatchObject({ account: { id: tess }, reason: 'check_in_overdue' });
    expect(h.auditTypes()).toContain('check_in_overdue');
    // Lock works from here, and the account stays listed with its session.
    h.service.lock('user');
    expect(await h.waitFor(locked, 'locked')).toMatchObject({
      accounts: [
        { id: tess, hasSession: true },
        { id: sam, hasSession: false },
      ],
    });
  });

  it('on reconnect: sends the queued revocation, refreshes at once, and checks in', async () => {
    h.clock.offsetMs = 0; // the clock put right; the mark still says a week later: a rollback until a check-in
    await h.service.unlock(tess, TESS_PIN);
    expect(await h.waitFor((s) => s.status === 'connection-required', 'connection required')).toMatchObject({ reason: 'clock_rollback' });
    await h.startIdp();
    await h.waitFor((s) => unlockedAs(tess)(s) && s.access === 'full' && s.online, 'Tess full and online', 20_000);
    for (let i = 0; i < 200 && !h.logLines.includes('sent 1 queued revocation(s)'); i++)
      await new Promise((resolve) => setTimeout(resolve, 25));
    expect(h.logLines).toContain('sent 1 queued revocation(s)');
  });

  it('never put a token in a state, a log line or the audit log', () => {
    expect(h.tokens.size).toBeGreaterThan(5);
    expect(h.leakedTokens()).toEqual([]);
  });
});

describe('auth service: misconfigured policy', () => {
  let h: ServiceHarness;

  beforeAll(async () => {
    h = new ServiceHarness({ browser, policy: { pin: { minLength: 2 }, gracePeriodHours: -1 } });
    await h.start();
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('is misconfigured with what IT must fix, audits policy_invalid, and refuses everything', async () => {
    expect(h.state()).toMatchObject({
      status: 'misconfigured',
      summary: expect.stringMatching(/Contact IT/),
      problems: expect.arrayContaining([
        { field: 'pin.minLength', message: expect.any(String) },
        { field: 'gracePeriodHours', message: expect.any(String) },
      ]),
      source: h.policyFile,
    });
    expect(h.auditEvents().find((e) => e.type === 'policy_invalid')).toMatchObject({
      details: { reason: 'policy_invalid', field: expect.any(String) },
    });
    await expect(h.service.beginSignIn({ purpose: 'sign-in' })).rejects.toMatchObject({ code: 'misconfigured' });
    await expect(h.service.unlock('a'.repeat(43), '482915')).rejects.toMatchObject({ code: 'misconfigured' });
    expect(await h.service.accessFor('a'.repeat(43))).toBe('locked');
    expect(h.service.idleLockMinutes()).toBeUndefined();
  });

  it('says so for a policy file that is not JSON, too', async () => {
    h.writePolicy('{ "issuer": ');
    await h.startService();
    expect(h.state()).toMatchObject({ status: 'misconfigured', problems: [{ field: '(document)' }] });
  });
});
