/**
 * The signing keys FieldKey caches per issuer (the IdP's published JWKS or the bundled one), and
 * which token algorithms each may verify. Keys come only from this cache, never from a token header.
 *
 * A key verifies only algorithms that fit its own type: a key with `alg` set verifies exactly that
 * algorithm; a key without `alg` verifies what its `kty`/`crv` allows (RSA: RS*, PS*; EC P-256:
 * ES256, P-384: ES384, P-521: ES512; OKP Ed25519: EdDSA). Removed keys, encryption keys (`use:
 * "enc"`, `key_ops` without `verify`), symmetric keys and unknown key types verify nothing.
 */
import type { JWK } from 'jose';
import { FieldKeyError } from '../../../shared/errors';
import { SUPPORTED_ALGORITHMS, type Algorithm } from '../policy/policy-types';

/** One cached key of the configured issuer. `kid`/`alg` win over the JWK's own members when set. */
export interface CachedKey {
  kid?: string;
  alg?: string;
  jwk: JWK;
  /** Set when the key disappeared from the IdP's key set: such a key verifies nothing. */
  removedAt?: Date | null;
}

/** Why a cached key cannot verify anything. */
export type UnusableBecause = 'removed' | 'encryption' | 'symmetric' | 'unsupported' | 'inconsistent';

/** A key that may verify signatures: its public members only, and the algorithms it verifies. */
export interface UsableKey {
  kid: string | undefined;
  /** Public members only (private members, if a JWKS ever carried them, are dropped). */
  jwk: JWK;
  algorithms: readonly Algorithm[];
  /** Human description for messages, e.g. `EC P-256`. */
  type: string;
  /** The RFC 7638 thumbprint input (canonical public members): identifies the key material exactly. */
  material: string;
}

export type ClassifiedKey = { usable: true; key: UsableKey } | { usable: false; kid: string | undefined; because: UnusableBecause };

const SUPPORTED = new Set<string>(SUPPORTED_ALGORITHMS);
const RSA_ALGORITHMS: readonly Algorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const EC_ALGORITHMS: Readonly<Record<string, readonly Algorithm[]>> = { 'P-256': ['ES256'], 'P-384': ['ES384'], 'P-521': ['ES512'] };
const OKP_ALGORITHMS: Readonly<Record<string, readonly Algorithm[]>> = { Ed25519: ['EdDSA'] };
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function isMember(value: unknown): value is string {
  return typeof value === 'string' && BASE64URL.test(value);
}

/** Public members and the algorithms a key type allows, or undefined for a type FieldKey cannot verify with. */
function publicPart(jwk: JWK): { jwk: JWK; algorithms: readonly Algorithm[]; type: string; material: string } | undefined {
  switch (jwk.kty) {
    case 'RSA':
      if (!isMember(jwk.n) || !isMember(jwk.e)) return undefined;
      return {
        jwk: { kty: 'RSA', n: jwk.n, e: jwk.e },
        algorithms: RSA_ALGORITHMS,
        type: 'RSA',
        material: `{"e":"${jwk.e}","kty":"RSA","n":"${jwk.n}"}`,
      };
    case 'EC': {
      const algorithms = typeof jwk.crv === 'string' ? EC_ALGORITHMS[jwk.crv] : undefined;
      if (!algorithms || !isMember(jwk.x) || !isMember(jwk.y)) return undefined;
      return {
        jwk: { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y },
        algorithms,
        type: `EC ${jwk.crv}`,
        material: `{"crv":"${jwk.crv}","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`,
      };
    }
    case 'OKP': {
      const algorithms = typeof jwk.crv === 'string' ? OKP_ALGORITHMS[jwk.crv] : undefined;
      if (!algorithms || !isMember(jwk.x)) return undefined;
      return {
        jwk: { kty: 'OKP', crv: jwk.crv, x: jwk.x },
        algorithms,
        type: `OKP ${jwk.crv}`,
        material: `{"crv":"${jwk.crv}","kty":"OKP","x":"${jwk.x}"}`,
      };
    }
    default:
      return undefined;
  }
}

/** The key's id: the cache's `kid` column when set, else the JWK's own. */
export function keyId(key: CachedKey): string | undefined {
  return key.kid ?? (typeof key.jwk.kid === 'string' ? key.jwk.kid : undefined);
}

/** Classifications of frozen keys (keysFromJwks returns frozen keys): they cannot change, so one is enough. */
const classified = new WeakMap<CachedKey, ClassifiedKey>();

function isImmutable(key: CachedKey): boolean {
  const jwk = key.jwk;
  return Object.isFrozen(key) && Object.isFrozen(jwk) && (jwk.key_ops === undefined || Object.isFrozen(jwk.key_ops));
}

/**
 * Decides whether a cached key may verify signatures, and with which algorithms. The result for a
 * frozen key is remembered (same object back), so warm decisions skip the work.
 */
export function classifyKey(key: CachedKey): ClassifiedKey {
  const remembered = classified.get(key);
  if (remembered) return remembered;
  const result = classifyKeyNow(key);
  if (typeof key.jwk === 'object' && key.jwk !== null && isImmutable(key)) classified.set(key, result);
  return result;
}

function classifyKeyNow(key: CachedKey): ClassifiedKey {
  const kid = keyId(key);
  const jwk = key.jwk;
  if (key.removedAt != null) return { usable: false, kid, because: 'removed' };
  if (typeof jwk !== 'object' || jwk === null) return { usable: false, kid, because: 'unsupported' };
  if (jwk.kty === 'oct') return { usable: false, kid, because: 'symmetric' };
  if (
    (jwk.use !== undefined && jwk.use !== 'sig') ||
    (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify')))
  ) {
    return { usable: false, kid, because: 'encryption' };
  }
  const part = publicPart(jwk);
  if (!part) return { usable: false, kid, because: 'unsupported' };
  const declared = [key.alg, jwk.alg].filter((alg): alg is string => alg !== undefined);
  let algorithms = part.algorithms;
  if (declared.length > 0) {
    // A declared alg must be one the key type allows; the cache column and the JWK must agree.
    const alg = declared[0]!;
    if (declared.some((other) => other !== alg) || !SUPPORTED.has(alg) || !part.algorithms.includes(alg as Algorithm)) {
      return { usable: false, kid, because: 'inconsistent' };
    }
    algorithms = [alg as Algorithm];
  }
  const usable: UsableKey = {
    kid,
    jwk: Object.freeze(part.jwk),
    algorithms: Object.freeze([...algorithms]),
    type: part.type,
    material: part.material,
  };
  return { usable: true, key: Object.freeze(usable) };
}

/** Top-level members kept from a JWKS entry: metadata and public key material, never private or symmetric key material. */
const KEPT_MEMBERS = ['kty', 'kid', 'alg', 'use', 'key_ops', 'crv', 'n', 'e', 'x', 'y'] as const;

function invalid(message: string): FieldKeyError {
  return new FieldKeyError('jwks_invalid', `Invalid JWKS: ${message}.`);
}

/**
 * Validates a JWKS document (`{ "keys": [...] }`) and returns its keys for the cache. Throws
 * FieldKeyError `jwks_invalid` naming the first bad entry. Private and symmetric key material is
 * dropped (an `oct` key is kept without its `k`, so a decision can explain that HMAC keys cannot
 * verify offline); unknown key types are kept and never used. The returned objects are frozen.
 */
export function keysFromJwks(jwks: unknown): CachedKey[] {
  if (typeof jwks !== 'object' || jwks === null || Array.isArray(jwks)) throw invalid('expected a JSON object with a "keys" array');
  const keys = (jwks as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) throw invalid('expected a "keys" array');
  return keys.map((entry: unknown, index) => {
    const where = `keys[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid(`${where} is not an object`);
    const source = entry as Record<string, unknown>;
    if (typeof source.kty !== 'string' || source.kty === '') throw invalid(`${where}.kty must be a non-empty string`);
    for (const member of ['kid', 'alg', 'use', 'crv'] as const) {
      if (source[member] !== undefined && typeof source[member] !== 'string') throw invalid(`${where}.${member} must be a string`);
    }
    if (source.key_ops !== undefined && !(Array.isArray(source.key_ops) && source.key_ops.every((op) => typeof op === 'string'))) {
      throw invalid(`${where}.key_ops must be an array of strings`);
    }
    if ((source.kty === 'EC' || source.kty === 'OKP') && source.crv === undefined) throw invalid(`${where}.crv is missing`);
    const material = ({ RSA: ['n', 'e'], EC: ['x', 'y'], OKP: ['x'] } as Record<string, string[]>)[source.kty] ?? [];
    for (const member of material) {
      if (!isMember(source[member])) throw invalid(`${where}.${member} must be a base64url string`);
    }
    const jwk: Record<string, unknown> = {};
    for (const member of KEPT_MEMBERS) {
      if (source[member] === undefined) continue;
      if (source.kty === 'oct' && member !== 'kty' && member !== 'kid' && member !== 'alg' && member !== 'use') continue;
      jwk[member] = Array.isArray(source[member]) ? Object.freeze([...(source[member] as string[])]) : source[member];
    }
    const key: CachedKey = { jwk: Object.freeze(jwk) as JWK };
    if (typeof source.kid === 'string') key.kid = source.kid;
    if (typeof source.alg === 'string') key.alg = source.alg;
    return Object.freeze(key);
  });
}
