/**
 * Wrong PINs end to end: attempts left after each, the wait enforced by the main process
 * (a page that skips the disabled button is still refused), the wipe at the policy's maximum, a new
 * online sign-in, and "Forgot PIN?": the field notes survive both. Real IdP, keychain, SQLite and
 * Chromium. The wait is on the app's monotonic clock: moving its wall clock with libfaketime does
 * not end it, so the test waits it out (one 30 s wait, with four attempts allowed).
 */
import { describe, expect, it } from 'vitest';
import { E2eEnvironment, useE2eEnvironment } from './helpers/e2e-environment';
import {
  button,
  callApi,
  field,
  waitForNotes,
  screenshot,
  setPin,
  signInWithBrowser,
  unlock,
  waitForStatus,
  writeNote,
} from './helpers/app-page';

const PIN = '482915';
const NEW_PIN = '730461';
const env = new E2eEnvironment();
let accountId: string;

async function alertText(): Promise<string> {
  return (await env.page.getByRole('alert').textContent()) ?? '';
}

useE2eEnvironment(env, {
  policy: { pin: { minLength: 6, maxAttempts: 4 } },
  prepare: async () => {
    const page = env.page;
    await signInWithBrowser(page, env.idp, 'Sign in', 'tech1');
    await setPin(page, PIN);
    await waitForStatus(page, 'Full access');
    await writeNote(page, 'Substation 7: transformer check', 'Oil level OK.');
    await button(page, 'Lock').click();
    await waitForStatus(page, 'Locked');
    const state = (await callApi(page, 'getState')) as { value: { accounts: { id: string }[] } };
    accountId = state.value.accounts[0]!.id;
  },
});

describe('wrong PINs', () => {
  it('counts down the attempts left', async () => {
    await unlock(env.page, '000001');
    await expect.poll(alertText).toMatch(/Wrong PIN\. 3 attempts left/);
    await unlock(env.page, '000002');
    await expect.poll(alertText).toMatch(/Wrong PIN\. 2 attempts left/);
    expect(await env.page.locator('#attempts').textContent()).toContain('2 attempts left');
  });

  it('makes the next attempt wait after the third, and the main process enforces the wait', async () => {
    const page = env.page;
    await unlock(page, '000003');
    await expect.poll(alertText).toMatch(/Wrong PIN\. 1 attempt left/);
    await expect.poll(() => page.locator('#attempts').textContent()).toMatch(/Wait 0:[0-3]\d before the next try/);
    expect(await button(page, 'Unlock').isDisabled()).toBe(true);
    await screenshot(page, 'unlock-wrong-pin');
    // Skipping the disabled button changes nothing: the main process refuses, even the right PIN.
    expect(await callApi(page, 'unlock', accountId, PIN)).toMatchObject({ ok: false, error: { code: 'unlock_delayed' } });
  });

  it('wipes the session at the maximum; the account must sign in online', async () => {
    const page = env.page;
    // Setting the laptop's clock past the wait does not end it.
    env.setClock('+31');
    expect(await callApi(page, 'unlock', accountId, PIN)).toMatchObject({ ok: false, error: { code: 'unlock_delayed' } });
    env.setClock('+0');
    // Refusals during the wait cost no attempt; once it is over, the last wrong PIN wipes the session.
    await expect
      .poll(() => callApi(page, 'unlock', accountId, '000004'), { timeout: 45_000, interval: 1_000 })
      .toMatchObject({ ok: false, error: { code: 'lockout_wipe' } });
    // Even the right PIN is useless now: the sealed session and the device key are gone.
    expect(await callApi(page, 'unlock', accountId, PIN)).toMatchObject({ ok: false });
    await expect.poll(() => field(page, 'PIN').count()).toBe(0);
  });

  it('signs in again; the notes written before are still there', async () => {
    const page = env.page;
    await signInWithBrowser(page, env.idp, 'Sign in', 'tech1');
    await setPin(page, PIN);
    await waitForStatus(page, 'Full access');
    await waitForNotes(page, ['Substation 7: transformer check']);
  });
});

describe('Forgot PIN?', () => {
  it('replaces the PIN after an online sign-in; the old PIN stops working; notes stay', async () => {
    const page = env.page;
    await button(page, 'Lock').click();
    await waitForStatus(page, 'Locked');
    await signInWithBrowser(page, env.idp, 'Forgot PIN?', 'tech1');
    await setPin(page, NEW_PIN);
    await waitForStatus(page, 'Full access');
    await button(page, 'Lock').click();
    await waitForStatus(page, 'Locked');
    await unlock(page, PIN);
    await expect.poll(alertText).toMatch(/Wrong PIN/);
    await unlock(page, NEW_PIN);
    await waitForStatus(page, 'Full access');
    await waitForNotes(page, ['Substation 7: transformer check']);
  });
});
