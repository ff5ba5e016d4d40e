/**
 * Revocation and shared laptops, end to end: a session revoked at the IdP keeps working offline
 * (the documented revocation lag) and is wiped at the next online contact, with the notes kept for
 * the next sign-in; two technicians on one laptop each see only their own notes; sign-out keeps
 * notes. Real IdP, keychain, SQLite and Chromium through the development web host.
 */
import { describe, expect, it } from 'vitest';
import { E2eEnvironment, useE2eEnvironment } from './helpers/e2e-environment';
import {
  button,
  callApi,
  waitForNotes,
  setPin,
  signInWithBrowser,
  statusText,
  unlock,
  waitForStatus,
  waitUntil,
  writeNote,
} from './helpers/app-page';

const TESS_PIN = '482915';
const SAM_PIN = '730461';
const env = new E2eEnvironment();

const mainText = async (): Promise<string> => (await env.page.locator('main').textContent()) ?? '';

useE2eEnvironment(env);

describe('revocation at the IdP', () => {
  it('keeps working offline until the next online contact, which signs the account out', async () => {
    const page = env.page;
    await signInWithBrowser(page, env.idp, 'Sign in', 'tech1');
    await setPin(page, TESS_PIN);
    await waitForStatus(page, 'Full access');
    await writeNote(page, 'Pump 4: seal replaced', 'Written before the revocation.');
    await button(page, 'Lock').click();
    await waitForStatus(page, 'Locked');

    // IT ends the user's sessions and tokens at the IdP while the laptop is offline.
    expect(env.idp.revokeUser('tech1')).toBeGreaterThan(0);
    await env.stopIdp();
    await unlock(page, TESS_PIN);
    await waitForStatus(page, 'Full access');
    await waitForStatus(page, 'offline');
    await button(page, 'Lock').click();
    await waitForStatus(page, 'Locked');

    // Back online: the unlock refreshes at once, the IdP refuses, the laptop forgets the session.
    await env.startIdp();
    await unlock(page, TESS_PIN);
    await waitUntil(mainText, (text) => text.includes('ended by your organization'), 'the revocation notice', 30_000);
    expect(await statusText(page)).not.toMatch(/Full access|Read-only/);
    expect(await callApi(page, 'listNotes')).toMatchObject({ ok: false, error: { code: 'not_unlocked' } });
  });

  it('signs in again as the same person and finds the notes', async () => {
    const page = env.page;
    await signInWithBrowser(page, env.idp, 'Sign in', 'tech1');
    await setPin(page, TESS_PIN);
    await waitForStatus(page, 'Full access');
    await waitForNotes(page, ['Pump 4: seal replaced']);
  });
});

describe('two accounts on one laptop', () => {
  it('adds a second technician, whose notes are separate', async () => {
    const page = env.page;
    await signInWithBrowser(page, env.idp, 'Add account', 'tech2');
    await setPin(page, SAM_PIN);
    await waitForStatus(page, 'Full access');
    expect(await page.locator('.account-chip-name').textContent()).toBe('Sam Supervisor');
    await waitForNotes(page, []);
    await writeNote(page, 'Feeder 3: relay test', "Sam's note.");
    const access = await page.getByRole('complementary', { name: 'Access' }).textContent();
    expect(access).toContain('supervisor');
  });

  it('lists both on the lock screen; each PIN opens only its own account', async () => {
    const page = env.page;
    await button(page, 'Lock').click();
    await waitForStatus(page, 'Locked');
    expect(await page.getByRole('radio').count()).toBe(2);

    await unlock(page, SAM_PIN, 'Tess Technician');
    await waitUntil(
      async () => (await page.getByRole('alert').textContent()) ?? '',
      (t) => t.includes('Wrong PIN'),
      'wrong PIN alert',
    );
    await unlock(page, TESS_PIN, 'Tess Technician');
    await waitForStatus(page, 'Full access');
    expect(await page.locator('.account-chip-name').textContent()).toBe('Tess Technician');
    await waitForNotes(page, ['Pump 4: seal replaced']);

    await button(page, 'Lock').click();
    await unlock(page, SAM_PIN, 'Sam Supervisor');
    await waitForStatus(page, 'Full access');
    await waitForNotes(page, ['Feeder 3: relay test']);
  });

  it('signs one out; the other stays, and the notes of both stay on disk', async () => {
    const page = env.page;
    await button(page, 'Sign out').click();
    await waitUntil(mainText, (text) => text.includes('Sam Supervisor is signed out'), 'the sign-out notice');
    await unlock(page, TESS_PIN, 'Tess Technician');
    await waitForStatus(page, 'Full access');
    await waitForNotes(page, ['Pump 4: seal replaced']);

    await button(page, 'Lock').click();
    await waitForStatus(page, 'Locked');
    await signInWithBrowser(page, env.idp, 'Add account', 'tech2');
    await setPin(page, SAM_PIN);
    await waitForStatus(page, 'Full access');
    await waitForNotes(page, ['Feeder 3: relay test']);
  });
});
