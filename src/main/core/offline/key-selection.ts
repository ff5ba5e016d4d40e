/**
 * Picks the one cached key that may verify a token, from the token's `alg` and `kid` only (no
 * other header member is read: `jwk`, `jku`, `x5u` and `x5c` never supply or locate a key). The
 * `kid` is only compared, as a string, with the cached keys' ids.
 */
import type { Algorithm } from '../policy/policy-types';
import { classifyKey, keyId, type CachedKey, type UnusableBecause, type UsableKey } from './cached-keys';
import type { DecisionReason } from './decision';

export type KeySelection =
  | { ok: true; key: UsableKey }
  | { ok: false; reason: Extract<DecisionReason, 'no_usable_keys' | 'unknown_kid' | 'ambiguous_key' | 'alg_not_allowed'>; message: string };

export const HMAC_EXPLANATION =
  'HMAC-signed tokens cannot be verified offline: checking them needs the shared secret, which a client must never hold. ' +
  'The IdP needs an RSA, EC or Ed25519 signing key for this application (FusionAuth never publishes HMAC keys, so an HS256 application has an empty key set).';

const BECAUSE_TEXT: Record<UnusableBecause, string> = {
  removed: 'removed from the IdP key set',
  encryption: 'for encryption only',
  symmetric: 'symmetric (HMAC)',
  unsupported: 'of an unsupported type',
  inconsistent: 'declaring an algorithm its type cannot verify',
};

/** A `kid` for a message: quoted and cut short (it comes from the token). */
export function quoteKid(kid: string): string {
  return JSON.stringify(kid.length > 64 ? kid.slice(0, 64) + '...' : kid);
}

function noUsableKeys(keys: readonly CachedKey[], unusable: readonly UnusableBecause[], issuer: string): KeySelection {
  const of = `for issuer ${JSON.stringify(issuer)}`;
  let message: string;
  if (keys.length === 0) {
    message = `No signing key is cached ${of}: the key set is empty, so no token can be verified offline. ${HMAC_EXPLANATION}`;
  } else if (unusable.every((because) => because === 'symmetric')) {
    message = `The key set ${of} holds only symmetric (HMAC, kty "oct") keys. ${HMAC_EXPLANATION}`;
  } else {
    const counts = new Map<UnusableBecause, number>();
    for (const because of unusable) counts.set(because, (counts.get(because) ?? 0) + 1);
    const detail = [...counts].map(([because, count]) => `${count} ${BECAUSE_TEXT[because]}`).join(', ');
    message = `None of the ${keys.length} cached keys ${of} can verify signatures (${detail}). Connect to refresh the key set.`;
    if (counts.has('symmetric')) message += ` ${HMAC_EXPLANATION}`;
  }
  return { ok: false, reason: 'no_usable_keys', message };
}

/**
 * The key for a token with header `alg` (already allowed by policy) and optional `kid`:
 * - no usable key at all: `no_usable_keys`;
 * - with `kid`: no cached key has it (or the ones that do are removed or unusable): `unknown_kid`;
 *   its key cannot verify `alg`: `alg_not_allowed`; several usable keys share it: `ambiguous_key`;
 * - without `kid`: exactly one usable key verifies `alg`: that key; none: `alg_not_allowed`;
 *   several: `ambiguous_key`.
 */
export function selectKey(keys: readonly CachedKey[], alg: Algorithm, kid: string | undefined, issuer: string): KeySelection {
  const usable: UsableKey[] = [];
  const unusable: UnusableBecause[] = [];
  for (const key of keys) {
    const classified = classifyKey(key);
    if (classified.usable) usable.push(classified.key);
    else unusable.push(classified.because);
  }
  if (usable.length === 0) return noUsableKeys(keys, unusable, issuer);

  if (kid !== undefined) {
    const named = usable.filter((key) => key.kid === kid);
    if (named.length === 0) {
      const known = keys.filter((key) => keyId(key) === kid).map((key) => classifyKey(key));
      const why = known.map((k) => (k.usable ? '' : BECAUSE_TEXT[k.because])).filter(Boolean);
      return {
        ok: false,
        reason: 'unknown_kid',
        message:
          why.length > 0
            ? `The token's key ${quoteKid(kid)} cannot be used: the cached key is ${why.join(' and ')}. Connect to refresh the key set and sign in again.`
            : `No cached key has the token's key id ${quoteKid(kid)}; the IdP may have rotated its keys. Connect to refresh the key set.`,
      };
    }
    const fitting = named.filter((key) => key.algorithms.includes(alg));
    if (fitting.length === 0) {
      const types = [...new Set(named.map((key) => `${key.type} (${key.algorithms.join(', ')})`))].join('; ');
      return {
        ok: false,
        reason: 'alg_not_allowed',
        message: `The token claims ${alg}, but its key ${quoteKid(kid)} is ${types} and cannot verify ${alg}.`,
      };
    }
    if (fitting.length > 1) {
      return {
        ok: false,
        reason: 'ambiguous_key',
        message: `Several cached keys share the key id ${quoteKid(kid)} and can verify ${alg}; refusing to guess.`,
      };
    }
    return { ok: true, key: fitting[0]! };
  }

  const fitting = usable.filter((key) => key.algorithms.includes(alg));
  if (fitting.length === 0) {
    const types = [...new Set(usable.map((key) => key.type))].join(', ');
    return {
      ok: false,
      reason: 'alg_not_allowed',
      message: `The token claims ${alg} and names no key, but no cached key can verify ${alg} (cached: ${types}).`,
    };
  }
  if (fitting.length > 1) {
    return {
      ok: false,
      reason: 'ambiguous_key',
      message: `The token names no key (no kid) and ${fitting.length} cached keys can verify ${alg}; refusing to guess.`,
    };
  }
  return { ok: true, key: fitting[0]! };
}
