/**
 * One technician's day, end to end in headless Chromium through the development web host, with the
 * demo IdP, the real keychain, a real SQLite file and the app's clock moved with libfaketime:
 * first sign-in, set PIN, lock and unlock, the IdP stopped and still unlocking, the clock past
 * `exp` (full access through the grace period: writes work), past the grace period (Read-only:
 * reads work, writes refused by the main process), past the check-in (Connection required), back
 * online (Retry), and the clock moved backward (refused).
 */
import { describe, expect, it } from 'vitest';
import { E2eEnvironment, ACCESS_TOKEN_TTL_SECONDS, useE2eEnvironment } from './helpers/e2e-environment';
import {
  button,
  callApi,
  field,
  lastCheckIn,
  waitForCheckInAfter,
  waitForNotes,
  screenshot,
  setPin,
  signInWithBrowser,
  statusText,
  unlock,
  waitForStatus,
  writeNote,
} from './helpers/app-page';

const PIN = '482915';
const env = new E2eEnvironment();

useE2eEnvironment(env);

describe("a technician's day", () => {
  it('starts signed out and signs in in the system browser', async () => {
    const page = env.page;
    expect(env.host!.firstLine).toMatch(/development/);
    expect(env.host!.firstLine).toMatch(/http:\/\/127\.0\.0\.1:\d+\/\?k=\S+$/);
    await waitForStatus(page, 'Signed out');
    await screenshot(page, 'sign-in');
    await signInWithBrowser(page, env.idp, 'Sign in', 'tech1', async () => {
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Continue in your browser');
      await screenshot(page, 'signing-in');
    });
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Choose your PIN');
    await screenshot(page, 'set-pin');
  });

  it('refuses a trivial PIN, then sets the PIN and opens with full access', async () => {
    const page = env.page;
    await setPin(page, '123456');
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/easy to guess|trivial|sequential/i);
    await setPin(page, PIN);
    await waitForStatus(page, 'Full access');
    expect(await statusText(page)).toContain('online');
    const access = await page.getByRole('complementary', { name: 'Access' }).textContent();
    expect(access).toContain('Offline access until');
    expect(access).toContain('technician');
    await writeNote(page, 'Pump 4: seal replaced', 'Mechanical seal leaking at the drive end.\nReplaced seal kit MS-40, torque 30 Nm.');
    await screenshot(page, 'home-full-access');
  });

  it('locks and unlocks with the PIN', async () => {
    const page = env.page;
    const before = await lastCheckIn(page);
    await button(page, 'Lock').click();
    await waitForStatus(page, 'Locked');
    await screenshot(page, 'unlock');
    await unlock(page, PIN);
    await waitForStatus(page, 'Full access');
    await waitForNotes(page, ['Pump 4: seal replaced']);
    // Online, an unlock refreshes at once.
    await waitForCheckInAfter(page, before);
  });

  it('still unlocks with the IdP stopped (offline)', async () => {
    const page = env.page;
    await env.stopIdp();
    await button(page, 'Lock').click();
    await waitForStatus(page, 'Locked');
    await unlock(page, PIN);
    await waitForStatus(page, 'Full access');
    await waitForStatus(page, 'offline');
    await writeNote(page, 'Valve 12: flange leak', 'Written offline, within exp.');
  });

  it('keeps full access past exp, through the grace period: writes work offline', async () => {
    const page = env.page;
    env.setClock(`+${ACCESS_TOKEN_TTL_SECONDS + 300}`);
    await button(page, 'Lock').click();
    await unlock(page, PIN);
    await waitForStatus(page, 'Full access (grace period)');
    expect(await statusText(page)).toContain('offline');
    const runway = await page.getByRole('region', { name: 'Offline runway' }).getByRole('listitem').allTextContents();
    expect(runway).toEqual([
      expect.stringMatching(/^Full access \(grace period\) until /),
      expect.stringMatching(/^Read-only until /),
      expect.stringMatching(/^Then connection required/),
    ]);
    await writeNote(page, 'Hydrant 3: cap replaced', 'Written offline, past exp, in the grace period.');
    await screenshot(page, 'home-grace-period');
  });

  it('is Read-only after the grace period: reads work, the main process refuses writes', async () => {
    const page = env.page;
    env.setClock('+25h');
    await button(page, 'Lock').click();
    await unlock(page, PIN);
    await waitForStatus(page, 'Read-only');
    await waitForNotes(page, ['Hydrant 3: cap replaced', 'Valve 12: flange leak', 'Pump 4: seal replaced']);
    await page.getByRole('button', { name: /Pump 4/ }).click();
    await expect.poll(() => field(page, 'Note text').inputValue()).toContain('torque 30 Nm');
    expect(await button(page, 'New note').isDisabled()).toBe(true);
    expect(await button(page, 'Save').isDisabled()).toBe(true);
    await screenshot(page, 'home-read-only');
    // The page is not trusted: a write sent anyway is refused by the main process.
    expect(await callApi(page, 'createNote', 'Sneaky', 'written while read-only')).toMatchObject({
      ok: false,
      error: { code: 'read_only' },
    });
    expect(await callApi(page, 'updateNote', 1, 'Changed', 'x')).toMatchObject({ ok: false, error: { code: 'read_only' } });
    expect(await callApi(page, 'getNote', 1)).toMatchObject({ ok: true, value: { title: 'Pump 4: seal replaced' } });
  });

  it('requires a connection once the check-in is overdue', async () => {
    const page = env.page;
    env.setClock('+8d');
    await button(page, 'Lock').click();
    await unlock(page, PIN);
    await waitForStatus(page, 'Connection required');
    expect((await page.locator('main').textContent())?.toLowerCase()).toMatch(/check-in is overdue/);
    expect(await callApi(page, 'listNotes')).toMatchObject({ ok: false });
    await screenshot(page, 'connection-required');
  });

  it('gets full access again when the IdP is back (Retry)', async () => {
    const page = env.page;
    env.setClock('+0');
    await env.startIdp();
    const retriedAt = new Date(Date.now() - 1000).toISOString();
    await button(page, 'Retry').click();
    await waitForStatus(page, 'Full access', 30_000);
    await waitForStatus(page, 'online', 30_000);
    await waitForCheckInAfter(page, retriedAt);
    await waitForNotes(page, ['Hydrant 3: cap replaced', 'Valve 12: flange leak', 'Pump 4: seal replaced']);
  });

  it('refuses offline access when the clock is moved backward', async () => {
    const page = env.page;
    await env.stopIdp();
    env.setClock('-3h');
    await button(page, 'Lock').click();
    await unlock(page, PIN);
    await waitForStatus(page, 'Connection required');
    expect((await page.locator('main').textContent())?.toLowerCase()).toMatch(/clock/);
    env.setClock('+0');
  });
});
