import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUserRolesPath, startDemoIdp, type DemoIdp, type DemoUser, type SigningAlg } from '../../idp/demo-idp';
import { BrowserSignInError, launchChromium, signInThroughBrowser } from '../helpers/browser-sign-in';
import { demoAuthorizationUrl, pkcePair, postForm } from '../helpers/demo-idp-tokens';

/**
 * The demo IdP for real: oidc-provider on 127.0.0.1 with its SQLite store in a temp dir, headless
 * Chromium on its login page, the token endpoint over HTTP, signatures checked with jose against
 * the published JWKS.
 */

const ACCESS_TOKEN_TTL = 300;
const SCOPE = 'openid offline_access profile email';

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  revocation_endpoint?: string;
  code_challenge_methods_supported: string[];
  authorization_response_iss_parameter_supported?: boolean;
  [key: string]: unknown;
}

interface TokenResponse {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
  scope?: string;
}

let dataDir: string;
let idp: DemoIdp;
let browser: Browser;
let callbackServer: Server;
let redirectUri: string;

function user(username: string): DemoUser {
  const found = idp.users.find((candidate) => candidate.username === username);
  if (!found) throw new Error(`no demo user ${username}`);
  return found;
}

async function discovery(): Promise<Discovery> {
  const response = await fetch(`${idp.issuer}/.well-known/openid-configuration`);
  expect(response.status).toBe(200);
  return (await response.json()) as Discovery;
}

async function jwksKeySet() {
  const response = await fetch((await discovery()).jwks_uri);
  return createLocalJWKSet((await response.json()) as { keys: [] });
}

function authorizationUrl(params: Record<string, string | undefined>): string {
  return demoAuthorizationUrl(idp, redirectUri, { scope: SCOPE, ...params });
}

/** A full sign-in in Chromium; returns the tokens and what the redirect carried. */
async function signIn(username = 'tech1'): Promise<{ tokens: TokenResponse; nonce: string }> {
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const demoUser = user(username);
  const result = await signInThroughBrowser({
    browser,
    authorizationUrl: authorizationUrl({ code_challenge: challenge, state, nonce }),
    username: demoUser.username,
    password: demoUser.password,
  });
  expect(result.loginFormShown).toBe(true);
  expect(result.status).toBe(200);
  expect(result.params.get('state')).toBe(state);
  expect(result.params.get('iss')).toBe(idp.issuer);
  const code = result.params.get('code');
  expect(code).toBeTruthy();
  const exchanged = await postForm(`${idp.issuer}/token`, {
    grant_type: 'authorization_code',
    client_id: idp.clientId,
    code: code ?? '',
    redirect_uri: redirectUri,
    code_verifier: verifier,
  });
  expect(exchanged.status).toBe(200);
  return { tokens: exchanged.body as unknown as TokenResponse, nonce };
}

async function refresh(refreshToken: string) {
  return postForm(`${idp.issuer}/token`, {
    grant_type: 'refresh_token',
    client_id: idp.clientId,
    refresh_token: refreshToken,
  });
}

async function verify(token: string, typ?: string): Promise<{ payload: JWTPayload; kid?: string; alg: string }> {
  const { payload, protectedHeader } = await jwtVerify(token, await jwksKeySet(), {
    issuer: idp.issuer,
    audience: 'fieldkey-desktop',
    ...(typ ? { typ } : {}),
  });
  return { payload, kid: protectedHeader.kid, alg: protectedHeader.alg };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'fieldkey-idp-test-'));
  idp = await startDemoIdp({ port: 0, dataDir: join(dataDir, 'idp'), accessTokenTtlSeconds: ACCESS_TOKEN_TTL });
  callbackServer = createServer((req, res) => {
    const ok = (req.url ?? '').startsWith('/callback');
    res.writeHead(ok ? 200 : 404, { 'content-type': 'text/plain' }).end(ok ? 'You can return to FieldKey.' : 'not found');
  });
  await new Promise<void>((resolve) => callbackServer.listen(0, '127.0.0.1', resolve));
  redirectUri = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/callback`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await idp?.stop();
  await new Promise<void>((resolve) => (callbackServer ? callbackServer.close(() => resolve()) : resolve()));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('demo IdP discovery and keys', () => {
  it('advertises the issuer, S256 only, revocation and the RFC 9207 iss parameter', async () => {
    const doc = await discovery();
    expect(idp.issuer).toBe(`http://127.0.0.1:${idp.port}`);
    expect(doc.issuer).toBe(idp.issuer);
    expect(doc.code_challenge_methods_supported).toEqual(['S256']);
    expect(doc.authorization_response_iss_parameter_supported).toBe(true);
    expect(doc.revocation_endpoint).toBe(`${idp.issuer}/token/revocation`);
    expect(doc.authorization_endpoint).toBe(`${idp.issuer}/auth`);
  });

  it('publishes one public RS256, ES256 and EdDSA key, never a private member', async () => {
    const { keys } = (await (await fetch((await discovery()).jwks_uri)).json()) as { keys: Record<string, unknown>[] };
    expect(keys.map((key) => key.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
    for (const key of keys) {
      expect(key.use).toBe('sig');
      expect(typeof key.kid).toBe('string');
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(member);
    }
    expect(keys.find((key) => key.alg === 'EdDSA')?.crv).toBe('Ed25519');
  });

  it('keeps keys, cookie keys, admin secret and the grant store owner-only', () => {
    for (const file of ['jwks.private.json', 'cookie-keys.json', 'admin-secret', 'idp.sqlite']) {
      expect(statSync(join(idp.dataDir, file)).mode & 0o777, file).toBe(0o600);
    }
    expect(statSync(idp.dataDir).mode & 0o777).toBe(0o700);
  });
});

describe('authorization code + PKCE in Chromium', () => {
  it('issues a JWT access token for the client audience with roles, an ID token and a refresh token', async () => {
    const tech2 = user('tech2');
    const { tokens, nonce } = await signIn('tech2');
    expect(tokens.token_type).toBe('Bearer');
    expect(tokens.expires_in).toBe(ACCESS_TOKEN_TTL);
    expect(typeof tokens.refresh_token).toBe('string');

    const access = await verify(tokens.access_token, 'at+jwt');
    expect(access.alg).toBe('RS256');
    expect(access.kid).toBe(idp.currentKid('RS256'));
    expect(access.payload).toMatchObject({
      iss: idp.issuer,
      aud: 'fieldkey-desktop',
      sub: tech2.sub,
      client_id: 'fieldkey-desktop',
      roles: ['technician', 'supervisor'],
    });
    expect((access.payload.exp ?? 0) - (access.payload.iat ?? 0)).toBe(ACCESS_TOKEN_TTL);
    expect(access.payload.scope?.toString().split(' ').sort()).toEqual(['email', 'offline_access', 'openid', 'profile']);

    const id = await verify(tokens.id_token ?? '');
    expect(id.payload).toMatchObject({
      iss: idp.issuer,
      aud: 'fieldkey-desktop',
      sub: tech2.sub,
      nonce,
      name: tech2.name,
      email: tech2.email,
      email_verified: true,
      preferred_username: 'tech2',
      roles: ['technician', 'supervisor'],
    });
  });

  it('shows the error on a wrong password and does not redirect', async () => {
    const { challenge } = pkcePair();
    await expect(
      signInThroughBrowser({
        browser,
        authorizationUrl: authorizationUrl({ code_challenge: challenge }),
        username: 'tech1',
        password: 'not-the-password',
        timeoutMs: 10_000,
      }),
    ).rejects.toThrow(new BrowserSignInError('the IdP refused the sign-in: Invalid username or password.'));
  });

  it.each([
    ['no code_challenge', { code_challenge: undefined, code_challenge_method: undefined }],
    ['the plain method', { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }],
  ])('refuses an authorization request with %s before any login', async (_label, params) => {
    const response = await fetch(authorizationUrl(params), { redirect: 'manual' });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.href.startsWith(redirectUri)).toBe(true);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('iss')).toBe(idp.issuer);
  });

  it.each([
    ['a missing code_verifier', undefined],
    ['a wrong code_verifier', randomBytes(32).toString('base64url')],
  ])('refuses a code exchange with %s', async (_label, verifier) => {
    const { challenge } = pkcePair();
    const demoUser = user('tech1');
    const result = await signInThroughBrowser({
      browser,
      authorizationUrl: authorizationUrl({ code_challenge: challenge }),
      username: demoUser.username,
      password: demoUser.password,
    });
    const form: Record<string, string> = {
      grant_type: 'authorization_code',
      client_id: idp.clientId,
      code: result.params.get('code') ?? '',
      redirect_uri: redirectUri,
    };
    if (verifier) form.code_verifier = verifier;
    const exchanged = await postForm(`${idp.issuer}/token`, form);
    expect(exchanged.status).toBe(400);
    expect(exchanged.body.error).toBe('invalid_grant');
  });
});

describe('refresh tokens', () => {
  it('rotates on every refresh; reusing a rotated one revokes the whole grant', async () => {
    const { tokens } = await signIn('tech1');
    const first = tokens.refresh_token ?? '';

    const refreshed = await refresh(first);
    expect(refreshed.status).toBe(200);
    const second = refreshed.body.refresh_token as string;
    expect(second).toBeTruthy();
    expect(second).not.toBe(first);
    const access = await verify(refreshed.body.access_token as string, 'at+jwt');
    expect(access.payload).toMatchObject({ sub: user('tech1').sub, roles: ['technician'], aud: 'fieldkey-desktop' });

    const reused = await refresh(first);
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe('invalid_grant');

    const afterReuse = await refresh(second);
    expect(afterReuse.status).toBe(400);
    expect(afterReuse.body.error).toBe('invalid_grant');
  });

  it('revokes a refresh token at the revocation endpoint', async () => {
    const { tokens } = await signIn('tech1');
    const doc = await discovery();
    const revoked = await postForm(doc.revocation_endpoint ?? '', {
      token: tokens.refresh_token ?? '',
      token_type_hint: 'refresh_token',
      client_id: idp.clientId,
    });
    expect(revoked.status).toBe(200);
    const refreshed = await refresh(tokens.refresh_token ?? '');
    expect(refreshed.status).toBe(400);
    expect(refreshed.body.error).toBe('invalid_grant');
  });

  it('stops working when the user is revoked at the IdP', async () => {
    const { tokens } = await signIn('admin');
    expect(idp.revokeUser('admin')).toBeGreaterThan(0);
    const refreshed = await refresh(tokens.refresh_token ?? '');
    expect(refreshed.body.error).toBe('invalid_grant');
  });

  it('survives a restart of the IdP on the same data dir, with the same keys', async () => {
    const { tokens } = await signIn('tech2');
    const kid = idp.currentKid();
    const jwksBefore = idp.publicJwks();
    const port = idp.port;
    await idp.stop();
    idp = await startDemoIdp({ port, dataDir: join(dataDir, 'idp'), accessTokenTtlSeconds: ACCESS_TOKEN_TTL });
    expect(idp.issuer).toBe(`http://127.0.0.1:${port}`);
    expect(idp.publicJwks()).toEqual(jwksBefore);

    const refreshed = await refresh(tokens.refresh_token ?? '');
    expect(refreshed.status).toBe(200);
    const access = await verify(refreshed.body.access_token as string, 'at+jwt');
    expect(access.kid).toBe(kid);
    expect(access.payload.sub).toBe(user('tech2').sub);
    expect(typeof refreshed.body.refresh_token).toBe('string');
  });
});

describe('signing key rotation', () => {
  const rotations: SigningAlg[] = ['ES256', 'EdDSA', 'RS256'];

  it.each(rotations)('rotates to a new %s key: new tokens carry its kid, old kids stay published', async (alg) => {
    const { tokens } = await signIn('tech1');
    const kidsBefore = idp.publicJwks().keys.map((key) => key.kid);
    const rotated = await idp.rotateSigningKey(alg);
    expect(rotated.alg).toBe(alg);
    expect(kidsBefore).not.toContain(rotated.kid);
    expect(idp.signingAlg()).toBe(alg);
    expect(idp.currentKid()).toBe(rotated.kid);

    const published = ((await (await fetch((await discovery()).jwks_uri)).json()) as { keys: { kid: string }[] }).keys.map(
      (key) => key.kid,
    );
    expect(published[0]).toBe(rotated.kid);
    for (const kid of kidsBefore) expect(published).toContain(kid);

    const refreshed = await refresh(tokens.refresh_token ?? '');
    expect(refreshed.status).toBe(200);
    const access = await verify(refreshed.body.access_token as string, 'at+jwt');
    expect({ alg: access.alg, kid: access.kid }).toEqual({ alg, kid: rotated.kid });
    const id = await verify(refreshed.body.id_token as string);
    expect({ alg: id.alg, kid: id.kid }).toEqual({ alg, kid: rotated.kid });
    // A token signed before the rotation still verifies against the published set.
    expect((await verify(tokens.access_token, 'at+jwt')).kid).not.toBe(rotated.kid);
  });

  it("rotates through the admin endpoint only with this run's secret", async () => {
    const { readFileSync } = await import('node:fs');
    const secret = readFileSync(idp.adminSecretFile, 'utf8').trim();
    const url = `${idp.issuer}/admin/rotate-keys`;
    const cases: [RequestInit, number][] = [
      [{ method: 'POST' }, 401],
      [{ method: 'POST', headers: { authorization: 'Bearer wrong' } }, 401],
      [{ method: 'GET', headers: { authorization: `Bearer ${secret}` } }, 405],
    ];
    for (const [init, status] of cases) expect((await fetch(url, init)).status).toBe(status);
    expect((await fetch(`${url}?alg=HS256`, { method: 'POST', headers: { authorization: `Bearer ${secret}` } })).status).toBe(400);

    const before = idp.currentKid('ES256');
    const response = await fetch(`${url}?alg=ES256`, { method: 'POST', headers: { authorization: `Bearer ${secret}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { kid: string; alg: string };
    expect(body.alg).toBe('ES256');
    expect(body.kid).not.toBe(before);
    expect(idp.currentKid('ES256')).toBe(body.kid);
    expect(decodeProtectedHeader((await signIn('tech1')).tokens.access_token).kid).toBe(body.kid);
  });
});

describe('roles changed at run time', () => {
  const rolesUrl = (username: string): string => `${idp.issuer}${adminUserRolesPath(username)}`;
  const adminSecret = (): string => readFileSync(idp.adminSecretFile, 'utf8').trim();

  async function putRoles(
    username: string,
    body: string,
    secret = adminSecret(),
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(rolesUrl(username), {
      method: 'PUT',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('gives the default users the technician role, except admin', () => {
    expect(idp.users.filter((u) => u.roles.includes('technician')).map((u) => u.username)).toEqual(['tech1', 'tech2']);
    expect(idp.userRoles('admin')).toEqual(['admin']);
  });

  it('puts the new roles in tokens issued after the change; tokens issued before keep theirs', async () => {
    const { tokens } = await signIn('tech1');
    const changed = await putRoles('tech1', JSON.stringify({ roles: ['viewer'] }));
    expect(changed).toEqual({ status: 200, body: { username: 'tech1', roles: ['viewer'] } });
    expect(idp.userRoles('tech1')).toEqual(['viewer']);

    const refreshed = await refresh(tokens.refresh_token ?? '');
    expect(refreshed.status).toBe(200);
    expect((await verify(refreshed.body.access_token as string, 'at+jwt')).payload.roles).toEqual(['viewer']);
    expect((await verify(refreshed.body.id_token as string)).payload.roles).toEqual(['viewer']);
    expect((await verify(tokens.access_token, 'at+jwt')).payload.roles).toEqual(['technician']);

    const read = await fetch(rolesUrl('tech1'), { headers: { authorization: `Bearer ${adminSecret()}` } });
    expect(await read.json()).toEqual({ username: 'tech1', roles: ['viewer'] });

    expect(idp.setUserRoles('tech1', [])).toEqual([]);
    const emptied = await refresh(refreshed.body.refresh_token as string);
    expect((await verify(emptied.body.access_token as string, 'at+jwt')).payload.roles).toEqual([]);

    expect(idp.setUserRoles('tech1', ['technician'])).toEqual(['technician']);
    const restored = await refresh(emptied.body.refresh_token as string);
    expect((await verify(restored.body.access_token as string, 'at+jwt')).payload.roles).toEqual(['technician']);
  });

  it('refuses a role change without the secret, for an unknown user or with a bad role list', async () => {
    expect((await putRoles('tech2', '{"roles":[]}', 'wrong')).status).toBe(401);
    expect((await fetch(rolesUrl('tech2'))).status).toBe(401);
    expect((await fetch(rolesUrl('tech2'), { method: 'POST', headers: { authorization: `Bearer ${adminSecret()}` } })).status).toBe(405);
    expect(await putRoles('nobody', '{"roles":[]}')).toEqual({ status: 404, body: { error: 'unknown_user' } });
    for (const body of ['{"roles":"technician"}', '{"roles":["a","a"]}', '{"roles":["has space"]}', '{}', 'not json']) {
      const refused = await putRoles('tech2', body);
      expect(refused.status, body).toBe(400);
      expect(['invalid_roles', 'invalid_json'], body).toContain(refused.body.error);
    }
    expect(() => idp.setUserRoles('tech2', ['ok', 'ok'])).toThrow(/distinct names/);
    expect(() => idp.setUserRoles('nobody', [])).toThrow(/no demo user/);
    expect(idp.userRoles('tech2')).toEqual(['technician', 'supervisor']);
  });
});
