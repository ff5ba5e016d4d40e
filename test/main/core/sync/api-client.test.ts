/**
 * The Field API client against the real demo Field API and demo IdP on 127.0.0.1, with real access
 * tokens (users signing in through Chromium) and real refreshes; the fetch is Node's, recording what
 * went out.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDemoIdp, type DemoIdp } from '../../../../idp/demo-idp';
import { startFieldApi, type FieldApi } from '../../../../field-api/field-api';
import { FieldApiClient, isInvalidTokenChallenge, type ApiErrorCode } from '../../../../src/main/core/sync/api-client';
import type { FetchFn } from '../../../../src/main/core/oauth/http-client';
import { FieldKeyError } from '../../../../src/shared/errors';
import { launchChromium } from '../../../helpers/browser-sign-in';
import { DemoIdpTokens } from '../../../helpers/demo-idp-tokens';
import { TokenCredentials } from '../../../helpers/token-credentials';

let dir: string;
let idp: DemoIdp;
let api: FieldApi;
let browser: Browser;
let tokens: DemoIdpTokens;
let tech1: TokenCredentials;
let admin: TokenCredentials;
let sent: { method: string; url: string; authorization: string | null; headers: Headers }[];

const recordingFetch: FetchFn = (input, init) => {
  const headers = new Headers(init?.headers);
  sent.push({ method: init?.method ?? 'GET', url: input, authorization: headers.get('authorization'), headers });
  return fetch(input, init);
};
const clock = { now: () => new Date() };
const client = (credentials: TokenCredentials, baseUrl = api.url): FieldApiClient =>
  new FieldApiClient({ baseUrl, fetch: recordingFetch, credentials, clock, timeoutMs: 5000 });

async function codeOf(promise: Promise<unknown>): Promise<ApiErrorCode | string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FieldKeyError) {
      for (const token of [...tech1.issued, ...admin.issued]) expect(error.message).not.toContain(token);
      return error.code;
    }
    throw error;
  }
  throw new Error('expected an ApiError');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-api-client-'));
  idp = await startDemoIdp({ port: 0, dataDir: join(dir, 'idp') });
  api = await startFieldApi({ port: 0, dataDir: join(dir, 'api'), issuer: idp.issuer });
  browser = await launchChromium();
  tokens = await DemoIdpTokens.start(() => idp, browser);
  tech1 = new TokenCredentials(tokens, await tokens.signIn('tech1'));
  admin = new TokenCredentials(tokens, await tokens.signIn('admin'));
});

afterAll(async () => {
  await tokens?.close();
  await browser?.close();
  await api?.stop();
  await idp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  sent = [];
  for (const c of [tech1, admin]) {
    c.decision = 'full';
    c.idpOffline = false;
  }
});

describe('FieldApiClient', () => {
  it('sends the access token as a Bearer header, and creates then updates a note with its preconditions', async () => {
    const id = randomUUID();
    const created = await client(tech1).putNote(id, {
      title: 'Pump 7',
      text: 'Seal leaking.',
      idempotencyKey: randomUUID(),
      baseVersion: null,
    });
    expect(created).toMatchObject({ kind: 'stored', created: true, note: { id, title: 'Pump 7', version: 1 } });
    expect(sent[0]!.authorization).toBe(`Bearer ${tech1.tokens().accessToken}`);
    expect(sent[0]!.headers.get('if-none-match')).toBe('*');
    const updated = await client(tech1).putNote(id, {
      title: 'Pump 7',
      text: 'Seal replaced.',
      idempotencyKey: randomUUID(),
      baseVersion: 1,
    });
    expect(updated).toMatchObject({ kind: 'stored', created: false, note: { version: 2, text: 'Seal replaced.' } });
    expect(sent[1]!.headers.get('if-match')).toBe('"1"');
    expect((await client(tech1).listNotes()).find((n) => n.id === id)).toMatchObject({ version: 2, text: 'Seal replaced.' });
  });

  it('answers a replay of the same key with the first answer and stores nothing twice', async () => {
    const id = randomUUID();
    const key = randomUUID();
    const request = { title: 'Valve', text: 'Checked.', idempotencyKey: key, baseVersion: null };
    const first = await client(tech1).putNote(id, request);
    const again = await client(tech1).putNote(id, request);
    expect(again).toEqual(first);
    expect((await client(tech1).listNotes()).filter((n) => n.id === id)).toHaveLength(1);
  });

  it('never sends an expired access token: it refreshes first', async () => {
    const expired = tech1.tokens().accessToken!;
    tech1.override(expired, Math.floor(Date.now() / 1000) - 10);
    const before = tech1.refreshes;
    await client(tech1).listNotes();
    expect(tech1.refreshes - before).toBe(1);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.authorization).not.toBe(`Bearer ${expired}`);
    expect(sent[0]!.authorization).toBe(`Bearer ${tech1.tokens().accessToken}`);
  });

  it('sends a token whose expiry it does not know as it is, without refreshing first', async () => {
    const token = tech1.tokens().accessToken!;
    tech1.override(token, undefined);
    const before = tech1.refreshes;
    await client(tech1).listNotes();
    expect(tech1.refreshes - before).toBe(0);
    expect(sent.map((s) => s.authorization)).toEqual([`Bearer ${token}`]);
  });

  it('sends nothing when the token is expired and the IdP is out of reach (idp_unreachable)', async () => {
    tech1.override(tech1.tokens().accessToken!, Math.floor(Date.now() / 1000) + 5); // within the margin
    tech1.idpOffline = true;
    expect(
      await codeOf(client(tech1).putNote(randomUUID(), { title: 't', text: '', idempotencyKey: randomUUID(), baseVersion: null })),
    ).toBe('idp_unreachable');
    expect(sent).toEqual([]);
    tech1.idpOffline = false;
    await tech1.refresh();
  });

  it('on a 401 invalid_token challenge refreshes once, shared by concurrent calls, and sends again', async () => {
    const future = Math.floor(Date.now() / 1000) + 3600;
    tech1.override('not-a-valid-token', future);
    const before = tech1.refreshes;
    const [a, b] = await Promise.all([client(tech1).listNotes(), client(tech1).listNotes()]);
    expect(Array.isArray(a) && Array.isArray(b)).toBe(true);
    expect(tech1.refreshes - before).toBe(1);
    expect(sent.map((s) => s.authorization === 'Bearer not-a-valid-token')).toEqual([true, true, false, false]);
  });

  it('gives up with api_unauthorized when the refreshed token is refused too', async () => {
    const refused = new TokenCredentials(tokens, await tokens.signIn('tech2'));
    const otherApi = await startFieldApi({
      port: 0,
      dataDir: join(dir, 'other-api'),
      issuer: 'https://another-issuer.example',
      jwksUrl: `${idp.issuer}/jwks`,
    });
    try {
      const before = refused.refreshes;
      expect(await codeOf(client(refused, otherApi.url).listNotes())).toBe('api_unauthorized');
      expect(refused.refreshes - before).toBe(1);
      expect(sent).toHaveLength(2);
    } finally {
      await otherApi.stop();
    }
  });

  it('refuses data-changing calls unless the access is full, before anything is sent', async () => {
    const put = (): Promise<unknown> =>
      client(tech1).putNote(randomUUID(), { title: 't', text: '', idempotencyKey: randomUUID(), baseVersion: null });
    tech1.decision = 'read-only';
    expect(await codeOf(put())).toBe('read_only');
    expect(Array.isArray(await client(tech1).listNotes())).toBe(true); // reading is allowed
    tech1.decision = 'denied';
    expect(await codeOf(put())).toBe('connection_required');
    expect(await codeOf(client(tech1).listNotes())).toBe('connection_required');
    tech1.decision = 'locked';
    expect(await codeOf(put())).toBe('not_unlocked');
    expect(sent).toHaveLength(1);
  });

  it('returns 403 insufficient_role and 412 with the current note as results to act on', async () => {
    expect(await client(admin).putNote(randomUUID(), { title: 't', text: '', idempotencyKey: randomUUID(), baseVersion: null })).toEqual({
      kind: 'refused',
      status: 403,
      error: 'insufficient_role',
    });
    const id = randomUUID();
    await client(tech1).putNote(id, { title: 'One', text: '', idempotencyKey: randomUUID(), baseVersion: null });
    await client(tech1).putNote(id, { title: 'Two', text: '', idempotencyKey: randomUUID(), baseVersion: 1 });
    expect(await client(tech1).putNote(id, { title: 'Stale', text: '', idempotencyKey: randomUUID(), baseVersion: 1 })).toMatchObject({
      kind: 'conflict',
      note: { id, title: 'Two', version: 2 },
    });
  });

  it('reports an API that does not answer as api_unreachable', async () => {
    const gone = await startFieldApi({ port: 0, dataDir: join(dir, 'gone-api'), issuer: idp.issuer });
    const url = gone.url;
    await gone.stop();
    expect(await codeOf(client(tech1, url).listNotes())).toBe('api_unreachable');
  });

  it('recognises the invalid_token challenge in any position', () => {
    expect(isInvalidTokenChallenge('Bearer realm="fieldkey-field-api", error="invalid_token", error_description="expired"')).toBe(true);
    expect(isInvalidTokenChallenge('Bearer error="invalid_token"')).toBe(true);
    expect(isInvalidTokenChallenge('Bearer realm="x", error="insufficient_scope"')).toBe(false);
    expect(isInvalidTokenChallenge('Basic realm="x"')).toBe(false);
    expect(isInvalidTokenChallenge(null)).toBe(false);
  });
});
