import { describe, expect, it } from 'vitest';
import { ARGON2_FLOOR, DEFAULT_POLICY_FIELDS, demoPolicy, withDefaults } from '../../../../src/main/core/policy/policy-defaults';
import type { Policy } from '../../../../src/main/core/policy/policy-types';

describe('withDefaults', () => {
  it('fills every field with the practical starting point; audience defaults to the client id', () => {
    const expected: Policy = {
      issuer: 'https://auth.acme.com',
      clientId: 'fieldkey-desktop',
      audience: 'fieldkey-desktop',
      idp: 'oidc',
      redirect: { mode: 'loopback' },
      extraScopes: [],
      offlineToken: 'access',
      allowedAlgorithms: ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'],
      requiredClaims: [],
      gracePeriodHours: 24,
      readOnlyHours: null,
      checkInIntervalDays: 7,
      jwksRefreshDays: 7,
      refreshRetryWindowSeconds: 30,
      clockSkewSeconds: 300,
      pin: { minLength: 6, maxAttempts: 5 },
      argon2: { memoryKiB: 65536, iterations: 3 },
      idleLockMinutes: 15,
      maxAccounts: 5,
      auditRetentionDays: 365,
      auditRetentionRows: 100000,
    };
    expect(withDefaults({ issuer: 'https://auth.acme.com', clientId: 'fieldkey-desktop' })).toStrictEqual(expected);
  });

  it('keeps what the document gives, fills partial pin and argon2 objects member by member', () => {
    const policy = withDefaults({
      issuer: 'acme.com',
      clientId: 'c',
      audience: 'a',
      pin: { maxAttempts: 3 },
      argon2: { memoryKiB: 131072 },
      discoveryUrl: 'https://x/d',
    });
    expect(policy.audience).toBe('a');
    expect(policy.pin).toEqual({ minLength: 6, maxAttempts: 3 });
    expect(policy.argon2).toEqual({ memoryKiB: 131072, iterations: 3 });
    expect(withDefaults({ issuer: 'i', clientId: 'c', argon2: { parallelism: 1 } }).argon2).toEqual({
      memoryKiB: 65536,
      iterations: 3,
      parallelism: 1,
    });
    expect(policy.discoveryUrl).toBe('https://x/d');
    expect('endpoints' in policy).toBe(false);
  });

  it('keeps a target unlock time as it is', () => {
    expect(withDefaults({ issuer: 'i', clientId: 'c', argon2: { targetUnlockMs: 500 } }).argon2).toEqual({ targetUnlockMs: 500 });
  });

  it('never shares arrays or objects with the defaults or the input', () => {
    const input = { issuer: 'i', clientId: 'c', extraScopes: ['profile'] };
    const a = withDefaults(input);
    a.allowedAlgorithms.push('RS512');
    a.extraScopes.push('email');
    a.pin.minLength = 99;
    expect(input.extraScopes).toEqual(['profile']);
    expect(DEFAULT_POLICY_FIELDS.allowedAlgorithms).toHaveLength(5);
    expect(withDefaults({ issuer: 'i', clientId: 'c' }).pin.minLength).toBe(6);
    expect(Object.isFrozen(DEFAULT_POLICY_FIELDS.pin)).toBe(true);
  });

  it('has a default Argon2 cost above the OWASP floor', () => {
    const d = DEFAULT_POLICY_FIELDS.argon2 as { memoryKiB: number; iterations: number; parallelism?: number };
    expect(d.parallelism).toBeUndefined(); // the vault picks the lanes
    expect(d.memoryKiB).toBeGreaterThanOrEqual(ARGON2_FLOOR.memoryKiB);
    expect(d.iterations).toBeGreaterThanOrEqual(ARGON2_FLOOR.iterations);
    expect(ARGON2_FLOOR).toEqual({ memoryKiB: 19456, iterations: 2, parallelism: 1 });
  });
});

describe('demoPolicy', () => {
  it('points at the local demo IdP with the demo client', () => {
    const policy = demoPolicy();
    expect(policy).toMatchObject({
      issuer: 'http://127.0.0.1:9011',
      clientId: 'fieldkey-desktop',
      audience: 'fieldkey-desktop',
      offlineToken: 'access',
    });
    expect(policy.allowedAlgorithms).toEqual(expect.arrayContaining(['RS256', 'ES256', 'EdDSA']));
  });

  it('syncs notes to the demo Field API, and a policy without api keeps them on the laptop', () => {
    expect(demoPolicy().api).toEqual({ baseUrl: 'http://127.0.0.1:9021' });
    expect(withDefaults({ issuer: 'https://auth.acme.com', clientId: 'c' }).api).toBeUndefined();
  });
});
