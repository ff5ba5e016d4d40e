import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, UnsecuredJWT, exportSPKI, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysFromJwks, type CachedKey } from '../../../../src/main/core/offline/cached-keys';
import {
  DECISION_REASONS,
  type ClockReadings,
  type DecisionReason,
  type OfflineDecision,
} from '../../../../src/main/core/offline/decision';
import { MAX_TOKEN_LENGTH, verifyOffline } from '../../../../src/main/core/offline/verify-offline';
import type { Policy } from '../../../../src/main/core/policy/policy-types';
import { AUDIENCE, ISSUER, NOW, NOW_S, claims, makeKey, policy, rawToken, sign, signBytes, withAlg, type TestKey } from './token-factory';

const SKEW_MS = 300_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const;

interface Keys {
  byAlg: Record<(typeof ALGORITHMS)[number], TestKey>;
  rsaNoAlg: TestKey;
  rsaDeclaredRs256: TestKey;
  es512: TestKey;
  attacker: TestKey;
  attackerSameKid: TestKey;
  cached: CachedKey[];
}

let k: Keys;
let jkuServer: Server;
let jkuRequests = 0;
let jkuUrl: string;

beforeAll(async () => {
  const byAlg = Object.fromEntries(
    await Promise.all(ALGORITHMS.map(async (alg) => [alg, await makeKey(alg, `key-${alg}`)])),
  ) as Keys['byAlg'];
  const rsaNoAlg = await makeKey('RS256', 'rsa-any');
  const rsaDeclaredRs256 = await makeKey('RS256', 'rsa-rs256-only', { declareAlg: true });
  const es512 = await makeKey('ES512', 'key-ES512');
  const attacker = await makeKey('RS256', 'attacker');
  const attackerSameKid = await makeKey('RS256', 'key-RS256');
  const cached = keysFromJwks({ keys: [...ALGORITHMS.map((alg) => byAlg[alg].jwk), rsaNoAlg.jwk, rsaDeclaredRs256.jwk, es512.jwk] });
  k = { byAlg, rsaNoAlg, rsaDeclaredRs256, es512, attacker, attackerSameKid, cached };

  jkuServer = createServer((_req, res) => {
    jkuRequests++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [attacker.jwk] }));
  });
  await new Promise<void>((resolve) => jkuServer.listen(0, '127.0.0.1', resolve));
  jkuUrl = `http://127.0.0.1:${(jkuServer.address() as AddressInfo).port}/jwks.json`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => jkuServer.close(() => resolve()));
});

const rs256 = () => k.byAlg.RS256;
const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);

interface Case {
  name: string;
  token: () => Promise<string> | string;
  keys?: () => CachedKey[];
  policy?: Partial<Policy>;
  clock?: Partial<ClockReadings>;
  decision?: OfflineDecision['decision'];
  reason: DecisionReason;
  /** Fields the result must carry (toMatchObject). */
  expect?: Partial<Record<keyof OfflineDecision, unknown>>;
  /** Text the message must contain. */
  says?: RegExp;
}

async function decide(c: Pick<Case, 'token' | 'keys' | 'policy' | 'clock'>): Promise<{ token: string; result: OfflineDecision }> {
  const token = await c.token();
  const result = await verifyOffline(token, c.keys ? c.keys() : k.cached, policy(c.policy), { now: NOW, ...c.clock });
  return { token, result };
}

function expectDecision(c: Case, token: string, result: OfflineDecision): void {
  expect({ decision: result.decision, reason: result.reason }).toEqual({ decision: c.decision ?? 'denied', reason: c.reason });
  if (c.expect) {
    const absent = Object.entries(c.expect).filter(([, value]) => value === undefined);
    for (const [field] of absent) expect(result[field as keyof OfflineDecision], field).toBeUndefined();
    expect(result).toMatchObject(Object.fromEntries(Object.entries(c.expect).filter(([, value]) => value !== undefined)));
  }
  if (c.says) expect(result.message).toMatch(c.says);
  expect(result.message.length).toBeGreaterThan(10);
  // No token content in the message beyond sub, kid and alg.
  const [, payload = '', signature = ''] = token.split('.');
  if (payload.length > 8) expect(result.message).not.toContain(payload);
  if (signature.length > 8) expect(result.message).not.toContain(signature);
  expect(result.message).not.toContain('tech@example.com');
  if (result.decision === 'denied' && !['expired', 'not_yet_valid', 'check_in_overdue'].includes(result.reason))
    expect(result.claims).toBeUndefined();
}

function runCases(cases: Case[]): void {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { token, result } = await decide(c);
    expectDecision(c, token, result);
  });
}

describe('every allowed algorithm: valid, grace period, read-only, denied', () => {
  const cases: Case[] = ALGORITHMS.flatMap((alg): Case[] => [
    {
      name: `${alg} within exp`,
      token: () => sign(k.byAlg[alg], claims()),
      clock: { lastCheckIn: at(-DAY_MS), lastServerTime: at(-HOUR_MS), highWater: at(-1000) },
      decision: 'full',
      reason: 'valid',
      expect: {
        sub: 'tech-42',
        kid: `key-${alg}`,
        alg,
        expiresAt: at(900_000),
        fullUntil: at(900_000 + 24 * HOUR_MS),
        readOnlyUntil: at(6 * DAY_MS),
        checkInDueAt: at(6 * DAY_MS),
        claims: expect.objectContaining({ sub: 'tech-42', email: 'tech@example.com', iss: ISSUER }),
      },
    },
    {
      name: `${alg} past exp, within grace: full access`,
      token: () => sign(k.byAlg[alg], claims({ iat: NOW_S - 7200, exp: NOW_S - 3600 })),
      decision: 'full',
      reason: 'grace_period',
      expect: {
        sub: 'tech-42',
        expiresAt: at(-HOUR_MS),
        fullUntil: at(23 * HOUR_MS),
        readOnlyUntil: undefined,
        claims: expect.objectContaining({ sub: 'tech-42' }),
      },
      says: /full access continues/,
    },
    {
      name: `${alg} past exp + grace: read-only until the check-in`,
      token: () => sign(k.byAlg[alg], claims({ iat: NOW_S - 30 * 3600, exp: NOW_S - 25 * 3600 })),
      clock: { lastCheckIn: at(-30 * HOUR_MS) },
      decision: 'read-only',
      reason: 'expired',
      expect: {
        sub: 'tech-42',
        expiresAt: at(-25 * HOUR_MS),
        fullUntil: at(-HOUR_MS),
        readOnlyUntil: at(7 * DAY_MS - 30 * HOUR_MS),
        claims: expect.objectContaining({ sub: 'tech-42' }),
      },
      says: /read-only access until/,
    },
    {
      name: `${alg} past exp + grace + readOnlyHours: denied`,
      token: () => sign(k.byAlg[alg], claims({ iat: NOW_S - 60 * 3600, exp: NOW_S - 50 * 3600 })),
      policy: { readOnlyHours: 24 },
      reason: 'expired',
      expect: { sub: 'tech-42', expiresAt: at(-50 * HOUR_MS), fullUntil: at(-26 * HOUR_MS), readOnlyUntil: at(-2 * HOUR_MS) },
    },
  ]);
  runCases(cases);
});

describe('exp, grace, read-only and skew boundaries', () => {
  // exp = NOW, so `now` is moved around it.
  const expAtNow = () => sign(rs256(), claims({ iat: NOW_S - 600, exp: NOW_S }));
  const now = (offsetMs: number) => ({ now: at(offsetMs) });
  const GRACE_END = 24 * HOUR_MS + SKEW_MS;
  runCases([
    { name: 'just before exp + skew: full (valid)', token: expAtNow, clock: now(SKEW_MS - 1), decision: 'full', reason: 'valid' },
    { name: 'at exp + skew: full (grace period)', token: expAtNow, clock: now(SKEW_MS), decision: 'full', reason: 'grace_period' },
    {
      name: 'just before exp + grace + skew: full (grace period)',
      token: expAtNow,
      clock: now(GRACE_END - 1000),
      decision: 'full',
      reason: 'grace_period',
    },
    {
      name: 'at exp + grace + skew: read-only',
      token: expAtNow,
      clock: now(GRACE_END),
      decision: 'read-only',
      reason: 'expired',
      expect: { readOnlyUntil: undefined },
    },
    {
      name: 'read-only without readOnlyHours: still read-only 6 days later',
      token: expAtNow,
      clock: now(GRACE_END + 6 * DAY_MS),
      decision: 'read-only',
      reason: 'expired',
    },
    {
      name: 'readOnlyHours 24: 1 s before its end + skew: read-only',
      token: expAtNow,
      policy: { readOnlyHours: 24 },
      clock: now(GRACE_END + DAY_MS - 1000),
      decision: 'read-only',
      reason: 'expired',
      expect: { readOnlyUntil: at(48 * HOUR_MS) },
    },
    {
      name: 'readOnlyHours 24: at its end + skew: denied',
      token: expAtNow,
      policy: { readOnlyHours: 24 },
      clock: now(GRACE_END + DAY_MS),
      reason: 'expired',
    },
    {
      name: 'readOnlyHours 0: denied right after the grace period',
      token: expAtNow,
      policy: { readOnlyHours: 0 },
      clock: now(GRACE_END),
      reason: 'expired',
    },
    {
      name: 'grace period 0: read-only right after exp + skew',
      token: expAtNow,
      policy: { gracePeriodHours: 0 },
      clock: now(SKEW_MS),
      decision: 'read-only',
      reason: 'expired',
    },
    {
      name: 'strict profile (grace 0, read-only 24 h): denied at exp + 24 h + skew',
      token: expAtNow,
      policy: { gracePeriodHours: 0, readOnlyHours: 24 },
      clock: now(DAY_MS + SKEW_MS),
      reason: 'expired',
    },
    {
      name: 'grace period from policy (2 h)',
      token: expAtNow,
      policy: { gracePeriodHours: 2 },
      clock: now(HOUR_MS),
      decision: 'full',
      reason: 'grace_period',
      expect: { fullUntil: at(2 * HOUR_MS) },
    },
    {
      name: 'skew 0: grace period at exp',
      token: expAtNow,
      policy: { clockSkewSeconds: 0 },
      clock: now(0),
      decision: 'full',
      reason: 'grace_period',
    },
    {
      name: 'check-in overdue during the grace period',
      token: expAtNow,
      clock: { now: at(2 * HOUR_MS), lastCheckIn: at(HOUR_MS - 7 * DAY_MS) },
      reason: 'check_in_overdue',
    },
    {
      name: 'check-in overdue during read-only',
      token: expAtNow,
      clock: { now: at(GRACE_END + HOUR_MS), lastCheckIn: at(GRACE_END - 7 * DAY_MS) },
      reason: 'check_in_overdue',
    },
  ]);
});

describe('malformed tokens', () => {
  runCases([
    { name: 'empty string', token: () => '', reason: 'malformed' },
    { name: 'two segments', token: () => 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0', reason: 'malformed' },
    { name: 'four segments', token: async () => (await sign(rs256(), claims())) + '.x', reason: 'malformed' },
    { name: 'whitespace inside', token: async () => ' ' + (await sign(rs256(), claims())), reason: 'malformed' },
    { name: 'header not JSON', token: () => rawToken('not json', claims()), reason: 'malformed' },
    { name: 'header a JSON array', token: () => rawToken([1], claims()), reason: 'malformed' },
    {
      name: 'header without alg',
      token: () => rawToken({ kid: 'key-RS256' }, claims()),
      reason: 'malformed',
      expect: { kid: 'key-RS256' },
    },
    { name: 'alg not a string', token: () => rawToken({ alg: 256 }, claims()), reason: 'malformed' },
    { name: 'kid not a string', token: () => rawToken({ alg: 'RS256', kid: 7 }, claims()), reason: 'malformed', expect: { alg: 'RS256' } },
    { name: 'b64 header member', token: () => sign(rs256(), claims(), { b64: true }), reason: 'malformed' },
    {
      name: 'unknown critical header',
      token: () =>
        new SignJWT(claims())
          .setProtectedHeader({ alg: 'RS256', kid: 'key-RS256', crit: ['x-fieldkey'], 'x-fieldkey': 1 })
          .sign(rs256().privateKey, { crit: { 'x-fieldkey': true } }),
      reason: 'malformed',
    },
    { name: 'signed payload not JSON', token: () => signBytes(rs256(), 'hello'), reason: 'malformed' },
    { name: 'signed payload a JSON array', token: () => signBytes(rs256(), '["sub"]'), reason: 'malformed' },
    { name: 'signed payload JSON null', token: () => signBytes(rs256(), 'null'), reason: 'malformed' },
    { name: 'exp not a number', token: () => sign(rs256(), claims({ exp: String(NOW_S + 900) })), reason: 'malformed', says: /exp/ },
    { name: 'exp out of Date range', token: () => sign(rs256(), claims({ exp: 1e300 })), reason: 'malformed', says: /exp/ },
    { name: 'iat not a number', token: () => sign(rs256(), claims({ iat: 'yesterday' })), reason: 'malformed', says: /iat/ },
    { name: 'nbf not a number', token: () => sign(rs256(), claims({ nbf: true })), reason: 'malformed', says: /nbf/ },
    { name: 'sub not a string', token: () => sign(rs256(), claims({ sub: 42 })), reason: 'malformed', says: /sub/ },
  ]);
});

describe('size cap', () => {
  /** A validly signed token whose length is within 3 characters below `target`. */
  async function tokenOfLength(target: number): Promise<string> {
    let pad = 0;
    let token = await sign(rs256(), claims({ pad: '' }));
    pad = Math.floor(((target - token.length) * 3) / 4);
    for (;;) {
      token = await sign(rs256(), claims({ pad: 'x'.repeat(pad) }));
      if (token.length <= target) return token;
      pad--;
    }
  }

  it('decides a validly signed token at the cap and refuses one just above it', async () => {
    const atCap = await tokenOfLength(MAX_TOKEN_LENGTH);
    expect(atCap.length).toBeGreaterThan(MAX_TOKEN_LENGTH - 4);
    expect((await verifyOffline(atCap, k.cached, policy(), { now: NOW })).reason).toBe('valid');

    const above = await sign(rs256(), claims({ pad: 'x'.repeat(MAX_TOKEN_LENGTH) }));
    expect(above.length).toBeGreaterThan(MAX_TOKEN_LENGTH);
    const result = await verifyOffline(above, k.cached, policy(), { now: NOW });
    expect(result).toMatchObject({ decision: 'denied', reason: 'malformed' });
    // Refused before decoding: not even the header's kid/alg are read.
    expect(result.kid).toBeUndefined();
    expect(result.alg).toBeUndefined();
  });

  it('exports a 16 KiB cap and refuses a huge input quickly', async () => {
    expect(MAX_TOKEN_LENGTH).toBe(16 * 1024);
    const huge = 'a'.repeat(50 * 1024 * 1024);
    const start = performance.now();
    expect((await verifyOffline(huge, k.cached, policy(), { now: NOW })).reason).toBe('malformed');
    expect(performance.now() - start).toBeLessThan(50);
  });
});

describe('clock rollback', () => {
  const valid = () => sign(rs256(), claims());
  runCases([
    {
      name: 'high-water exactly skew ahead of now: trusted',
      token: valid,
      clock: { highWater: at(SKEW_MS) },
      decision: 'full',
      reason: 'valid',
    },
    {
      name: 'high-water more than skew ahead of now',
      token: valid,
      clock: { highWater: at(SKEW_MS + 1) },
      reason: 'clock_rollback',
      says: /earlier/,
    },
    {
      name: 'last server time exactly skew ahead of now: trusted',
      token: valid,
      clock: { lastServerTime: at(SKEW_MS) },
      decision: 'full',
      reason: 'valid',
    },
    {
      name: 'last server time more than skew ahead of now',
      token: valid,
      clock: { lastServerTime: at(SKEW_MS + 1) },
      reason: 'clock_rollback',
      says: /server time/,
    },
    {
      name: 'skew from policy (0 s)',
      token: valid,
      policy: { clockSkewSeconds: 0 },
      clock: { highWater: at(1) },
      reason: 'clock_rollback',
    },
    {
      name: 'both records in the past: trusted',
      token: valid,
      clock: { highWater: at(-DAY_MS), lastServerTime: at(-DAY_MS) },
      decision: 'full',
      reason: 'valid',
    },
    { name: 'a reading that is not a valid time', token: valid, clock: { highWater: new Date(Number.NaN) }, reason: 'clock_rollback' },
    { name: 'now not a valid time', token: valid, clock: { now: new Date('garbage') }, reason: 'clock_rollback' },
  ]);
});

describe('algorithms', () => {
  runCases([
    {
      name: 'alg none (unsecured JWT)',
      token: () => new UnsecuredJWT(claims()).encode(),
      reason: 'alg_not_allowed',
      expect: { alg: 'none' },
      says: /unsigned/,
    },
    {
      name: 'alg none with a kid and a forged signature segment',
      token: () => rawToken({ alg: 'none', kid: 'key-RS256' }, claims(), ''),
      reason: 'alg_not_allowed',
    },
    {
      name: 'alg confusion: HS256 signed with the RSA public key PEM as secret',
      token: async () => {
        const pem = await exportSPKI(rs256().publicKey);
        return new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'key-RS256' }).sign(new TextEncoder().encode(pem));
      },
      reason: 'alg_not_allowed',
      expect: { alg: 'HS256', kid: 'key-RS256' },
      says: /HMAC/,
    },
    {
      name: 'HS256 listed in a (bypassed) policy is still refused',
      token: () =>
        new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('a shared secret of enough length!')),
      policy: { allowedAlgorithms: ['RS256', 'HS256' as never] },
      reason: 'alg_not_allowed',
    },
    {
      name: 'RS512 is supported but not in the default policy',
      token: async () => sign(await withAlg(k.rsaNoAlg, 'RS512'), claims()),
      reason: 'alg_not_allowed',
    },
    { name: 'ES512 is not in the default policy', token: () => sign(k.es512, claims()), reason: 'alg_not_allowed' },
    {
      name: 'ES512 when the policy allows it',
      token: () => sign(k.es512, claims()),
      policy: { allowedAlgorithms: ['ES512'] },
      decision: 'full',
      reason: 'valid',
    },
    {
      name: 'policy narrowed to ES256 refuses RS256',
      token: () => sign(rs256(), claims()),
      policy: { allowedAlgorithms: ['ES256'] },
      reason: 'alg_not_allowed',
    },
    { name: 'unknown alg', token: () => rawToken({ alg: 'XY999', kid: 'key-RS256' }, claims()), reason: 'alg_not_allowed' },
    {
      name: 'EC key named by a token claiming RS256',
      token: () => sign(k.attacker, claims(), { kid: 'key-ES256' }),
      reason: 'alg_not_allowed',
      says: /EC P-256/,
    },
    {
      name: 'key declaring RS256 does not verify PS256 (same key pair)',
      token: async () => sign(await withAlg(k.rsaDeclaredRs256, 'PS256'), claims()),
      reason: 'alg_not_allowed',
    },
    { name: 'key declaring RS256 verifies RS256', token: () => sign(k.rsaDeclaredRs256, claims()), decision: 'full', reason: 'valid' },
    {
      name: 'RSA key without alg verifies PS256',
      token: async () => sign(await withAlg(k.rsaNoAlg, 'PS256'), claims()),
      decision: 'full',
      reason: 'valid',
    },
    { name: 'RSA key without alg verifies RS256', token: () => sign(k.rsaNoAlg, claims()), decision: 'full', reason: 'valid' },
    {
      name: 'no kid, token claims RS256, only an EC key cached',
      token: () => sign(k.attacker, claims(), { kid: undefined }),
      keys: () => keysFromJwks({ keys: [k.byAlg.ES256.jwk] }),
      reason: 'alg_not_allowed',
    },
    {
      name: 'cache alg column and JWK alg disagree: key unusable',
      token: () => sign(rs256(), claims()),
      keys: () => [{ kid: 'key-RS256', alg: 'PS256', jwk: { ...rs256().jwk, alg: 'RS256' } }],
      reason: 'no_usable_keys',
    },
    {
      name: 'key whose declared alg does not fit its type: unusable',
      token: () => sign(k.byAlg.ES256, claims()),
      keys: () => [{ kid: 'key-ES256', alg: 'RS256', jwk: k.byAlg.ES256.jwk }],
      reason: 'no_usable_keys',
    },
  ]);
});

describe('key selection', () => {
  const hs256 = (): JWK => ({ kty: 'oct', kid: 'hmac', alg: 'HS256' });
  runCases([
    {
      name: 'empty key set',
      token: () => sign(rs256(), claims()),
      keys: () => [],
      reason: 'no_usable_keys',
      says: /empty.*HMAC.*RSA, EC or Ed25519/s,
    },
    {
      name: 'only symmetric keys',
      token: () => sign(rs256(), claims()),
      keys: () => keysFromJwks({ keys: [{ kty: 'oct', kid: 'hmac', k: 'c2VjcmV0', alg: 'HS256' }] }),
      reason: 'no_usable_keys',
      says: /only symmetric.*HMAC-signed tokens cannot be verified offline.*RSA, EC or Ed25519/s,
    },
    {
      name: 'only a removed key',
      token: () => sign(rs256(), claims()),
      keys: () => [{ kid: 'key-RS256', jwk: rs256().jwk, removedAt: at(-DAY_MS) }],
      reason: 'no_usable_keys',
      says: /removed/,
    },
    {
      name: 'only an encryption key (use enc)',
      token: () => sign(rs256(), claims()),
      keys: () => [{ kid: 'key-RS256', jwk: { ...rs256().jwk, use: 'enc' } }],
      reason: 'no_usable_keys',
      says: /encryption/,
    },
    {
      name: 'only a key whose key_ops exclude verify',
      token: () => sign(rs256(), claims()),
      keys: () => [{ kid: 'key-RS256', jwk: { ...rs256().jwk, key_ops: ['encrypt'] } }],
      reason: 'no_usable_keys',
    },
    {
      name: 'symmetric and removed keys: explains HMAC too',
      token: () => sign(rs256(), claims()),
      keys: () => [{ kid: 'key-RS256', jwk: rs256().jwk, removedAt: at(-1) }, { jwk: hs256() }],
      reason: 'no_usable_keys',
      says: /HMAC/,
    },
    {
      name: 'use sig and key_ops verify are fine',
      token: () => sign(rs256(), claims()),
      keys: () => [{ jwk: { ...rs256().jwk, use: 'sig', key_ops: ['verify'] } }],
      decision: 'full',
      reason: 'valid',
    },
    {
      name: 'removed key named by kid among usable keys',
      token: () => sign(rs256(), claims()),
      keys: () => [{ kid: 'key-RS256', jwk: rs256().jwk, removedAt: at(-DAY_MS) }, { jwk: k.byAlg.ES256.jwk }],
      reason: 'unknown_kid',
      says: /removed/,
    },
    {
      name: 'removedAt null is not removed',
      token: () => sign(rs256(), claims()),
      keys: () => [{ kid: 'key-RS256', jwk: rs256().jwk, removedAt: null }],
      decision: 'full',
      reason: 'valid',
    },
    {
      name: 'unknown kid',
      token: () => sign(rs256(), claims(), { kid: 'rotated-away' }),
      reason: 'unknown_kid',
      expect: { kid: 'rotated-away' },
      says: /rotated/,
    },
    {
      name: 'kid shaped like a path or SQL is only compared',
      token: () => sign(rs256(), claims(), { kid: "../../etc/passwd' OR 1=1; --" }),
      reason: 'unknown_kid',
      expect: { kid: "../../etc/passwd' OR 1=1; --" },
    },
    {
      name: 'no kid, exactly one usable key',
      token: () => sign(rs256(), claims(), { kid: undefined }),
      keys: () => keysFromJwks({ keys: [rs256().jwk, { kty: 'oct', k: 'eA' }] }),
      decision: 'full',
      reason: 'valid',
      expect: { kid: undefined },
    },
    {
      name: 'no kid, one usable key for the alg among others',
      token: () => sign(k.byAlg.EdDSA, claims(), { kid: undefined }),
      keys: () => keysFromJwks({ keys: [rs256().jwk, k.byAlg.EdDSA.jwk] }),
      decision: 'full',
      reason: 'valid',
    },
    {
      name: 'no kid, several usable keys',
      token: () => sign(rs256(), claims(), { kid: undefined }),
      keys: () => keysFromJwks({ keys: [rs256().jwk, k.rsaNoAlg.jwk] }),
      reason: 'ambiguous_key',
    },
    {
      name: 'one kid shared by two usable keys',
      token: () => sign(rs256(), claims()),
      keys: () => [
        { kid: 'key-RS256', jwk: rs256().jwk },
        { kid: 'key-RS256', jwk: k.rsaNoAlg.jwk },
      ],
      reason: 'ambiguous_key',
    },
    {
      name: 'kid from the cache column wins over the JWK kid',
      token: () => sign(rs256(), claims(), { kid: 'column-kid' }),
      keys: () => [{ kid: 'column-kid', jwk: rs256().jwk }],
      decision: 'full',
      reason: 'valid',
    },
    {
      name: 'private members in a cached JWK are ignored (public part used)',
      token: () => sign(k.byAlg.ES256, claims()),
      keys: () => [{ kid: 'key-ES256', jwk: { ...k.byAlg.ES256.jwk, d: 'AAAA' } }],
      decision: 'full',
      reason: 'valid',
    },
    {
      name: 'RSA key shorter than 2048 bits',
      token: () => {
        const unsigned = `${b64url({ alg: 'RS256', kid: 'weak' })}.${b64url(claims())}`;
        return `${unsigned}.${cryptoSign('sha256', Buffer.from(unsigned), weakRsa.privateKey).toString('base64url')}`;
      },
      keys: () => [{ kid: 'weak', jwk: weakRsa.publicKey.export({ format: 'jwk' }) as JWK }],
      reason: 'no_usable_keys',
      says: /2048/,
    },
    {
      name: 'invalid key material in the cache',
      token: () => sign(k.byAlg.ES256, claims()),
      keys: () => [{ kid: 'key-ES256', jwk: { ...k.byAlg.ES256.jwk, x: 'AAAA' } }],
      reason: 'no_usable_keys',
      says: /could not be imported/,
    },
  ]);
});

describe('keys smuggled in token headers are ignored', () => {
  runCases([
    {
      name: 'jwk header with the victim kid: bad signature',
      token: () => sign(k.attackerSameKid, claims(), { jwk: k.attackerSameKid.jwk }),
      reason: 'bad_signature',
    },
    {
      name: 'jwk header without kid, one cached key: bad signature',
      token: () => sign(k.attacker, claims(), { kid: undefined, jwk: k.attacker.jwk }),
      keys: () => keysFromJwks({ keys: [rs256().jwk] }),
      reason: 'bad_signature',
    },
    {
      name: 'jwk header with the attacker kid: unknown kid',
      token: () => sign(k.attacker, claims(), { jwk: k.attacker.jwk }),
      reason: 'unknown_kid',
    },
    {
      name: 'x5c header: bad signature',
      token: () => sign(k.attackerSameKid, claims(), { x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] }),
      reason: 'bad_signature',
    },
  ]);

  it('never fetches jku or x5u', async () => {
    for (const header of [{ jku: jkuUrl }, { x5u: jkuUrl }, { jku: jkuUrl, kid: 'attacker' }]) {
      const token = await sign(k.attackerSameKid, claims(), header);
      const result = await verifyOffline(token, k.cached, policy(), { now: NOW });
      expect(result.decision).toBe('denied');
      expect(['bad_signature', 'unknown_kid']).toContain(result.reason);
    }
    expect(jkuRequests).toBe(0);
  });
});

describe('signatures', () => {
  runCases([
    {
      name: 'payload swapped from another token',
      token: async () => {
        const [h, , s] = (await sign(rs256(), claims())).split('.');
        const [, p] = (await sign(rs256(), claims({ sub: 'admin' }))).split('.');
        return `${h}.${p}.${s}`;
      },
      reason: 'bad_signature',
      expect: { sub: undefined, claims: undefined },
    },
    { name: 'signed by another key under the same kid', token: () => sign(k.attackerSameKid, claims()), reason: 'bad_signature' },
    { name: 'signature segment truncated', token: async () => (await sign(k.byAlg.ES256, claims())).slice(0, -4), reason: 'bad_signature' },
    {
      name: 'empty signature segment',
      token: async () => (await sign(k.byAlg.EdDSA, claims())).replace(/\.[^.]+$/, '.'),
      reason: 'bad_signature',
    },
  ]);
});

describe('issuer, audience and required claims', () => {
  const withClaims = (overrides: Record<string, unknown>) => () => sign(rs256(), claims(overrides));
  runCases([
    { name: 'iss exactly acme.com', token: withClaims({ iss: 'acme.com' }), decision: 'full', reason: 'valid' },
    { name: 'iss https://acme.com', token: withClaims({ iss: 'https://acme.com' }), reason: 'issuer_mismatch', says: /"acme.com"/ },
    { name: 'iss with trailing slash', token: withClaims({ iss: 'acme.com/' }), reason: 'issuer_mismatch' },
    { name: 'iss in other case', token: withClaims({ iss: 'ACME.com' }), reason: 'issuer_mismatch' },
    { name: 'iss missing', token: withClaims({ iss: undefined }), reason: 'issuer_mismatch' },
    { name: 'iss an array', token: withClaims({ iss: ['acme.com'] }), reason: 'issuer_mismatch' },
    {
      name: 'URL issuer compared exactly',
      token: withClaims({ iss: 'https://id.example.com/' }),
      policy: { issuer: 'https://id.example.com' },
      reason: 'issuer_mismatch',
    },
    { name: 'aud array containing the audience', token: withClaims({ aud: ['other-api', AUDIENCE] }), decision: 'full', reason: 'valid' },
    {
      name: 'aud array without the audience',
      token: withClaims({ aud: ['other-api', 'fieldkey'] }),
      reason: 'audience_mismatch',
      says: /fieldkey-desktop/,
    },
    { name: 'aud another string', token: withClaims({ aud: 'other-api' }), reason: 'audience_mismatch' },
    { name: 'aud missing', token: withClaims({ aud: undefined }), reason: 'audience_mismatch' },
    { name: 'aud an object', token: withClaims({ aud: { [AUDIENCE]: true } }), reason: 'audience_mismatch' },
    { name: 'exp missing', token: withClaims({ exp: undefined }), reason: 'missing_claim', expect: { missingClaim: 'exp' }, says: /"exp"/ },
    { name: 'iat missing', token: withClaims({ iat: undefined }), reason: 'missing_claim', expect: { missingClaim: 'iat' }, says: /"iat"/ },
    { name: 'sub missing', token: withClaims({ sub: undefined }), reason: 'missing_claim', expect: { missingClaim: 'sub' }, says: /"sub"/ },
    { name: 'sub null', token: withClaims({ sub: null }), reason: 'missing_claim', expect: { missingClaim: 'sub' } },
    {
      name: 'policy-required roles missing',
      token: withClaims({}),
      policy: { requiredClaims: ['roles'] },
      reason: 'missing_claim',
      expect: { missingClaim: 'roles' },
      says: /"roles"/,
    },
    {
      name: 'policy-required roles present',
      token: withClaims({ roles: ['tech'] }),
      policy: { requiredClaims: ['roles'] },
      decision: 'full',
      reason: 'valid',
    },
    {
      name: 'a required claim named like an Object.prototype member is not inherited',
      token: withClaims({}),
      policy: { requiredClaims: ['constructor'] },
      reason: 'missing_claim',
      expect: { missingClaim: 'constructor' },
    },
  ]);
});

describe('nbf and iat: the grace period does not loosen them', () => {
  const token = (overrides: Record<string, unknown>) => () => sign(rs256(), claims(overrides));
  runCases([
    { name: 'nbf in the past', token: token({ nbf: NOW_S - 60 }), decision: 'full', reason: 'valid' },
    { name: 'nbf within the skew', token: token({ nbf: NOW_S + 299 }), decision: 'full', reason: 'valid' },
    { name: 'nbf beyond the skew', token: token({ nbf: NOW_S + 301 }), reason: 'not_yet_valid', says: /nbf/ },
    { name: 'nbf an hour ahead, grace 24 h', token: token({ nbf: NOW_S + 3600, exp: NOW_S + 7200 }), reason: 'not_yet_valid' },
    { name: 'iat within the skew', token: token({ iat: NOW_S + 299 }), decision: 'full', reason: 'valid' },
    { name: 'iat beyond the skew', token: token({ iat: NOW_S + 301 }), reason: 'not_yet_valid', says: /iat/ },
    {
      name: 'future iat on a token past exp but inside grace',
      token: token({ iat: NOW_S + 3600, exp: NOW_S - 3600 }),
      reason: 'not_yet_valid',
    },
    {
      name: 'future nbf on a token past exp but inside grace',
      token: token({ nbf: NOW_S + 3600, exp: NOW_S - 3600 }),
      reason: 'not_yet_valid',
    },
  ]);
});

describe('check-in', () => {
  const valid = () => sign(rs256(), claims());
  runCases([
    {
      name: 'last check-in exactly 7 days ago',
      token: valid,
      clock: { lastCheckIn: at(-7 * DAY_MS) },
      decision: 'full',
      reason: 'valid',
      expect: { checkInDueAt: NOW },
    },
    {
      name: 'last check-in 7 days + 1 ms ago',
      token: valid,
      clock: { lastCheckIn: at(-7 * DAY_MS - 1) },
      reason: 'check_in_overdue',
      expect: { checkInDueAt: at(-1), sub: 'tech-42' },
    },
    {
      name: 'interval from policy (1 day)',
      token: valid,
      policy: { checkInIntervalDays: 1 },
      clock: { lastCheckIn: at(-2 * DAY_MS) },
      reason: 'check_in_overdue',
    },
    {
      name: 'no check-in record: check skipped',
      token: valid,
      clock: {},
      decision: 'full',
      reason: 'valid',
      expect: { checkInDueAt: undefined },
    },
    {
      name: 'checkInDueAt reported on early denials too',
      token: () => 'garbage',
      clock: { lastCheckIn: at(-DAY_MS) },
      reason: 'malformed',
      expect: { checkInDueAt: at(6 * DAY_MS) },
    },
  ]);
});

describe('precedence', () => {
  runCases([
    { name: 'malformed before clock rollback', token: () => 'x.y', clock: { highWater: at(DAY_MS) }, reason: 'malformed' },
    {
      name: 'clock rollback before alg none',
      token: () => new UnsecuredJWT(claims()).encode(),
      clock: { highWater: at(DAY_MS) },
      reason: 'clock_rollback',
    },
    {
      name: 'alg not allowed before key selection',
      token: () => new UnsecuredJWT(claims()).encode(),
      keys: () => [],
      reason: 'alg_not_allowed',
    },
    { name: 'key selection before signature', token: () => sign(k.attacker, claims()), keys: () => [], reason: 'no_usable_keys' },
    {
      name: 'signature before claims',
      token: () => sign(k.attackerSameKid, claims({ iss: 'evil', exp: NOW_S - 99 * 3600 })),
      reason: 'bad_signature',
    },
    { name: 'issuer before audience', token: () => sign(rs256(), claims({ iss: 'evil', aud: 'evil' })), reason: 'issuer_mismatch' },
    {
      name: 'audience before missing claim',
      token: () => sign(rs256(), claims({ aud: 'evil', sub: undefined })),
      reason: 'audience_mismatch',
    },
    {
      name: 'missing claim before not yet valid',
      token: () => sign(rs256(), claims({ sub: undefined, nbf: NOW_S + 3600 })),
      reason: 'missing_claim',
    },
    {
      name: 'not yet valid before check-in overdue',
      token: () => sign(rs256(), claims({ nbf: NOW_S + 3600 })),
      clock: { lastCheckIn: at(-30 * DAY_MS) },
      reason: 'not_yet_valid',
    },
    {
      name: 'check-in overdue before expired',
      token: () => sign(rs256(), claims({ exp: NOW_S - 99 * 3600 })),
      clock: { lastCheckIn: at(-30 * DAY_MS) },
      reason: 'check_in_overdue',
    },
    {
      name: 'check-in overdue denies a token within exp',
      token: () => sign(rs256(), claims()),
      clock: { lastCheckIn: at(-30 * DAY_MS) },
      reason: 'check_in_overdue',
    },
  ]);
});

describe('token type', () => {
  const idToken =
    (overrides: Record<string, unknown> = {}) =>
    () =>
      sign(k.byAlg.ES256, claims({ azp: AUDIENCE, auth_time: NOW_S - 60, ...overrides }));
  runCases([
    {
      name: 'ID token without nonce is valid offline',
      token: idToken(),
      policy: { offlineToken: 'id' },
      decision: 'full',
      reason: 'valid',
    },
    {
      name: 'ID token audience checked the same way (array)',
      token: idToken({ aud: [AUDIENCE, 'x'] }),
      policy: { offlineToken: 'id' },
      decision: 'full',
      reason: 'valid',
    },
    {
      name: 'ID token for another client',
      token: idToken({ aud: 'other-client' }),
      policy: { offlineToken: 'id' },
      reason: 'audience_mismatch',
    },
    { name: 'ID token still needs iat', token: idToken({ iat: undefined }), policy: { offlineToken: 'id' }, reason: 'missing_claim' },
  ]);
});

describe('coverage of the contract', () => {
  it('the reason list is exactly the documented one', () => {
    expect([...DECISION_REASONS].sort()).toEqual(
      [
        'valid',
        'grace_period',
        'expired',
        'not_yet_valid',
        'bad_signature',
        'unknown_kid',
        'ambiguous_key',
        'alg_not_allowed',
        'issuer_mismatch',
        'audience_mismatch',
        'missing_claim',
        'malformed',
        'no_usable_keys',
        'clock_rollback',
        'check_in_overdue',
      ].sort(),
    );
  });

  it('the same decision on a warm cache, repeatedly and concurrently', async () => {
    const token = await sign(k.byAlg.EdDSA, claims());
    const results = await Promise.all(Array.from({ length: 20 }, () => verifyOffline(token, k.cached, policy(), { now: NOW })));
    expect(new Set(results.map((r) => r.reason))).toEqual(new Set(['valid']));
  });
});
