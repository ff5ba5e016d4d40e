/**
 * Screenshots of every screen for the README (docs/screenshots/<screen>.png), rendered by the built
 * renderer under the app's CSP in headless Chromium, from example states through the TEST-ONLY
 * in-page double of `window.fieldkey` (helpers/fake-api.ts).
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppState, FieldNote } from '../../src/shared/app-state';
import { buildRenderer } from './helpers/build-renderer';
import { launchChromium } from './helpers/chromium';
import { answer, installFakeApi } from './helpers/fake-api';
import { serveRenderer } from './helpers/serve-renderer';
import * as states from './helpers/states';

const OUT = join(process.cwd(), 'docs', 'screenshots');
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
const NOTES: FieldNote[] = [
  { id: 1, title: 'Substation 7: transformer check', text: 'Oil level OK. Silica gel pink: replaced.\nNext inspection in 6 months.', createdAt: minutesAgo(3000), updatedAt: minutesAgo(2900) },
  { id: 2, title: 'Pump 4: seal replaced', text: 'Mechanical seal leaking at the drive end.\nReplaced seal kit MS-40, torque 30 Nm.\nRan 20 min, no leak.', createdAt: minutesAgo(90), updatedAt: minutesAgo(35) },
];

let browser: Browser;
let server: { url: string; close(): Promise<void> };
let outDir: string;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  outDir = await buildRenderer();
  server = await serveRenderer(outDir);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (outDir) rmSync(dirname(outDir), { recursive: true, force: true });
});

async function shoot(name: string, state: AppState, act?: (page: Page) => Promise<void>, notes: FieldNote[] = []): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 }, deviceScaleFactor: 1 });
  try {
    const page = await context.newPage();
    await installFakeApi(page, state, notes);
    await page.goto(server.url);
    await page.getByRole('status').waitFor();
    await act?.(page);
    await page.evaluate(() => document.fonts.ready);
    const file = join(OUT, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true, animations: 'disabled', caret: 'hide' });
    expect(statSync(file).size).toBeGreaterThan(10_000);
  } finally {
    await context.close();
  }
}

describe('screenshots', () => {
  it('sign in', () => shoot('sign-in', states.signedOut()));
  it('signing in', () => shoot('signing-in', states.signingIn()));
  it('set PIN', () => shoot('set-pin', states.pinSetup(), async (page) => {
    await page.getByLabel('PIN', { exact: true }).fill('482915');
  }));
  it('unlock', () => shoot('unlock', states.locked()));
  it('unlock, wrong PIN', () =>
    shoot('unlock-wrong-pin', states.locked({ accounts: [{ ...states.TESS, hasSession: true, attemptsLeft: 2, retryAt: null }, { ...states.SAM, hasSession: true, attemptsLeft: 5, retryAt: null }] }), async (page) => {
      await answer(page, 'unlock', { ok: false, error: { code: 'wrong_pin', message: 'Wrong PIN. 2 attempt(s) left.' } });
      await page.getByLabel('PIN', { exact: true }).fill('000001');
      await page.getByRole('button', { name: 'Unlock', exact: true }).click();
      await page.getByRole('alert').waitFor();
    }));
  it('home, full access', () =>
    shoot('home-full-access', states.unlocked({ roles: ['technician', 'supervisor'] }), async (page) => {
      await page.getByRole('button', { name: /Pump 4/ }).click();
      await page.getByLabel('Note text', { exact: true }).waitFor();
    }, NOTES));
  it('home, read-only', () =>
    shoot('home-read-only', states.readOnly(), async (page) => {
      await page.getByRole('button', { name: /Substation 7/ }).click();
      await page.getByLabel('Note text', { exact: true }).waitFor();
    }, NOTES));
  it('connection required', () => shoot('connection-required', states.connectionRequired()));
  it('misconfigured', () => shoot('misconfigured', states.misconfigured()));
});
