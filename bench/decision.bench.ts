/**
 * The offline decision with a warm key cache, per algorithm, against:
 * - jose's `jwtVerify` alone on the same token and imported key (`decision-<ALG>`): what FieldKey
 *   adds (header and key lookup, policy, clock records, claims) should stay small (ratio <= 1.2);
 * - a bare node:crypto `verify` of the same signature (`decision-<ALG>-raw`), for information.
 * The baselines' own medians are listed too, under the names given in `baseline`.
 */
import { KeyObject, verify } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify, type CryptoKey } from 'jose';
import { keysFromJwks } from '../src/main/core/offline/cached-keys';
import type { ClockReadings } from '../src/main/core/offline/decision';
import { verifyOffline } from '../src/main/core/offline/verify-offline';
import { withDefaults } from '../src/main/core/policy/policy-defaults';
import { compare, type BenchResult } from './harness';

const ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
const ISSUER = 'acme.com';
const AUDIENCE = 'fieldkey-desktop';
const NOW = new Date('2026-06-01T12:00:00Z');
const NOW_S = NOW.getTime() / 1000;
const OPTIONS = { samples: 41, batch: 100, warmup: 200 };

/** node:crypto's verify arguments for a JWS algorithm (digest, key options). */
function rawVerifier(alg: (typeof ALGORITHMS)[number], key: KeyObject, token: string): () => boolean {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const data = Buffer.from(`${header}.${payload}`);
  const sig = Buffer.from(signature, 'base64url');
  switch (alg) {
    case 'RS256':
      return () => verify('sha256', data, key, sig);
    case 'ES256':
      return () => verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
    case 'EdDSA':
      return () => verify(null, data, key, sig);
  }
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const policy = withDefaults({ issuer: ISSUER, clientId: AUDIENCE });
  const clock: ClockReadings = {
    now: NOW,
    lastServerTime: new Date(NOW.getTime() - 3_600_000),
    highWater: new Date(NOW.getTime() - 1000),
    lastCheckIn: new Date(NOW.getTime() - 86_400_000),
  };
  for (const alg of ALGORITHMS) {
    const { privateKey, publicKey } = await generateKeyPair(alg);
    const kid = `bench-${alg}`;
    const jwk = { ...(await exportJWK(publicKey)), kid };
    // A realistic cache: the signing key among a few others of the same issuer.
    const others = await Promise.all(
      ['RS256', 'ES384'].map(async (other, i) => ({ ...(await exportJWK((await generateKeyPair(other)).publicKey)), kid: `other-${i}` })),
    );
    const keys = keysFromJwks({ keys: [...others, jwk] });
    const token = await new SignJWT({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'tech-42',
      roles: ['technician'],
      iat: NOW_S - 60,
      exp: NOW_S + 900,
    })
      .setProtectedHeader({ alg, kid, typ: 'JWT' })
      .sign(privateKey);
    const imported = (await importJWK(jwk, alg)) as CryptoKey;

    const decide = () => verifyOffline(token, keys, policy, clock);
    const first = await decide();
    if (first.reason !== 'valid') throw new Error(`bench setup: ${alg} decision is ${first.reason}`);
    const joseOnly = () =>
      jwtVerify(token, imported, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: [alg],
        currentDate: NOW,
        clockTolerance: 300,
        requiredClaims: ['exp', 'iat', 'sub'],
      });
    const raw = rawVerifier(alg, KeyObject.from(imported as unknown as Parameters<typeof KeyObject.from>[0]), token);
    if (!raw()) throw new Error(`bench setup: ${alg} raw verify failed`);

    // compare() reports milliseconds per call; the entries are in microseconds.
    const vsJose = await compare(decide, joseOnly, OPTIONS);
    const vsRaw = await compare(decide, raw, OPTIONS);
    results.push(
      {
        name: `decision-${alg}`,
        median: vsJose.candidate * 1000,
        unit: 'us',
        ratio: vsJose.candidate / vsJose.baseline,
        baseline: `jose-jwtVerify-${alg}`,
      },
      { name: `jose-jwtVerify-${alg}`, median: vsJose.baseline * 1000, unit: 'us' },
      {
        name: `decision-${alg}-raw`,
        median: vsRaw.candidate * 1000,
        unit: 'us',
        ratio: vsRaw.candidate / vsRaw.baseline,
        baseline: `crypto-verify-${alg}`,
      },
      { name: `crypto-verify-${alg}`, median: vsRaw.baseline * 1000, unit: 'us' },
    );
  }
  return results;
}
