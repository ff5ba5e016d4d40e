/**
 * The technician's side of an end-to-end test: the FieldKey page in Chromium, driven by its
 * accessible names only (the names the issue fixes), and the IdP's login page in the new tab the
 * page opens (the browser is the system browser here).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { DemoIdp } from '../../../idp/demo-idp';

export const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true });
export const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });

export async function statusText(page: Page): Promise<string> {
  return (await page.getByRole('status').textContent()) ?? '';
}

/** Polls `read` until `accept` holds (usable in hooks, where `expect.poll` is not). */
export async function waitUntil<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string, timeout = 20_000): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until the single status region contains `text`. */
export async function waitForStatus(page: Page, text: string, timeout = 20_000): Promise<void> {
  await waitUntil(
    () => statusText(page),
    (s) => s.includes(text),
    `status "${text}"`,
    timeout,
  );
}

/**
 * Presses a button that starts a browser sign-in ("Sign in", "Add account", "Forgot PIN?"), then
 * signs in as `username` on the IdP's page in the tab it opened, and closes that tab.
 */
export async function signInWithBrowser(
  page: Page,
  idp: Pick<DemoIdp, 'users'>,
  buttonName: string,
  username: string,
  whileWaiting?: () => Promise<void>,
): Promise<void> {
  const user = idp.users.find((u) => u.username === username);
  if (!user) throw new Error(`no demo user ${username}`);
  // A fresh IdP session: the previous user's cookie must not sign this one in silently.
  await page.context().clearCookies();
  const opened = page.context().waitForEvent('page');
  await button(page, buttonName).click();
  const tab = await opened;
  await tab.getByLabel('Username').waitFor();
  await waitForStatus(page, 'Signing in');
  await whileWaiting?.();
  await tab.getByLabel('Username').fill(user.username);
  await tab.getByLabel('Password').fill(user.password);
  const redirected = tab.waitForURL((url) => url.hostname === '127.0.0.1' && url.pathname === '/callback', { timeout: 20_000 });
  await tab.getByRole('button', { name: 'Sign in' }).click();
  await redirected;
  await tab.close();
}

export async function setPin(page: Page, pin: string): Promise<void> {
  await field(page, 'PIN').fill(pin);
  await field(page, 'Confirm PIN').fill(pin);
  await field(page, 'Confirm PIN').press('Enter');
}

export async function unlock(page: Page, pin: string, account?: string): Promise<void> {
  if (account) await page.getByRole('radio', { name: new RegExp(account) }).check();
  await field(page, 'PIN').fill(pin);
  await field(page, 'PIN').press('Enter');
}

export async function writeNote(page: Page, title: string, text: string): Promise<void> {
  await button(page, 'New note').click();
  await field(page, 'Note title').fill(title);
  await field(page, 'Note text').fill(text);
  await button(page, 'Save').click();
  await waitUntil(
    () => noteTitles(page),
    (titles) => titles.includes(title),
    `note "${title}" in the list`,
  );
}

export async function noteTitles(page: Page): Promise<string[]> {
  return page.getByRole('navigation', { name: 'Notes' }).locator('.note-item-title').allTextContents();
}

/** Waits for the notes list (it loads after the home screen shows) to be exactly `titles`. */
export async function waitForNotes(page: Page, titles: string[], timeout = 10_000): Promise<string[]> {
  const expected = JSON.stringify(titles);
  return waitUntil(
    () => noteTitles(page),
    (shown) => JSON.stringify(shown) === expected,
    `notes ${expected}`,
    timeout,
  );
}

/** Calls `window.fieldkey.<method>` in the page, as a compromised or buggy page could. */
export function callApi(page: Page, method: string, ...args: unknown[]): Promise<unknown> {
  return page.evaluate(
    ({ m, a }) => (globalThis as unknown as { fieldkey: Record<string, (...x: unknown[]) => Promise<unknown>> }).fieldkey[m]!(...a),
    { m: method, a: args },
  );
}

/** The unlocked account's last online check-in (ISO), or null. */
export async function lastCheckIn(page: Page): Promise<string | null> {
  const state = (await callApi(page, 'getState')) as { ok: boolean; value?: { status: string; lastCheckIn?: string | null } };
  return state.value?.status === 'unlocked' ? (state.value.lastCheckIn ?? null) : null;
}

/**
 * Waits for the refresh an online unlock starts to finish (the check-in time moves past `before`).
 * A test that stops the IdP must not cut a refresh off mid-flight: the IdP would have rotated the
 * refresh token while the app never saw the new one, and the next refresh would be refused as a
 * reuse (the session is then wiped, as for a revocation).
 */
export async function waitForCheckInAfter(page: Page, before: string | null): Promise<void> {
  await waitUntil(
    () => lastCheckIn(page),
    (at) => at !== null && (before === null || Date.parse(at) > Date.parse(before)),
    'an online check-in',
  );
}

/** Saves the page as docs/screenshots/<name>.png (the README shows them). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = join(process.cwd(), 'docs', 'screenshots');
  mkdirSync(dir, { recursive: true });
  // (Node types only here: the callback runs in the page.)
  await page.evaluate(() => (globalThis as unknown as { document: { fonts: { ready: Promise<unknown> } } }).document.fonts.ready);
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true, animations: 'disabled', caret: 'hide' });
}

/** Each listed note's title and its sync state as shown ("Synced", "Waiting to sync", "Rejected: ..."). */
export async function noteSyncStates(page: Page): Promise<Record<string, string>> {
  const items = page.getByRole('navigation', { name: 'Notes' }).locator('.note-item');
  const states: Record<string, string> = {};
  for (const item of await items.all()) {
    const title = (await item.locator('.note-item-title').textContent()) ?? '';
    states[title] =
      (await item
        .locator('.note-sync')
        .textContent()
        .catch(() => null)) ?? '';
  }
  return states;
}
