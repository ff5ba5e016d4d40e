/**
 * Notes sync through the auth service, wired as in the app (run under scripts/with-keyring.sh):
 * the demo IdP and the demo Field API on 127.0.0.1, Chromium as the system browser, a real SQLite
 * file and Secret Service (test/main/core/auth/service-harness.ts). The triggers (a local write
 * online, a check-in after reconnecting, a new sign-in after a wipe) and the credentials the auth
 * service hands the client (its tokens and its single-flight refresh) are what is under test.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FieldApi } from '../../../../field-api/field-api';
import { FieldApiClient } from '../../../../src/main/core/sync/api-client';
import type { ServiceHarness } from '../auth/service-harness';
import { apiClient, PIN, startServiceWithFieldApi, stopServiceWithFieldApi, unlocked, until } from './service-with-field-api';

let browser: Browser;
let h: ServiceHarness;
let api: FieldApi;
let tess: string;

async function serverNotes(): Promise<{ id: string; title: string; text: string; version: number }[]> {
  return apiClient(h, tess).listNotes();
}

async function syncStates(): Promise<string[]> {
  return (await h.notes.list(tess)).map((n) => `${n.title}: ${n.syncState}`);
}

beforeAll(async () => {
  ({ browser, h, api, tess } = await startServiceWithFieldApi());
});

afterAll(() => stopServiceWithFieldApi({ browser, h, api }));

describe('note sync through the auth service', () => {
  it('hands out no credentials while nothing is unlocked, and the API from the policy', () => {
    expect(h.service.apiCredentials(tess)).toEqual({ baseUrl: api.url, credentials: undefined });
  });

  it('syncs a note written online at once (the local write triggers it)', async () => {
    await h.signInAs('tech1');
    await h.waitFor((s) => s.status === 'pin-setup', 'PIN set-up');
    await h.service.setPin(PIN, PIN);
    await h.waitFor(unlocked, 'unlocked');
    await h.notes.create(tess, 'Pump 4', 'Seal replaced.');
    await until('the note synced', async () => (await syncStates()).join() === 'Pump 4: synced');
    expect((await serverNotes()).map((n) => [n.title, n.version])).toEqual([['Pump 4', 1]]);
    expect(h.noteSync.sync.status(tess)).toMatchObject({ configured: true, pending: 0, lastError: null });
  });

  it('keeps an edit made while the IdP is unreachable, and syncs it after the reconnect check-in', async () => {
    const note = (await h.notes.list(tess))[0]!;
    await h.idp.stop();
    await h.waitFor((s) => unlocked(s) && !s.online, 'offline', 20_000);
    await h.notes.update(tess, note.id, 'Pump 4', 'Seal replaced, tested offline.');
    expect(await syncStates()).toEqual(['Pump 4: pending']);
    await h.startIdp();
    await h.waitFor((s) => unlocked(s) && s.online, 'online again', 20_000);
    await until('the edit synced', async () => (await syncStates()).join() === 'Pump 4: synced');
    expect((await serverNotes()).map((n) => [n.text, n.version])).toEqual([['Seal replaced, tested offline.', 2]]);
  });

  it('shares the session refresh: an access token refused by the API is refreshed once for concurrent calls', async () => {
    const connection = h.service.apiCredentials(tess)!;
    const credentials = connection.credentials!;
    let refreshes = 0;
    const counted = {
      tokens: () => ({ ...credentials.tokens(), accessToken: refreshes === 0 ? 'refused-by-the-api' : credentials.tokens().accessToken! }),
      refresh: async () => {
        refreshes++;
        return credentials.refresh();
      },
      access: () => credentials.access(),
    };
    const before = h.tokens.size;
    const client = new FieldApiClient({ baseUrl: connection.baseUrl, fetch, credentials: counted, clock: h.clock });
    const lists = await Promise.all([client.listNotes(), client.listNotes()]);
    expect(lists.map((l) => l.length)).toEqual([1, 1]);
    expect(refreshes).toBe(2); // each call asked...
    expect(h.tokens.size - before).toBeLessThanOrEqual(3); // ...and one refresh at the IdP answered both
    expect(h.tokens.size - before).toBeGreaterThan(0);
  });

  it('keeps notes and the outbox over a sign-out (a wipe), and syncs them after the same account signs in again', async () => {
    const note = (await h.notes.list(tess))[0]!;
    await h.idp.stop();
    await h.waitFor((s) => unlocked(s) && !s.online, 'offline', 20_000);
    await h.notes.update(tess, note.id, 'Pump 4', 'Written before the wipe.');
    await h.service.signOut();
    expect(h.db.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 1 });
    await h.startIdp();
    await h.signInAs('tech1', { purpose: 'reconnect', accountId: tess });
    await h.waitFor((s) => s.status === 'pin-setup', 'PIN set-up');
    await h.service.setPin(PIN, PIN);
    await until('the kept edit synced', async () => (await syncStates()).join() === 'Pump 4: synced');
    expect((await serverNotes()).map((n) => n.text)).toEqual(['Written before the wipe.']);
  });

  it('never puts a token in a state, a log line or the audit log', () => {
    expect(h.leakedTokens()).toEqual([]);
    expect(h.logLines.some((line) => line.startsWith('sync ('))).toBe(true);
  });
});
