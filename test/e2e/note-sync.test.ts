/**
 * Field notes syncing to the Field API, end to end through the development web host (its own
 * process, libfaketime clock), with the demo IdP and the demo Field API on 127.0.0.1, the real
 * keychain and Chromium: edits made offline sync on reconnect and show up on a second laptop (a
 * second data directory) of the same technician; a role removed at the IdP makes the next change
 * rejected at sync, the note kept; a 412 conflict keeps both versions; and the app killed with
 * SIGKILL in the middle of a push (the server stored the note, the answer never arrived) leaves
 * exactly one note on the server after the next push.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { startFieldApi, type FieldApi } from '../../field-api/field-api';
import { createKeytarSecretStore } from '../../src/main/adapters/keychain/keytar-secret-store';
import { DemoIdpTokens } from '../helpers/demo-idp-tokens';
import { demoIdpPolicy } from '../helpers/test-policy';
import { ApiGate } from './helpers/api-gate';
import { E2eEnvironment, useE2eEnvironment } from './helpers/e2e-environment';
import {
  button,
  field,
  lastCheckIn,
  noteSyncStates,
  noteTitles,
  screenshot,
  setPin,
  signInWithBrowser,
  unlock,
  waitForCheckInAfter,
  waitForStatus,
  waitUntil,
  writeNote,
} from './helpers/app-page';
import { WebHostProcess } from './helpers/web-host-process';

const PIN = '604817';
const REJECTED = 'Rejected: Your organization no longer lets this account change notes.';
const env = new E2eEnvironment();
let api: FieldApi;
let gate: ApiGate;
let tokens: DemoIdpTokens;
/** The second laptop: its own data directory and keychain service, the same policy. */
let second: { host: WebHostProcess; context: BrowserContext; page: Page; keychainService: string } | undefined;

useE2eEnvironment(env, {
  prepare: async () => {
    api = await startFieldApi({ port: 0, dataDir: join(env.dir, 'field-api'), issuer: env.idp.issuer });
    gate = await ApiGate.start(() => api.url);
    env.writePolicy(demoIdpPolicy(env.idp, 60, { api: { baseUrl: gate.url } }));
    await env.startHost();
    tokens = await DemoIdpTokens.start(() => env.idp, env.browser);
  },
});

afterAll(async () => {
  if (second) {
    await second.context.close().catch(() => undefined);
    await second.host.stop();
    const secrets = createKeytarSecretStore({ service: second.keychainService });
    for (const entry of await secrets.list().catch(() => [])) await secrets.delete(entry).catch(() => false);
  }
  await tokens?.close();
  await gate?.stop();
  await api?.stop();
});

/** What the server holds for tech1 (a fresh token of theirs, read straight from the API). */
async function serverNotes(): Promise<{ title: string; text: string; version: number }[]> {
  const set = await tokens.signIn('tech1');
  const response = await fetch(`${api.url}/v1/notes`, { headers: { authorization: `Bearer ${set.access_token}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { notes: { title: string; text: string; version: number }[] }).notes;
}

function waitForSyncStates(page: Page, expected: Record<string, string>, timeout = 30_000): Promise<Record<string, string>> {
  return waitUntil(
    () => noteSyncStates(page),
    (states) => Object.entries(expected).every(([title, state]) => states[title] === state),
    `sync states ${JSON.stringify(expected)}`,
    timeout,
  );
}

async function openNote(page: Page, title: string): Promise<void> {
  // From an empty editor, so the wait below ends only when this note has loaded (title and text arrive together).
  await button(page, 'New note').click();
  const titled = page.locator('.note-item-title').getByText(title, { exact: true });
  await page.getByRole('navigation', { name: 'Notes' }).locator('.note-item').filter({ has: titled }).click();
  await waitUntil(
    () => field(page, 'Note title').inputValue(),
    (value) => value === title,
    `note "${title}" open`,
  );
}

/** Opens the note and waits until the editor shows `text` (the note loads after the click). */
async function expectNoteText(page: Page, title: string, text: string): Promise<void> {
  await openNote(page, title);
  await waitUntil(
    () => field(page, 'Note text').inputValue(),
    (value) => value === text,
    `note "${title}" reading "${text}"`,
    5_000,
  );
}

/** Opens the note, waits for its current text `from`, and saves `text` instead. */
async function editNote(page: Page, title: string, from: string, text: string): Promise<void> {
  await expectNoteText(page, title, from);
  await field(page, 'Note text').fill(text);
  await button(page, 'Save').click();
  await waitUntil(
    () => page.locator('.saved').count(),
    (n) => n === 1,
    'saved',
  );
}

describe('field notes sync to the Field API', () => {
  it('signs in, shows the last sync and Sync now', async () => {
    const page = env.page;
    await signInWithBrowser(page, env.idp, 'Sign in', 'tech1');
    await setPin(page, PIN);
    await waitForStatus(page, 'Full access');
    await waitForStatus(page, 'online');
    const sidebar = page.getByRole('complementary', { name: 'Access' });
    await waitUntil(
      () => sidebar.textContent(),
      (text) => /Last sync/.test(text ?? ''),
      'the last sync',
    );
    expect(await button(page, 'Sync now').count()).toBe(1);
    expect(await sidebar.textContent()).not.toContain('kept on this laptop only');
  });

  it('keeps edits made offline waiting, and syncs them when the IdP is back', async () => {
    const page = env.page;
    await waitForCheckInAfter(page, null);
    await env.stopIdp();
    await button(page, 'Lock').click();
    await unlock(page, PIN);
    await waitForStatus(page, 'offline');
    await writeNote(page, 'Pump 4', 'Seal replaced, written offline.');
    await writeNote(page, 'Valve 12', 'Flange leak, written offline.');
    await waitForSyncStates(page, { 'Pump 4': 'Waiting to sync', 'Valve 12': 'Waiting to sync' });
    expect(await serverNotes().catch(() => 'IdP down')).toBe('IdP down');

    const before = await lastCheckIn(page);
    await env.startIdp();
    await waitForStatus(page, 'online', 30_000);
    await waitForCheckInAfter(page, before);
    await waitForSyncStates(page, { 'Pump 4': 'Synced', 'Valve 12': 'Synced' });
    expect((await serverNotes()).map((n) => n.title).sort()).toEqual(['Pump 4', 'Valve 12']);
  });

  it('shows the same notes on a second laptop of the same technician', async () => {
    const dataDir = join(env.dir, 'second-laptop');
    mkdirSync(dataDir, { recursive: true });
    const keychainService = `FieldKey-e2e-second-${process.pid}-${randomBytes(4).toString('hex')}`;
    const host = await WebHostProcess.start({
      env: { FIELDKEY_POLICY: env.policyFile, FIELDKEY_DATA_DIR: dataDir, FIELDKEY_KEYCHAIN_SERVICE: keychainService },
      rendererDir: env.rendererDir,
      clockFile: env.clockFile,
    });
    const context = await env.browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    second = { host, context, page, keychainService };
    await page.goto(host.url);
    await page.getByRole('status').waitFor();
    await signInWithBrowser(page, env.idp, 'Sign in', 'tech1');
    await setPin(page, PIN);
    await waitForStatus(page, 'Full access');
    await waitForSyncStates(page, { 'Pump 4': 'Synced', 'Valve 12': 'Synced' });
    await expectNoteText(page, 'Pump 4', 'Seal replaced, written offline.');
  });

  it('keeps both versions on a 412 conflict: the server one as the note, this laptop one as a conflict copy', async () => {
    const b = second!.page;
    await editNote(b, 'Pump 4', 'Seal replaced, written offline.', 'Edited on the second laptop.');
    await waitForSyncStates(b, { 'Pump 4': 'Synced' });
    await waitUntil(
      async () => (await serverNotes()).find((n) => n.title === 'Pump 4')?.version,
      (v) => v === 2,
      'version 2 on the server',
    );

    const a = env.page;
    await editNote(a, 'Pump 4', 'Seal replaced, written offline.', 'Edited on the first laptop.');
    await waitForSyncStates(a, { 'Pump 4': 'Synced', 'Pump 4 (conflict, this laptop)': 'Synced' });
    await expectNoteText(a, 'Pump 4 (conflict, this laptop)', 'Edited on the first laptop.');
    await expectNoteText(a, 'Pump 4', 'Edited on the second laptop.');
    const server = await serverNotes();
    expect(server.find((n) => n.title === 'Pump 4')).toMatchObject({ text: 'Edited on the second laptop.', version: 2 });
    expect(server.find((n) => n.title === 'Pump 4 (conflict, this laptop)')).toMatchObject({
      text: 'Edited on the first laptop.',
      version: 1,
    });
  });

  it('rejects the next change at sync once the IdP removed the role, and keeps the note on the laptop', async () => {
    const page = env.page;
    env.idp.setUserRoles('tech1', []);
    try {
      const before = await lastCheckIn(page);
      await button(page, 'Check in now').click();
      await waitForCheckInAfter(page, before);
      const roles = page.getByRole('complementary', { name: 'Access' }).locator('.roles');
      await waitUntil(
        () => roles.textContent(),
        (text) => (text ?? '').includes('No roles'),
        'no roles',
      );
      await writeNote(page, 'Hydrant 3', 'Written after the role was removed.');
      await waitForSyncStates(page, { 'Hydrant 3': REJECTED });
      await expectNoteText(page, 'Hydrant 3', 'Written after the role was removed.');
      await screenshot(page, 'home-note-sync');
      expect((await serverNotes()).map((n) => n.title)).not.toContain('Hydrant 3');
    } finally {
      env.idp.setUserRoles('tech1', ['technician']);
    }
    const before = await lastCheckIn(page);
    await button(page, 'Check in now').click();
    await waitForCheckInAfter(page, before);
  });

  it('leaves one note on the server when the app is killed with SIGKILL in the middle of a push', async () => {
    const page = env.page;
    const host = env.host!;
    let killed = '';
    gate.holdNextPut(async (request) => {
      await host.kill('SIGKILL');
      killed = request;
    });
    // Written as writeNote does, but without waiting for the list: the host may die before the
    // page shows the new note (the push starts right after the local write).
    await button(page, 'New note').click();
    await field(page, 'Note title').fill('Killed mid-push');
    await field(page, 'Note text').fill('The server stored it; the app never saw the answer.');
    await button(page, 'Save').click();
    await waitUntil(
      async () => killed,
      (k) => k !== '',
      'the app killed during the PUT',
    );
    expect((await serverNotes()).filter((n) => n.title === 'Killed mid-push')).toHaveLength(1);

    await env.startHost();
    const again = env.page;
    await unlock(again, PIN);
    await waitForStatus(again, 'Full access');
    await waitForSyncStates(again, { 'Killed mid-push': 'Synced' });
    expect((await serverNotes()).filter((n) => n.title === 'Killed mid-push')).toHaveLength(1);
    expect(await noteTitles(again)).not.toContain('Killed mid-push (conflict, this laptop)');
    // The replay went out with the same key: the gate saw the same PUT twice.
    const puts = gate.forwarded.filter((line) => line.startsWith(killed));
    expect(puts).toEqual([`${killed} 201`, `${killed} 201`]);
  });
});
