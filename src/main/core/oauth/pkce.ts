/**
 * PKCE (RFC 7636, S256 only) and the one-time `state` and `nonce` of one authorization request.
 * Every value comes from 32 random bytes (256 bits), base64url without padding; the verifier is
 * therefore 43 characters, inside RFC 7636's 43..128.
 */
import { createHash, randomBytes } from 'node:crypto';

export type RandomBytes = (size: number) => Buffer;

export interface AuthorizationSecrets {
  /** PKCE code verifier: sent only to the token endpoint. */
  codeVerifier: string;
  /** BASE64URL(SHA-256(verifier)), sent in the authorization URL. */
  codeChallenge: string;
  codeChallengeMethod: 'S256';
  /** Binds the redirect to this request (CSRF); checked by the loopback listener. */
  state: string;
  /** Binds the ID token to this request; checked when the ID token is validated. */
  nonce: string;
}

export const RANDOM_BYTES = 32;

export function randomValue(random: RandomBytes = randomBytes): string {
  return random(RANDOM_BYTES).toString('base64url');
}

export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** Fresh secrets for one authorization request; never reused for another. */
export function createAuthorizationSecrets(random: RandomBytes = randomBytes): AuthorizationSecrets {
  const codeVerifier = randomValue(random);
  return {
    codeVerifier,
    codeChallenge: s256Challenge(codeVerifier),
    codeChallengeMethod: 'S256',
    state: randomValue(random),
    nonce: randomValue(random),
  };
}
