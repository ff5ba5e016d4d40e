import { describe, expect, it } from 'vitest';
import { isFieldKeyError, type ErrorCode } from '../../../../src/shared/errors';
import { cachedMetadata, discover, discoveryUrlFor, type DiscoveryCache } from '../../../../src/main/core/oauth/discovery';
import { withDefaults, type PolicyDocument } from '../../../../src/main/core/policy/policy-defaults';
import { fakeFetch, json, networkDown } from './fake-fetch';

const ISSUER = 'https://idp.example.test';
const WELL_KNOWN = `${ISSUER}/.well-known/openid-configuration`;

function document(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuer: ISSUER,
    authorization_endpoint: `${ISSUER}/auth`,
    token_endpoint: `${ISSUER}/token`,
    jwks_uri: `${ISSUER}/jwks`,
    revocation_endpoint: `${ISSUER}/token/revocation`,
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    ...overrides,
  };
}

function memoryCache(): DiscoveryCache & { saved: Map<string, Record<string, unknown>> } {
  const saved = new Map<string, Record<string, unknown>>();
  return {
    saved,
    save: (issuer, doc) => void saved.set(issuer, structuredClone(doc)),
    load: (issuer) => {
      const document = saved.get(issuer);
      return document && { document };
    },
  };
}

const policy = (extra: Partial<PolicyDocument> = {}) => withDefaults({ issuer: ISSUER, clientId: 'fieldkey-desktop', ...extra });

describe('discovery', () => {
  it('derives the well-known URL, or takes the policy discoveryUrl', () => {
    expect(discoveryUrlFor(policy())).toBe(WELL_KNOWN);
    expect(discoveryUrlFor(policy({ issuer: `${ISSUER}/` }))).toBe(WELL_KNOWN);
    expect(discoveryUrlFor(policy({ issuer: 'acme.com', discoveryUrl: 'https://login.acme.test/.well-known/openid-configuration' }))).toBe(
      'https://login.acme.test/.well-known/openid-configuration',
    );
    expect(discoveryUrlFor(policy({ issuer: 'acme.com' }))).toBeUndefined();
  });

  it('fetches, validates and caches the document', async () => {
    const f = fakeFetch({ [WELL_KNOWN]: () => json(document()) });
    const cache = memoryCache();
    const metadata = await discover({ policy: policy(), http: { fetch: f.fetch }, cache });
    expect(metadata).toEqual({
      issuer: ISSUER,
      authorizationEndpoint: `${ISSUER}/auth`,
      tokenEndpoint: `${ISSUER}/token`,
      jwksUri: `${ISSUER}/jwks`,
      revocationEndpoint: `${ISSUER}/token/revocation`,
      issParameterSupported: true,
      source: 'network',
    });
    expect(cache.saved.get(ISSUER)).toEqual(document());
  });

  it.each([
    ['a different issuer', { issuer: 'https://evil.example.test' }, 'issuer_mismatch'],
    ['a trailing slash on the issuer', { issuer: `${ISSUER}/` }, 'issuer_mismatch'],
    ['no issuer', { issuer: undefined }, 'issuer_mismatch'],
    ['PKCE methods without S256', { code_challenge_methods_supported: ['plain'] }, 'pkce_unsupported'],
    ['an empty PKCE method list', { code_challenge_methods_supported: [] }, 'pkce_unsupported'],
    ['PKCE methods that are not a list', { code_challenge_methods_supported: 'S256' }, 'pkce_unsupported'],
    ['no token endpoint', { token_endpoint: undefined }, 'discovery_invalid'],
    ['an http token endpoint', { token_endpoint: 'http://idp.example.test/token' }, 'discovery_invalid'],
    ['a jwks_uri with credentials', { jwks_uri: 'https://u:p@idp.example.test/jwks' }, 'discovery_invalid'],
  ])('refuses a document with %s and caches nothing', async (_name, overrides, code) => {
    const f = fakeFetch({ [WELL_KNOWN]: () => json(document(overrides)) });
    const cache = memoryCache();
    await expect(discover({ policy: policy(), http: { fetch: f.fetch }, cache })).rejects.toSatisfy((e) =>
      isFieldKeyError(e, code as ErrorCode),
    );
    expect(cache.saved.size).toBe(0);
  });

  it('accepts a document without code_challenge_methods_supported (the field is optional)', async () => {
    const f = fakeFetch({ [WELL_KNOWN]: () => json(document({ code_challenge_methods_supported: undefined })) });
    await expect(discover({ policy: policy(), http: { fetch: f.fetch }, cache: memoryCache() })).resolves.toMatchObject({
      source: 'network',
    });
  });

  it('does not let a mismatching fresh document fall back to the cache', async () => {
    const cache = memoryCache();
    cache.save(ISSUER, document());
    const f = fakeFetch({ [WELL_KNOWN]: () => json(document({ issuer: 'https://evil.example.test' })) });
    await expect(discover({ policy: policy(), http: { fetch: f.fetch }, cache })).rejects.toSatisfy((e) =>
      isFieldKeyError(e, 'issuer_mismatch'),
    );
  });

  it.each([
    ['the network is down', networkDown, 'offline'],
    ['the IdP answers 503', () => new Response('down', { status: 503 }), 'idp_unavailable'],
  ])('uses the cached document when %s, and fails with the cause when there is none', async (_name, handler, code) => {
    const f = fakeFetch({ [WELL_KNOWN]: handler });
    const cache = memoryCache();
    await expect(discover({ policy: policy(), http: { fetch: f.fetch }, cache })).rejects.toSatisfy((e) =>
      isFieldKeyError(e, code as ErrorCode),
    );
    cache.save(ISSUER, document());
    await expect(discover({ policy: policy(), http: { fetch: f.fetch }, cache })).resolves.toMatchObject({
      source: 'cache',
      tokenEndpoint: `${ISSUER}/token`,
    });
  });

  it('does not use the cache when asked not to (sign-in needs the IdP)', async () => {
    const f = fakeFetch({ [WELL_KNOWN]: networkDown });
    const cache = memoryCache();
    cache.save(ISSUER, document());
    await expect(discover({ policy: policy(), http: { fetch: f.fetch }, cache }, { allowCache: false })).rejects.toSatisfy((e) =>
      isFieldKeyError(e, 'offline'),
    );
  });

  it('refuses an HTML page or a 404 as discovery_invalid', async () => {
    for (const handler of [() => new Response('<html>', { status: 200 }), () => new Response('nope', { status: 404 })]) {
      const f = fakeFetch({ [WELL_KNOWN]: handler });
      await expect(discover({ policy: policy(), http: { fetch: f.fetch }, cache: memoryCache() })).rejects.toSatisfy((e) =>
        isFieldKeyError(e, 'discovery_invalid'),
      );
    }
  });

  it('knows the endpoints offline from the cache only', () => {
    const cache = memoryCache();
    expect(cachedMetadata({ policy: policy(), cache })).toBeUndefined();
    cache.save(ISSUER, document());
    expect(cachedMetadata({ policy: policy(), cache })).toMatchObject({ source: 'cache', jwksUri: `${ISSUER}/jwks` });
  });

  it('uses explicit policy endpoints without any request when there is no discoveryUrl', async () => {
    const endpoints = { authorization: 'https://a.test/auth', token: 'https://a.test/token', jwks: 'https://a.test/keys' };
    const f = fakeFetch();
    const metadata = await discover({ policy: policy({ issuer: 'acme.com', endpoints }), http: { fetch: f.fetch }, cache: memoryCache() });
    expect(metadata).toEqual({
      issuer: 'acme.com',
      authorizationEndpoint: endpoints.authorization,
      tokenEndpoint: endpoints.token,
      jwksUri: endpoints.jwks,
      issParameterSupported: false,
      source: 'policy',
    });
    expect(f.calls).toHaveLength(0);
  });

  it('lets explicit endpoints win over discovered ones', async () => {
    const endpoints = { authorization: `${ISSUER}/auth`, token: 'https://token.example.test/t', jwks: `${ISSUER}/jwks` };
    const f = fakeFetch({ [WELL_KNOWN]: () => json(document()) });
    const metadata = await discover({
      policy: policy({ discoveryUrl: WELL_KNOWN, endpoints }),
      http: { fetch: f.fetch },
      cache: memoryCache(),
    });
    expect(metadata).toMatchObject({
      tokenEndpoint: 'https://token.example.test/t',
      revocationEndpoint: `${ISSUER}/token/revocation`,
      source: 'network',
    });
  });

  it('needs discoveryUrl or endpoints for an issuer that is not a URL', async () => {
    await expect(
      discover({ policy: policy({ issuer: 'acme.com' }), http: { fetch: fakeFetch().fetch }, cache: memoryCache() }),
    ).rejects.toSatisfy((e) => isFieldKeyError(e, 'discovery_unavailable'));
  });
});
