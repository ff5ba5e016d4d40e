import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoIdp, type DemoIdp } from '../../idp/demo-idp';
import { startFieldApi, type FieldApi } from '../../field-api/field-api';
import { launchChromium } from '../helpers/browser-sign-in';
import { DemoIdpTokens, type DemoTokenSet } from '../helpers/demo-idp-tokens';
import { ContractClient, isInvalidTokenRefusal } from './contract-client';

/**
 * The Field API's contract status by status, against the running server, with real access tokens
 * from the running demo IdP (users signing in through Chromium), every answer also checked against
 * the OpenAPI document's response schema.
 */

let dir: string;
let idp: DemoIdp;
let api: FieldApi;
let browser: Browser;
let tokens: DemoIdpTokens;
let tech1: DemoTokenSet;
let tech2: DemoTokenSet;
let admin: DemoTokenSet;
const idpLog: string[] = [];
const client = new ContractClient(() => api.url);

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

function jwksFetches(): number {
  return idpLog.filter((line) => line.startsWith('GET /jwks ')).length;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-field-api-'));
  idp = await startDemoIdp({ port: 0, dataDir: join(dir, 'idp'), log: (line) => idpLog.push(line), logRequests: true });
  api = await startFieldApi({ port: 0, dataDir: join(dir, 'api'), issuer: idp.issuer, jwksCooldownMs: 0 });
  browser = await launchChromium();
  tokens = await DemoIdpTokens.start(() => idp, browser);
  tech1 = await tokens.signIn('tech1');
  tech2 = await tokens.signIn('tech2');
  admin = await tokens.signIn('admin');
});

afterAll(async () => {
  await tokens?.close();
  await browser?.close();
  await api?.stop();
  await idp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('access tokens', () => {
  it('serves a valid token from the IdP, fetching the JWKS once for many requests', async () => {
    const before = jwksFetches();
    for (const token of [tech1, tech2, admin, tech1]) {
      const listed = await client.listNotes(token.access_token);
      expect(listed.status).toBe(200);
      expect(Array.isArray(listed.body.notes)).toBe(true);
    }
    expect(jwksFetches() - before).toBe(1);
  });

  it('answers 401 invalid_token with the Bearer challenge without a token or with a malformed one', async () => {
    expect(isInvalidTokenRefusal(await client.listNotes())).toBe(true);
    const basic = await client.call('listNotes', 'GET', '/v1/notes', { headers: { authorization: 'Basic dGVjaDE6cHc=' } });
    expect(isInvalidTokenRefusal(basic)).toBe(true);
    expect(basic.body.message).toBe('no bearer token');
    const garbage = await client.listNotes('not-a-jwt');
    expect(isInvalidTokenRefusal(garbage)).toBe(true);
  });

  it('refuses a badly signed token (a real token with its signature altered)', async () => {
    const [header, payload, signature = ''] = tech1.access_token.split('.');
    const flipped = `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    const answer = await client.listNotes(`${header}.${payload}.${flipped}`);
    expect(isInvalidTokenRefusal(answer)).toBe(true);
    expect(answer.body.message).toBe('the token signature does not verify');
    // The refusal never echoes the token.
    expect(JSON.stringify(answer.body) + (answer.headers.get('www-authenticate') ?? '')).not.toContain(payload);
  });

  it('refuses a real token at a server expecting another audience or another issuer', async () => {
    const jwksUrl = `${idp.issuer}/jwks`;
    const otherAudience = await startFieldApi({ port: 0, dataDir: join(dir, 'aud'), issuer: idp.issuer, audience: 'another-api' });
    const otherIssuer = await startFieldApi({ port: 0, dataDir: join(dir, 'iss'), issuer: 'https://login.example.invalid', jwksUrl });
    try {
      const byAudience = await new ContractClient(() => otherAudience.url).listNotes(tech1.access_token);
      expect(isInvalidTokenRefusal(byAudience)).toBe(true);
      expect(byAudience.body.message).toBe('the token is for another audience');
      const byIssuer = await new ContractClient(() => otherIssuer.url).listNotes(tech1.access_token);
      expect(isInvalidTokenRefusal(byIssuer)).toBe(true);
      expect(byIssuer.body.message).toBe('the token is from another issuer');
    } finally {
      await otherAudience.stop();
      await otherIssuer.stop();
    }
  });

  it('accepts a token signed with a key the IdP rotated to, fetching the JWKS again for the new kid', async () => {
    const oldKid = decodeProtectedHeader(tech1.access_token).kid;
    expect((await client.listNotes(tech1.access_token)).status).toBe(200);
    const fetchesBefore = jwksFetches();
    const rotated = await idp.rotateSigningKey('ES256');
    const fresh = await tokens.refresh(tech1.refresh_token);
    tech1 = fresh;
    expect(decodeProtectedHeader(fresh.access_token)).toMatchObject({ kid: rotated.kid, alg: 'ES256' });
    expect(rotated.kid).not.toBe(oldKid);

    expect((await client.listNotes(fresh.access_token)).status).toBe(200);
    expect(jwksFetches()).toBe(fetchesBefore + 1);
    // The new key set is cached: no further fetch for the next requests.
    expect((await client.listNotes(fresh.access_token)).status).toBe(200);
    expect((await client.listNotes(tech2.access_token)).status).toBe(200);
    expect(jwksFetches()).toBe(fetchesBefore + 1);
  });
});

describe('writing notes needs the write role', () => {
  it('answers 403 insufficient_role to a valid token without technician, and writes nothing', async () => {
    const id = randomUUID();
    const refused = await client.putNote(admin.access_token, id, { title: 'x', text: '' }, { key: randomUUID(), ifNoneMatch: '*' });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('insufficient_role');
    expect((await client.listNotes(admin.access_token)).body.notes).toEqual([]);
  });

  it('refuses writes once the role is removed at the IdP (new token), and allows them again when restored', async () => {
    idp.setUserRoles('tech2', ['supervisor']);
    try {
      const withoutRole = await tokens.refresh(tech2.refresh_token);
      tech2 = withoutRole;
      const refused = await client.putNote(
        withoutRole.access_token,
        randomUUID(),
        { title: 't', text: '' },
        { key: randomUUID(), ifNoneMatch: '*' },
      );
      expect(refused.status).toBe(403);
      expect(refused.body.error).toBe('insufficient_role');
      // Reading stays allowed.
      expect((await client.listNotes(withoutRole.access_token)).status).toBe(200);
    } finally {
      idp.setUserRoles('tech2', ['technician', 'supervisor']);
    }
    tech2 = await tokens.refresh(tech2.refresh_token);
    const allowed = await client.putNote(
      tech2.access_token,
      randomUUID(),
      { title: 't', text: '' },
      { key: randomUUID(), ifNoneMatch: '*' },
    );
    expect(allowed.status).toBe(201);
  });
});

describe('PUT /v1/notes/{id}', () => {
  it('creates with If-None-Match: * (201, ETag "1"), updates with If-Match (200, ETag "2") and lists the note', async () => {
    const id = randomUUID();
    const created = await client.putNote(
      tech1.access_token,
      id,
      { title: 'Pump 7', text: 'Seal leaking.' },
      { key: randomUUID(), ifNoneMatch: '*' },
    );
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.body).toMatchObject({ id, title: 'Pump 7', text: 'Seal leaking.', version: 1 });
    expect(created.body.createdAt).toBe(created.body.updatedAt);

    const updated = await client.putNote(
      tech1.access_token,
      id,
      { title: 'Pump 7', text: 'Seal replaced.' },
      { key: randomUUID(), ifMatch: '"1"' },
    );
    expect(updated.status).toBe(200);
    expect(updated.headers.get('etag')).toBe('"2"');
    expect(updated.body).toMatchObject({ id, text: 'Seal replaced.', version: 2, createdAt: created.body.createdAt });
    expect(Date.parse(updated.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.body.updatedAt));

    const listed = await client.listNotes(tech1.access_token);
    expect(listed.body.notes).toContainEqual(updated.body);
  });

  it('answers 412 with the current note to a stale If-Match or to If-None-Match: * on an existing note', async () => {
    const id = randomUUID();
    await client.putNote(tech1.access_token, id, { title: 'v1', text: '' }, { key: randomUUID(), ifNoneMatch: '*' });
    const current = await client.putNote(tech1.access_token, id, { title: 'v2', text: '' }, { key: randomUUID(), ifMatch: '"1"' });

    const stale = await client.putNote(tech1.access_token, id, { title: 'mine', text: '' }, { key: randomUUID(), ifMatch: '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.body.error).toBe('precondition_failed');
    expect(stale.body.note).toEqual(current.body);
    expect(stale.headers.get('etag')).toBe('"2"');

    const again = await client.putNote(tech1.access_token, id, { title: 'again', text: '' }, { key: randomUUID(), ifNoneMatch: '*' });
    expect(again.status).toBe(412);
    expect(again.body.note).toEqual(current.body);

    const missing = await client.putNote(tech1.access_token, randomUUID(), { title: 'x', text: '' }, { key: randomUUID(), ifMatch: '"1"' });
    expect(missing.status).toBe(412);
    expect(missing.body).not.toHaveProperty('note');
    expect(missing.headers.get('etag')).toBeNull();
  });

  it('answers 428 precondition_required without a precondition, or with both', async () => {
    const id = randomUUID();
    const none = await client.putNote(tech1.access_token, id, { title: 'x', text: '' }, { key: randomUUID() });
    expect(none.status).toBe(428);
    expect(none.body.error).toBe('precondition_required');
    const both = await client.putNote(
      tech1.access_token,
      id,
      { title: 'x', text: '' },
      { key: randomUUID(), ifMatch: '"1"', ifNoneMatch: '*' },
    );
    expect(both.status).toBe(428);
    expect((await client.listNotes(tech1.access_token)).body.notes.map((n: { id: string }) => n.id)).not.toContain(id);
  });

  it.each([
    ['an empty title', { title: '', text: '' }, 'invalid_body'],
    ['a 201-character title', { title: 't'.repeat(201), text: '' }, 'invalid_body'],
    ['a 20,001-character text', { title: 't', text: 'x'.repeat(20_001) }, 'invalid_body'],
    ['no text', { title: 't' }, 'invalid_body'],
    ['an unknown member', { title: 't', text: '', pinned: true }, 'invalid_body'],
    ['a number for a title', { title: 7, text: '' }, 'invalid_body'],
    ['a body that is not JSON', '{"title": "t",', 'invalid_body'],
  ])('answers 400 to %s', async (_label, body, code) => {
    const id = randomUUID();
    const answer = await client.putNote(tech1.access_token, id, body, { key: randomUUID(), ifNoneMatch: '*' });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe(code);
    expect(typeof answer.body.message).toBe('string');
  });

  it('answers 400 to a bad id, a missing or malformed Idempotency-Key and a malformed If-Match', async () => {
    const body = { title: 't', text: '' };
    const badId = await client.call('putNote', 'PUT', '/v1/notes/not-a-uuid', {
      token: tech1.access_token,
      headers: { 'idempotency-key': randomUUID(), 'if-none-match': '*' },
      body,
    });
    expect(badId.body.error).toBe('invalid_path');
    expect((await client.putNote(tech1.access_token, randomUUID(), body, { ifNoneMatch: '*' })).body.error).toBe('invalid_header');
    expect((await client.putNote(tech1.access_token, randomUUID(), body, { key: 'retry-1', ifNoneMatch: '*' })).body.error).toBe(
      'invalid_header',
    );
    for (const ifMatch of ['1', 'W/"1"', '"0"', '"x"', '"1", "2"']) {
      const answer = await client.putNote(tech1.access_token, randomUUID(), body, { key: randomUUID(), ifMatch });
      expect([answer.status, answer.body.error], ifMatch).toEqual([400, 'invalid_header']);
    }
  });

  it('answers 415 to a body that is not JSON by its content type, and 413 to a body over 1 MiB', async () => {
    const headers = { 'idempotency-key': randomUUID(), 'if-none-match': '*', 'content-type': 'text/plain' };
    const typed = await client.call('putNote', 'PUT', `/v1/notes/${randomUUID()}`, { token: tech1.access_token, headers, body: 'title=t' });
    expect([typed.status, typed.body.error]).toEqual([415, 'unsupported_media_type']);
    const huge = await client.putNote(
      tech1.access_token,
      randomUUID(),
      { title: 't', text: 'x'.repeat(1024 * 1024) },
      { key: randomUUID(), ifNoneMatch: '*' },
    );
    expect([huge.status, huge.body.error]).toEqual([413, 'body_too_large']);
  });

  it('accepts the limits exactly: a 200-character title and a 20,000-character text', async () => {
    const answer = await client.putNote(
      tech1.access_token,
      randomUUID(),
      { title: 't'.repeat(200), text: 'x'.repeat(20_000) },
      { key: randomUUID(), ifNoneMatch: '*' },
    );
    expect(answer.status).toBe(201);
  });

  it('answers a replayed Idempotency-Key with the first answer and changes nothing', async () => {
    const id = randomUUID();
    const key = randomUUID();
    const body = { title: 'Valve', text: 'Checked.' };
    const first = await client.putNote(tech1.access_token, id, body, { key, ifNoneMatch: '*' });
    expect(first.status).toBe(201);

    const replay = await client.putNote(tech1.access_token, id, body, { key, ifNoneMatch: '*' });
    expect(replay.status).toBe(first.status);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers.get('etag')).toBe(first.headers.get('etag'));

    // An update under its own key, replayed after the note moved on: still the first answer.
    const updateKey = randomUUID();
    const update = await client.putNote(tech1.access_token, id, { title: 'Valve', text: 'Replaced.' }, { key: updateKey, ifMatch: '"1"' });
    expect(update.status).toBe(200);
    await client.putNote(tech1.access_token, id, { title: 'Valve', text: 'Third.' }, { key: randomUUID(), ifMatch: '"2"' });
    const updateReplay = await client.putNote(
      tech1.access_token,
      id,
      { title: 'Valve', text: 'Replaced.' },
      { key: updateKey, ifMatch: '"1"' },
    );
    expect([updateReplay.status, updateReplay.headers.get('etag'), updateReplay.body]).toEqual([200, '"2"', update.body]);

    const stored = (await client.listNotes(tech1.access_token)).body.notes.find((note: { id: string }) => note.id === id);
    expect(stored).toMatchObject({ version: 3, text: 'Third.' });
  });

  it('answers 422 to the same Idempotency-Key with another body or for another note', async () => {
    const id = randomUUID();
    const key = randomUUID();
    await client.putNote(tech1.access_token, id, { title: 'a', text: '' }, { key, ifNoneMatch: '*' });
    const otherBody = await client.putNote(tech1.access_token, id, { title: 'b', text: '' }, { key, ifNoneMatch: '*' });
    expect(otherBody.status).toBe(422);
    expect(otherBody.body.error).toBe('idempotency_key_reused');
    const otherNote = await client.putNote(tech1.access_token, randomUUID(), { title: 'a', text: '' }, { key, ifNoneMatch: '*' });
    expect(otherNote.status).toBe(422);
    const stored = (await client.listNotes(tech1.access_token)).body.notes.find((note: { id: string }) => note.id === id);
    expect(stored).toMatchObject({ title: 'a', version: 1 });
  });

  it("keeps each subject's notes and Idempotency-Keys apart", async () => {
    const id = randomUUID();
    const key = randomUUID();
    await client.putNote(tech1.access_token, id, { title: 'tech1 only', text: '' }, { key, ifNoneMatch: '*' });

    const tech2Notes = (await client.listNotes(tech2.access_token)).body.notes as { id: string; title: string }[];
    expect(tech2Notes.map((note) => note.id)).not.toContain(id);
    expect(tech2Notes.map((note) => note.title)).not.toContain('tech1 only');

    const update = await client.putNote(tech2.access_token, id, { title: 'hijack', text: '' }, { key: randomUUID(), ifMatch: '"1"' });
    expect(update.status).toBe(412);
    expect(update.body).not.toHaveProperty('note');

    // The same id and key under another subject are that subject's own.
    const own = await client.putNote(tech2.access_token, id, { title: 'tech2 own', text: '' }, { key, ifNoneMatch: '*' });
    expect(own.status).toBe(201);
    const tech1Note = (await client.listNotes(tech1.access_token)).body.notes.find((note: { id: string }) => note.id === id);
    expect(tech1Note.title).toBe('tech1 only');
  });

  it('keeps the notes across a restart of the server on the same data dir', async () => {
    const before = (await client.listNotes(tech1.access_token)).body.notes;
    expect(before.length).toBeGreaterThan(0);
    const port = api.port;
    await api.stop();
    api = await startFieldApi({ port, dataDir: join(dir, 'api'), issuer: idp.issuer, jwksCooldownMs: 0 });
    expect((await client.listNotes(tech1.access_token)).body.notes).toEqual(before);
  });
});

describe('audit checkpoints', () => {
  it('answers 404 before the first checkpoint, then 201 for each higher seq and 200 with the highest', async () => {
    const device = `laptop-${randomUUID()}`;
    const none = await client.getCheckpoint(tech1.access_token, device);
    expect([none.status, none.body.error]).toEqual([404, 'no_checkpoint']);

    const first = await client.postCheckpoint(tech1.access_token, device, { seq: 0, hash: HASH_A });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ deviceId: device, seq: 0, hash: HASH_A });
    const higher = await client.postCheckpoint(tech1.access_token, device, { seq: 41, hash: HASH_B });
    expect(higher.status).toBe(201);

    const latest = await client.getCheckpoint(tech1.access_token, device);
    expect(latest.status).toBe(200);
    expect(latest.body).toEqual(higher.body);

    const repeated = await client.postCheckpoint(tech1.access_token, device, { seq: 41, hash: HASH_B });
    expect(repeated.status).toBe(200);
    expect(repeated.body).toEqual(higher.body);
  });

  it('answers 409 to a lower seq or to the same seq with another hash, and keeps the highest', async () => {
    const device = `laptop-${randomUUID()}`;
    const stored = await client.postCheckpoint(tech1.access_token, device, { seq: 10, hash: HASH_A });
    const lower = await client.postCheckpoint(tech1.access_token, device, { seq: 9, hash: HASH_A });
    expect([lower.status, lower.body.error]).toEqual([409, 'checkpoint_regressed']);
    expect(lower.body.current).toEqual(stored.body);
    const rewritten = await client.postCheckpoint(tech1.access_token, device, { seq: 10, hash: HASH_B });
    expect([rewritten.status, rewritten.body.error]).toEqual([409, 'checkpoint_mismatch']);
    expect((await client.getCheckpoint(tech1.access_token, device)).body).toEqual(stored.body);
  });

  it('scopes checkpoints to the subject and device, takes any valid token, and refuses bad input', async () => {
    const device = `laptop-${randomUUID()}`;
    expect((await client.postCheckpoint(admin.access_token, device, { seq: 3, hash: HASH_A })).status).toBe(201);
    expect((await client.getCheckpoint(tech2.access_token, device)).status).toBe(404);
    expect((await client.getCheckpoint(admin.access_token, `${device}-other`)).status).toBe(404);
    expect((await client.postCheckpoint(tech2.access_token, device, { seq: 1, hash: HASH_B })).status).toBe(201);

    for (const body of [
      { seq: -1, hash: HASH_A },
      { seq: 1.5, hash: HASH_A },
      { seq: 4, hash: 'A'.repeat(64) },
      { seq: 4, hash: 'abc' },
      { seq: 4 },
    ]) {
      const answer = await client.postCheckpoint(admin.access_token, device, body);
      expect([answer.status, answer.body.error], JSON.stringify(body)).toEqual([400, 'invalid_body']);
    }
    expect((await client.getCheckpoint(admin.access_token, 'd'.repeat(129))).body.error).toBe('invalid_path');
    expect((await client.getCheckpoint(admin.access_token, '-starts-with-dash')).body.error).toBe('invalid_path');
    const anonymous = await client.call('postAuditCheckpoint', 'POST', `/v1/devices/${device}/audit-checkpoints`, {
      body: { seq: 9, hash: HASH_A },
    });
    expect(isInvalidTokenRefusal(anonymous)).toBe(true);
    expect((await client.getCheckpoint(admin.access_token, device)).body.seq).toBe(3);
  });
});
