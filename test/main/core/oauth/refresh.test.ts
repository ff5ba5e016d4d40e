import type { JWTPayload } from 'jose';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isFieldKeyError, type ErrorCode } from '../../../../src/shared/errors';
import { accountIdFor } from '../../../../src/main/core/accounts/account-id';
import type { ProviderMetadata } from '../../../../src/main/core/oauth/discovery';
import type { SigningKeys } from '../../../../src/main/core/oauth/id-token';
import type { TimeRecorder } from '../../../../src/main/core/oauth/online-check-in';
import { Refresher, type RefreshableSession, type RefresherDeps } from '../../../../src/main/core/oauth/refresh';
import { withDefaults } from '../../../../src/main/core/policy/policy-defaults';
import type { SessionTokens } from '../../../../src/main/core/secrets/session-tokens';
import { fakeFetch, json, networkDown, type FakeFetch } from './fake-fetch';
import { manualClock, sign, testKey, type TestKey } from './test-keys';

const ISSUER = 'https://idp.example.test';
const CLIENT = 'fieldkey-desktop';
const TOKEN_ENDPOINT = `${ISSUER}/token`;
const START = new Date('2026-06-02T10:00:00Z');
const SERVER_DATE = 'Tue, 02 Jun 2026 10:00:03 GMT';
const policy = withDefaults({ issuer: ISSUER, clientId: CLIENT });
const metadata: ProviderMetadata = {
  issuer: ISSUER,
  authorizationEndpoint: `${ISSUER}/auth`,
  tokenEndpoint: TOKEN_ENDPOINT,
  jwksUri: `${ISSUER}/jwks`,
  issParameterSupported: true,
  source: 'network',
};

let key: TestKey;
beforeAll(async () => {
  key = await testKey('k1', 'ES256');
});

let clock: ReturnType<typeof manualClock>;
let f: FakeFetch;
let session: RefreshableSession & { sealed: SessionTokens[]; failReseal?: boolean };
let wipes: number;
let recorded: { serverTimes: [Date, Date, string][]; checkIns: [string, Date, Date | null][] };
let refresher: Refresher;
let deps: RefresherDeps;

const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
const idClaims = (extra: JWTPayload = {}): JWTPayload => ({
  iss: ISSUER,
  aud: CLIENT,
  sub: 'user-1',
  iat: nowSeconds(),
  exp: nowSeconds() + 900,
  nonce: 'n-1',
  ...extra,
});
const accessClaims = (extra: JWTPayload = {}): JWTPayload => ({
  iss: ISSUER,
  aud: CLIENT,
  sub: 'user-1',
  iat: nowSeconds(),
  exp: nowSeconds() + 900,
  ...extra,
});

async function tokenBody(n: number, extra: { id?: JWTPayload; access?: JWTPayload; refreshToken?: string | null } = {}) {
  const body: Record<string, unknown> = {
    access_token: await sign(key, accessClaims({ jti: `at-${n}`, ...extra.access })),
    token_type: 'Bearer',
    expires_in: 900,
    id_token: await sign(key, idClaims(extra.id)),
    scope: 'openid offline_access',
  };
  if (extra.refreshToken !== null) body.refresh_token = extra.refreshToken ?? `rt-${n}`;
  return body;
}

beforeEach(async () => {
  clock = manualClock(START);
  f = fakeFetch();
  wipes = 0;
  recorded = { serverTimes: [], checkIns: [] };
  const initial: SessionTokens = {
    accessToken: await sign(key, accessClaims({ jti: 'at-0' })),
    idToken: await sign(key, idClaims()),
    refreshToken: 'rt-0',
    tokenType: 'Bearer',
    expiresAt: nowSeconds() + 900,
  };
  let current = structuredClone(initial);
  session = {
    sealed: [],
    tokens: () => structuredClone(current),
    reseal: async (tokens) => {
      if (session.failReseal) throw new Error('disk full');
      session.sealed.push(structuredClone(tokens));
      current = structuredClone(tokens);
    },
  };
  const keys: SigningKeys = { keys: () => [{ kid: key.kid, alg: key.alg, jwk: key.publicJwk }], syncForUnknownKid: async () => undefined };
  const recorder: TimeRecorder = {
    recordServerTime: (server, local, source) => void recorded.serverTimes.push([server, local, source]),
    recordCheckIn: (account, at, server) => void recorded.checkIns.push([account, at, server]),
  };
  deps = {
    policy,
    http: { fetch: f.fetch },
    clock,
    metadata: async () => metadata,
    signingKeys: keys,
    recorder,
    session,
    wipe: async () => void wipes++,
  };
  refresher = new Refresher(deps);
});

describe('refresh', () => {
  it('sends the refresh token grant for the public client and stores the rotated tokens', async () => {
    const body = await tokenBody(1);
    f.route(TOKEN_ENDPOINT, () => json(body, { headers: { date: SERVER_DATE } }));
    const tokens = await refresher.refresh();
    const call = f.callsTo(TOKEN_ENDPOINT)[0]!;
    expect(call.method).toBe('POST');
    expect(Object.fromEntries(new URLSearchParams(call.body))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'rt-0',
      client_id: CLIENT,
    });
    expect(tokens).toMatchObject({
      accessToken: body.access_token,
      refreshToken: 'rt-1',
      idToken: body.id_token,
      expiresAt: nowSeconds() + 900,
    });
    expect(session.tokens()).toEqual(tokens);
  });

  it('persists the rotated refresh token before anything else, then the new tokens', async () => {
    const before = session.tokens();
    f.route(TOKEN_ENDPOINT, async () => json(await tokenBody(1)));
    const tokens = await refresher.refresh();
    expect(session.sealed).toHaveLength(2);
    expect(session.sealed[0]).toEqual({ ...before, refreshToken: 'rt-1' });
    expect(session.sealed[1]).toEqual(tokens);
  });

  it('returns no new access token when persisting the rotated refresh token fails', async () => {
    f.route(TOKEN_ENDPOINT, async () => json(await tokenBody(1)));
    session.failReseal = true;
    await expect(refresher.refresh()).rejects.toThrow('disk full');
    expect(session.tokens().refreshToken).toBe('rt-0');
    expect(recorded.checkIns).toHaveLength(0);
  });

  it('shares one request among 10 concurrent callers', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const body = await tokenBody(1);
    f.route(TOKEN_ENDPOINT, async () => {
      await gate;
      return json(body);
    });
    const all = Promise.all(Array.from({ length: 10 }, () => refresher.refresh()));
    release();
    const results = await all;
    expect(f.callsTo(TOKEN_ENDPOINT)).toHaveLength(1);
    expect(refresher.requests).toBe(1);
    expect(new Set(results.map((t) => t.accessToken))).toEqual(new Set([body.access_token]));
    // The next refresh is a new request with the rotated token.
    f.route(TOKEN_ENDPOINT, async () => json(await tokenBody(2)));
    await refresher.refresh();
    expect(new URLSearchParams(f.callsTo(TOKEN_ENDPOINT)[1]!.body).get('refresh_token')).toBe('rt-1');
  });

  it('keeps the old refresh token when the response has none', async () => {
    f.route(TOKEN_ENDPOINT, async () => json(await tokenBody(1, { refreshToken: null })));
    const tokens = await refresher.refresh();
    expect(tokens.refreshToken).toBe('rt-0');
    expect(session.sealed).toHaveLength(1);
    expect(session.tokens().refreshToken).toBe('rt-0');
  });

  it.each([
    ['another sub', { sub: 'user-2' }, 'identity_changed'],
    ['another nonce', { nonce: 'n-2' }, 'id_token_invalid'],
    ['another audience', { aud: 'other' }, 'id_token_invalid'],
  ])('refuses a refreshed ID token with %s but keeps the rotated refresh token', async (_name, id, code) => {
    const before = session.tokens();
    f.route(TOKEN_ENDPOINT, async () => json(await tokenBody(1, { id })));
    await expect(refresher.refresh()).rejects.toSatisfy((e) => isFieldKeyError(e, code as ErrorCode));
    expect(session.tokens()).toEqual({ ...before, refreshToken: 'rt-1' });
    expect(recorded.checkIns).toHaveLength(0);
  });

  it('persists a rotated refresh token even when the rest of the response is malformed', async () => {
    const before = session.tokens();
    f.route(TOKEN_ENDPOINT, async () => json({ ...(await tokenBody(1)), token_type: undefined }));
    await expect(refresher.refresh()).rejects.toSatisfy((e) => isFieldKeyError(e, 'token_response_invalid'));
    expect(session.tokens()).toEqual({ ...before, refreshToken: 'rt-1' });
  });

  it('refuses an access token the offline decision could not verify', async () => {
    const before = session.tokens();
    f.route(TOKEN_ENDPOINT, async () => json(await tokenBody(1, { access: { aud: 'urn:other' } })));
    await expect(refresher.refresh()).rejects.toMatchObject({ code: 'offline_token_unverifiable', reason: 'audience_mismatch' });
    expect(session.tokens().accessToken).toBe(before.accessToken);
  });

  it('wipes the session and reports session_revoked on invalid_grant', async () => {
    f.route(TOKEN_ENDPOINT, () => json({ error: 'invalid_grant', error_description: 'grant request is invalid' }, { status: 400 }));
    await expect(refresher.refresh()).rejects.toSatisfy((e) => isFieldKeyError(e, 'session_revoked'));
    expect(wipes).toBe(1);
  });

  it.each([
    ['a network failure', networkDown, 'offline'],
    ['HTTP 503', () => new Response('maintenance', { status: 503 }), 'idp_unavailable'],
    ['HTTP 502 with an OAuth-looking body', () => json({ error: 'invalid_grant' }, { status: 502 }), 'idp_unavailable'],
    ['HTTP 400 without an OAuth error', () => new Response('<html>bad gateway</html>', { status: 400 }), 'idp_unavailable'],
    ['a redirect', () => new Response(null, { status: 302, headers: { location: 'https://elsewhere.test' } }), 'idp_unavailable'],
    ['HTTP 200 with an HTML page', () => new Response('<html>portal</html>', { status: 200 }), 'idp_unavailable'],
    ['invalid_client', () => json({ error: 'invalid_client' }, { status: 401 }), 'token_refused'],
  ])('keeps everything on %s (not a revocation)', async (_name, handler, code) => {
    const before = session.tokens();
    f.route(TOKEN_ENDPOINT, handler);
    await expect(refresher.refresh()).rejects.toSatisfy((e) => isFieldKeyError(e, code as ErrorCode));
    expect(wipes).toBe(0);
    expect(session.sealed).toHaveLength(0);
    expect(session.tokens()).toEqual(before);
  });

  it('retries a lost answer once with the same refresh token', async () => {
    const body = await tokenBody(1);
    let calls = 0;
    f.route(TOKEN_ENDPOINT, (call) => (++calls === 1 ? networkDown(call) : json(body)));
    const tokens = await refresher.refresh();
    expect(tokens.refreshToken).toBe('rt-1');
    expect(f.callsTo(TOKEN_ENDPOINT).map((call) => new URLSearchParams(call.body).get('refresh_token'))).toEqual(['rt-0', 'rt-0']);
    expect(refresher.requests).toBe(2);
  });

  it('retries only once, and not a refusal', async () => {
    f.route(TOKEN_ENDPOINT, () => new Response('maintenance', { status: 503 }));
    await expect(refresher.refresh()).rejects.toSatisfy((e) => isFieldKeyError(e, 'idp_unavailable'));
    expect(f.callsTo(TOKEN_ENDPOINT)).toHaveLength(2);
    f.route(TOKEN_ENDPOINT, () => json({ error: 'invalid_grant' }, { status: 400 }));
    await expect(refresher.refresh()).rejects.toSatisfy((e) => isFieldKeyError(e, 'session_revoked'));
    expect(f.callsTo(TOKEN_ENDPOINT)).toHaveLength(3);
  });

  it('does not retry once refreshRetryWindowSeconds have passed since sending, or with a window of 0', async () => {
    f.route(TOKEN_ENDPOINT, () => {
      clock.advance(policy.refreshRetryWindowSeconds * 1000);
      throw new TypeError('fetch failed');
    });
    await expect(refresher.refresh()).rejects.toSatisfy((e) => isFieldKeyError(e, 'offline'));
    expect(f.callsTo(TOKEN_ENDPOINT)).toHaveLength(1);

    const noRetry = new Refresher({ ...deps, policy: withDefaults({ issuer: ISSUER, clientId: CLIENT, refreshRetryWindowSeconds: 0 }) });
    f.route(TOKEN_ENDPOINT, networkDown);
    await expect(noRetry.refresh()).rejects.toSatisfy((e) => isFieldKeyError(e, 'offline'));
    expect(f.callsTo(TOKEN_ENDPOINT)).toHaveLength(2);
  });

  it('never retries with a refresh token the session no longer holds', async () => {
    f.route(TOKEN_ENDPOINT, async () => {
      await session.reseal({ ...session.tokens(), refreshToken: 'rt-elsewhere' });
      throw new TypeError('fetch failed');
    });
    await expect(refresher.refresh()).rejects.toSatisfy((e) => isFieldKeyError(e, 'offline'));
    expect(f.callsTo(TOKEN_ENDPOINT)).toHaveLength(1);
  });

  it('records the server time and a check-in on success', async () => {
    f.route(TOKEN_ENDPOINT, async () => json(await tokenBody(1), { headers: { date: SERVER_DATE } }));
    await refresher.refresh();
    expect(recorded.serverTimes).toEqual([
      [new Date(nowSeconds() * 1000), START, 'token-iat'],
      [new Date(SERVER_DATE), START, 'http-date'],
    ]);
    expect(recorded.checkIns).toEqual([[accountIdFor(ISSUER, 'user-1'), START, new Date(SERVER_DATE)]]);
  });

  it('refreshes only when the access token is due (expiry minus the margin, for a session without receivedAt)', async () => {
    f.route(TOKEN_ENDPOINT, async () => json(await tokenBody(1)));
    expect(refresher.dueAt()).toEqual(new Date(START.getTime() + (900 - 60) * 1000));
    await refresher.ensureFresh();
    expect(f.calls).toHaveLength(0);
    clock.advance((900 - 60) * 1000);
    await refresher.ensureFresh();
    expect(f.calls).toHaveLength(1);
  });

  it('a refreshed token is due halfway through its lifetime, for the longest offline runway', async () => {
    f.route(TOKEN_ENDPOINT, async () => json(await tokenBody(1)));
    const tokens = await refresher.refresh();
    expect(tokens.receivedAt).toBe(Math.floor(START.getTime() / 1000));
    expect(tokens.expiresAt).toBe(Math.floor(START.getTime() / 1000) + 900);
    expect(refresher.dueAt()).toEqual(new Date(START.getTime() + 450 * 1000));
    clock.advance(449_000);
    await refresher.ensureFresh();
    expect(f.calls).toHaveLength(1);
    clock.advance(1000);
    await refresher.ensureFresh();
    expect(f.calls).toHaveLength(2);
  });

  it('needs a refresh token', async () => {
    const { refreshToken: _dropped, ...rest } = session.tokens();
    await session.reseal(rest);
    await expect(refresher.refresh()).rejects.toSatisfy((e) => isFieldKeyError(e, 'no_refresh_token'));
  });
});
