import type { JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { isFieldKeyError } from '../../../../src/shared/errors';
import { IdTokenError, validateIdToken, type SigningKeys } from '../../../../src/main/core/oauth/id-token';
import type { CachedKey } from '../../../../src/main/core/offline/cached-keys';
import { withDefaults } from '../../../../src/main/core/policy/policy-defaults';
import { sign, testKey, type TestKey } from './test-keys';

const ISSUER = 'https://idp.example.test';
const CLIENT = 'fieldkey-desktop';
const NOW = new Date('2026-06-02T10:00:00Z');
const now = Math.floor(NOW.getTime() / 1000);
const policy = withDefaults({ issuer: ISSUER, clientId: CLIENT });

let key: TestKey;
let other: TestKey;
let rotated: TestKey;

beforeAll(async () => {
  [key, other, rotated] = await Promise.all([testKey('k1', 'ES256'), testKey('k1', 'ES256'), testKey('k2', 'EdDSA')]);
});

const cached = (...keys: TestKey[]): CachedKey[] => keys.map((k) => ({ kid: k.kid, alg: k.alg, jwk: k.publicJwk }));

function keysOf(initial: TestKey[], afterSync: TestKey[] = initial): SigningKeys & { syncs: number } {
  const state = { current: cached(...initial), syncs: 0 };
  return {
    get syncs() {
      return state.syncs;
    },
    keys: () => state.current,
    syncForUnknownKid: async () => {
      state.syncs++;
      state.current = cached(...afterSync);
    },
  };
}

const claims = (extra: JWTPayload = {}): JWTPayload => ({
  iss: ISSUER,
  aud: CLIENT,
  sub: 'user-1',
  iat: now,
  exp: now + 600,
  nonce: 'n-1',
  ...extra,
});

describe('ID token validation', () => {
  it('accepts a valid token and returns its claims', async () => {
    const token = await sign(key, claims());
    await expect(validateIdToken(token, { policy, now: NOW, nonce: 'n-1' }, keysOf([key]))).resolves.toMatchObject({
      sub: 'user-1',
      iss: ISSUER,
    });
  });

  it.each([
    ['another issuer', { iss: 'https://evil.example.test' }, 'issuer_mismatch'],
    ['an issuer with a trailing slash', { iss: `${ISSUER}/` }, 'issuer_mismatch'],
    ['another audience', { aud: 'someone-else' }, 'audience_mismatch'],
    ['several audiences without azp', { aud: [CLIENT, 'api'] }, 'azp_mismatch'],
    ['an azp of another client', { azp: 'someone-else' }, 'azp_mismatch'],
    ['another nonce', { nonce: 'n-2' }, 'nonce_mismatch'],
    ['no nonce', { nonce: undefined }, 'nonce_mismatch'],
    ['an exp in the past beyond the skew', { exp: now - 301 }, 'expired'],
    ['an iat in the future beyond the skew', { iat: now + 301 }, 'not_yet_valid'],
    ['an nbf in the future beyond the skew', { nbf: now + 301 }, 'not_yet_valid'],
    ['no sub', { sub: undefined }, 'missing_claim'],
    ['no iat', { iat: undefined }, 'missing_claim'],
  ] as const)('refuses a token with %s', async (_name, extra, problem) => {
    const token = await sign(key, claims(extra as JWTPayload));
    const error = await validateIdToken(token, { policy, now: NOW, nonce: 'n-1' }, keysOf([key])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdTokenError);
    expect(error).toMatchObject({ code: 'id_token_invalid', problem });
  });

  it('accepts several audiences with azp set to the client, and exp within the skew', async () => {
    const token = await sign(key, claims({ aud: [CLIENT, 'api'], azp: CLIENT, exp: now - 10 }));
    await expect(validateIdToken(token, { policy, now: NOW, nonce: 'n-1' }, keysOf([key]))).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('refuses a signature by another key under the same kid', async () => {
    const token = await sign(other, claims());
    await expect(validateIdToken(token, { policy, now: NOW, nonce: 'n-1' }, keysOf([key]))).rejects.toMatchObject({
      problem: 'bad_signature',
    });
  });

  it('refuses an algorithm outside the policy before looking at keys', async () => {
    const strict = withDefaults({ issuer: ISSUER, clientId: CLIENT, allowedAlgorithms: ['RS256'] });
    const keys = keysOf([key]);
    await expect(validateIdToken(await sign(key, claims()), { policy: strict, now: NOW, nonce: 'n-1' }, keys)).rejects.toMatchObject({
      problem: 'alg_not_allowed',
    });
    expect(keys.syncs).toBe(0);
  });

  it('fetches the JWKS once for an unknown kid, then verifies with the new key', async () => {
    const keys = keysOf([key], [key, rotated]);
    const token = await sign(rotated, claims());
    await expect(validateIdToken(token, { policy, now: NOW, nonce: 'n-1' }, keys)).resolves.toMatchObject({ sub: 'user-1' });
    expect(keys.syncs).toBe(1);
  });

  it('reports unknown_kid when the fetch brings no such key', async () => {
    const keys = keysOf([key]);
    await expect(validateIdToken(await sign(rotated, claims()), { policy, now: NOW, nonce: 'n-1' }, keys)).rejects.toMatchObject({
      problem: 'unknown_kid',
    });
    expect(keys.syncs).toBe(1);
  });

  it('refuses a key marked removed', async () => {
    const removed: SigningKeys = { keys: () => [{ ...cached(key)[0]!, removedAt: NOW }], syncForUnknownKid: async () => undefined };
    await expect(validateIdToken(await sign(key, claims()), { policy, now: NOW, nonce: 'n-1' }, removed)).rejects.toMatchObject({
      problem: 'no_usable_keys',
    });
  });

  it('refuses a malformed token', async () => {
    await expect(validateIdToken('not.a.jwt', { policy, now: NOW }, keysOf([key]))).rejects.toMatchObject({ problem: 'malformed' });
  });

  describe('on refresh', () => {
    it('accepts the same iss and sub and the original nonce', async () => {
      const previous = await sign(key, claims());
      const next = await sign(key, claims({ iat: now + 5 }));
      await expect(validateIdToken(next, { policy, now: NOW, previousIdToken: previous }, keysOf([key]))).resolves.toMatchObject({
        sub: 'user-1',
      });
    });

    it('refuses another sub as identity_changed', async () => {
      const previous = await sign(key, claims());
      const next = await sign(key, claims({ sub: 'user-2' }));
      await expect(validateIdToken(next, { policy, now: NOW, previousIdToken: previous }, keysOf([key]))).rejects.toSatisfy((e) =>
        isFieldKeyError(e, 'identity_changed'),
      );
    });

    it('refuses another nonce', async () => {
      const previous = await sign(key, claims());
      const next = await sign(key, claims({ nonce: 'other' }));
      await expect(validateIdToken(next, { policy, now: NOW, previousIdToken: previous }, keysOf([key]))).rejects.toMatchObject({
        problem: 'nonce_mismatch',
      });
    });
  });
});
