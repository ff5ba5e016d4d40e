/**
 * The sign-in orchestration with a fake IdP behind a fake fetch and a test "browser" that answers
 * at the real loopback listener. The real IdP and Chromium run in sign-in.integration.test.ts.
 */
import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isFieldKeyError, type ErrorCode } from '../../../../src/shared/errors';
import { accountIdFor } from '../../../../src/main/core/accounts/account-id';
import { JwksSync } from '../../../../src/main/core/oauth/jwks-sync';
import type { TimeRecorder } from '../../../../src/main/core/oauth/online-check-in';
import { startSignIn, type SignInDeps } from '../../../../src/main/core/oauth/sign-in';
import { withDefaults, type PolicyDocument } from '../../../../src/main/core/policy/policy-defaults';
import { openDatabase, type Database } from '../../../../src/main/adapters/sqlite/database';
import { DiscoveryCache } from '../../../../src/main/core/records/discovery-cache';
import { JwksStore } from '../../../../src/main/core/records/jwks-store';
import { fakeFetch, json, type FakeFetch } from './fake-fetch';
import { jwks, manualClock, sign, testKey, type TestKey } from './test-keys';

const ISSUER = 'https://idp.example.test';
const CLIENT = 'fieldkey-desktop';
const WELL_KNOWN = `${ISSUER}/.well-known/openid-configuration`;
const DISCOVERY = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/auth?tenant=t1`,
  token_endpoint: `${ISSUER}/token`,
  jwks_uri: `${ISSUER}/jwks`,
  code_challenge_methods_supported: ['S256'],
  authorization_response_iss_parameter_supported: true,
};
const SUB = 'user-1';

let key: TestKey;
beforeAll(async () => {
  key = await testKey('k1', 'ES256');
});

let db: Database;
let f: FakeFetch;
let clock: ReturnType<typeof manualClock>;
let recorded: { serverTimes: number; checkIns: string[] };
let opened: URL[];
/** What the test browser does with the authorization URL (default: come back with a code). */
let browser: (url: URL) => Promise<void>;

const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
const idClaims = (nonce: string, extra: JWTPayload = {}): JWTPayload => ({
  iss: ISSUER,
  aud: CLIENT,
  sub: SUB,
  iat: nowSeconds(),
  exp: nowSeconds() + 900,
  nonce,
  name: 'Tess Technician',
  email: 'tess@example.test',
  ...extra,
});

const callback = (url: URL, params: Record<string, string>) =>
  fetch(`${url.searchParams.get('redirect_uri')}?${new URLSearchParams(params).toString()}`).then((r) => r.text());

function deps(policyExtra: Partial<PolicyDocument> = {}): SignInDeps {
  const policy = withDefaults({ issuer: ISSUER, clientId: CLIENT, ...policyExtra });
  const recorder: TimeRecorder = {
    recordServerTime: () => void recorded.serverTimes++,
    recordCheckIn: (account) => void recorded.checkIns.push(account),
  };
  return {
    policy,
    http: { fetch: f.fetch },
    clock,
    discoveryCache: new DiscoveryCache(db, clock),
    jwks: new JwksSync({
      policy,
      http: { fetch: f.fetch },
      clock,
      store: new JwksStore(db, clock),
      jwksUri: async () => DISCOVERY.jwks_uri,
    }),
    recorder,
    openExternal: async (url) => {
      const parsed = new URL(url);
      opened.push(parsed);
      void browser(parsed);
    },
  };
}

/** The fake token endpoint: checks the PKCE verifier against the challenge the browser saw. */
function tokenEndpoint(extra: { id?: JWTPayload; body?: Record<string, unknown> } = {}) {
  f.route(DISCOVERY.token_endpoint, async (call) => {
    const form = new URLSearchParams(call.body);
    const auth = opened.at(-1)!.searchParams;
    const challenge = createHash('sha256')
      .update(form.get('code_verifier') ?? '')
      .digest('base64url');
    if (
      form.get('code') !== 'the-code' ||
      challenge !== auth.get('code_challenge') ||
      form.get('redirect_uri') !== auth.get('redirect_uri')
    ) {
      return json({ error: 'invalid_grant' }, { status: 400 });
    }
    return json(
      {
        access_token: await sign(key, { iss: ISSUER, aud: CLIENT, sub: SUB, iat: nowSeconds(), exp: nowSeconds() + 900 }),
        token_type: 'Bearer',
        expires_in: 900,
        refresh_token: 'rt-1',
        id_token: await sign(key, idClaims(auth.get('nonce')!, extra.id)),
        ...extra.body,
      },
      { headers: { date: 'Tue, 02 Jun 2026 10:00:01 GMT' } },
    );
  });
}

beforeEach(() => {
  db = openDatabase(':memory:');
  clock = manualClock(new Date('2026-06-02T10:00:00Z'));
  recorded = { serverTimes: 0, checkIns: [] };
  opened = [];
  f = fakeFetch({ [WELL_KNOWN]: () => json(DISCOVERY), [DISCOVERY.jwks_uri]: () => json(jwks(key)) });
  browser = async (url) => void (await callback(url, { code: 'the-code', state: url.searchParams.get('state')!, iss: ISSUER }));
  tokenEndpoint();
});

afterEach(() => db.close());

describe('sign-in', () => {
  it('runs the whole flow and returns validated tokens and the identity', async () => {
    const result = await startSignIn(deps({ extraScopes: ['profile', 'email', 'openid'] })).result;
    expect(result.accountId).toBe(accountIdFor(ISSUER, SUB));
    expect(result.identity).toEqual({ issuer: ISSUER, subject: SUB, displayName: 'Tess Technician', email: 'tess@example.test' });
    expect(result.tokens).toMatchObject({ refreshToken: 'rt-1', tokenType: 'Bearer', expiresAt: nowSeconds() + 900 });
    expect(recorded).toEqual({ serverTimes: 2, checkIns: [accountIdFor(ISSUER, SUB)] });

    const auth = opened[0]!;
    expect(`${auth.origin}${auth.pathname}`).toBe(`${ISSUER}/auth`);
    expect(Object.fromEntries(auth.searchParams)).toMatchObject({
      tenant: 't1',
      response_type: 'code',
      client_id: CLIENT,
      scope: 'openid offline_access profile email',
      code_challenge_method: 'S256',
      prompt: 'consent',
    });
    expect(auth.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    for (const name of ['state', 'nonce', 'code_challenge']) expect(auth.searchParams.get(name)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(auth.searchParams.get('state')).not.toBe(auth.searchParams.get('nonce'));
    // The listener is closed afterwards.
    await expect(fetch(auth.searchParams.get('redirect_uri')!)).rejects.toThrow();
  });

  it('uses fresh state, nonce and verifier for every sign-in, and lets prompt be changed', async () => {
    await startSignIn(deps()).result;
    await startSignIn(deps(), { prompt: '' }).result;
    const [a, b] = opened;
    for (const name of ['state', 'nonce', 'code_challenge']) expect(a!.searchParams.get(name)).not.toBe(b!.searchParams.get(name));
    expect(b!.searchParams.has('prompt')).toBe(false);
  });

  it.each([
    ['issuer_mismatch', { ...DISCOVERY, issuer: 'https://evil.example.test' }],
    ['pkce_unsupported', { ...DISCOVERY, code_challenge_methods_supported: ['plain'] }],
  ])('aborts with %s before opening the browser', async (code, document) => {
    f.route(WELL_KNOWN, () => json(document));
    await expect(startSignIn(deps()).result).rejects.toSatisfy((e) => isFieldKeyError(e, code as ErrorCode));
    expect(opened).toHaveLength(0);
  });

  it('needs the IdP: a cached discovery document is not enough to sign in', async () => {
    const d = deps();
    d.discoveryCache.save(ISSUER, DISCOVERY);
    f.route(WELL_KNOWN, () => {
      throw new TypeError('fetch failed');
    });
    await expect(startSignIn(d).result).rejects.toSatisfy((e) => isFieldKeyError(e, 'offline'));
  });

  it("ends with the IdP's error", async () => {
    browser = async (url) =>
      void (await callback(url, { error: 'access_denied', error_description: 'no', state: url.searchParams.get('state')!, iss: ISSUER }));
    await expect(startSignIn(deps()).result).rejects.toMatchObject({ code: 'idp_error', error: 'access_denied' });
    expect(recorded.checkIns).toHaveLength(0);
  });

  it('ignores a forged callback and completes with the real one', async () => {
    browser = async (url) => {
      await callback(url, { code: 'forged', state: 'guess' });
      await callback(url, { code: 'forged', state: url.searchParams.get('state')!, iss: 'https://evil.example.test' });
      await callback(url, { code: 'the-code', state: url.searchParams.get('state')!, iss: ISSUER });
    };
    const pending = startSignIn(deps());
    await expect(pending.result).resolves.toMatchObject({ accountId: accountIdFor(ISSUER, SUB) });
    expect(pending.refused()).toMatchObject({ state: 1, iss: 1 });
  });

  it.each([
    ['an ID token with another nonce', { id: { nonce: 'other' } }, 'id_token_invalid'],
    ['an ID token for another client', { id: { aud: 'other' } }, 'id_token_invalid'],
    ['no refresh token', { body: { refresh_token: undefined } }, 'refresh_token_missing'],
    ['no ID token', { body: { id_token: undefined } }, 'token_response_invalid'],
    ['a DPoP token type', { body: { token_type: 'DPoP' } }, 'token_response_invalid'],
    ['an opaque access token', { body: { access_token: 'opaque-token' } }, 'offline_token_unverifiable'],
  ])('refuses %s and records nothing', async (_name, extra, code) => {
    tokenEndpoint(extra);
    await expect(startSignIn(deps()).result).rejects.toSatisfy((e) => isFieldKeyError(e, code as ErrorCode));
    expect(recorded).toEqual({ serverTimes: 0, checkIns: [] });
  });

  it('accepts an opaque access token when the policy decides offline on the ID token', async () => {
    tokenEndpoint({ body: { access_token: 'opaque-token' } });
    await expect(startSignIn(deps({ offlineToken: 'id' })).result).resolves.toMatchObject({ tokens: { accessToken: 'opaque-token' } });
  });

  it('cancel() ends the sign-in and closes the port', async () => {
    let redirectUri = '';
    browser = async (url) => void (redirectUri = url.searchParams.get('redirect_uri')!);
    const pending = startSignIn(deps());
    await new Promise((resolve) => setTimeout(resolve, 50));
    pending.cancel();
    await expect(pending.result).rejects.toSatisfy((e) => isFieldKeyError(e, 'sign_in_cancelled'));
    await expect(fetch(redirectUri)).rejects.toThrow();
  });

  it('times out when the browser never comes back', async () => {
    browser = async () => undefined;
    await expect(startSignIn(deps(), { timeoutMs: 100 }).result).rejects.toSatisfy((e) => isFieldKeyError(e, 'sign_in_timeout'));
  });

  it('reports a browser that cannot be opened and closes the listener', async () => {
    const d = deps();
    d.openExternal = async () => {
      throw new Error('no browser');
    };
    await expect(startSignIn(d).result).rejects.toSatisfy((e) => isFieldKeyError(e, 'browser_unavailable'));
  });

  it('refuses a custom-scheme redirect policy', async () => {
    await expect(startSignIn(deps({ redirect: { mode: 'custom-scheme', uri: 'fieldkey:/cb' } })).result).rejects.toSatisfy((e) =>
      isFieldKeyError(e, 'redirect_mode_unsupported'),
    );
  });
});
