import { beforeEach, describe, expect, it } from 'vitest';
import { FieldKeyError, isFieldKeyError } from '../../../../src/shared/errors';
import type { ProviderMetadata } from '../../../../src/main/core/oauth/discovery';
import { fusionAuthLogoutUrl, logOutAtFusionAuth } from '../../../../src/main/core/oauth/fusionauth-logout';
import { MAX_AGE_DAYS, REVOCATION_ENTRY_PREFIX, RevocationQueue } from '../../../../src/main/core/oauth/revocation-queue';
import { flushRevocations, signOut, type SignOutDeps } from '../../../../src/main/core/oauth/sign-out';
import type { SecretStore } from '../../../../src/main/core/secrets/secret-store';
import { fakeFetch, json, networkDown, type FakeFetch } from './fake-fetch';
import { manualClock } from './test-keys';

const ISSUER = 'https://idp.example.test';
const CLIENT = 'fieldkey-desktop';
const REVOCATION = `${ISSUER}/token/revocation`;
const metadata: ProviderMetadata = {
  issuer: ISSUER,
  authorizationEndpoint: `${ISSUER}/auth`,
  tokenEndpoint: `${ISSUER}/token`,
  jwksUri: `${ISSUER}/jwks`,
  revocationEndpoint: REVOCATION,
  issParameterSupported: true,
  source: 'network',
};

function memorySecrets(): SecretStore & { entries: Map<string, string>; failSet?: boolean } {
  const entries = new Map<string, string>();
  const store = {
    entries,
    failSet: false,
    get: async (entry: string) => entries.get(entry) ?? null,
    set: async (entry: string, value: string) => {
      if (store.failSet) throw new FieldKeyError('keychain_unavailable', 'no keychain');
      entries.set(entry, value);
    },
    delete: async (entry: string) => entries.delete(entry),
    list: async () => [...entries.keys()],
  };
  return store;
}

let f: FakeFetch;
let secrets: ReturnType<typeof memorySecrets>;
let clock: ReturnType<typeof manualClock>;
let deps: SignOutDeps;
let wipes: number;
const wipe = async () => void wipes++;
const queued = () => [...secrets.entries.keys()].filter((e) => e.startsWith(REVOCATION_ENTRY_PREFIX));

beforeEach(() => {
  f = fakeFetch();
  secrets = memorySecrets();
  clock = manualClock(new Date('2026-06-02T10:00:00Z'));
  wipes = 0;
  deps = {
    policy: { issuer: ISSUER, clientId: CLIENT },
    http: { fetch: f.fetch },
    metadata: async () => metadata,
    queue: new RevocationQueue(secrets, clock),
  };
});

describe('sign-out', () => {
  it('revokes the refresh token (RFC 7009) and wipes the session', async () => {
    f.route(REVOCATION, () => new Response(null, { status: 200 }));
    expect(await signOut(deps, { refreshToken: 'rt-1', wipe })).toBe('revoked');
    const call = f.callsTo(REVOCATION)[0]!;
    expect(call.method).toBe('POST');
    expect(call.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(call.body))).toEqual({
      token: 'rt-1',
      token_type_hint: 'refresh_token',
      client_id: CLIENT,
    });
    expect(wipes).toBe(1);
    expect(queued()).toEqual([]);
  });

  it.each([
    ['offline', networkDown],
    ['the IdP answering 503', () => new Response('down', { status: 503 })],
  ])('queues the revocation in the keychain when %s, wipes anyway, and sends it on the next connection', async (_name, handler) => {
    f.route(REVOCATION, handler);
    expect(await signOut(deps, { refreshToken: 'rt-1', wipe })).toBe('queued');
    expect(wipes).toBe(1);
    expect(queued()).toHaveLength(1);
    expect(queued()[0]).toMatch(/^revocation\/[A-Za-z0-9_-]{22}$/);
    expect(JSON.parse(secrets.entries.get(queued()[0]!)!)).toMatchObject({ issuer: ISSUER, clientId: CLIENT, token: 'rt-1' });

    f.route(REVOCATION, () => new Response(null, { status: 200 }));
    expect(await flushRevocations(deps)).toEqual({ sent: 1, dropped: 0, kept: 0 });
    expect(new URLSearchParams(f.callsTo(REVOCATION).at(-1)!.body).get('token')).toBe('rt-1');
    expect(queued()).toEqual([]);
  });

  it('only wipes a session without a refresh token', async () => {
    expect(await signOut(deps, { refreshToken: undefined, wipe })).toBe('no_token');
    expect(wipes).toBe(1);
    expect(f.calls).toHaveLength(0);
  });

  it('does not retry a revocation the IdP refuses', async () => {
    f.route(REVOCATION, () => json({ error: 'unsupported_token_type' }, { status: 400 }));
    expect(await signOut(deps, { refreshToken: 'rt-1', wipe })).toBe('refused');
    expect(queued()).toEqual([]);
  });

  it('only wipes when the IdP has no revocation endpoint', async () => {
    const { revocationEndpoint: _none, ...noRevocation } = metadata;
    deps.metadata = async () => noRevocation;
    expect(await signOut(deps, { refreshToken: 'rt-1', wipe })).toBe('not_supported');
    expect(wipes).toBe(1);
    expect(queued()).toEqual([]);
  });

  it('wipes even when the keychain cannot queue and the IdP cannot be reached', async () => {
    secrets.failSet = true;
    f.route(REVOCATION, networkDown);
    expect(await signOut(deps, { refreshToken: 'rt-1', wipe })).toBe('not_queued');
    expect(wipes).toBe(1);
  });

  it('queues while endpoints cannot be discovered offline', async () => {
    deps.metadata = async () => {
      throw new FieldKeyError('offline', 'no network');
    };
    expect(await signOut(deps, { refreshToken: 'rt-1', wipe })).toBe('queued');
    expect(await flushRevocations(deps)).toEqual({ sent: 0, dropped: 0, kept: 1 });
  });

  describe('queue', () => {
    it('sends oldest first, stops at the first connection failure, keeps other issuers, drops old and unreadable entries', async () => {
      const queue = deps.queue;
      await queue.enqueue({ issuer: ISSUER, clientId: CLIENT, refreshToken: 'ancient' });
      clock.advance((MAX_AGE_DAYS + 1) * 86_400_000);
      await queue.enqueue({ issuer: ISSUER, clientId: CLIENT, refreshToken: 'first' });
      clock.advance(1000);
      await queue.enqueue({ issuer: 'https://other.example.test', clientId: CLIENT, refreshToken: 'other-issuer' });
      clock.advance(1000);
      await queue.enqueue({ issuer: ISSUER, clientId: CLIENT, refreshToken: 'second' });
      clock.advance(1000);
      await queue.enqueue({ issuer: ISSUER, clientId: CLIENT, refreshToken: 'third' });
      secrets.entries.set(`${REVOCATION_ENTRY_PREFIX}garbage`, '{not json');
      secrets.entries.set('some-account/device-key', 'untouched');

      let calls = 0;
      f.route(REVOCATION, (call) => {
        calls++;
        return new URLSearchParams(call.body).get('token') === 'second'
          ? new Response('down', { status: 502 })
          : new Response(null, { status: 200 });
      });
      expect(await flushRevocations(deps)).toEqual({ sent: 1, dropped: 1, kept: 3 });
      expect(calls).toBe(2); // first (sent), second (failed); third waits for the next connection
      expect(secrets.entries.get('some-account/device-key')).toBe('untouched');
      const left = (await queue.pending()).map((item) => item.refreshToken);
      expect(left).toEqual(['other-issuer', 'second', 'third']);
    });

    it('refuses a token too large for a keychain entry', async () => {
      await expect(deps.queue.enqueue({ issuer: ISSUER, clientId: CLIENT, refreshToken: 'x'.repeat(2100) })).rejects.toSatisfy((e) =>
        isFieldKeyError(e, 'revocation_not_queued'),
      );
      expect(queued()).toEqual([]);
    });
  });
});

describe('FusionAuth (no RFC 7009 endpoint, policy idp "fusionauth")', () => {
  const FA = 'https://auth.acme.test';
  const LOGOUT = `${FA}/api/logout`;
  const { revocationEndpoint: _none, ...fusionAuth } = { ...metadata, tokenEndpoint: `${FA}/oauth2/token` };

  beforeEach(() => {
    deps = { ...deps, policy: { issuer: 'acme.com', clientId: CLIENT, idp: 'fusionauth' }, metadata: async () => fusionAuth };
  });

  it('revokes through the Logout API: a JSON POST of the refresh token beside the token endpoint, no API key', async () => {
    f.route(LOGOUT, () => new Response(null, { status: 200 }));
    expect(await signOut(deps, { refreshToken: 'rt-fa', wipe })).toBe('revoked');
    const call = f.callsTo(LOGOUT)[0]!;
    expect(call.method).toBe('POST');
    expect(call.headers.get('content-type')).toBe('application/json');
    expect(call.headers.get('authorization')).toBeNull();
    expect(JSON.parse(call.body)).toEqual({ refreshToken: 'rt-fa', global: false });
    expect(wipes).toBe(1);
    expect(queued()).toEqual([]);
  });

  it('a revocation endpoint in discovery still wins', async () => {
    deps.metadata = async () => ({ ...fusionAuth, revocationEndpoint: REVOCATION });
    f.route(REVOCATION, () => new Response(null, { status: 200 }));
    expect(await signOut(deps, { refreshToken: 'rt-fa', wipe })).toBe('revoked');
    expect(f.callsTo(LOGOUT)).toEqual([]);
    expect(f.callsTo(REVOCATION)).toHaveLength(1);
  });

  it('without idp "fusionauth" the same IdP cannot revoke: only wiped, nothing sent', async () => {
    deps.policy = { issuer: 'acme.com', clientId: CLIENT, idp: 'oidc' };
    expect(await signOut(deps, { refreshToken: 'rt-fa', wipe })).toBe('not_supported');
    expect(f.calls).toEqual([]);
  });

  it.each([
    ['offline', networkDown],
    ['FusionAuth answering 503', () => new Response('down', { status: 503 })],
  ])('queues when %s and sends the queued token through the Logout API at the next connection', async (_name, handler) => {
    f.route(LOGOUT, handler);
    expect(await signOut(deps, { refreshToken: 'rt-fa', wipe })).toBe('queued');
    expect(queued()).toHaveLength(1);
    f.route(LOGOUT, () => new Response(null, { status: 200 }));
    expect(await flushRevocations(deps)).toEqual({ sent: 1, dropped: 0, kept: 0 });
    expect(JSON.parse(f.callsTo(LOGOUT).at(-1)!.body)).toEqual({ refreshToken: 'rt-fa', global: false });
    expect(queued()).toEqual([]);
  });

  it("a 400 is refused for good, with FusionAuth's error code (sanitized) and never the token", async () => {
    f.route(LOGOUT, () =>
      json({ fieldErrors: { refreshToken: [{ code: '[invalid]refreshToken\u0007', message: 'rt-fa is bad' }] } }, { status: 400 }),
    );
    expect(await signOut(deps, { refreshToken: 'rt-fa', wipe })).toBe('refused');
    expect(queued()).toEqual([]);
    const error = await logOutAtFusionAuth({ fetch: f.fetch }, { logoutEndpoint: LOGOUT, refreshToken: 'rt-fa' }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'revocation_refused',
      message: 'The identity provider refused to revoke the token: [invalid]refreshToken.',
    });
  });

  it("the Logout API URL sits beside FusionAuth's token endpoint, also under a path prefix", () => {
    expect(fusionAuthLogoutUrl('https://auth.acme.test/oauth2/token')).toBe('https://auth.acme.test/api/logout');
    expect(fusionAuthLogoutUrl('https://acme.test/fusionauth/oauth2/token?x=1')).toBe('https://acme.test/fusionauth/api/logout');
    expect(fusionAuthLogoutUrl('http://127.0.0.1:9011/token')).toBe('http://127.0.0.1:9011/api/logout');
  });
});
