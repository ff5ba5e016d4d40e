/**
 * The renderer in headless Chromium, built as the app builds it and served with the app's CSP,
 * against a TEST-ONLY in-page double of `window.fieldkey` (helpers/fake-api.ts): each screen's
 * accessible names, the single status region, alerts, keyboard use, and what each control asks the
 * main process. The real main process is exercised by the end-to-end tests (test/e2e).
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AppState, FieldNote, SyncStatusView } from '../../src/shared/app-state';
import { buildRenderer } from './helpers/build-renderer';
import { launchChromium } from './helpers/chromium';
import { answer, calls, installFakeApi, setState } from './helpers/fake-api';
import { serveRenderer } from './helpers/serve-renderer';
import * as states from './helpers/states';

let browser: Browser;
let server: { url: string; close(): Promise<void> };
let outDir: string;
let page: Page;
let problems: string[];

beforeAll(async () => {
  outDir = await buildRenderer();
  server = await serveRenderer(outDir);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (outDir) rmSync(dirname(outDir), { recursive: true, force: true });
});

async function open(state: AppState, notes: FieldNote[] = [], sync?: SyncStatusView): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 820 } });
  page = await context.newPage();
  problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  await installFakeApi(page, state, notes, sync);
  await page.goto(server.url);
  await page.getByRole('status').waitFor();
  return page;
}

beforeEach(() => {
  problems = [];
});

afterEach(async () => {
  // Every screen: exactly one status region, no inline style attributes, no CSP violation or error.
  if (page && !page.isClosed()) {
    expect(await page.getByRole('status').count()).toBe(1);
    expect(await page.locator('[style]').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.context().close();
  }
});

const status = () => page.getByRole('status');
const button = (name: string) => page.getByRole('button', { name, exact: true });
const field = (label: string) => page.getByLabel(label, { exact: true });

describe('signed out', () => {
  it('offers "Sign in", which asks the main process to open the browser', async () => {
    await open(states.signedOut());
    expect(await status().textContent()).toContain('Signed out');
    await button('Sign in').click();
    expect(await calls(page, 'signIn')).toEqual([{ method: 'signIn', args: [] }]);
  });

  it('shows a refusal as an alert', async () => {
    await open(states.signedOut());
    await answer(page, 'signIn', { ok: false, error: { code: 'idp_unreachable', message: 'The identity provider cannot be reached.' } });
    await button('Sign in').click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('cannot be reached');
  });
});

describe('signing in', () => {
  it('waits for the browser and can be cancelled', async () => {
    await open(states.signingIn());
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Continue in your browser');
    await button('Cancel').click();
    expect(await calls(page, 'cancelSignIn')).toHaveLength(1);
  });
});

describe('set PIN', () => {
  it('shows the rules, refuses a mismatch locally, and submits with Enter', async () => {
    await open(states.pinSetup());
    expect(await page.locator('#pin-rules').textContent()).toContain('At least 6 characters');
    expect(await field('PIN').evaluate((e) => e === document.activeElement)).toBe(true);
    await page.keyboard.type('482915');
    await page.keyboard.press('Tab');
    await page.keyboard.type('482916');
    await page.keyboard.press('Enter');
    expect(await page.getByRole('alert').textContent()).toContain('do not match');
    expect(await calls(page, 'setPin')).toEqual([]);

    await field('Confirm PIN').fill('482915');
    await field('Confirm PIN').press('Enter');
    expect(await calls(page, 'setPin')).toEqual([{ method: 'setPin', args: ['482915', '482915'] }]);
  });

  it("shows the main process's refusal of a trivial PIN and clears the fields", async () => {
    await open(states.pinSetup());
    await answer(page, 'setPin', { ok: false, error: { code: 'pin_trivial', message: 'This PIN is too easy to guess.' } });
    await field('PIN').fill('123456');
    await field('Confirm PIN').fill('123456');
    await button('Set PIN').click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('too easy');
    expect(await field('PIN').inputValue()).toBe('');
  });
});

describe('unlock', () => {
  it('unlocks the picked account with Enter, and shows a wrong PIN with the attempts left', async () => {
    await open(states.locked());
    expect(await status().textContent()).toContain('Locked');
    await answer(page, 'unlock', { ok: false, error: { code: 'wrong_pin', message: 'Wrong PIN. 4 attempt(s) left.' } });
    await page.getByRole('radio', { name: /Sam Supervisor/ }).check();
    await field('PIN').fill('000001');
    await field('PIN').press('Enter');
    // The main process pushes the new count with its refusal; the alert says it from the state.
    await setState(
      page,
      states.locked({
        accounts: [
          { ...states.TESS, hasSession: true, attemptsLeft: 5, retryAt: null },
          { ...states.SAM, hasSession: true, attemptsLeft: 4, retryAt: null },
        ],
      }),
    );
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('!Wrong PIN. 4 attempts left.');
    expect(await calls(page, 'unlock')).toEqual([{ method: 'unlock', args: [states.SAM.id, '000001'] }]);
    expect(await field('PIN').inputValue()).toBe('');
    expect(await page.locator('#attempts').textContent()).toContain('4 attempts left');
  });

  it('waits while the next attempt is delayed', async () => {
    await open(
      states.locked({
        accounts: [{ ...states.TESS, hasSession: true, attemptsLeft: 2, retryAt: new Date(Date.now() + 45_000).toISOString() }],
        selectedAccountId: states.TESS.id,
      }),
    );
    expect(await button('Unlock').isDisabled()).toBe(true);
    expect(await page.locator('#attempts').textContent()).toMatch(/Wait 0:4\d before the next try\. 2 attempts left/);
  });

  it('offers "Forgot PIN?" and "Add account"', async () => {
    await open(states.locked());
    await button('Forgot PIN?').click();
    expect(await calls(page, 'forgotPin')).toEqual([{ method: 'forgotPin', args: [states.TESS.id] }]);
    await button('Add account').click();
    expect(await calls(page, 'addAccount')).toHaveLength(1);
  });

  it('offers "Sign in" for an account whose session was wiped', async () => {
    await open(states.locked({ accounts: [{ ...states.TESS, hasSession: false, attemptsLeft: 0, retryAt: null }] }));
    expect(await field('PIN').count()).toBe(0);
    await button('Sign in').click();
    expect(await calls(page, 'signIn')).toEqual([{ method: 'signIn', args: [states.TESS.id] }]);
  });

  it('follows a pushed state', async () => {
    await open(states.locked());
    await setState(page, states.unlocked());
    await expect.poll(() => status().textContent()).toContain('Full access');
  });
});

describe('home, full access', () => {
  it('shows the access in words and writes notes', async () => {
    await open(states.unlocked());
    expect(await status().textContent()).toMatch(/^Full access until \S.*, online$/);
    const sidebar = page.getByRole('complementary', { name: 'Access' });
    expect(await sidebar.textContent()).toContain('Offline access until');
    expect(await sidebar.textContent()).toContain('Last check-in');
    expect(await sidebar.textContent()).toContain('technician');

    await button('New note').click();
    expect(await field('Note title').evaluate((e) => e === document.activeElement)).toBe(true);
    await page.keyboard.type('Pump 4');
    await field('Note text').fill('Seal replaced.');
    await button('Save').click();
    expect(await calls(page, 'createNote')).toEqual([{ method: 'createNote', args: ['Pump 4', 'Seal replaced.'] }]);
    await expect.poll(() => page.getByRole('button', { name: /Pump 4/ }).count()).toBe(1);
    await expect.poll(() => page.locator('.saved').count()).toBe(1);

    await field('Note text').fill('Seal replaced. Tested.');
    await field('Note text').press('Control+Enter');
    await expect.poll(() => calls(page, 'updateNote')).toEqual([{ method: 'updateNote', args: [1, 'Pump 4', 'Seal replaced. Tested.'] }]);

    await button('New note').click();
    expect(await field('Note title').inputValue()).toBe('');
    await page.getByRole('button', { name: /Pump 4/ }).click();
    await expect.poll(() => field('Note text').inputValue()).toBe('Seal replaced. Tested.');
  });

  it('shows a write the main process refused as an alert', async () => {
    await open(states.unlocked());
    await answer(page, 'createNote', {
      ok: false,
      error: { code: 'read_only', message: 'Read-only: the sign-in has expired, so notes can be read but not changed.' },
    });
    await button('New note').click();
    await field('Note title').fill('Late note');
    await field('Note title').press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Read-only');
  });

  it('draws the runway, with the same in words: full access, read-only, then connection required', async () => {
    await open(states.unlocked());
    const runway = page.getByRole('region', { name: 'Offline runway' });
    expect(await runway.locator('svg[aria-hidden="true"] rect').count()).toBe(3);
    const items = await runway.getByRole('listitem').allTextContents();
    expect(items).toHaveLength(3);
    expect(items[0]).toMatch(/^Full access until .+, in 24 h 12 min$/);
    expect(items[1]).toMatch(/^Read-only until .+, in 6 days$/);
    expect(items[2]).toMatch(/^Then connection required, from .+, in 6 days$/);
  });

  it('online: "Check in now" asks the main process to check in', async () => {
    await open(states.unlocked());
    await button('Check in now').click();
    expect(await calls(page, 'retry')).toHaveLength(1);
  });

  it('locks and signs out', async () => {
    await open(states.unlocked());
    await button('Lock').click();
    await button('Sign out').click();
    expect((await calls(page)).map((c) => c.method).filter((m) => m === 'lock' || m === 'signOut')).toEqual(['lock', 'signOut']);
  });
});

describe('home, field notes sync', () => {
  const SYNCED: SyncStatusView = { configured: true, lastSyncAt: new Date(Date.now() - 60_000).toISOString(), lastError: null, pending: 0 };
  const stamp = new Date().toISOString();
  const notes: FieldNote[] = [
    { id: 1, title: 'Pump 4', text: 'Seal.', createdAt: stamp, updatedAt: stamp, syncState: 'synced', rejection: null },
    {
      id: 2,
      title: 'Valve 12',
      text: 'Leak.',
      createdAt: stamp,
      updatedAt: stamp,
      syncState: 'rejected',
      rejection: 'Your organization no longer lets this account change notes.',
    },
  ];
  const badge = (title: string) => page.getByRole('button', { name: new RegExp(title) }).locator('.note-sync');

  it('without a Field API says notes stay on the laptop, shows no sync state and no Sync now', async () => {
    await open(states.unlocked(), notes);
    await expect.poll(() => page.locator('#sync-local-only').textContent()).toBe('Notes are kept on this laptop only.');
    expect(await page.locator('.note-sync').count()).toBe(0);
    expect(await button('Sync now').count()).toBe(0);
  });

  it("shows each note's state, the last sync, and Sync now online, which syncs and updates both", async () => {
    await open(states.unlocked(), notes, SYNCED);
    await expect.poll(() => badge('Pump 4').textContent()).toBe('Synced');
    expect(await badge('Valve 12').textContent()).toBe('Rejected: Your organization no longer lets this account change notes.');
    const sidebar = page.getByRole('complementary', { name: 'Access' });
    expect(await sidebar.textContent()).toMatch(/Last sync.*\(1 min ago\)/);

    await button('New note').click();
    await field('Note title').fill('Hydrant 3');
    await button('Save').click();
    await expect.poll(() => badge('Hydrant 3').textContent()).toBe('Waiting to sync');
    await expect.poll(() => sidebar.textContent(), { timeout: 8000 }).toContain('(1 waiting)');

    await button('Sync now').click();
    expect(await calls(page, 'syncNow')).toHaveLength(1);
    await expect.poll(() => badge('Hydrant 3').textContent()).toBe('Synced');
    await expect.poll(() => sidebar.textContent()).toMatch(/Last sync.*\(just now\)/);
  });

  it('shows the last sync error in words', async () => {
    await open(states.unlocked(), notes, {
      ...SYNCED,
      lastError: { code: 'api_unreachable', message: 'The Field API could not be reached. Changes stay on this laptop and sync later.' },
    });
    await expect.poll(() => page.locator('#sync-error').textContent()).toContain('could not be reached');
  });

  it('offline: no Sync now, the sync state still shown', async () => {
    await open(states.gracePeriod(), notes, SYNCED);
    await expect.poll(() => badge('Pump 4').textContent()).toBe('Synced');
    expect(await button('Sync now').count()).toBe(0);
  });
});

describe('home, grace period', () => {
  it('says Full access (grace period) and until when, keeps writing enabled, offers no check-in offline', async () => {
    await open(states.gracePeriod());
    expect(await status().textContent()).toMatch(/^Full access \(grace period\) until \S.*, offline$/);
    expect(await button('New note').isDisabled()).toBe(false);
    const items = await page.getByRole('region', { name: 'Offline runway' }).getByRole('listitem').allTextContents();
    expect(items[0]).toMatch(/^Full access \(grace period\) until .+, in 22 h$/);
    expect(await page.getByRole('region', { name: 'Offline runway' }).textContent()).toContain('The sign-in expired');
    expect(await button('Check in now').count()).toBe(0);
  });
});

describe('home, read-only', () => {
  it('says Read-only, reads notes and disables writing with the reason', async () => {
    const note: FieldNote = {
      id: 3,
      title: 'Valve 12',
      text: 'Leak at flange.',
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      syncState: 'synced',
      rejection: null,
    };
    await open(states.readOnly(), [note]);
    expect(await status().textContent()).toMatch(/^Read-only until \S.*, offline$/);
    const items = await page.getByRole('region', { name: 'Offline runway' }).getByRole('listitem').allTextContents();
    expect(items).toEqual([
      expect.stringMatching(/^Read-only until .+, in 5 days$/),
      expect.stringMatching(/^Then connection required, from .+, in 5 days$/),
    ]);
    expect(await button('New note').isDisabled()).toBe(true);
    expect(await page.locator('#notes-read-only').textContent()).toContain('can be read but not changed');
    await page.getByRole('button', { name: /Valve 12/ }).click();
    await expect.poll(() => field('Note text').inputValue()).toBe('Leak at flange.');
    expect(await field('Note title').getAttribute('readonly')).not.toBeNull();
    expect(await button('Save').isDisabled()).toBe(true);
  });
});

describe('blocked', () => {
  it('connection required: the reason and Retry', async () => {
    await open(states.connectionRequired());
    expect(await status().textContent()).toBe('Connection required');
    expect(await page.locator('main').textContent()).toContain('expired more than 24 hours ago');
    await button('Retry').click();
    expect(await calls(page, 'retry')).toHaveLength(1);
  });

  it('misconfigured: what IT must fix', async () => {
    await open(states.misconfigured());
    const main = await page.locator('main').textContent();
    expect(main).toContain('pin.minLength');
    expect(main).toContain('/etc/fieldkey/policy.json');
    expect(main).toContain('Contact IT');
  });

  it('misconfigured storage: each problem’s doctor code, its advice, and the hint to run doctor', async () => {
    await open(states.storageUnavailable());
    const items = page.locator('.problems li');
    expect(await items.count()).toBe(2);
    expect(await items.nth(0).locator('code').textContent()).toBe('data_dir_read_only');
    expect(await items.nth(0).textContent()).toContain('Mount the disk read-write');
    expect(await items.nth(1).locator('code').textContent()).toBe('database_unavailable');
    expect(await items.nth(1).textContent()).toContain('leave it where it is');
    expect(await page.locator('.problems code.problem-field').count()).toBe(0);
    expect(await page.locator('main').textContent()).toContain('installation with fieldkey doctor');
  });
});

describe('keyboard', () => {
  it('reaches every control with Tab and shows where the focus is', async () => {
    await open(states.locked());
    const order: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      order.push(
        await page.evaluate(() => {
          const e = document.activeElement as HTMLElement | null;
          return e
            ? (e.getAttribute('aria-label') ??
                (e.tagName === 'INPUT' ? `input:${(e as HTMLInputElement).type}` : (e.textContent?.trim() ?? '')))
            : '';
        }),
      );
    }
    expect(order).toEqual(expect.arrayContaining(['input:password', 'Unlock', 'Forgot PIN?', 'Add account']));
    await button('Unlock').focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const outline = await button('Unlock').evaluate((e) => getComputedStyle(e).outlineStyle);
    expect(outline).toBe('solid');
  });

  it('gives every button a target at least 44 px high', async () => {
    await open(states.unlocked());
    const heights = await page.getByRole('button').evaluateAll((buttons) => buttons.map((b) => b.getBoundingClientRect().height));
    expect(Math.min(...heights)).toBeGreaterThanOrEqual(44);
  });
});
