/**
 * Turns one entry of a JWKS document (untrusted JSON from the network or a bundled file) into a
 * public signing JWK fit for storage: private members are stripped, symmetric keys and keys that are
 * not for signatures are refused. The RFC 7638 thumbprint (jose) identifies the key material.
 */
import { calculateJwkThumbprint, type JWK } from 'jose';

/** Members that only a private or symmetric key has (RFC 7518 section 6; `oth` is multi-prime RSA). */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

const ASYMMETRIC_KEY_TYPES = new Set(['RSA', 'EC', 'OKP']);

export type RefusedJwkReason = 'symmetric' | 'not_signing' | 'invalid';

export type PublicJwkResult =
  | { ok: true; jwk: Record<string, unknown>; kid: string | null; alg: string | null; thumbprint: string; strippedPrivate: boolean }
  | { ok: false; kid: string | null; reason: RefusedJwkReason };

export async function toPublicJwk(entry: unknown): Promise<PublicJwkResult> {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return { ok: false, kid: null, reason: 'invalid' };
  const source = entry as Record<string, unknown>;
  const kid = typeof source.kid === 'string' && source.kid !== '' ? source.kid : null;
  if (source.kty === 'oct') return { ok: false, kid, reason: 'symmetric' };
  if (source.kid !== undefined && kid === null) return { ok: false, kid, reason: 'invalid' };
  if (source.alg !== undefined && (typeof source.alg !== 'string' || source.alg === '')) return { ok: false, kid, reason: 'invalid' };
  if (typeof source.kty !== 'string' || !ASYMMETRIC_KEY_TYPES.has(source.kty)) return { ok: false, kid, reason: 'invalid' };
  if (source.use !== undefined && source.use !== 'sig') return { ok: false, kid, reason: 'not_signing' };
  if (source.key_ops !== undefined && !(Array.isArray(source.key_ops) && source.key_ops.includes('verify'))) {
    return { ok: false, kid, reason: 'not_signing' };
  }

  const jwk: Record<string, unknown> = {};
  let strippedPrivate = false;
  for (const [name, value] of Object.entries(source)) {
    if ((PRIVATE_JWK_MEMBERS as readonly string[]).includes(name)) strippedPrivate = true;
    else jwk[name] = value;
  }

  let thumbprint: string;
  try {
    thumbprint = await calculateJwkThumbprint(jwk as JWK, 'sha256');
  } catch {
    return { ok: false, kid, reason: 'invalid' };
  }
  const alg = typeof jwk.alg === 'string' ? jwk.alg : null;
  return { ok: true, jwk, kid, alg, thumbprint, strippedPrivate };
}
