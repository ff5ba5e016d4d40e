import * as jose from 'jose';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { keysFromJwks } from '../../../../src/main/core/offline/cached-keys';
import { verifyOffline } from '../../../../src/main/core/offline/verify-offline';
import { NOW, claims, makeKey, policy, sign, withAlg, type TestKey } from './token-factory';

// Count jose's imports while keeping its real implementation.
vi.mock('jose', async (importOriginal) => {
  const actual = await importOriginal<typeof jose>();
  return { ...actual, importJWK: vi.fn(actual.importJWK) };
});
const importJWK = vi.mocked(jose.importJWK);

let key: TestKey;
let other: TestKey;

beforeAll(async () => {
  key = await makeKey('ES256', 'warm');
  other = await makeKey('ES256', 'warm');
});

beforeEach(() => {
  importJWK.mockClear();
});

describe('imported key cache', () => {
  it('imports a key once, even for fresh copies of the same cached key', async () => {
    const token = await sign(key, claims());
    for (let i = 0; i < 5; i++) {
      const keys = keysFromJwks({ keys: [key.jwk] });
      expect((await verifyOffline(token, keys, policy(), { now: NOW })).reason).toBe('valid');
    }
    expect(importJWK).toHaveBeenCalledTimes(1);
  });

  it('imports once under concurrent first use', async () => {
    const fresh = await makeKey('EdDSA', 'concurrent');
    const token = await sign(fresh, claims());
    const keys = keysFromJwks({ keys: [fresh.jwk] });
    const results = await Promise.all(Array.from({ length: 8 }, () => verifyOffline(token, keys, policy(), { now: NOW })));
    expect(results.every((r) => r.reason === 'valid')).toBe(true);
    expect(importJWK).toHaveBeenCalledTimes(1);
  });

  it('a different key under the same kid never meets the old entry', async () => {
    const token = await sign(key, claims());
    await verifyOffline(token, keysFromJwks({ keys: [key.jwk] }), policy(), { now: NOW });
    importJWK.mockClear();
    const rotated = keysFromJwks({ keys: [other.jwk] });
    expect((await verifyOffline(token, rotated, policy(), { now: NOW })).reason).toBe('bad_signature');
    expect(importJWK).toHaveBeenCalledTimes(1);
    expect((await verifyOffline(await sign(other, claims()), rotated, policy(), { now: NOW })).reason).toBe('valid');
    expect(importJWK).toHaveBeenCalledTimes(1);
  });

  it('one key pair used for two algorithms is imported once per algorithm', async () => {
    const rsa = await makeKey('RS256', 'two-algs');
    const ps = await withAlg(rsa, 'PS256');
    importJWK.mockClear();
    const keys = keysFromJwks({ keys: [rsa.jwk] });
    expect((await verifyOffline(await sign(rsa, claims()), keys, policy(), { now: NOW })).reason).toBe('valid');
    expect((await verifyOffline(await sign(ps, claims()), keys, policy(), { now: NOW })).reason).toBe('valid');
    expect((await verifyOffline(await sign(rsa, claims()), keys, policy(), { now: NOW })).reason).toBe('valid');
    expect(importJWK.mock.calls.map((call) => call[1])).toEqual(['RS256', 'PS256']);
  });
});
