/**
 * Imported verification keys, so a warm decision never re-imports a JWK (jose's `importJWK` does
 * the import; FieldKey only remembers the result).
 *
 * Entries are keyed by algorithm, `kid` and the key's RFC 7638 thumbprint input (its canonical
 * public members, see cached-keys.ts). That string identifies the key material exactly, as its
 * SHA-256 thumbprint would, without hashing on every decision: a changed key under an old `kid`
 * never meets a stale entry. The map is bounded; the oldest entries go first. A UsableKey object
 * (immutable, see cached-keys.ts) also finds its CryptoKey directly, without building that string.
 */
import { importJWK, type CryptoKey } from 'jose';
import type { Algorithm } from '../policy/policy-types';
import type { UsableKey } from './cached-keys';

const MAX_ENTRIES = 64;
const imported = new Map<string, Promise<CryptoKey>>();
/** Fast path for the same UsableKey object (classifyKey hands out one per frozen cached key). */
const byUsableKey = new WeakMap<UsableKey, Map<Algorithm, Promise<CryptoKey>>>();

/** The CryptoKey for `key` and `alg`, imported once. Rejects when jose cannot import the key. */
export function verificationKey(key: UsableKey, alg: Algorithm): Promise<CryptoKey> {
  const fast = byUsableKey.get(key)?.get(alg);
  if (fast) return fast;
  const id = `${alg}\n${key.kid ?? ''}\n${key.material}`;
  let entry = imported.get(id);
  if (!entry) {
    const fresh = importJWK(key.jwk, alg) as Promise<CryptoKey>;
    if (imported.size >= MAX_ENTRIES) imported.delete(imported.keys().next().value as string);
    imported.set(id, fresh);
    // A key that failed to import is not remembered; the caller sees the rejection.
    fresh.catch(() => {
      if (imported.get(id) === fresh) imported.delete(id);
      byUsableKey.get(key)?.delete(alg);
    });
    entry = fresh;
  }
  let perAlg = byUsableKey.get(key);
  if (!perAlg) byUsableKey.set(key, (perAlg = new Map()));
  perAlg.set(alg, entry);
  return entry;
}

/** How many imported keys are held (for tests). */
export function importedKeyCount(): number {
  return imported.size;
}
