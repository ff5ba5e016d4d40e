import type { JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkJwks, type JwksCheckInput } from '../../../../src/main/core/doctor/jwks-check';
import type { Algorithm } from '../../../../src/main/core/policy/policy-types';
import type { StoredKeyRecord } from '../../../../src/main/core/records/jwks-store';
import { testKeys, type TestKeys } from './doctor-fixtures';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const DAY_MS = 86_400_000;
const ISSUER = 'https://idp.example.test';
let keys: TestKeys;

beforeAll(async () => {
  keys = await testKeys();
});

function record(jwk: JWK, options: { removedAt?: Date; source?: 'network' | 'bundled' } = {}): StoredKeyRecord {
  const key = { jwk, removedAt: options.removedAt ?? null, ...(jwk.kid && { kid: jwk.kid }), ...(jwk.alg && { alg: jwk.alg }) };
  return {
    key,
    source: options.source ?? 'network',
    firstSeenAt: new Date(NOW.getTime() - 30 * DAY_MS),
    lastSeenAt: new Date(NOW.getTime() - DAY_MS),
  };
}

function input(overrides: Partial<JwksCheckInput> & { allowed?: Algorithm[]; ageMs?: number | null } = {}): JwksCheckInput {
  const { allowed, ageMs, ...rest } = overrides;
  return {
    policy: { issuer: ISSUER, allowedAlgorithms: allowed ?? ['RS256', 'ES256'], jwksRefreshDays: 7 },
    records: [record(keys.rsa), record(keys.ec, { source: 'bundled' })],
    lastSuccessfulFetch:
      ageMs === null
        ? undefined
        : {
            issuer: ISSUER,
            fetchedAt: new Date(NOW.getTime() - (ageMs ?? DAY_MS)),
            serverDate: null,
            etag: null,
            outcome: 'ok',
            detail: null,
          },
    now: NOW,
    accountCount: 1,
    ...rest,
  };
}

describe('checkJwks', () => {
  it('lists each key by id, algorithm, type, source and state, and never its material', () => {
    const check = checkJwks(
      input({
        records: [
          record(keys.old, { removedAt: new Date(NOW.getTime() - DAY_MS) }),
          record(keys.rsa),
          record(keys.ec, { source: 'bundled' }),
        ],
      }),
    );
    expect(check.section).toMatchObject({
      status: 'ok',
      usableCount: 2,
      removedCount: 1,
      verifiableAlgorithms: ['RS256', 'ES256'],
      ageSeconds: 86_400,
      stale: false,
    });
    expect(
      check.section.keys.map(({ kid, alg, type, algorithms, source, state }) => ({ kid, alg, type, algorithms, source, state })),
    ).toEqual([
      { kid: 'rsa-old', alg: 'RS256', type: 'RSA', algorithms: [], source: 'network', state: 'removed' },
      { kid: 'rsa-1', alg: 'RS256', type: 'RSA', algorithms: ['RS256'], source: 'network', state: 'usable' },
      { kid: 'ec-1', alg: 'ES256', type: 'EC P-256', algorithms: ['ES256'], source: 'bundled', state: 'usable' },
    ]);
    const text = JSON.stringify(check);
    for (const jwk of [keys.rsa, keys.ec, keys.old])
      for (const member of ['n', 'x', 'y'] as const) if (jwk[member]) expect(text).not.toContain(jwk[member]);
    expect(check.cannotVerify).toBeUndefined();
  });

  type Overrides = Parameters<typeof input>[0];
  // Functions: the keys are generated in beforeAll, after the table is built.
  const cases: { name: string; overrides: () => Overrides; problems: string[]; notes: string[]; cannotVerify?: boolean }[] = [
    { name: 'refreshed a day ago', overrides: () => ({}), problems: [], notes: [] },
    { name: 'exactly the refresh interval old is stale', overrides: () => ({ ageMs: 7 * DAY_MS }), problems: ['jwks_stale'], notes: [] },
    {
      name: 'stale without accounts is a note',
      overrides: () => ({ ageMs: 10 * DAY_MS, accountCount: 0 }),
      problems: [],
      notes: ['jwks_stale'],
    },
    { name: 'never fetched (bundled keys only)', overrides: () => ({ ageMs: null }), problems: ['jwks_stale'], notes: [] },
    {
      name: 'no key, no account: fetched at first sign-in',
      overrides: () => ({ records: [], ageMs: null, accountCount: 0 }),
      problems: [],
      notes: ['jwks_missing'],
    },
    {
      name: 'no key while an account relies on it',
      overrides: () => ({ records: [], ageMs: null }),
      problems: ['jwks_missing'],
      notes: [],
      cannotVerify: true,
    },
    {
      name: 'only removed keys',
      overrides: () => ({ records: [record(keys.rsa, { removedAt: NOW })] }),
      problems: ['jwks_no_usable_keys'],
      notes: [],
      cannotVerify: true,
    },
    {
      name: 'only a symmetric key',
      overrides: () => ({ records: [record({ kty: 'oct', kid: 'hs' })], accountCount: 0 }),
      problems: ['jwks_no_usable_keys'],
      notes: [],
      cannotVerify: true,
    },
    {
      name: 'usable keys, but none for an allowed algorithm',
      overrides: () => ({ allowed: ['EdDSA'] }),
      problems: ['jwks_no_allowed_keys'],
      notes: [],
      cannotVerify: true,
    },
  ];
  it.each(cases)('$name', ({ overrides, problems, notes, cannotVerify }) => {
    const check = checkJwks(input(overrides()));
    expect(check.section.findings.filter((f) => f.severity === 'problem').map((f) => f.code)).toEqual(problems);
    expect(check.section.findings.filter((f) => f.severity === 'note').map((f) => f.code)).toEqual(notes);
    expect(check.cannotVerify !== undefined).toBe(cannotVerify ?? false);
  });

  it('explains an HMAC-only key set as the decision does', () => {
    const check = checkJwks(input({ records: [record({ kty: 'oct', kid: 'hs' })] }));
    expect(check.cannotVerify).toEqual({
      code: 'no_usable_keys',
      message: expect.stringContaining('HMAC-signed tokens cannot be verified offline'),
    });
  });

  it('reports cached keys whose MAC fails as jwks_tampered, and nothing when none does', () => {
    const tampered = checkJwks(input({ untrustedCount: 2 }));
    expect(tampered.section.findings).toContainEqual(
      expect.objectContaining({
        severity: 'problem',
        code: 'jwks_tampered',
        message: expect.stringMatching(/2 cached key\(s\).*never uses them/),
      }),
    );
    expect(checkJwks(input({ untrustedCount: 0 })).section.findings.map((f) => f.code)).not.toContain('jwks_tampered');
  });

  it('says how old a stale set is', () => {
    const check = checkJwks(input({ ageMs: 12 * DAY_MS + 3 * 3_600_000 }));
    expect(check.section.findings[0]!.message).toContain('was last fetched 12 d 3 h ago');
  });
});
