/**
 * Real keys and tokens for offline-decision tests: key pairs generated with jose, tokens signed
 * with SignJWT at test time (no fixture tokens).
 */
import { CompactSign, SignJWT, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { withDefaults } from '../../../../src/main/core/policy/policy-defaults';
import type { Policy } from '../../../../src/main/core/policy/policy-types';

export const ISSUER = 'acme.com';
export const AUDIENCE = 'fieldkey-desktop';
export const NOW = new Date('2026-06-01T12:00:00.000Z');
export const NOW_S = NOW.getTime() / 1000;

export interface TestKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public JWK with `kid` (and `alg` only when asked for). */
  jwk: JWK;
}

export async function makeKey(alg: string, kid: string, options: { declareAlg?: boolean; crv?: string } = {}): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(
    alg,
    options.crv ? { crv: options.crv, extractable: true } : { extractable: true },
  );
  const jwk = { ...(await exportJWK(publicKey)), kid, ...(options.declareAlg ? { alg } : {}) };
  return { alg, kid, privateKey, publicKey, jwk };
}

/** The same key pair, for signing with another algorithm its type allows (e.g. an RSA key for PS256). */
export async function withAlg(key: TestKey, alg: string): Promise<TestKey> {
  const privateKey = (await importJWK(await exportJWK(key.privateKey), alg)) as CryptoKey;
  return { ...key, alg, privateKey };
}

/** Claims of a token issued a minute before NOW, valid for 15 minutes. */
export function claims(overrides: Record<string, unknown> = {}): JWTPayload {
  return { iss: ISSUER, aud: AUDIENCE, sub: 'tech-42', email: 'tech@example.com', iat: NOW_S - 60, exp: NOW_S + 900, ...overrides };
}

/** Signs `payload` with `key`; header members default to the key's alg and kid (set one to undefined to drop it). */
export async function sign(key: TestKey, payload: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const protectedHeader = withoutUndefined({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header });
  return new SignJWT(payload).setProtectedHeader(protectedHeader as { alg: string }).sign(key.privateKey);
}

/** Signs arbitrary payload bytes (not necessarily a JSON object). */
export async function signBytes(key: TestKey, payload: string): Promise<string> {
  return new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey);
}

/** Encodes a token from raw parts without signing (for header shapes jose would not produce). */
export function rawToken(header: unknown, payload: unknown, signature = 'c2ln'): string {
  const encode = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
  return `${encode(header)}.${encode(payload)}.${signature}`;
}

export function policy(overrides: Partial<Policy> = {}): Policy {
  return { ...withDefaults({ issuer: ISSUER, clientId: AUDIENCE }), ...overrides };
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
