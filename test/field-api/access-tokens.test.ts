import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessTokenVerifier } from '../../field-api/access-tokens';
import { startFieldApi, type FieldApi, type FieldApiOptions } from '../../field-api/field-api';
import { ContractClient, isInvalidTokenRefusal } from './contract-client';

/**
 * What the Field API accepts as an access token, claim by claim: tokens signed here with local keys
 * whose public halves a small issuer on 127.0.0.1 publishes (discovery document and JWKS), so
 * expiry, not-before, issuer, audience, algorithm and key can each be set to what a case needs.
 */

interface LocalKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
}

const AUDIENCE = 'fieldkey-desktop';
const SUB = '0f9d8c7b-6a5e-4d3c-8b2a-190817161514';
let dir: string;
let issuerServer: Server;
let issuer: string;
let api: FieldApi;
const keys: LocalKey[] = [];
const published: JWK[] = [];
const servers: FieldApi[] = [];
let client: ContractClient;

async function addKey(alg: string, publish = true): Promise<LocalKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
  const key = { alg, kid: `local-${alg}-${keys.length}`, privateKey };
  keys.push(key);
  if (publish) published.push({ ...(await exportJWK(publicKey)), kid: key.kid, alg, use: 'sig' });
  return key;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A token with good claims, overridden by `claims` (a claim set to undefined is left out). */
function sign(key: LocalKey, claims: JWTPayload = {}, header: { kid?: string } = {}): Promise<string> {
  const all = { iss: issuer, aud: AUDIENCE, sub: SUB, iat: nowSeconds(), exp: nowSeconds() + 300, roles: ['technician'], ...claims };
  return new SignJWT(Object.fromEntries(Object.entries(all).filter(([, value]) => value !== undefined)))
    .setProtectedHeader({ alg: key.alg, kid: header.kid ?? key.kid, typ: 'at+jwt' })
    .sign(key.privateKey);
}

async function startApi(options: Partial<FieldApiOptions> = {}): Promise<FieldApi> {
  const started = await startFieldApi({ port: 0, dataDir: join(dir, randomUUID()), issuer, ...options });
  servers.push(started);
  return started;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-field-api-tokens-'));
  issuerServer = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    } else if (path === '/other-tenant/.well-known/openid-configuration') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ issuer: 'https://elsewhere.invalid', jwks_uri: `${issuer}/jwks` }));
    } else if (path === '/jwks') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => issuerServer.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;
  for (const alg of ['RS256', 'ES256', 'EdDSA']) await addKey(alg);
  api = await startApi();
  client = new ContractClient(() => api.url);
});

afterAll(async () => {
  for (const server of servers) await server.stop();
  await new Promise<void>((resolve) => (issuerServer ? issuerServer.close(() => resolve()) : resolve()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function key(alg: string): LocalKey {
  const found = keys.find((candidate) => candidate.alg === alg);
  if (!found) throw new Error(`no ${alg} key`);
  return found;
}

describe('accepted tokens', () => {
  it.each(['RS256', 'ES256', 'EdDSA'])('accepts a %s token found by its kid through discovery', async (alg) => {
    expect((await client.listNotes(await sign(key(alg)))).status).toBe(200);
  });

  it('accepts exp and nbf within the 60 s leeway, and an audience list that holds the audience', async () => {
    const now = nowSeconds();
    expect((await client.listNotes(await sign(key('RS256'), { exp: now - 45 }))).status).toBe(200);
    expect((await client.listNotes(await sign(key('RS256'), { nbf: now + 45 }))).status).toBe(200);
    expect((await client.listNotes(await sign(key('ES256'), { aud: ['urn:other', AUDIENCE] }))).status).toBe(200);
  });
});

describe('refused tokens (401 invalid_token with the Bearer challenge)', () => {
  const now = nowSeconds();
  it.each([
    ['expired beyond the leeway', { exp: now - 90 }, 'the token has expired'],
    ['not valid yet beyond the leeway', { nbf: now + 120 }, 'the token is not valid yet'],
    ['without exp', { exp: undefined }, 'the token has no exp claim'],
    ['without sub', { sub: undefined }, 'the token has no sub claim'],
    ['from another issuer', { iss: 'https://login.example.invalid' }, 'the token is from another issuer'],
    ['for another audience', { aud: 'another-api' }, 'the token is for another audience'],
  ])('refuses a token %s', async (_label, claims, message) => {
    const answer = await client.listNotes(await sign(key('ES256'), claims));
    expect(isInvalidTokenRefusal(answer)).toBe(true);
    expect(answer.body.message).toBe(message);
  });

  it('refuses HS256 (even with a published kid) and alg none', async () => {
    const hs256 = await new SignJWT({ iss: issuer, aud: AUDIENCE, sub: SUB, exp: nowSeconds() + 300 })
      .setProtectedHeader({ alg: 'HS256', kid: key('RS256').kid })
      .sign(new TextEncoder().encode('a shared secret anyone with the JWKS could guess'));
    const hsAnswer = await client.listNotes(hs256);
    expect(isInvalidTokenRefusal(hsAnswer)).toBe(true);
    expect(hsAnswer.body.message).toBe('the token is signed with an algorithm that is not allowed');

    const unsigned = new UnsecuredJWT({ iss: issuer, aud: AUDIENCE, sub: SUB, exp: nowSeconds() + 300 }).encode();
    expect(isInvalidTokenRefusal(await client.listNotes(unsigned))).toBe(true);
  });

  it('refuses a token signed with an unpublished key, under its own kid or under a published one', async () => {
    const stranger = await addKey('ES256', false);
    const unknownKid = await client.listNotes(await sign(stranger));
    expect(isInvalidTokenRefusal(unknownKid)).toBe(true);
    expect(unknownKid.body.message).toBe("no key in the issuer's JWKS matches the token's kid and alg");

    const borrowedKid = await client.listNotes(await sign(stranger, {}, { kid: key('ES256').kid }));
    expect(isInvalidTokenRefusal(borrowedKid)).toBe(true);
    expect(borrowedKid.body.message).toBe('the token signature does not verify');
  });

  it('refuses an algorithm the server was narrowed not to accept', async () => {
    const esOnly = await startApi({ algorithms: ['ES256'] });
    const esClient = new ContractClient(() => esOnly.url);
    expect((await esClient.listNotes(await sign(key('ES256')))).status).toBe(200);
    expect(isInvalidTokenRefusal(await esClient.listNotes(await sign(key('RS256'))))).toBe(true);
  });

  it('never takes a symmetric algorithm or an empty list into the allow-list', async () => {
    expect(() => createAccessTokenVerifier({ issuer, audience: AUDIENCE, algorithms: ['RS256', 'HS256'] })).toThrow(/refused: HS256/);
    expect(() => createAccessTokenVerifier({ issuer, audience: AUDIENCE, algorithms: [] })).toThrow(/non-empty subset/);
    await expect(startApi({ algorithms: ['none'] })).rejects.toThrow(/refused: none/);
  });
});

describe('the write role', () => {
  it('takes writes only from a token whose roles claim holds the configured role', async () => {
    const body = { title: 'Meter', text: '' };
    const put = (target: ContractClient, token: string) =>
      target.putNote(token, randomUUID(), body, { key: randomUUID(), ifNoneMatch: '*' });
    expect((await put(client, await sign(key('RS256'), { roles: undefined }))).status).toBe(403);
    expect((await put(client, await sign(key('RS256'), { roles: 'technician' }))).status).toBe(403);
    expect((await put(client, await sign(key('RS256'), { roles: ['supervisor', 'technician'] }))).status).toBe(201);

    const editors = await startApi({ writeRole: 'editor' });
    const editorClient = new ContractClient(() => editors.url);
    const refused = await put(editorClient, await sign(key('RS256')));
    expect([refused.status, refused.body.error, refused.body.message]).toEqual([
      403,
      'insufficient_role',
      'changing notes needs the editor role',
    ]);
    expect((await put(editorClient, await sign(key('RS256'), { roles: ['editor'] }))).status).toBe(201);
  });
});

describe('when the issuer cannot be reached', () => {
  it('answers 503 token_verification_unavailable with Retry-After, not 401', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadIssuer = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const unreachable = await startApi({ issuer: deadIssuer });
    const answer = await new ContractClient(() => unreachable.url).listNotes(await sign(key('RS256'), { iss: deadIssuer }));
    expect([answer.status, answer.body.error]).toEqual([503, 'token_verification_unavailable']);
    expect(answer.headers.get('retry-after')).toBe('5');
  });

  it('answers 503 when the discovery document names another issuer', async () => {
    const tenant = `${issuer}/other-tenant`;
    const mismatched = await startApi({ issuer: tenant });
    const answer = await new ContractClient(() => mismatched.url).listNotes(await sign(key('RS256'), { iss: tenant }));
    expect([answer.status, answer.body.error]).toEqual([503, 'token_verification_unavailable']);
    expect(answer.body.message).toMatch(/names another issuer/);
  });
});
