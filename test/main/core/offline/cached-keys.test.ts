import { exportJWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifyKey, keysFromJwks, type CachedKey, type UnusableBecause } from '../../../../src/main/core/offline/cached-keys';
import { isFieldKeyError } from '../../../../src/shared/errors';
import { makeKey, type TestKey } from './token-factory';

let rsa: TestKey;
let ec: TestKey;
let ed: TestKey;

beforeAll(async () => {
  [rsa, ec, ed] = await Promise.all([makeKey('RS256', 'rsa'), makeKey('ES384', 'ec'), makeKey('EdDSA', 'ed')]);
});

describe('keysFromJwks', () => {
  it('keeps kid, alg and public members, frozen', () => {
    const keys = keysFromJwks({ keys: [{ ...rsa.jwk, alg: 'RS256', use: 'sig' }, ec.jwk, ed.jwk] });
    expect(keys).toHaveLength(3);
    expect(keys[0]).toEqual({
      kid: 'rsa',
      alg: 'RS256',
      jwk: { kty: 'RSA', kid: 'rsa', alg: 'RS256', use: 'sig', n: rsa.jwk.n, e: rsa.jwk.e },
    });
    expect(keys[1]).toEqual({ kid: 'ec', jwk: { kty: 'EC', kid: 'ec', crv: 'P-384', x: ec.jwk.x, y: ec.jwk.y } });
    expect(keys[2]!.jwk).toEqual({ kty: 'OKP', kid: 'ed', crv: 'Ed25519', x: ed.jwk.x });
    for (const key of keys) {
      expect(Object.isFrozen(key)).toBe(true);
      expect(Object.isFrozen(key.jwk)).toBe(true);
    }
  });

  it('drops private and symmetric key material and certificate members', async () => {
    const privateJwk = await exportJWK(rsa.privateKey);
    const [priv, oct] = keysFromJwks({
      keys: [
        { ...privateJwk, kid: 'rsa', x5c: ['MIIB'], x5u: 'http://127.0.0.1/x' },
        { kty: 'oct', kid: 'hmac', alg: 'HS256', k: 'c2VjcmV0' },
      ],
    });
    expect(Object.keys(priv!.jwk).sort()).toEqual(['e', 'kid', 'kty', 'n']);
    expect(oct!.jwk).toEqual({ kty: 'oct', kid: 'hmac', alg: 'HS256' });
  });

  it('keeps an empty key set and unknown key types (unusable)', () => {
    expect(keysFromJwks({ keys: [] })).toEqual([]);
    const [akp] = keysFromJwks({ keys: [{ kty: 'AKP', kid: 'pq', alg: 'ML-DSA-44', pub: 'AAAA' }] });
    expect(classifyKey(akp!)).toEqual({ usable: false, kid: 'pq', because: 'unsupported' });
  });

  const garbage: [string, unknown][] = [
    ['null', null],
    ['a string', 'keys'],
    ['an array', []],
    ['no keys member', {}],
    ['keys not an array', { keys: {} }],
    ['a key that is not an object', { keys: [1] }],
    ['a key without kty', { keys: [{ kid: 'x' }] }],
    ['kid not a string', { keys: [{ kty: 'RSA', kid: 1, n: 'AQAB', e: 'AQAB' }] }],
    ['alg not a string', { keys: [{ kty: 'RSA', alg: ['RS256'], n: 'AQAB', e: 'AQAB' }] }],
    ['use not a string', { keys: [{ kty: 'RSA', use: 1, n: 'AQAB', e: 'AQAB' }] }],
    ['key_ops not an array of strings', { keys: [{ kty: 'RSA', key_ops: 'verify', n: 'AQAB', e: 'AQAB' }] }],
    ['RSA without n', { keys: [{ kty: 'RSA', e: 'AQAB' }] }],
    ['RSA n not base64url', { keys: [{ kty: 'RSA', n: 'a+b/c=', e: 'AQAB' }] }],
    ['EC without crv', { keys: [{ kty: 'EC', x: 'AAAA', y: 'AAAA' }] }],
    ['EC without y', { keys: [{ kty: 'EC', crv: 'P-256', x: 'AAAA' }] }],
    ['OKP without x', { keys: [{ kty: 'OKP', crv: 'Ed25519' }] }],
  ];
  it.each(garbage)('refuses %s with jwks_invalid', (_name, jwks) => {
    let thrown: unknown;
    try {
      keysFromJwks(jwks);
    } catch (error) {
      thrown = error;
    }
    expect(isFieldKeyError(thrown, 'jwks_invalid')).toBe(true);
    expect((thrown as Error).message).toMatch(/^Invalid JWKS: /);
  });

  it('names the bad entry', () => {
    expect(() => keysFromJwks({ keys: [rsa.jwk, { kty: 'EC', crv: 'P-256', x: 'AAAA' }] })).toThrow(/keys\[1\]\.y/);
  });
});

describe('classifyKey', () => {
  const cases: [string, () => CachedKey, string[] | UnusableBecause][] = [
    ['RSA without alg: RS* and PS*', () => ({ jwk: rsa.jwk }), ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']],
    ['RSA with alg PS256: PS256 only', () => ({ jwk: { ...rsa.jwk, alg: 'PS256' } }), ['PS256']],
    ['EC P-384: ES384', () => ({ jwk: ec.jwk }), ['ES384']],
    ['OKP Ed25519: EdDSA', () => ({ jwk: ed.jwk }), ['EdDSA']],
    ['cache alg column narrows too', () => ({ alg: 'RS384', jwk: rsa.jwk }), ['RS384']],
    ['removed', () => ({ jwk: rsa.jwk, removedAt: new Date(0) }), 'removed'],
    ['use enc', () => ({ jwk: { ...rsa.jwk, use: 'enc' } }), 'encryption'],
    ['key_ops without verify', () => ({ jwk: { ...rsa.jwk, key_ops: ['encrypt', 'wrapKey'] } }), 'encryption'],
    ['oct', () => ({ jwk: { kty: 'oct', k: 'c2VjcmV0' } }), 'symmetric'],
    ['EC on an unsupported curve', () => ({ jwk: { ...ec.jwk, crv: 'secp256k1' } }), 'unsupported'],
    ['OKP X25519 (key agreement)', () => ({ jwk: { ...ed.jwk, crv: 'X25519' } }), 'unsupported'],
    ['alg HS256 on an RSA key', () => ({ jwk: { ...rsa.jwk, alg: 'HS256' } }), 'inconsistent'],
    ['alg ES256 on a P-384 key', () => ({ jwk: { ...ec.jwk, alg: 'ES256' } }), 'inconsistent'],
    ['alg none on an Ed25519 key', () => ({ alg: 'none', jwk: ed.jwk }), 'inconsistent'],
    ['cache and JWK alg disagree', () => ({ alg: 'RS256', jwk: { ...rsa.jwk, alg: 'PS256' } }), 'inconsistent'],
  ];
  it.each(cases)('%s', (_name, key, expected) => {
    const classified = classifyKey(key());
    if (Array.isArray(expected)) {
      expect(classified.usable).toBe(true);
      if (classified.usable) expect(classified.key.algorithms).toEqual(expected);
    } else {
      expect(classified).toMatchObject({ usable: false, because: expected });
    }
  });
});

describe('remembered classifications', () => {
  it('a frozen key from keysFromJwks is classified once (same object back)', () => {
    const [key] = keysFromJwks({ keys: [ec.jwk] });
    const first = classifyKey(key!);
    expect(classifyKey(key!)).toBe(first);
    expect(first.usable && Object.isFrozen(first.key) && Object.isFrozen(first.key.jwk)).toBe(true);
  });

  it('a mutable key is classified afresh, so a change is honoured', () => {
    const key: CachedKey = { jwk: { ...rsa.jwk } };
    expect(classifyKey(key).usable).toBe(true);
    key.removedAt = new Date(0);
    expect(classifyKey(key)).toMatchObject({ usable: false, because: 'removed' });
    const frozenOutside: CachedKey = Object.freeze({ jwk: { ...rsa.jwk } });
    expect(classifyKey(frozenOutside).usable).toBe(true);
    frozenOutside.jwk.use = 'enc';
    expect(classifyKey(frozenOutside)).toMatchObject({ usable: false, because: 'encryption' });
  });
});
