/**
 * Imported verification keys, so a warm decision never re-imports a JWK (jose's `importJWK` does
 * the import; FieldKey only remembers the result).
 *
 * Entries are keyed by algorithm, `kid` and the key's RFC 7638 thumbprint input (its canonical
 * public members, see cached-keys.ts). That string identifies the key material exactly, as its
 * SHA-256 thumbprint would, without hashing on every decision: a changed key under an old `kid`
 * never meets a stale entry. The map is bounded; the oldest entries go first.
 */
import { importJWK, type CryptoKey } from 'jose';
import type { Algorithm } from '../policy/policy-types';
import type { UsableKey } from './cached-keys';

const MAX_ENTRIES = 64;
const imported = new Map<string, Promise<CryptoKey>>();

/** The CryptoKey for `key` and `alg`, imported once. Rejects when jose cannot import the key. */
export function verificationKey(key: UsableKey, alg: Algorithm): Promise<CryptoKey> {
  const id = `${alg}\n${key.kid ?? ''}\n${key.material}`;
  const cached = imported.get(id);
  if (cached) return cached;
  const entry = importJWK(key.jwk, alg) as Promise<CryptoKey>;
  if (imported.size >= MAX_ENTRIES) imported.delete(imported.keys().next().value as string);
  imported.set(id, entry);
  // A key that failed to import is not remembered; the caller sees the rejection.
  entry.catch(() => {
    if (imported.get(id) === entry) imported.delete(id);
  });
  return entry;
}

/** How many imported keys are held (for tests). */
export function importedKeyCount(): number {
  return imported.size;
}
